//! [`LocalTaskGroup`]: children that run inside the group's own future, so they may borrow.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::context::{Scoped, current_token};
use crate::error::{CancelReason, CancellationError};
use crate::token::{CancelToken, Cancelled};

type LocalChild<'a, T> = Scoped<Pin<Box<dyn Future<Output = T> + 'a>>>;

/// A group whose children run concurrently *inside the group's own future*: nothing is
/// spawned, so children need not be `Send` or `'static` and may borrow from the enclosing
/// scope — something Swift's task groups cannot do. Run one with
/// [`with_local_task_group`] or [`with_throwing_local_task_group`].
///
/// The cancellation semantics are those of [`TaskGroup`](crate::TaskGroup): each child runs
/// under a child of the group's token, which is a child of the running task's token;
/// `cancel_all`, the task's cancellation and (in the throwing form) an error from the body
/// cancel every child; the body's end waits for the remaining children; dropping the group's
/// future cancels the children and drops them, so they stop at once (S20); a child's panic
/// unwinds out of the group's future, dropping its siblings (S21).
///
/// The price: children are concurrent but not parallel (they share the thread polling the
/// group), and the group's future is not `Send`, so it runs in the task that awaits it — not
/// inside [`tokio::spawn`]. Requires the `local` feature (on by default).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let words = vec!["structured".to_string(), "concurrency".to_string()];
/// let total = cancelkit::with_local_task_group(async |group| {
///     for word in &words {
///         group.spawn(async move { word.len() }); // borrows `words`
///     }
///     let mut total = 0;
///     while let Some(len) = group.next().await {
///         total += len;
///     }
///     total
/// })
/// .await;
/// assert_eq!(total, 21);
/// # }
/// ```
pub struct LocalTaskGroup<'a, T> {
    inner: Rc<RefCell<Inner<'a, T>>>,
    token: CancelToken,
    parent: Option<CancelToken>,
    parent_cancelled: Option<Cancelled>,
}

struct Inner<'a, T> {
    running: FuturesUnordered<LocalChild<'a, T>>,
    /// Results that arrived while the group's future drove the children between polls of
    /// the body; `next()` returns them first.
    ready: VecDeque<T>,
    token: CancelToken,
}

impl<T> Drop for Inner<'_, T> {
    /// Runs before the children are dropped: cancel them first, so their handlers fire.
    fn drop(&mut self) {
        if !self.running.is_empty() {
            self.token.cancel_with(CancelReason::Group);
        }
    }
}

impl<T> Inner<'_, T> {
    /// Polls the children, queueing what finishes. Returns whether anything finished.
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progressed = false;
        while let Poll::Ready(Some(value)) = self.running.poll_next_unpin(cx) {
            self.ready.push_back(value);
            progressed = true;
        }
        progressed
    }
}

