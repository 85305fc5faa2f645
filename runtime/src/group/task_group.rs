//! [`TaskGroup`] and [`ThrowingTaskGroup`]: the groups whose results the body collects.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::core::Core;
use crate::error::CancellationError;

/// A group of child tasks whose results the body collects (Swift's `TaskGroup`). Run one with
/// [`with_task_group`](crate::with_task_group).
///
/// Children are tokio tasks: they run in parallel on a multi-threaded runtime, and must be
/// `Send + 'static` (for children that borrow, see
/// [`with_local_task_group`](crate::with_local_task_group)). Each runs under a child of the
/// group's token, which is a child of the token of the task running the group: cancelling
/// that task, or calling [`cancel_all`](TaskGroup::cancel_all), cancels every child (S16).
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
pub struct TaskGroup<T> {
    core: Core<T, std::convert::Infallible>,
}

/// A group of child tasks that may fail (Swift's `ThrowingTaskGroup`). Run one with
/// [`with_throwing_task_group`](crate::with_throwing_task_group).
///
/// Children return `Result<T, E>`. A child's error does not cancel its siblings by itself
/// (S17): the body sees it from [`next`](ThrowingTaskGroup::next) (or
/// [`try_next`](ThrowingTaskGroup::try_next)), and when the body returns that error — with
/// `?`, typically — the group cancels the rest and waits for them (S16c). With
/// [`set_fail_fast`](ThrowingTaskGroup::set_fail_fast) the first child error cancels the
/// siblings at once instead.
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
pub struct ThrowingTaskGroup<T, E> {
    core: Core<Result<T, E>, std::convert::Infallible>,
    fail_fast: bool,
}

macro_rules! common_methods {
    ($output:ty) => {
        /// Cancels every child running now and every child spawned later (S18), with reason
        /// [`CancelReason::Group`](crate::CancelReason::Group). Cooperative (S1): children
        /// that never check run to completion, and their results still arrive from `next()`.
        pub fn cancel_all(&self) {
            self.core.shared().cancel_all();
        }

        /// Whether the group is cancelled: by [`cancel_all`](Self::cancel_all), by the task
        /// running the group, or by a failing child in fail-fast mode.
        #[must_use]
        pub fn is_cancelled(&self) -> bool {
            self.core.is_cancelled()
        }

        /// Why the group was cancelled, if it was.
        #[must_use]
        pub fn cancellation(&self) -> Option<CancellationError> {
            self.core.cancellation()
        }

        /// Children whose results `next()` has not returned yet (running or finished).
        #[must_use]
        pub fn len(&self) -> usize {
            self.core.len()
        }

        /// Whether `next()` would return `None` at once: no child is waiting to be collected.
        #[must_use]
        pub fn is_empty(&self) -> bool {
            self.core.len() == 0
        }

        /// The next child result, in completion order (S15).
        ///
        /// Returns `None` when no child is left — or, while waiting, as soon as the task
        /// running the group is cancelled (S6): a cancelled body should stop collecting and
        /// return; the group still waits for the (now cancelled) children before it returns
        /// (S16). Results that have already arrived are returned first. `cancel_all()` alone
        /// does not end `next()`: the cancelled children's results keep arriving.
        ///
        /// # Panics
        ///
        /// Resumes a child's panic (S21), after the group's other children were cancelled.
        pub async fn next(&mut self) -> Option<$output> {
            poll_fn(|cx| self.core.poll_next(cx)).await
        }

        /// Waits until every child has finished, discarding their results (S14). Unlike
        /// [`next`](Self::next) it does not return early when the task is cancelled: a group
        /// never returns while a child runs.
        ///
        /// # Panics
        ///
        /// Resumes a child's panic (S21).
        pub async fn wait_for_all(&mut self) {
            self.core.wait_for_all().await;
        }
    };
}

