//! What every spawning group is built on: a tokio `JoinSet` of [`Child`] futures, the shared
//! state, and the token of the task that runs the group (for `next()` to wake on, S6).

use std::future::Future;
use std::panic::resume_unwind;
use std::task::{Context, Poll};

use tokio::task::{JoinError, JoinSet};

use super::child::Child;
use super::shared::{ChildGuard, Shared};
use crate::context::{Scoped, current_token};
use crate::sync::Arc;
use crate::token::{CancelToken, Cancelled};

pub(crate) struct Core<T, E> {
    set: JoinSet<T>,
    shared: Arc<Shared<E>>,
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
            set: JoinSet::new(),
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
        H: FnOnce(&ChildGuard<E>, F::Output) -> T + Send + 'static,
    {
        let (token, guard) = Shared::child_started(&self.shared, self.count_live);
        self.set
            .spawn(Child::new(Scoped::new(token, fut), guard, on_output));
    }
}

impl<T: 'static, E> Core<T, E> {
    pub(crate) fn shared(&self) -> &Arc<Shared<E>> {
        &self.shared
    }

    pub(crate) fn token(&self) -> &CancelToken {
        self.shared.token()
    }

    pub(crate) fn len(&self) -> usize {
        self.set.len()
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
            match self.set.poll_join_next(cx) {
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Ok(value))) => return Poll::Ready(Some(value)),
                Poll::Ready(Some(Err(err))) => self.child_died(err),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Collects finished children without waiting; for discarding groups, so that spawning in
    /// a loop holds memory only for the live ones (S22).
    pub(crate) fn reap(&mut self) {
        while let Some(result) = self.set.try_join_next() {
            if let Err(err) = result {
                self.child_died(err);
            }
        }
    }

    /// Waits for every child, discarding results (S14). Not cancellation-aware: the group
    /// must not return while a child runs.
    pub(crate) async fn wait_for_all(&mut self) {
        while let Some(result) = self.set.join_next().await {
            if let Err(err) = result {
                self.child_died(err);
            }
        }
    }

    /// A child ended without an output: it panicked (resume the panic; the siblings were
    /// cancelled by the child itself) or the runtime dropped it while shutting down (skip it).
    fn child_died(&mut self, err: JoinError) {
        if let Ok(payload) = err.try_into_panic() {
            self.shared.sibling_failed();
            resume_unwind(payload);
        }
    }
}

impl<T, E> Drop for Core<T, E> {
    /// The group's future was dropped before its children finished (S20): cancel them, so
    /// their handlers run; then the `JoinSet`'s own drop aborts them, so none keeps running
    /// detached.
    fn drop(&mut self) {
        if !self.set.is_empty() {
            self.shared.cancel_all();
        }
    }
}

impl<T, E> std::fmt::Debug for Core<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskGroup")
            .field("token", self.shared.token())
            .field("children", &self.set.len())
            .field("live", &self.shared.live())
            .finish()
    }
}
