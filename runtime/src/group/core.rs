//! What every spawning group is built on: children are tokio tasks; the group keeps their
//! `JoinHandle`s (to abort them if it is dropped, S20) in a slab, and learns of their outcomes
//! through the shared state's report queue (see `shared`). Compared with a `JoinSet` this
//! saves an allocation and a lock round-trip per child, which pays for the child's
//! cancellation node.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::resume_unwind;
use std::task::{Context, Poll};

use slab::Slab;
use tokio::task::JoinHandle;

use super::child::Child;
use super::shared::{Outcome, Report, Shared};
use crate::context::{Scoped, current_token};
use crate::error::CancellationError;
use crate::sync::Arc;
use crate::token::{CancelToken, Cancelled};

pub(crate) struct Core<T, E> {
    /// Children not collected yet, with the generation that tells a report for this key from
    /// a stale one for an earlier child under the same key.
    children: Slab<(u64, JoinHandle<()>)>,
    next_generation: u64,
    /// Reports drained from the shared queue and not handled yet.
    reports: VecDeque<Report<T>>,
    shared: Arc<Shared<T, E>>,
    /// The token of the task running the group, if any.
    parent: Option<CancelToken>,
    /// Parked on `parent` while `next()` waits; kept between calls so that waiting registers
    /// one listener per group, not one per `next()`.
    parent_cancelled: Option<Cancelled>,
    /// Whether children are counted live (discarding groups).
    count_live: bool,
}

impl<T: Send + 'static, E: Send + 'static> Core<T, E> {
    /// A group under the current task (S16a): its token is a child of the task's token.
    pub(crate) fn new(count_live: bool) -> Self {
        let parent = current_token();
        let token = parent
            .as_ref()
            .map_or_else(CancelToken::new, CancelToken::child);
        Core {
            children: Slab::new(),
            next_generation: 0,
            reports: VecDeque::new(),
            shared: Shared::new(token),
            parent,
            parent_cancelled: None,
            count_live,
        }
    }

    #[track_caller]
    pub(crate) fn spawn<F, H>(&mut self, fut: F, on_output: H)
    where
        F: Future + Send + 'static,
        H: FnOnce(&Shared<T, E>, F::Output) -> T + Send + 'static,
    {
        let entry = self.children.vacant_entry();
        let generation = self.next_generation;
        self.next_generation += 1;
        let token = self.shared.child_started(self.count_live);
        let child = Child::new(
            Scoped::new(token, fut),
            Arc::clone(&self.shared),
            (entry.key(), generation),
            self.count_live,
            on_output,
        );
        // If this panics (no runtime), the child reports `Gone` under a generation that was
        // never inserted, and the report is ignored.
        entry.insert((generation, tokio::spawn(child)));
    }
}

impl<T, E> Core<T, E> {
    pub(crate) fn shared(&self) -> &Arc<Shared<T, E>> {
        &self.shared
    }

    /// Why the group is cancelled, if it is. The parent is looked at too: its cancellation
    /// reaches the group's node an instant later (the tree is cancelled top-down), and a body
    /// that saw `next()` end because of it must see the group cancelled as well.
    pub(crate) fn cancellation(&self) -> Option<CancellationError> {
        self.shared.token().error().or_else(|| {
            self.parent
                .as_ref()
                .and_then(CancelToken::error)
                .map(CancellationError::inherited)
        })
    }

    /// Whether the group is cancelled (see [`cancellation`](Self::cancellation)).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.shared.token().is_cancelled()
            || self.parent.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    /// Children not collected yet (running, or finished and not returned by `next()`).
    pub(crate) fn len(&self) -> usize {
        self.children.len()
    }

    /// The next finished child, in completion order (S15). `Ready(None)` when no child is
    /// left, or — if nothing has finished yet — when the task running the group is cancelled
    /// (S6). A child's panic is resumed here, after its siblings were cancelled (S21).
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Poll::Ready(value) = self.poll_join(cx) {
            return Poll::Ready(value);
        }
        let Some(parent) = &self.parent else {
            return Poll::Pending;
        };
        let cancelled = self
            .parent_cancelled
            .get_or_insert_with(|| parent.cancelled());
        match std::pin::Pin::new(cancelled).poll(cx) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The next finished child, waiting for as long as it takes.
    pub(crate) fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            if let Some(value) = self.handle_one() {
                return Poll::Ready(Some(value));
            }
            if self.children.is_empty() {
                return Poll::Ready(None);
            }
            if !self.shared.poll_finished(cx, &mut self.reports) {
                return Poll::Pending;
            }
        }
    }

    /// Handles queued reports until one carries a value.
    fn handle_one(&mut self) -> Option<T> {
        while let Some((key, generation, outcome)) = self.reports.pop_front() {
            match self.children.get(key) {
                Some((current, _)) if *current == generation => {
                    self.children.remove(key);
                }
                _ => continue, // a child that was never inserted
            }
            match outcome {
                Outcome::Value(value) => return Some(value),
                Outcome::Panicked(payload) => {
                    self.shared.sibling_failed();
                    resume_unwind(payload);
                }
                Outcome::Gone => {} // dropped by its runtime while shutting down: skip it
            }
        }
        None
    }

    /// Collects finished children without waiting; for discarding groups, so that spawning in
    /// a loop holds memory only for the live ones (S22).
    pub(crate) fn reap(&mut self) {
        self.shared.take_finished(&mut self.reports);
        while self.handle_one().is_some() {}
    }

    /// Waits for every child, discarding results (S14). Not cancellation-aware: the group
    /// must not return while a child runs.
    pub(crate) async fn wait_for_all(&mut self) {
        while std::future::poll_fn(|cx| self.poll_join(cx))
            .await
            .is_some()
        {}
    }
}

impl<T, E> Drop for Core<T, E> {
    /// The group's future was dropped before its children finished (S20): cancel them, so
    /// their handlers run, then abort them, so none keeps running detached.
    fn drop(&mut self) {
        if !self.children.is_empty() {
            self.shared.cancel_all();
            for (_, (_, handle)) in &self.children {
                handle.abort();
            }
        }
    }
}

impl<T, E> std::fmt::Debug for Core<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskGroup")
            .field("token", self.shared.token())
            .field("children", &self.children.len())
            .field("live", &self.shared.live())
            .finish()
    }
}
