//! [`TaskGroup`]: the one group handle. Its kind (collecting or discarding) and where its
//! children run (spawned tokio tasks, or inside the group's own future) are type parameters;
//! the Swift names are aliases of it.

use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::core::Core;
use super::options::Settings;
use super::spawner::{Spawned, Spawner};
use crate::error::CancellationError;

/// A group kind: [`Collecting`] or [`Discarding`].
pub trait Kind: sealed::Sealed {
    /// Whether finished children are collected (and their results dropped) on every spawn.
    #[doc(hidden)]
    const DISCARDS: bool;
}

mod sealed {
    pub trait Sealed {}
}

/// The body collects child results with [`next`](TaskGroup::next) (Swift's `TaskGroup`).
#[derive(Debug)]
pub enum Collecting {}

/// Child results are dropped as children finish (Swift's `DiscardingTaskGroup`, S22).
#[derive(Debug)]
pub enum Discarding {}

impl sealed::Sealed for Collecting {}
impl sealed::Sealed for Discarding {}
impl Kind for Collecting {
    const DISCARDS: bool = false;
}
impl Kind for Discarding {
    const DISCARDS: bool = true;
}

/// A structured group of child tasks (Swift's task groups). Run one with
/// [`with_task_group`](crate::with_task_group) and its siblings, or with
/// [`GroupOptions`](super::GroupOptions) for other policies.
///
/// `T` is the children's output; a throwing group's children return `Result<U, E>`. `K` is
/// the kind: [`Collecting`] (the body takes results with [`next`](Self::next)) or
/// [`Discarding`]. `S` says where children run: [`Spawned`] tokio tasks (parallel,
/// `Send + 'static`), or [`Local`](super::Local) (inside the group's own future; they may
/// borrow). Every child runs under a child of the group's token, which is a child of the token
/// of the task running the group: cancelling that task, or calling
/// [`cancel_all`](Self::cancel_all), cancels every child (S16).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let squares = cancelkit::with_task_group(async |group| {
///     for i in 1..=3u64 {
///         group.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(square) = group.next().await {
///         total += square;
///     }
///     total
/// })
/// .await;
/// assert_eq!(squares, 14);
/// # }
/// ```
pub struct TaskGroup<T, K: Kind = Collecting, S: Spawner = Spawned> {
    core: Core<T, S>,
    kind: PhantomData<K>,
}

/// A group of child tasks that may fail (Swift's `ThrowingTaskGroup`). Run one with
/// [`with_throwing_task_group`](crate::with_throwing_task_group).
///
/// A child's error does not cancel its siblings by itself (S17): the body sees it from
/// [`next`](TaskGroup::next) (or [`try_next`](TaskGroup::try_next)), and when the body returns
/// that error — with `?`, typically — the group cancels the rest and waits for them (S16c).
/// With [`GroupOptions::fail_fast`](super::GroupOptions::fail_fast) the first child error
/// cancels the siblings at once instead.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let result: Result<u32, String> = cancelkit::with_throwing_task_group(async |group| {
///     group.spawn(async { Ok(1) });
///     group.spawn(async { Err("feed 2 is down".to_string()) });
///     let mut sum = 0;
///     while let Some(n) = group.try_next().await? {
///         sum += n;
///     }
///     Ok(sum)
/// })
/// .await;
/// assert_eq!(result, Err("feed 2 is down".to_string()));
/// # }
/// ```
pub type ThrowingTaskGroup<T, E> = TaskGroup<Result<T, E>>;

/// A group that drops child results as they arrive (Swift's `DiscardingTaskGroup`), so a
/// long-lived group — an accept loop — holds memory only for its live children (S22). Run one
/// with [`with_discarding_task_group`](crate::with_discarding_task_group).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// let served = Arc::new(AtomicU64::new(0));
/// cancelkit::with_discarding_task_group(async |group| {
///     for _ in 0..1000 {
///         let served = served.clone();
///         group.spawn(async move {
///             served.fetch_add(1, Ordering::Relaxed);
///         });
///     }
/// })
/// .await;
/// assert_eq!(served.load(Ordering::Relaxed), 1000);
/// # }
/// ```
pub type DiscardingTaskGroup = TaskGroup<(), Discarding>;

