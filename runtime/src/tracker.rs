//! [`TaskTracker`]: unstructured tasks you can cancel together and wait for (tokio-util's
//! `TaskTracker` plus its `CancellationToken`, in one).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::Notify;

use crate::error::CancelReason;
use crate::meta::{Kind, Meta};
use crate::sync::{Arc, AtomicUsize, Ordering};
use crate::task::Task;
use crate::token::CancelToken;

/// Tracks unstructured [`Task`]s so that they can be cancelled together and waited for: the
/// shutdown half of a server that spawns per-connection tasks instead of running them in a
/// group (S40).
///
/// Every task spawned through it runs under a child of the tracker's token, so
/// [`cancel`](Self::cancel) reaches them all (cooperatively, S1); [`close`](Self::close) says no
/// more tasks are coming, and [`wait`](Self::wait) completes once the tracker is closed and
/// every task has finished. Unlike tokio-util's, `spawn` on a closed tracker refuses the task:
/// there is no window in which a task starts after `wait` has returned.
///
/// A structured alternative is a discarding group with isolated panics
/// ([`GroupOptions::isolate_panics`](crate::group::GroupOptions::isolate_panics)): its children
/// cannot outlive it at all. The tracker is for code whose tasks must be spawned from many
/// places, or outlive the function that spawns them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// let tracker = cancelkit::TaskTracker::new();
/// for _ in 0..3 {
///     tracker
///         .spawn(async { cancelkit::sleep(Duration::from_secs(3600)).await })
///         .expect("open");
/// }
/// tracker.close();
/// tracker.cancel();
/// tracker.wait().await; // every task saw the cancel and returned
/// assert!(tracker.is_empty());
/// # }
/// ```
#[derive(Clone)]
pub struct TaskTracker {
    inner: Arc<Inner>,
}

struct Inner {
    token: CancelToken,
    /// Live tasks, times two, plus one while the tracker is open: zero means closed and empty.
    state: AtomicUsize,
    idle: Notify,
}

const OPEN: usize = 1;
const TASK: usize = 2;

/// Returned by [`TaskTracker::spawn`] on a closed tracker: the future, unstarted.
pub struct Closed<F>(pub F);

impl<F> fmt::Debug for Closed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closed(..)")
    }
}

impl<F> fmt::Display for Closed<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task tracker is closed")
    }
}

impl<F> std::error::Error for Closed<F> {}

impl TaskTracker {
    /// An open tracker with a new root token.
    #[must_use]
    #[track_caller]
    pub fn new() -> Self {
        Self::with_token(CancelToken::root(Meta::here(Kind::Tracker)))
    }

    /// An open tracker whose token is a child of `parent`: cancelling `parent` cancels every
    /// tracked task.
    #[must_use]
    #[track_caller]
    pub fn under(parent: &CancelToken) -> Self {
        Self::with_token(parent.child_with(Meta::here(Kind::Tracker)))
    }

    fn with_token(token: CancelToken) -> Self {
        TaskTracker {
            inner: Arc::new(Inner {
                token,
                state: AtomicUsize::new(OPEN),
                idle: Notify::new(),
            }),
        }
    }

    /// Spawns `fut` as a tracked [`Task`] under a child of the tracker's token.
    ///
    /// # Errors
    ///
    /// [`Closed`], with the future, if the tracker is closed.
    ///
    /// # Panics
    ///
    /// Without a runtime (outside tokio, with the `smol` feature off), with a message that
    /// says so.
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Result<Task<F::Output>, Closed<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Count the task first, so that a `close` racing this spawn cannot see "empty".
        let state = self.inner.state.fetch_add(TASK, Ordering::AcqRel);
        if state & OPEN == 0 {
            self.release();
            return Err(Closed(fut));
        }
        let tracked = Tracked {
            fut,
            tracker: Some(self.clone()),
        };
        let token = self.inner.token.child_with(Meta::here(Kind::Task));
        Ok(Task::spawn_under(token, tracked))
    }

    /// No more tasks: later `spawn`s fail, and [`wait`](Self::wait) can complete.
    pub fn close(&self) {
        if self.inner.state.fetch_and(!OPEN, Ordering::AcqRel) == OPEN {
            self.inner.idle.notify_waiters();
        }
    }

    /// Whether [`close`](Self::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.state.load(Ordering::Acquire) & OPEN == 0
    }

    /// Cancels every tracked task, running and future ones, with reason
    /// [`Explicit`](crate::CancelReason::Explicit).
    #[track_caller]
    pub fn cancel(&self) {
        self.inner.token.cancel_with(CancelReason::Explicit);
    }

    /// The tracker's token: tracked tasks run under children of it.
    #[must_use]
    pub fn token(&self) -> &CancelToken {
        &self.inner.token
    }

    /// Tracked tasks that have not finished.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.state.load(Ordering::Acquire) / TASK
    }

    /// Whether no tracked task is running.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completes once the tracker is closed and every tracked task has finished.
    pub async fn wait(&self) {
        loop {
            let idle = self.inner.idle.notified();
            let mut idle = std::pin::pin!(idle);
            idle.as_mut().enable();
            if self.inner.state.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }

    fn release(&self) {
        if self.inner.state.fetch_sub(TASK, Ordering::AcqRel) == TASK {
            self.inner.idle.notify_waiters();
        }
    }
}

impl Default for TaskTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TaskTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskTracker")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .field("token", &self.inner.token)
            .finish()
    }
}

pin_project! {
    /// A tracked task's future: releases its place in the tracker when it finishes or is
    /// dropped (aborted).
    struct Tracked<F> {
        #[pin]
        fut: F,
        tracker: Option<TaskTracker>,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(tracker) = this.project().tracker.take() {
                tracker.release();
            }
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.fut.poll(cx));
        if let Some(tracker) = this.tracker.take() {
            tracker.release();
        }
        Poll::Ready(output)
    }
}
