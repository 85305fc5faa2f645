//! Racing any future against cancellation (S6b): [`until_cancelled`],
//! [`CancelToken::run_until_cancelled`] and the [`FutureExt`] form of both.
//!
//! Most of the awaits in a real program belong to tokio or another library (`recv`, `accept`,
//! a socket read). Their own way of being cancelled is Rust's: drop the future. These adapters
//! join the two worlds. The wrapped future is polled first, and only while it is pending does
//! the adapter wait for the cancellation; once the cancellation wins, the future is dropped.
//!
//! **Cancel safety.** Dropping a future that is not cancel-safe loses what it held: see
//! [the cancel-safety guide](crate::cancel_safety).
//!
//! `#[cancellable]` wraps every `.await` of the function in [`until_cancelled`] (S25a–c).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::error::CancellationError;
use crate::token::{CancelToken, Cancelled};

/// Runs `fut` until it completes or the current task is cancelled, whichever comes first.
///
/// `Err(CancellationError)` if the task is already cancelled when this is first polled (`fut`
/// is not polled), or once it is cancelled while `fut` is pending (`fut` is dropped). A value
/// `fut` has produced always wins. Outside any task nothing can cancel it, and it is
/// `Ok(fut.await)`.
///
/// The semantics are tokio-util's `run_until_cancelled`, in two steps:
///
/// 1. **Checked first.** If the task is already cancelled when this is first polled, it
///    completes with the cancellation and `fut` is dropped unpolled: work that has not started
///    is not started.
/// 2. **Then biased towards the future.** Each later poll polls `fut` first, so in the poll
///    where both are ready `fut`'s value wins, and a value that has been produced (a received
///    message, an accepted connection) is never thrown away.
///
/// Dropping a future that is not cancel-safe loses what it held: see
/// [the cancel-safety guide](crate::cancel_safety).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cancelkit::{CancelReason, Task, until_cancelled};
///
/// let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
/// let task = Task::spawn(async move {
///     // `recv` knows nothing of cancelkit; `until_cancelled` makes it stop on cancel.
///     until_cancelled(rx.recv()).await
/// });
/// task.cancel();
/// assert_eq!(task.await.unwrap_err().reason(), CancelReason::Explicit);
/// # }
/// ```
///
/// # Errors
///
/// [`CancellationError`], with the reason, if the task is cancelled before `fut` completes.
pub fn until_cancelled<F: IntoFuture>(fut: F) -> UntilCancelled<F::IntoFuture> {
    UntilCancelled {
        fut: fut.into_future(),
        cancelled: Cancelled::current(),
        check_first: true,
        listen: true,
    }
}

pin_project! {
    /// Future returned by [`until_cancelled`] and [`FutureExt::until_cancelled`].
    #[must_use = "futures do nothing unless polled"]
    pub struct UntilCancelled<F> {
        #[pin]
        fut: F,
        cancelled: Cancelled,
        // Look at the flag once before the future is first polled (S25a).
        check_first: bool,
        // Wait for the cancellation while the future is pending (S25b).
        listen: bool,
    }
}

/// What `#[cancellable]` wraps each `.await` in. Not public API.
#[doc(hidden)]
impl<F: Future> UntilCancelled<F> {
    /// The default: [`until_cancelled`].
    #[inline]
    pub fn interrupt(fut: impl IntoFuture<IntoFuture = F>) -> Self {
        until_cancelled(fut)
    }

    /// `interrupt = false`: the check before the first poll, and nothing while pending.
    #[inline]
    pub fn check_first(fut: impl IntoFuture<IntoFuture = F>) -> Self {
        UntilCancelled {
            listen: false,
            ..until_cancelled(fut)
        }
    }
}

impl<F: Future> Future for UntilCancelled<F> {
    type Output = Result<F::Output, CancellationError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if std::mem::take(this.check_first) {
            this.cancelled.check()?;
        }
        if let Poll::Ready(value) = this.fut.poll(cx) {
            return Poll::Ready(Ok(value));
        }
        if !*this.listen {
            return Poll::Pending;
        }
        // Only a pending future pays for listening: the first time, one registration on the
        // task's node; later, a waker update.
        Pin::new(this.cancelled).poll(cx).map(Err)
    }
}

impl<F> fmt::Debug for UntilCancelled<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntilCancelled")
            .field("cancelled", &self.cancelled)
            .finish_non_exhaustive()
    }
}

impl CancelToken {
    /// Runs `fut` until it completes (`Some(output)`) or this token is cancelled (`None`),
    /// with the semantics of tokio-util's `CancellationToken::run_until_cancelled`, so code
    /// moving from tokio-util changes only the type: checked first, then biased towards the
    /// future (see [`until_cancelled`]). The returned future owns a
    /// clone of the token (tokio-util's `run_until_cancelled_owned`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let token = cancelkit::CancelToken::new();
    /// let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
    /// let waiter = tokio::spawn({
    ///     let token = token.clone();
    ///     async move { token.run_until_cancelled(rx.recv()).await }
    /// });
    /// token.cancel();
    /// assert_eq!(waiter.await.unwrap(), None);
    /// # }
    /// ```
    pub fn run_until_cancelled<F: IntoFuture>(&self, fut: F) -> RunUntilCancelled<F::IntoFuture> {
        RunUntilCancelled {
            inner: UntilCancelled {
                fut: fut.into_future(),
                cancelled: self.cancelled(),
                check_first: true,
                listen: true,
            },
        }
    }
}

pin_project! {
    /// Future returned by [`CancelToken::run_until_cancelled`].
    #[must_use = "futures do nothing unless polled"]
    pub struct RunUntilCancelled<F> {
        #[pin]
        inner: UntilCancelled<F>,
    }
}

impl<F: Future> Future for RunUntilCancelled<F> {
    type Output = Option<F::Output>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(Result::ok)
    }
}

impl<F> fmt::Debug for RunUntilCancelled<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// The adapters as methods on any future.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cancelkit::FutureExt as _;
///
/// let token = cancelkit::CancelToken::new();
/// token.cancel();
/// let read = token.run(async { std::future::pending::<()>().until_cancelled().await }).await;
/// assert!(read.is_err());
/// # }
/// ```
pub trait FutureExt: IntoFuture + Sized {
    /// [`until_cancelled(self)`](until_cancelled): the current task's cancellation.
    fn until_cancelled(self) -> UntilCancelled<Self::IntoFuture> {
        until_cancelled(self)
    }

    /// [`token.run_until_cancelled(self)`](CancelToken::run_until_cancelled).
    fn until_token_cancelled(self, token: &CancelToken) -> RunUntilCancelled<Self::IntoFuture> {
        token.run_until_cancelled(self)
    }
}

impl<F: IntoFuture> FutureExt for F {}
