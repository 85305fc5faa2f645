//! Cancellation-aware suspension points ([`sleep`], [`yield_now`]) and deadlines
//! ([`with_timeout`], [`with_deadline`]). Timers come from the current runtime (tokio's, or
//! smol's with the `smol` feature): `sleep` needs one; a deadline without one is seen only
//! when its future is polled.

use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::panic::Location;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use crate::context::{Scoped, checkpoint, current_token};
use crate::error::CancelReason::{self, Deadline};
use crate::error::CancellationError;
use crate::meta::{Kind, Meta};
use crate::rt::{self, AbortOnDrop};
use crate::sync::{Arc, Mutex, lock};
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
        rt::sleep("cancelkit::sleep", duration).await;
        return Ok(());
    };
    token.check()?;
    let mut timer = pin!(rt::sleep("cancelkit::sleep", duration));
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
    // tokio's yield works on any executor (outside tokio it wakes at once), and inside tokio
    // it also lets the runtime's other tasks run before this one again.
    tokio::task::yield_now().await;
    checkpoint()
}

/// Runs `fut`, cancelling its subtree with reason [`CancelReason::Deadline`] once `duration`
/// has passed (S23).
///
/// Cancellation is cooperative (S1): `fut` keeps running until it observes the cancellation,
/// and its own output is returned — typically an `Err` whose [`CancellationError::reason`] is
/// `Deadline`. A future that never checks runs to completion. Awaits that observe
/// cancellation (cancelkit's own, [`until_cancelled`](crate::until_cancelled), every `.await` of
/// a [`#[cancellable]`](crate::cancellable) function) stop as soon as the deadline passes.
///
/// A deadline that has already passed (`Duration::ZERO`) is visible at the body's first check.
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
///
/// let expired = cancelkit::with_timeout(Duration::ZERO, async { cancelkit::checkpoint() });
/// assert!(expired.await.is_err());
/// # }
/// ```
#[track_caller]
pub fn with_timeout<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    // A duration too long to represent is no deadline at all.
    Timeout::new(Instant::now().checked_add(duration), fut.into_future())
}

/// Like [`with_timeout`], with an absolute deadline.
#[track_caller]
pub fn with_deadline<F: IntoFuture>(deadline: Instant, fut: F) -> Timeout<F::IntoFuture> {
    Timeout::new(Some(deadline), fut.into_future())
}

pin_project! {
    /// Future returned by [`with_timeout`] and [`with_deadline`]: runs the future under a
    /// child of the current task's token and cancels that child when the deadline passes.
    ///
    /// The deadline is seen two ways. Each poll compares the clock with it, so a deadline that
    /// has passed is visible to the body's first check on any runtime flavour, even before a
    /// timer has had a chance to fire. And on a runtime a timer runs as a small task of
    /// its own, so the cancel also lands while the future is parked (its awaits wake) or busy
    /// inside one long poll (on a multi-threaded runtime a loop with checkpoints sees it at
    /// its next one). Without a runtime there is no timer: the deadline is seen when the
    /// future is polled.
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        deadline: Option<Instant>,
        location: &'static Location<'static>,
        #[pin]
        state: TimeoutState<F>,
    }
}

pin_project! {
    #[project = TimeoutStateProj]
    enum TimeoutState<F> {
        // The child token is made on the first poll, under whichever task polls.
        Start { fut: Option<F> },
        Running {
            #[pin]
            fut: Scoped<F>,
            timer: Option<CancelWhen>,
        },
    }
}

impl<F> Timeout<F> {
    #[track_caller]
    fn new(deadline: Option<Instant>, fut: F) -> Self {
        Timeout {
            deadline,
            location: Location::caller(),
            state: TimeoutState::Start { fut: Some(fut) },
        }
    }

    /// The deadline; `None` when the duration was too long to represent.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let deadline = *this.deadline;
        if let TimeoutStateProj::Start { fut } = this.state.as_mut().project() {
            let fut = fut.take().expect("`Timeout` polled after completion");
            let token = CancelToken::under_current(Meta::at(Kind::Deadline, this.location));
            let timer = deadline
                .filter(|&deadline| Instant::now() < deadline)
                .and_then(|deadline| {
                    // The timer is made inside the task: a runtime without a time driver
                    // fails there, not here (the clock check above still works).
                    let backend = rt::Backend::current()?;
                    let timer = async move { backend.sleep_until(deadline).await };
                    cancel_when(&token, timer, Deadline)
                });
            this.state.set(TimeoutState::Running {
                fut: Scoped::new(token, fut),
                timer,
            });
        }
        let TimeoutStateProj::Running { fut, timer } = this.state.project() else {
            unreachable!("set to Running above")
        };
        if let Some(deadline) = deadline
            && !fut.token().is_cancelled()
            && Instant::now() >= deadline
        {
            fut.token().cancel_with(Deadline);
        }
        let output = fut.poll(cx);
        if output.is_ready() {
            // The deadline no longer matters: stop its timer now rather than when dropped.
            timer.take();
        }
        output
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Cancels `token` with `reason` when `trigger` completes, from a task of its own on the
/// current runtime; `None` (nothing spawned) without one.
pub(crate) fn cancel_when(
    token: &CancelToken,
    trigger: impl Future + Send + 'static,
    reason: CancelReason,
) -> Option<CancelWhen> {
    let slot = Arc::new(Mutex::new(Some(token.clone())));
    let held = Arc::clone(&slot);
    let task = AbortOnDrop::spawn(async move {
        trigger.await;
        // Taken out first: the lock is not held while the cancel runs handlers.
        let token = lock(&held).take();
        if let Some(token) = token {
            token.cancel_with(reason);
        }
    })?;
    Some(CancelWhen {
        token: slot,
        _task: task,
    })
}

/// The helper task of [`cancel_when`]. Dropping it lets go of the token at once, then aborts
/// the task: the runtime drops an aborted task whenever it gets to it, and until then a token
/// the task held would keep a finished scope's node in the tree (and in a dump).
pub(crate) struct CancelWhen {
    token: Arc<Mutex<Option<CancelToken>>>,
    _task: AbortOnDrop,
}

impl Drop for CancelWhen {
    fn drop(&mut self) {
        // Dropped after the lock is released: the last handle detaches the node, which runs
        // no user code under cancelkit's lock.
        let token = lock(&self.token).take();
        drop(token);
    }
}