impl<'a, T: 'a> LocalTaskGroup<'a, T> {
    fn new() -> Self {
        let parent = current_token();
        let token = parent
            .as_ref()
            .map_or_else(CancelToken::new, CancelToken::child);
        LocalTaskGroup {
            inner: Rc::new(RefCell::new(Inner {
                running: FuturesUnordered::new(),
                ready: VecDeque::new(),
                token: token.clone(),
            })),
            token,
            parent,
            parent_cancelled: None,
        }
    }

    /// Adds a child running `fut`, which may borrow anything that outlives the group. On a
    /// cancelled group the child is still added, and starts cancelled (S18).
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = T> + 'a,
    {
        let child: Pin<Box<dyn Future<Output = T> + 'a>> = Box::pin(fut);
        self.inner
            .borrow_mut()
            .running
            .push(self.token.child().run(child));
    }

    /// Adds a child unless the group is cancelled. Returns whether it was added (S18).
    pub fn spawn_unless_cancelled<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = T> + 'a,
    {
        if self.is_cancelled() {
            return false;
        }
        self.spawn(fut);
        true
    }

    /// Cancels every child running now and every child added later, with reason
    /// [`CancelReason::Group`].
    pub fn cancel_all(&self) {
        self.token.cancel_with(CancelReason::Group);
    }

    /// Whether the group is cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled() || self.parent.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    /// Why the group was cancelled, if it was.
    #[must_use]
    pub fn cancellation(&self) -> Option<CancellationError> {
        self.token.error().or_else(|| {
            self.parent
                .as_ref()
                .and_then(CancelToken::error)
                .map(CancellationError::inherited)
        })
    }

    /// Children whose results `next()` has not returned yet.
    #[must_use]
    pub fn len(&self) -> usize {
        let inner = self.inner.borrow();
        inner.running.len() + inner.ready.len()
    }

    /// Whether no child is waiting to be collected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next child result, in completion order; `None` when no child is left or, while
    /// waiting, once the task running the group is cancelled (S6) — as
    /// [`TaskGroup::next`](crate::TaskGroup::next).
    pub async fn next(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_next_inner(cx)).await
    }

    /// Waits until every child has finished, discarding their results (S14).
    pub async fn wait_for_all(&mut self) {
        let inner = Rc::clone(&self.inner);
        wait_all(&inner).await;
    }

    fn poll_next_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(value) = inner.ready.pop_front() {
                return Poll::Ready(Some(value));
            }
            match inner.running.poll_next_unpin(cx) {
                Poll::Ready(value) => return Poll::Ready(value),
                Poll::Pending => {}
            }
        }
        let Some(parent) = &self.parent else {
            return Poll::Pending;
        };
        let cancelled = self
            .parent_cancelled
            .get_or_insert_with(|| parent.cancelled());
        match Pin::new(cancelled).poll(cx) {
            Poll::Ready(_) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<'a, T: 'a> futures_core::Stream for LocalTaskGroup<'a, T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_next_inner(cx)
    }
}

impl<T> fmt::Debug for LocalTaskGroup<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("LocalTaskGroup")
            .field("token", &self.token)
            .field("running", &inner.running.len())
            .field("ready", &inner.ready.len())
            .finish()
    }
}

async fn wait_all<T>(inner: &RefCell<Inner<'_, T>>) {
    poll_fn(|cx| {
        let mut inner = inner.borrow_mut();
        inner.drive(cx);
        inner.ready.clear();
        if inner.running.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Runs `body` with the group, driving the children whenever the body is suspended, then
/// waits for the children left (S14). `cancel_on` says whether the body's output cancels the
/// group first (S16c).
async fn run<'a, T: 'a, R>(
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> R,
    cancel_on: impl FnOnce(&R) -> bool,
) -> R {
    let mut group = LocalTaskGroup::new();
    let inner = Rc::clone(&group.inner);
    let token = group.token.clone();
    let out = {
        let mut body = pin!(body(&mut group));
        poll_fn(|cx| {
            loop {
                if let Poll::Ready(out) = body.as_mut().poll(cx) {
                    return Poll::Ready(out);
                }
                // The body is suspended: run the children. If some finished, the body may be
                // waiting for them in `next()`; poll it again.
                if !inner.borrow_mut().drive(cx) {
                    return Poll::Pending;
                }
            }
        })
        .await
    };
    if cancel_on(&out) {
        token.cancel_with(CancelReason::Group);
    }
    drop(group);
    wait_all(&inner).await;
    out
}

/// Runs a [`LocalTaskGroup`]: `body` spawns children that may borrow from the caller, and
/// collects their results; its result is the group's. When the body returns, the group waits
/// for the children left (S14).
///
/// See [`LocalTaskGroup`] for an example.
pub async fn with_local_task_group<'a, T: 'a, R>(
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> R,
) -> R {
    run(body, |_| false).await
}

/// Like [`with_local_task_group`] for a body that may fail: when it returns `Err`, the
/// remaining children are cancelled, and the group waits for them before returning the error
/// (S16c).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limits = [3u32, 0, 5];
/// let result = cancelkit::with_throwing_local_task_group(async |group| {
///     for limit in &limits {
///         group.spawn(async move {
///             if *limit == 0 { Err("empty") } else { Ok(*limit) }
///         });
///     }
///     let mut sum = 0;
///     while let Some(n) = group.next().await {
///         sum += n?;
///     }
///     Ok(sum)
/// })
/// .await;
/// assert_eq!(result, Err("empty"));
/// # }
/// ```
///
/// # Errors
///
/// The body's error.
pub async fn with_throwing_local_task_group<'a, T: 'a, R, E>(
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> Result<R, E>,
) -> Result<R, E> {
    run(body, Result::is_err).await
}
