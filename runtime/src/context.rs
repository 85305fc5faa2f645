//! The current task's cancellation: a thread-local slot that [`Scoped`] fills while it polls
//! the future it wraps.
//!
//! The token is *moved* into the slot for the duration of a poll and moved back afterwards,
//! so a poll costs two thread-local swaps and no reference counting, and a check costs one
//! thread-local read plus one atomic load. Because the slot is set on every poll, by whichever
//! thread polls, the current task is known on any executor and inside plain sync functions
//! the task calls.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::error::CancellationError;
use crate::token::CancelToken;

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Runs `f` with the current task's token, if there is one. `None` while the thread is being
/// torn down (no task runs then).
#[inline]
fn with_current<R>(f: impl FnOnce(Option<&CancelToken>) -> R) -> Option<R> {
    CURRENT.try_with(|slot| f(slot.borrow().as_ref())).ok()
}

/// Whether the current task has been cancelled (Swift's `Task.isCancelled`).
///
/// Works anywhere inside a task: in nested async fns and in plain sync functions they call.
/// Outside any task it returns `false` (S3).
///
/// ```
/// # futures::executor::block_on(async {
/// let token = cancelkit::CancelToken::new();
/// assert!(!token.run(async { cancelkit::is_cancelled() }).await);
/// token.cancel();
/// assert!(token.run(async { cancelkit::is_cancelled() }).await);
/// assert!(!cancelkit::is_cancelled()); // not inside a task
/// # });
/// ```
#[inline]
#[must_use]
pub fn is_cancelled() -> bool {
    with_current(|token| token.is_some_and(CancelToken::is_cancelled)).unwrap_or(false)
}

/// Returns `Err(CancellationError)` if the current task has been cancelled
/// (Swift's `try Task.checkCancellation()`), `Ok(())` otherwise and outside any task.
///
/// It takes no lock and allocates nothing: one thread-local read and one atomic load (S4).
///
/// ```
/// async fn hard_work(items: &[u64]) -> Result<u64, cancelkit::CancellationError> {
///     let mut sum = 0;
///     for item in items {
///         cancelkit::checkpoint()?;
///         sum += item;
///     }
///     Ok(sum)
/// }
/// # futures::executor::block_on(async {
/// let token = cancelkit::CancelToken::new();
/// assert_eq!(token.run(hard_work(&[1, 2, 3])).await, Ok(6));
/// token.cancel();
/// assert!(token.run(hard_work(&[1, 2, 3])).await.is_err());
/// # });
/// ```
///
/// # Errors
///
/// [`CancellationError`], with the reason, once the current task is cancelled.
#[inline]
pub fn checkpoint() -> Result<(), CancellationError> {
    with_current(|token| token.map_or(Ok(()), CancelToken::check)).unwrap_or(Ok(()))
}

/// A handle on the current task's cancellation, to pass to a worker thread or a callback API
/// (S13). `None` outside any task.
#[must_use]
pub fn current_token() -> Option<CancelToken> {
    with_current(|token| token.cloned()).flatten()
}

/// Completes, with the reason, once the current task is cancelled. Outside any task nothing
/// can cancel it, so it never completes.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let task = cancelkit::Task::spawn(async {
///     tokio::select! {
///         err = cancelkit::cancelled() => Err(err),
///         () = std::future::pending() => Ok(()),
///     }
/// });
/// task.cancel();
/// assert!(task.await.is_err());
/// # }
/// ```
pub async fn cancelled() -> CancellationError {
    match current_token() {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}

/// Runs `fut` so that cancellation of the surrounding task is invisible inside it: checks
/// return "not cancelled", handlers registered inside do not fire, and tasks and groups
/// started inside start uncancelled (S24). For clean-up that must finish. After it returns,
/// the outer task's state is visible again.
///
/// ```
/// # futures::executor::block_on(async {
/// let token = cancelkit::CancelToken::new();
/// token.cancel();
/// token
///     .run(async {
///         assert!(cancelkit::is_cancelled());
///         cancelkit::shield(async { assert!(!cancelkit::is_cancelled()) }).await;
///         assert!(cancelkit::is_cancelled());
///     })
///     .await;
/// # });
/// ```
pub fn shield<F: Future>(fut: F) -> Scoped<F> {
    Scoped::new(CancelToken::new(), fut)
}

pin_project! {
    /// A future running under a given [`CancelToken`]: returned by [`CancelToken::run`] and
    /// [`shield`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F> {
        // `None` only while the token sits in the thread-local slot during a poll.
        token: Option<CancelToken>,
        #[pin]
        fut: F,
    }
}

impl<F> Scoped<F> {
    pub(crate) fn new(token: CancelToken, fut: F) -> Self {
        Scoped {
            token: Some(token),
            fut,
        }
    }

    /// The token this future runs under.
    #[must_use]
    pub fn token(&self) -> &CancelToken {
        self.token
            .as_ref()
            .expect("the token is only lent out while polling")
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = Enter::new(this.token);
        this.fut.poll(cx)
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Lends a token to the thread-local slot and takes it back on drop, also when the poll
/// panics.
struct Enter<'a> {
    home: &'a mut Option<CancelToken>,
    previous: Option<CancelToken>,
}

impl<'a> Enter<'a> {
    #[inline]
    fn new(home: &'a mut Option<CancelToken>) -> Self {
        let previous = CURRENT.with(|slot| slot.replace(home.take()));
        Enter { home, previous }
    }
}

impl Drop for Enter<'_> {
    #[inline]
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The slot is gone only during thread teardown, and then our token is gone with it.
        *self.home = CURRENT
            .try_with(|slot| slot.replace(previous))
            .ok()
            .flatten();
    }
}
