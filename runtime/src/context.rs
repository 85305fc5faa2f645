//! The current task's cancellation: a scoped thread-local that [`Scoped`] points at its token
//! while it polls the future it wraps.
//!
//! A poll costs two thread-local writes and no reference counting; a check costs one
//! thread-local read plus one atomic load. Because the slot is set on every poll, by whichever
//! thread polls, the current task is known on any executor and inside plain sync functions
//! the task calls. (`scoped-tls` keeps the pointer valid: it is set only for the duration of
//! the poll, during which the token cannot move or drop, and reset on unwind.)

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::error::CancellationError;
use crate::meta::{Kind, Meta};
use crate::node::check_flag;
use crate::sync::AtomicU8;
use crate::token::{CancelToken, Cancelled};

scoped_tls::scoped_thread_local!(static CURRENT: CancelToken);

thread_local! {
    /// The current task's state byte, beside `CURRENT`, so that the hot checks
    /// ([`is_cancelled`], [`checkpoint`]) are one thread-local read and one atomic load.
    /// Null outside any task. Set and reset only by [`Scoped::poll`], together with `CURRENT`.
    static FLAG: Cell<*const AtomicU8> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the current task's state byte, if there is one.
#[inline]
fn with_flag<R>(f: impl FnOnce(Option<&AtomicU8>) -> R) -> R {
    let flag = FLAG.get();
    // SAFETY: a non-null `FLAG` was set by `Scoped::poll` to the state byte of the node owned
    // by the `CancelToken` in that `Scoped`, and is reset to its previous value (also on
    // unwind) before that poll returns. The token lives in the pinned `Scoped` for the whole
    // poll and the node it owns cannot be freed while the token exists, so the byte outlives
    // every read made on this thread during the poll, which is the only time it can be read.
    // Nested polls restore the outer pointer, whose `Scoped` is still inside its own poll.
    f(unsafe { flag.as_ref() })
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
    with_flag(|flag| flag.is_some_and(|flag| check_flag(flag).is_err()))
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
    with_flag(|flag| flag.map_or(Ok(()), check_flag)).inspect_err(crate::trace::checkpoint_failed)
}

/// A handle on the current task's cancellation, to pass to a worker thread or a callback API
/// (S13). `None` outside any task.
#[must_use]
pub fn current_token() -> Option<CancelToken> {
    CURRENT.is_set().then(|| CURRENT.with(CancelToken::clone))
}

/// The current task's node, for a waiter bound to the task: one reference count, no handle.
pub(crate) fn current_node() -> Option<crate::sync::Arc<crate::node::Node>> {
    CURRENT
        .is_set()
        .then(|| CURRENT.with(|token| crate::sync::Arc::clone(token.node())))
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
///
/// The task is the one that first polls the future, not the one that creates it.
pub fn cancelled() -> Cancelled {
    Cancelled::current()
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
#[track_caller]
pub fn shield<F: Future>(fut: F) -> Scoped<F> {
    Scoped::new(CancelToken::shield(Meta::here(Kind::Shield)), fut)
}

pin_project! {
    /// A future running under a given [`CancelToken`]: returned by [`CancelToken::run`] and
    /// [`shield`]. While it exists, a [tree dump](crate::dump) counts it as running under
    /// its token.
    #[must_use = "futures do nothing unless polled"]
    pub struct Scoped<F> {
        token: CancelToken,
        #[pin]
        fut: F,
    }

    impl<F> PinnedDrop for Scoped<F> {
        fn drop(this: Pin<&mut Self>) {
            this.token.node().finished_running();
        }
    }
}

impl<F> Scoped<F> {
    pub(crate) fn new(token: CancelToken, fut: F) -> Self {
        token.node().started_running();
        Scoped { token, fut }
    }

    /// The token this future runs under.
    #[must_use]
    pub fn token(&self) -> &CancelToken {
        &self.token
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _flag = SetFlag::new(this.token.node().flag());
        CURRENT.set(this.token, || this.fut.poll(cx))
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Points `FLAG` at a state byte for the duration of a poll and restores the previous value
/// when dropped, also when the poll panics.
struct SetFlag(*const AtomicU8);

impl SetFlag {
    #[inline]
    fn new(flag: &AtomicU8) -> Self {
        SetFlag(FLAG.replace(flag))
    }
}

impl Drop for SetFlag {
    #[inline]
    fn drop(&mut self) {
        FLAG.set(self.0);
    }
}
