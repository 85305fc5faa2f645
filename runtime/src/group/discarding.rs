//! [`DiscardingTaskGroup`] and [`ThrowingDiscardingTaskGroup`]: groups that drop results as
//! children finish (S22).

use std::fmt;
use std::future::Future;

use super::core::Core;
use crate::error::CancellationError;

/// A group that drops child results as they arrive (Swift's `DiscardingTaskGroup`), so a
/// long-lived group — an accept loop — holds memory only for its live children (S22). Run one
/// with [`with_discarding_task_group`](crate::with_discarding_task_group).
///
/// Finished children are collected on every [`spawn`](Self::spawn) and when the body ends.
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
pub struct DiscardingTaskGroup {
    core: Core<(), std::convert::Infallible>,
}

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
pub struct ThrowingDiscardingTaskGroup<E> {
    core: Core<(), E>,
}

macro_rules! discarding_methods {
    () => {
        /// Cancels every child running now and every child spawned later (S18), with reason
        /// [`CancelReason::Group`](crate::CancelReason::Group).
        pub fn cancel_all(&self) {
            self.core.shared().cancel_all();
        }

        /// Whether the group is cancelled.
        #[must_use]
        pub fn is_cancelled(&self) -> bool {
            self.core.is_cancelled()
        }

        /// Why the group was cancelled, if it was.
        #[must_use]
        pub fn cancellation(&self) -> Option<CancellationError> {
            self.core.cancellation()
        }

        /// Children started and not finished yet.
        #[must_use]
        pub fn len(&self) -> usize {
            self.core.shared().live()
        }

        /// Whether no child is running.
        #[must_use]
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// Waits until every child has finished (S14).
        ///
        /// # Panics
        ///
        /// Resumes a child's panic (S21).
        pub async fn wait_for_all(&mut self) {
            self.core.wait_for_all().await;
        }

        /// Finished children not collected yet: what the group holds beyond its live children
        /// (for tests of memory behaviour).
        #[doc(hidden)]
        #[must_use]
        pub fn __retained(&self) -> usize {
            self.core.len()
        }
    };
}

impl DiscardingTaskGroup {
    pub(crate) fn new() -> Self {
        DiscardingTaskGroup {
            core: Core::new(true),
        }
    }

    discarding_methods!();

    /// Adds a child running `fut`, first collecting children that have finished. On a
    /// cancelled group the child is still added, and starts cancelled (S18).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`]; resumes the panic of a child that
    /// panicked (S21).
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.core.reap();
        self.core.spawn(fut, |_, ()| ());
    }

    /// Adds a child unless the group is cancelled. Returns whether it was added (S18).
    #[track_caller]
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }
}

impl<E: Send + 'static> ThrowingDiscardingTaskGroup<E> {
    pub(crate) fn new() -> Self {
        ThrowingDiscardingTaskGroup {
            core: Core::new(true),
        }
    }

    discarding_methods!();

    /// Adds a child running `fut`, first collecting children that have finished. If the
    /// child fails and is the first to, its error is kept and the group is cancelled at once.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`]; resumes the panic of a child that
    /// panicked (S21).
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        self.core.reap();
        self.core.spawn(fut, |shared, out| {
            if let Err(err) = out {
                shared.record_failure(err);
            }
        });
    }

    /// Adds a child unless the group is cancelled. Returns whether it was added (S18).
    #[track_caller]
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }

    pub(crate) async fn finish(&mut self, failed: bool) -> Option<E> {
        if failed {
            self.core.shared().cancel_all();
        }
        self.core.wait_for_all().await;
        self.core.shared().take_error()
    }
}

impl fmt::Debug for DiscardingTaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<E> fmt::Debug for ThrowingDiscardingTaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}
