//! What every group is built on, whatever its kind and wherever its children run.
//!
//! The group keeps, per child not yet collected, a handle to stop it (S20) and a generation,
//! in a slab; it learns of outcomes through the shared report queue (see `shared`), and turns
//! them into what the body sees, by the group's policies:
//!
//! - a value is returned by `next()` (collecting groups) or dropped (discarding groups, S22);
//! - a panic, by default, has already cancelled the siblings; the group then waits for every
//!   other child to finish, and only then resumes the panic (S21, like an error leaving the
//!   body, S16). With panics isolated it is counted, handed to the `on_panic` callback, and
//!   dropped: the siblings go on (S22b);
//! - a child dropped unfinished by its runtime is skipped.
//!
//! **One meaning for `len()`**: children the group has not collected yet. A collecting group
//! collects a child when `next()` returns it; a discarding group collects the finished ones on
//! every `spawn`, so there it is the children running plus those that finished since.

use std::collections::VecDeque;
use std::panic::resume_unwind;
use std::task::{Context, Poll};

use slab::Slab;

use super::child::Child;
use super::options::{ChildPanic, PanicPolicy, Settings};
use super::shared::{Outcome, Reactions, Report, Shared};
use super::spawner::Spawner;
use crate::context::{Scoped, current_token};
use crate::error::CancellationError;
use crate::meta::{Kind, Meta};
use crate::sync::Arc;
use crate::token::{CancelToken, Cancelled};
use crate::trace::{self, ChildOutcome};

pub(crate) struct Core<T, S: Spawner> {
    /// Children not collected yet: how to stop each, and its generation.
    children: Slab<(u64, S::Handle)>,
    next_generation: u64,
    /// Reports drained from the shared queue and not handled yet.
    reports: VecDeque<Report<T>>,
    shared: Arc<Shared<T>>,
    spawner: S,
    settings: Settings,
    /// The token of the task running the group, if any.
    parent: Option<CancelToken>,
    /// Parked on `parent` while `next()` waits; kept between calls so that waiting registers
    /// one listener per group, not one per `next()`.
    parent_cancelled: Option<Cancelled>,
    /// A child's panic, resumed once every other child has finished (S21).
    pending_panic: Option<Box<dyn std::any::Any + Send>>,
    /// Children whose panic was isolated (S22b).
    panicked: u64,
}

impl<T, S: Spawner> Core<T, S> {
    /// A group under the current task (S16a): its token is a child of the task's token.
    pub(crate) fn new(spawner: S, settings: Settings, fails: Option<fn(&T) -> bool>) -> Self {
        let parent = current_token();
        let meta = Meta::at(Kind::Group, settings.location);
        let token = match &parent {
            Some(parent) => parent.child_with(meta),
            None => CancelToken::root(meta),
        };
        let reactions = Reactions {
            fails: if settings.fail_fast || settings.keep_first_failure {
                fails
            } else {
                None
            },
            keep_first_failure: settings.keep_first_failure,
            panic_cancels: settings.panics == PanicPolicy::Propagate,
        };
        Core {
            children: Slab::new(),
            next_generation: 0,
            reports: VecDeque::new(),
            shared: Shared::new(token, reactions),
            spawner,
            settings,
            parent,
            parent_cancelled: None,
            pending_panic: None,
            panicked: 0,
        }
    }