/// A discarding group whose children may fail (Swift's `ThrowingDiscardingTaskGroup`). Run one
/// with [`with_throwing_discarding_task_group`](crate::with_throwing_discarding_task_group).
///
/// The first child error cancels the group at once (reason
/// [`SiblingFailed`](crate::CancelReason::SiblingFailed)) and is the error the group returns
/// (S22), unless the body itself returns an error, which wins.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let result: Result<(), &str> = cancelkit::with_throwing_discarding_task_group(async |group| {
///     group.spawn(async { Err("connection reset") });
///     group.spawn(async {
///         // Parked until the sibling's error cancels the group.
///         cancelkit::cancelled().await;
///         Ok(())
///     });
///     Ok(())
/// })
/// .await;
/// assert_eq!(result, Err("connection reset"));
/// # }
/// ```
pub type ThrowingDiscardingTaskGroup<E> = TaskGroup<Result<(), E>, Discarding>;

impl<T, K: Kind, S: Spawner> TaskGroup<T, K, S> {
    pub(crate) fn with_spawner(
        spawner: S,
        settings: Settings,
        fails: Option<fn(&T) -> bool>,
    ) -> Self {
        TaskGroup {
            core: Core::new(spawner, settings, fails),
            kind: PhantomData,
        }
    }

    #[cfg(feature = "local")]
    pub(crate) fn core_mut(&mut self) -> &mut Core<T, S> {
        &mut self.core
    }

    /// Cancels every child running now and every child spawned later (S18), with reason
    /// [`CancelReason::Group`](crate::CancelReason::Group). Cooperative (S1): children that
    /// never check run to completion, and in a collecting group their results still arrive
    /// from `next()`.
    #[track_caller]
    pub fn cancel_all(&self) {
        self.core.shared().cancel_all();
    }

    /// Whether the group is cancelled: by [`cancel_all`](Self::cancel_all), by the task
    /// running the group, or by a failing or panicking child.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.core.is_cancelled()
    }

    /// Why the group was cancelled, if it was.
    #[must_use]
    pub fn cancellation(&self) -> Option<CancellationError> {
        self.core.cancellation()
    }

    /// Children the group has not collected yet. A collecting group collects a child when
    /// `next()` returns it; a discarding group collects the finished ones on every `spawn`, so
    /// there this is the children running plus those that finished since the last spawn.
    #[must_use]
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no child is left to collect.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Children whose panic was isolated ([`PanicPolicy::Isolate`](super::PanicPolicy)).
    #[must_use]
    pub fn panicked(&self) -> u64 {
        self.core.panicked()
    }

    /// Waits until every child has finished, discarding their results (S14). Unlike
    /// [`next`](Self::next) it does not return early when the task is cancelled: a group
    /// never returns while a child runs.
    ///
    /// # Panics
    ///
    /// Resumes a child's panic once the other children have finished (S21), unless panics
    /// are isolated.
    pub async fn wait_for_all(&mut self) {
        self.core.wait_for_all().await;
    }

    /// Adds a child unless the group is cancelled (Swift's `addTaskUnlessCancelled`). Returns
    /// whether it was added (S18).
    #[track_caller]
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        Self: Spawn<F>,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }

    /// How every runner ends a group once the body has returned: an error leaving the body
    /// cancels the children (S16c), then the group waits for all of them (S14).
    pub(crate) async fn finish(&mut self, body_failed: bool) {
        if body_failed {
            self.cancel_all();
        }
        self.wait_for_all().await;
    }

    /// The kept first failure of a throwing discarding group.
    pub(crate) fn take_failure(&self) -> Option<T> {
        self.core.shared().take_failure()
    }

    /// Before a discarding group adds a child: collect the finished ones, and resume a
    /// pending panic once no sibling is left running (S21).
    pub(super) fn before_spawn(&mut self) {
        if K::DISCARDS {
            self.core.reap();
            self.core.resume_settled_panic();
        }
    }
}

