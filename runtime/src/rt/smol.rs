//! The smol backend (feature `smol`): smol's global executor and `async-io` timers. Neither
//! needs a context, so it works under any executor and in plain threads.
//!
//! smol's `Task` cancels its future when dropped; cancelkit's handles detach instead (as
//! tokio's do) and abort on request, so the task runs wrapped in [`Abortable`], and panics
//! are caught inside it to reach the awaiter as tokio's do.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tokio::time::Instant;
use futures_util::FutureExt as _;
use futures_util::future::{AbortHandle, Abortable, Aborted};

use super::{JoinError, Runtime};

/// smol's global executor.
#[derive(Clone, Copy)]
pub(crate) struct Smol;

/// What the spawned future returns: its output or its panic, unless it was aborted.
type Outcome<T> = Result<std::thread::Result<T>, Aborted>;

impl Runtime for Smol {
    type JoinHandle<T> = SmolJoin<T>;
    type Sleep = Timer;

    fn spawn<F>(&self, fut: F) -> SmolJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (abort, registration) = AbortHandle::new_pair();
        let task = smol::spawn(Abortable::new(
            AssertUnwindSafe(fut).catch_unwind(),
            registration,
        ));
        SmolJoin {
            task: Some(task.fallible()),
            abort,
        }
    }

    fn abort<T>(handle: &SmolJoin<T>) {
        handle.abort.abort();
    }

    fn is_finished<T>(handle: &SmolJoin<T>) -> bool {
        handle
            .task
            .as_ref()
            .is_none_or(async_task::FallibleTask::is_finished)
    }

    fn sleep_until(&self, deadline: Instant) -> Timer {
        Timer(smol::Timer::at(deadline.into_std()))
    }
}

/// A smol task: detached when dropped, aborted on request.
pub(crate) struct SmolJoin<T> {
    /// `None` once dropped (detached).
    task: Option<async_task::FallibleTask<Outcome<T>>>,
    abort: AbortHandle,
}

impl<T> Future for SmolJoin<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self.task.as_mut().expect("polled after completion");
        Poll::Ready(match ready!(Pin::new(task).poll(cx)) {
            Some(Ok(Ok(value))) => Ok(value),
            Some(Ok(Err(payload))) => Err(JoinError::Panicked(payload)),
            // Aborted, or dropped by the executor.
            Some(Err(Aborted)) | None => Err(JoinError::Cancelled),
        })
    }
}

impl<T> Drop for SmolJoin<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

/// An `async-io` timer, as a future of `()`.
pub(crate) struct Timer(smol::Timer);

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}
