//! The tokio backend: the runtime whose context is current.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tokio::runtime::Handle;
use ::tokio::time::Instant;

use super::{JoinError, Runtime};

/// The current tokio runtime's handle.
#[derive(Clone)]
pub(crate) struct Tokio(Handle);

impl Tokio {
    pub(crate) fn current() -> Option<Tokio> {
        Handle::try_current().ok().map(Tokio)
    }
}

impl Runtime for Tokio {
    type JoinHandle<T> = TokioJoin<T>;
    type Sleep = ::tokio::time::Sleep;

    fn spawn<F>(&self, fut: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(self.0.spawn(fut))
    }

    fn abort<T>(handle: &TokioJoin<T>) {
        handle.0.abort();
    }

    fn is_finished<T>(handle: &TokioJoin<T>) -> bool {
        handle.0.is_finished()
    }

    fn sleep_until(&self, deadline: Instant) -> ::tokio::time::Sleep {
        // Made inside the runtime's context, so that the timer belongs to it even when it is
        // polled elsewhere.
        let _context = self.0.enter();
        ::tokio::time::sleep_until(deadline)
    }
}

/// tokio's `JoinHandle`, with its error turned into [`JoinError`].
pub(crate) struct TokioJoin<T>(::tokio::task::JoinHandle<T>);

impl<T> Future for TokioJoin<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(ready!(Pin::new(&mut self.0).poll(cx)).map_err(
            |err| match err.try_into_panic() {
                Ok(payload) => JoinError::Panicked(payload),
                Err(_) => JoinError::Cancelled,
            },
        ))
    }
}