impl<T: Send + 'static> TaskGroup<T> {
    pub(crate) fn new() -> Self {
        TaskGroup {
            core: Core::new(false),
        }
    }

    /// Adds a child running `fut` (Swift's `addTask`). On a cancelled group the child is
    /// still added, and starts cancelled (S18).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`].
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.core.spawn(fut, |_, out| out);
    }

    /// Adds a child unless the group is cancelled (Swift's `addTaskUnlessCancelled`).
    /// Returns whether it was added (S18).
    #[track_caller]
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = T> + Send + 'static,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }
}

impl<T: 'static> TaskGroup<T> {
    common_methods!(T);

    pub(crate) async fn finish(&mut self) {
        self.core.wait_for_all().await;
    }
}

impl<T: Send + 'static, E: Send + 'static> ThrowingTaskGroup<T, E> {
    pub(crate) fn new() -> Self {
        ThrowingTaskGroup {
            core: Core::new(false),
            fail_fast: false,
        }
    }

    /// Adds a child running `fut`. On a cancelled group the child is still added, and starts
    /// cancelled (S18).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`].
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        if self.fail_fast {
            self.core.spawn(fut, |shared, out| {
                if out.is_err() {
                    shared.sibling_failed();
                }
                out
            });
        } else {
            self.core.spawn(fut, |_, out| out);
        }
    }

    /// Adds a child unless the group is cancelled. Returns whether it was added (S18).
    #[track_caller]
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }
}

impl<T: 'static, E: 'static> ThrowingTaskGroup<T, E> {
    common_methods!(Result<T, E>);

    /// Turns fail-fast on or off for children spawned from now on (S17). With it on, a child
    /// that returns `Err` cancels the whole group at once, with reason
    /// [`CancelReason::SiblingFailed`](crate::CancelReason::SiblingFailed) (the siblings see it
    /// as their error's [`origin`](crate::CancellationError::origin)); its error still
    /// arrives through `next()`. Off by default, as in Swift.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use cancelkit::CancelReason;
    /// let result = cancelkit::with_throwing_task_group(async |group| {
    ///     group.set_fail_fast(true);
    ///     group.spawn(async { Err("boom") });
    ///     group.spawn(async {
    ///         cancelkit::sleep(std::time::Duration::from_secs(3600)).await.unwrap_err();
    ///         Ok(cancelkit::checkpoint().unwrap_err().origin())
    ///     });
    ///     group.wait_for_all().await;
    ///     Ok(group.cancellation().unwrap().reason())
    /// })
    /// .await;
    /// assert_eq!(result, Ok(CancelReason::SiblingFailed));
    /// # }
    /// ```
    pub fn set_fail_fast(&mut self, on: bool) {
        self.fail_fast = on;
    }

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
    /// Resumes a child's panic (S21).
    pub async fn try_next(&mut self) -> Result<Option<T>, E> {
        self.next().await.transpose()
    }

    /// `next()` without the early return on the task's cancellation (for `group!`).
    pub(crate) async fn join_next_ignoring_task(&mut self) -> Option<Result<T, E>> {
        poll_fn(|cx| self.core.poll_join(cx)).await
    }

    pub(crate) async fn finish(&mut self, failed: bool) {
        if failed {
            self.core.shared().cancel_all();
        }
        self.core.wait_for_all().await;
    }
}

// No field is pinned structurally: child outputs sit in heap buffers, never pinned.
impl<T> Unpin for TaskGroup<T> {}
impl<T, E> Unpin for ThrowingTaskGroup<T, E> {}

impl<T: 'static> futures_core::Stream for TaskGroup<T> {
    type Item = T;

    /// Child results in completion order; ends like [`TaskGroup::next`].
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().core.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.core.len()))
    }
}

impl<T: 'static, E: 'static> futures_core::Stream for ThrowingTaskGroup<T, E> {
    type Item = Result<T, E>;

    /// Child results in completion order; ends like [`ThrowingTaskGroup::next`].
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        self.get_mut().core.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.core.len()))
    }
}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<T, E> fmt::Debug for ThrowingTaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}