impl<T: Send + 'static, K: Kind> TaskGroup<T, K, Spawned> {
    pub(crate) fn with(settings: Settings, fails: Option<fn(&T) -> bool>) -> Self {
        Self::with_spawner(Spawned, settings, fails)
    }
}

/// Adding a child: a method of [`TaskGroup`], with the bounds of where its children run.
pub trait Spawn<F> {
    /// Adds a child running `fut` (Swift's `addTask`). On a cancelled group the child is
    /// still added, and starts cancelled (S18). A discarding group first collects the
    /// children that have finished.
    ///
    /// # Panics
    ///
    /// Spawned groups: without a runtime (outside tokio, with the `smol` feature off), with a
    /// message that says so. A discarding group
    /// resumes a child's panic here, once no other child is left running (S21), unless
    /// panics are isolated.
    fn spawn(&mut self, fut: F);
}

impl<T, K, F> Spawn<F> for TaskGroup<T, K, Spawned>
where
    T: Send + 'static,
    K: Kind,
    F: Future<Output = T> + Send + 'static,
{
    #[track_caller]
    fn spawn(&mut self, fut: F) {
        self.before_spawn();
        self.core.spawn(fut, |spawner, child| spawner.spawn(child));
    }
}

impl<T, K: Kind, S: Spawner> TaskGroup<T, K, S> {
    /// Adds a child running `fut` (see [`Spawn::spawn`]).
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        Self: Spawn<F>,
    {
        Spawn::spawn(self, fut);
    }
}

impl<T, S: Spawner> TaskGroup<T, Collecting, S> {
    /// The next child result, in completion order (S15).
    ///
    /// Returns `None` when no child is left — or, while waiting, as soon as the task running
    /// the group is cancelled (S6): a cancelled body should stop collecting and return; the
    /// group still waits for the (now cancelled) children before it returns (S16). Results
    /// that have already arrived are returned first. `cancel_all()` alone does not end
    /// `next()`: the cancelled children's results keep arriving.
    ///
    /// # Panics
    ///
    /// Resumes a child's panic once the other children have finished (S21), unless panics
    /// are isolated.
    pub async fn next(&mut self) -> Option<T> {
        poll_fn(|cx| self.core.poll_next(cx)).await
    }

    /// `next()` without the early return on the task's cancellation (for `group!`).
    pub(crate) async fn join_next(&mut self) -> Option<T> {
        poll_fn(|cx| self.core.poll_join(cx)).await
    }
}

impl<T, E, S: Spawner> TaskGroup<Result<T, E>, Collecting, S> {
    /// The next successful result, or the next error, in completion order: `for try await`
    /// in Swift is `while let Some(v) = group.try_next().await? { ... }`.
    ///
    /// `Ok(None)` when no child is left, or when the task running the group is cancelled
    /// while waiting (see [`next`](Self::next)).
    ///
    /// # Errors
    ///
    /// The error of the next child that failed.
    ///
    /// # Panics
    ///
    /// As [`next`](Self::next).
    pub async fn try_next(&mut self) -> Result<Option<T>, E> {
        self.next().await.transpose()
    }
}

// No field is pinned structurally: child outputs sit in heap buffers, never pinned.
impl<T, K: Kind, S: Spawner> Unpin for TaskGroup<T, K, S> {}

impl<T, S: Spawner> futures_core::Stream for TaskGroup<T, Collecting, S> {
    type Item = T;

    /// Child results in completion order; ends like [`TaskGroup::next`].
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().core.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.core.len()))
    }
}

impl<T, K: Kind, S: Spawner> fmt::Debug for TaskGroup<T, K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}
