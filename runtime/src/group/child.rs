//! The future every child runs, wherever it runs (a tokio task, or inside a local group's own
//! future): the user's future under the child's token. It reports exactly once to the group's
//! shared state — its output, its panic, or, if it is dropped unfinished, that it is gone.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::shared::{Outcome, Report, Shared};
use crate::context::Scoped;
use crate::sync::Arc;

pin_project! {
    pub(crate) struct Child<F: Future> {
        #[pin]
        fut: Scoped<F>,
        // `None` once the child has reported.
        shared: Option<Arc<Shared<F::Output>>>,
        key: usize,
        generation: u64,
    }

    impl<F: Future> PinnedDrop for Child<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(shared) = this.shared.take() {
                shared.child_finished(Report {
                    key: *this.key,
                    generation: *this.generation,
                    outcome: Outcome::Gone,
                });
            }
        }
    }
}

impl<F: Future> Child<F> {
    pub(crate) fn new(
        fut: Scoped<F>,
        shared: Arc<Shared<F::Output>>,
        (key, generation): (usize, u64),
    ) -> Self {
        Child {
            fut,
            shared: Some(shared),
            key,
            generation,
        }
    }
}

impl<F: Future> Future for Child<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // Catching here, rather than leaving it to the executor, lets the group react the
        // moment the panic happens (cancel the siblings, S21; or isolate it, S22b), not when
        // it gets round to collecting this child.
        let polled = catch_unwind(AssertUnwindSafe(|| this.fut.poll(cx)));
        let shared = this.shared.take().expect("polled after completion");
        let outcome = match polled {
            Ok(Poll::Pending) => {
                *this.shared = Some(shared);
                return Poll::Pending;
            }
            Ok(Poll::Ready(output)) => shared.outcome_of(output),
            Err(payload) => {
                shared.child_panicked();
                Outcome::Panicked(payload)
            }
        };
        shared.child_finished(Report {
            key: *this.key,
            generation: *this.generation,
            outcome,
        });
        Poll::Ready(())
    }
}
