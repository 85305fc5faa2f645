//! The future every spawned child runs: the user's future under the child's token, counted
//! live by its guard, with a panic turned into "cancel the siblings, then unwind" (S21).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::shared::ChildGuard;
use crate::context::Scoped;

pin_project! {
    pub(crate) struct Child<F, E, H> {
        #[pin]
        fut: Scoped<F>,
        guard: ChildGuard<E>,
        // Called once with the output, before the result is handed to the group: cancels the
        // group in fail-fast and discarding-throwing groups.
        on_output: Option<H>,
    }
}

impl<F, E, H> Child<F, E, H> {
    pub(crate) fn new(fut: Scoped<F>, guard: ChildGuard<E>, on_output: H) -> Self {
        Child {
            fut,
            guard,
            on_output: Some(on_output),
        }
    }
}

impl<F, E, H, T> Future for Child<F, E, H>
where
    F: Future,
    H: FnOnce(&ChildGuard<E>, F::Output) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        // Catching here, rather than leaving it to tokio, lets the siblings be cancelled the
        // moment the panic happens, not when the group gets round to joining this child.
        match catch_unwind(AssertUnwindSafe(|| this.fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => {
                let on_output = this.on_output.take().expect("polled after completion");
                Poll::Ready(on_output(this.guard, out))
            }
            Err(payload) => {
                this.guard.shared().sibling_failed();
                resume_unwind(payload)
            }
        }
    }
}