    /// Adds a child: `start` hands the wrapped future to the spawner and returns its handle.
    pub(crate) fn spawn<F>(&mut self, fut: F, start: impl FnOnce(&mut S, Child<F>) -> S::Handle)
    where
        F: std::future::Future<Output = T>,
    {
        let entry = self.children.vacant_entry();
        let generation = self.next_generation;
        self.next_generation += 1;
        let child = Child::new(
            Scoped::new(self.shared.token().clone(), fut),
            Arc::clone(&self.shared),
            (entry.key(), generation),
        );
        // If `start` panics (no runtime), the child reports `Gone` under a generation that
        // was never inserted, and the report is ignored.
        entry.insert((generation, start(&mut self.spawner, child)));
        trace::group_child(self.settings.location, ChildOutcome::Spawned);
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<T>> {
        &self.shared
    }

    /// Why the group is cancelled, if it is. The parent is looked at too: its cancellation
    /// reaches the group's node an instant later (the tree is cancelled top-down), and a body
    /// that saw `next()` end because of it must see the group cancelled as well.
    pub(crate) fn cancellation(&self) -> Option<CancellationError> {
        self.shared.token().cancellation().or_else(|| {
            self.parent
                .as_ref()
                .and_then(CancelToken::cancellation)
                .map(CancellationError::inherited)
        })
    }

    /// Whether the group is cancelled (see [`cancellation`](Self::cancellation)).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.shared.token().is_cancelled()
            || self.parent.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    /// Children not collected yet (see the module docs).
    pub(crate) fn len(&self) -> usize {
        self.children.len()
    }

    /// Children whose panic was isolated.
    pub(crate) fn panicked(&self) -> u64 {
        self.panicked
    }

    /// The next value, in completion order (S15). `Ready(None)` when no child is left, or —
    /// if nothing has finished yet — when the task running the group is cancelled (S6).
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Poll::Ready(value) = self.poll_join(cx) {
            return Poll::Ready(value);
        }
        // A propagating panic waits for the siblings, whatever happens to the task.
        if self.pending_panic.is_some() {
            return Poll::Pending;
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

    /// The next value, waiting for as long as it takes.
    pub(crate) fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            if let Some(value) = self.handle_reports() {
                return Poll::Ready(Some(value));
            }
            if self.children.is_empty() {
                if let Some(payload) = self.pending_panic.take() {
                    resume_unwind(payload);
                }
                return Poll::Ready(None);
            }
            if !self.shared.poll_finished(cx, &mut self.reports) {
                return Poll::Pending;
            }
        }
    }

    /// Handles queued reports until one carries a value the body should see.
    fn handle_reports(&mut self) -> Option<T> {
        while let Some(Report {
            key,
            generation,
            outcome,
        }) = self.reports.pop_front()
        {
            match self.children.get(key) {
                Some((current, _)) if *current == generation => {
                    self.children.remove(key);
                }
                _ => continue, // a child that was never inserted
            }
            trace::group_child(
                self.settings.location,
                match outcome {
                    Outcome::Panicked(_) => ChildOutcome::Panicked,
                    Outcome::Gone => ChildOutcome::Cancelled,
                    _ if self.shared.token().is_cancelled() => ChildOutcome::Cancelled,
                    _ => ChildOutcome::Finished,
                },
            );
            match outcome {
                // While a panic waits to be resumed, the siblings' values are discarded: the
                // body will not get to see them.
                Outcome::Value(value) if self.pending_panic.is_none() => return Some(value),
                Outcome::Value(_) | Outcome::Kept | Outcome::Gone => {}
                Outcome::Panicked(payload) => self.child_panicked(payload),
            }
        }
        None
    }

    fn child_panicked(&mut self, payload: Box<dyn std::any::Any + Send>) {
        match self.settings.panics {
            PanicPolicy::Propagate => {
                // The child has cancelled the siblings already; the first panic wins.
                self.pending_panic.get_or_insert(payload);
            }
            PanicPolicy::Isolate => {
                self.panicked += 1;
                let panic = ChildPanic::new(payload);
                trace::isolated_panic(panic.message());
                if let Some(on_panic) = &self.settings.on_panic {
                    on_panic(panic);
                }
            }
        }
    }

    /// Resumes a pending panic if no other child is left running (S21): what a discarding
    /// group's `spawn` does, so that a body that keeps spawning learns of the panic once the
    /// cancelled siblings have finished.
    pub(crate) fn resume_settled_panic(&mut self) {
        if self.children.is_empty()
            && let Some(payload) = self.pending_panic.take()
        {
            resume_unwind(payload);
        }
    }

    /// Collects finished children without waiting: for discarding groups, so that spawning in
    /// a loop holds memory only for the live ones (S22).
    pub(crate) fn reap(&mut self) {
        self.shared.take_finished(&mut self.reports);
        while self.handle_reports().is_some() {}
    }

    /// Waits for every child, discarding values (S14). Not cancellation-aware: the group must
    /// not return while a child runs.
    pub(crate) async fn wait_for_all(&mut self) {
        while std::future::poll_fn(|cx| self.poll_join(cx))
            .await
            .is_some()
        {}
    }
}

impl<T, S: Spawner> Drop for Core<T, S> {
    /// The group's future was dropped before its children finished (S20): cancel them, so
    /// their handlers run, then stop them, so none keeps running detached.
    fn drop(&mut self) {
        if !self.children.is_empty() {
            self.shared.cancel_all();
            self.spawner
                .abort_all(self.children.iter().map(|(_, (_, handle))| handle));
        }
    }
}

impl<T, S: Spawner> std::fmt::Debug for Core<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskGroup")
            .field("token", self.shared.token())
            .field("children", &self.children.len())
            .field("panics", &self.settings.panics)
            .finish_non_exhaustive()
    }
}
