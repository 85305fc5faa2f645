//! The future every spawned child runs: the user's future under the child's token. It reports
//! exactly once to the group's shared state — its output, its panic (after cancelling the
//! siblings, S21), or, if it is dropped unfinished, that it is gone.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::shared::{Outcome, Shared};
use crate::context::Scoped;
use crate::sync::Arc;

pin_project! {
    pub(crate) struct Child<F, T, E, H> {
        #[pin]
        fut: Scoped<F>,
        shared: Arc<Shared<T, E>>,
        key: usize,
        generation: u64,
        counted: bool,
        // Maps the output before it is reported: cancels the group in fail-fast and
        // discarding-throwing groups. `None` once the child has reported.
        on_output: Option<H>,
    }

    impl<F, T, E, H> PinnedDrop for Child<F, T, E, H> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.on_output.take().is_some() {
                this.shared.child_finished((*this.key, *this.generation, Outcome::Gone), *this.counted);
            }
        }
    }
}

impl<F, T, E, H> Child<F, T, E, H> {
    pub(crate) fn new(
        fut: Scoped<F>,
        shared: Arc<Shared<T, E>>,
        (key, generation): (usize, u64),
        counted: bool,
        on_output: H,
    ) -> Self {
        Child {
            fut,
            shared,
            key,
            generation,
            counted,
            on_output: Some(on_output),
        }
    }
}

impl<F, T, E, H> Future for Child<F, T, E, H>
where
    F: Future,
    H: FnOnce(&Shared<T, E>, F::Output) -> T,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // Catching here, rather than leaving it to tokio, lets the siblings be cancelled the
        // moment the panic happens, not when the group gets round to collecting this child.
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.fut.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(out)) => {
                let on_output = this.on_output.take().expect("polled after completion");
                Outcome::Value(on_output(this.shared, out))
            }
            Err(payload) => {
                this.on_output.take();
                this.shared.sibling_failed();
                Outcome::Panicked(payload)
            }
        };
        this.shared
            .child_finished((*this.key, *this.generation, outcome), *this.counted);
        Poll::Ready(())
    }
}
