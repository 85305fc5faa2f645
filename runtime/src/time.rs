//! Cancellation-aware suspension points ([`sleep`], [`yield_now`]) and deadlines
//! ([`with_timeout`], [`with_deadline`]). Timers are tokio's: these need a tokio runtime with
//! the time driver enabled.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use crate::context::{Scoped, checkpoint, current_token};
use crate::error::{CancelReason, CancellationError};
use crate::token::CancelToken;

/// Sleeps for `duration`, or until the current task is cancelled, whichever comes first
/// (Swift's `try await Task.sleep(for:)`, S6).
///
/// Returns at once with the error if the task is already cancelled. Outside any task it is a
/// plain sleep.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// let task = cancelkit::Task::spawn(cancelkit::sleep(Duration::from_secs(3600)));
/// task.cancel();
/// assert!(task.await.is_err()); // woke at once, with the error
/// # }
/// ```
///
/// # Errors
///
/// [`CancellationError`] if the task is cancelled before or during the sleep.
pub async fn sleep(duration: Duration) -> Result<(), CancellationError> {
    let Some(token) = current_token() else {
        tokio::time::sleep(duration).await;
        return Ok(());
    };
    token.check()?;
    let mut timer = pin!(tokio::time::sleep(duration));
    let mut cancelled = pin!(token.cancelled_owned());
    poll_fn(|cx| {
        if let Poll::Ready(err) = cancelled.as_mut().poll(cx) {
            return Poll::Ready(Err(err));
        }
        timer.as_mut().poll(cx).map(Ok)
    })
    .await
}

/// Yields to the scheduler once, checking for cancellation before and after (Swift's
/// `Task.yield()` followed by `Task.checkCancellation()`).
///
/// # Errors
///
/// [`CancellationError`] if the task is cancelled before or after yielding.
pub async fn yield_now() -> Result<(), CancellationError> {
    checkpoint()?;
    tokio::task::yield_now().await;
    checkpoint()
}

/// Runs `fut`, cancelling its subtree with reason [`CancelReason::Deadline`] once `duration`
/// has passed (S23).
///
/// Cancellation is cooperative (S1): `fut` keeps running until it observes the cancellation,
/// and its own output is returned — typically an `Err` whose [`CancellationError::reason`] is
/// `Deadline`. A future that never checks runs to completion.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// use cancelkit::CancelReason;
/// let result = cancelkit::with_timeout(Duration::from_secs(1), async {
///     cancelkit::sleep(Duration::from_secs(60)).await
/// })
/// .await;
/// assert_eq!(result.unwrap_err().reason(), CancelReason::Deadline);
/// # }
/// ```
pub fn with_timeout<F: Future>(duration: Duration, fut: F) -> Linked<F, tokio::time::Sleep> {
    Linked::new(fut, tokio::time::sleep(duration), CancelReason::Deadline)
}

/// Like [`with_timeout`], with an absolute deadline.
pub fn with_deadline<F: Future>(deadline: Instant, fut: F) -> Linked<F, tokio::time::Sleep> {
    Linked::new(
        fut,
        tokio::time::sleep_until(deadline),
        CancelReason::Deadline,
    )
}

pin_project! {
    /// A future that runs under a child of the current task's token and cancels that child
    /// when a trigger future completes: a deadline, or an external token.
    ///
    /// On a tokio runtime the trigger runs as a small task of its own, so it fires on time
    /// even while the wrapped future is busy inside one long poll (a tight loop with
    /// checkpoints but no awaits); on a multi-threaded runtime the loop then sees the cancel at
    /// its next checkpoint. Without a runtime the trigger is polled alongside the future.
    #[must_use = "futures do nothing unless polled"]
    pub struct Linked<F, T> {
        #[pin]
        state: LinkedState<F, T>,
        reason: CancelReason,
    }
}

pin_project! {
    #[project = LinkedStateProj]
    enum LinkedState<F, T> {
        // The child token is created on first poll, under whichever task polls.
        Pending { fut: Option<F>, trigger: Option<T> },
        Running {
            #[pin]
            fut: Scoped<F>,
            // Polled here only when no tokio runtime could run it as a task.
            #[pin]
            trigger: Option<T>,
            watcher: Option<AbortOnDrop>,
        },
    }
}

/// Aborts the trigger's task when the linked future completes or is dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<F: Future, T: Future> Linked<F, T> {
    pub(crate) fn new(fut: F, trigger: T, reason: CancelReason) -> Self {
        Linked {
            state: LinkedState::Pending {
                fut: Some(fut),
                trigger: Some(trigger),
            },
            reason,
        }
    }
}

impl<F, T> Future for Linked<F, T>
where
    F: Future,
    T: Future + Send + 'static,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let reason = *this.reason;
        if let LinkedStateProj::Pending { fut, trigger } = this.state.as_mut().project() {
            let fut = fut.take().expect("polled after completion");
            let mut trigger = trigger.take();
            let token = current_token().map_or_else(CancelToken::new, |parent| parent.child());
            let watcher = tokio::runtime::Handle::try_current().ok().map(|runtime| {
                let trigger = trigger.take().expect("taken once");
                let token = token.clone();
                AbortOnDrop(
                    runtime
                        .spawn(async move {
                            trigger.await;
                            token.cancel_with(reason);
                        })
                        .abort_handle(),
                )
            });
            this.state.set(LinkedState::Running {
                fut: Scoped::new(token, fut),
                trigger,
                watcher,
            });
        }
        let LinkedStateProj::Running {
            fut,
            mut trigger,
            watcher,
        } = this.state.project()
        else {
            unreachable!("set to Running above")
        };
        if let Some(pending) = trigger.as_mut().as_pin_mut()
            && pending.poll(cx).is_ready()
        {
            trigger.set(None);
            fut.token().cancel_with(reason);
        }
        let output = fut.poll(cx);
        if output.is_ready() {
            // The deadline no longer matters: stop its task now rather than when dropped.
            watcher.take();
        }
        output
    }
}

impl<F, T> fmt::Debug for Linked<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Linked")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}
