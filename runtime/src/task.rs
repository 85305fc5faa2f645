//! [`Task`]: unstructured tasks (Swift's `Task { }`).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use crate::meta::{Kind, Meta};
use crate::rt::{self, JoinError, JoinHandle};
use crate::token::CancelToken;

/// An unstructured task running on the current runtime (tokio's, or smol's with the `smol`
/// feature), with its own cancellation (S11–S12).
///
/// It does not inherit the spawner's cancellation: it is cancelled only through
/// [`cancel`](Task::cancel) or a [`token`](Task::token) handed out from it. Awaiting it gives
/// its output; a panic inside it is resumed in the awaiter. Dropping the `Task` detaches it:
/// it keeps running, as in Swift and tokio.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let task = cancelkit::Task::spawn(async {
///     let mut n = 0u64;
///     while cancelkit::checkpoint().is_ok() {
///         n += 1;
///         tokio::task::yield_now().await;
///     }
///     n
/// });
/// tokio::task::yield_now().await;
/// task.cancel();
/// assert!(task.await >= 1);
/// # }
/// ```
pub struct Task<T> {
    join: JoinHandle<T>,
    token: CancelToken,
}

impl<T: Send + 'static> Task<T> {
    /// Spawns `fut` on the current runtime under a new root token.
    ///
    /// # Panics
    ///
    /// Without a runtime (outside tokio, with the `smol` feature off), with a message that
    /// says so.
    #[track_caller]
    pub fn spawn<F>(fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        Self::spawn_under(CancelToken::root(Meta::here(Kind::Task)), fut)
    }

    /// Spawns `fut` under `token` (a tracker's child token).
    #[track_caller]
    pub(crate) fn spawn_under<F>(token: CancelToken, fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        let join = rt::spawn("cancelkit::Task::spawn", token.run(fut));
        Task { join, token }
    }
}

impl<T> Task<T> {
    /// Cancels the task (and everything below it) with reason
    /// [`Explicit`](crate::CancelReason::Explicit). Cooperative: the task stops at its next
    /// check, or finishes normally if it never checks (S1).
    #[track_caller]
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Hard cancellation (S12b): the task's future is dropped at its next await, whether or
    /// not it ever checks for cancellation, as with tokio's `JoinHandle::abort`. Its
    /// destructors run; the code after that await does not. Awaiting an aborted task panics
    /// (there is no output to give); [`stop`](Task::stop) is the form that returns `None`.
    ///
    /// Cooperative cancellation comes first: it lets the task finish its clean-up and return
    /// a result. Abort is for work that never cooperates. The recipe, which
    /// [`stop`](Task::stop) follows: cancel, wait a grace period, then abort.
    #[track_caller]
    pub fn abort(&self) {
        // Handlers still run first; one that panics does not stop the abort.
        let _ = self.token.cancel_catching();
        self.join.abort();
    }

    /// Whether the task has been cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// A cloneable, `Send` handle that cancels this task, for other tasks and threads.
    #[must_use]
    pub fn token(&self) -> CancelToken {
        self.token.clone()
    }

    /// Whether the task has finished.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }
}

impl<T: Send + 'static> Task<T> {
    /// Stops the task the polite way first: cancels it, waits up to `grace` for it to finish,
    /// then [aborts](Task::abort) it. `Some(output)` if it finished within the grace period
    /// (or had already finished), `None` if it had to be aborted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// let polite = cancelkit::Task::spawn(async { cancelkit::sleep(Duration::from_secs(60)).await });
    /// assert!(polite.stop(Duration::from_secs(1)).await.unwrap().is_err()); // saw the cancel
    ///
    /// let stubborn = cancelkit::Task::spawn(tokio::time::sleep(Duration::from_secs(60)));
    /// assert_eq!(stubborn.stop(Duration::from_secs(1)).await, None); // aborted
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Resumes the task's panic, if it panicked within the grace period.
    pub async fn stop(mut self, grace: std::time::Duration) -> Option<T> {
        self.cancel();
        let mut timer = pin!(rt::sleep("cancelkit::Task::stop", grace));
        let within_grace = poll_fn(|cx| match Pin::new(&mut self.join).poll(cx) {
            Poll::Ready(finished) => Poll::Ready(Some(finished)),
            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
        })
        .await;
        if let Some(finished) = within_grace {
            return Some(unwrap_join(finished));
        }
        self.join.abort();
        match (&mut self.join).await {
            // It finished between the timeout and the abort.
            Ok(value) => Some(value),
            Err(JoinError::Panicked(payload)) => std::panic::resume_unwind(payload),
            Err(JoinError::Cancelled) => None,
        }
    }
}

/// A finished task's output; resumes its panic.
fn unwrap_join<T>(result: Result<T, JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(JoinError::Panicked(payload)) => std::panic::resume_unwind(payload),
        Err(JoinError::Cancelled) => panic!(
            "awaited a cancelkit::Task that was aborted, or dropped unfinished by its runtime \
             (shut down): it has no output (use `Task::stop` for an `Option`)"
        ),
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    /// # Panics
    ///
    /// Resumes the task's panic, if it panicked; panics if it was [aborted](Task::abort) or
    /// the runtime dropped it before it finished (it was shut down).
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.join).poll(cx).map(unwrap_join)
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("token", &self.token)
            .field("finished", &self.is_finished())
            .finish()
    }
}
