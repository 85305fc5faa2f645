//! Local groups: children that run inside the group's own future, so they may borrow. The same
//! [`TaskGroup`] as the spawning groups, with the [`Local`] spawner; what is here is the
//! runner that polls the children whenever the body waits.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use super::options::{GroupOptions, Settings};
use super::spawner::{Spawner, sealed};
use super::task_group::{Collecting, Kind, Spawn, TaskGroup};

/// A group whose children run concurrently *inside the group's own future*: nothing is
/// spawned, so children need not be `Send` or `'static` and may borrow from the enclosing
/// scope — something Swift's task groups cannot do. Run one with [`with_local_task_group`] or
/// [`with_throwing_local_task_group`].
///
/// The semantics are those of every [`TaskGroup`]: each child runs under a child of the
/// group's token, which is a child of the running task's token; `cancel_all`, the task's
/// cancellation and (in the throwing form) an error from the body cancel every child; the
/// body's end waits for the remaining children; dropping the group's future cancels the
/// children and drops them, so they stop at once (S20); a child's panic cancels its siblings
/// and is resumed once they have finished (S21), or is isolated with
/// [`GroupOptions::isolate_panics`].
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
pub type LocalTaskGroup<'a, T> = TaskGroup<T, Collecting, Local<'a>>;

impl<'a, T: 'a, K: Kind, F> Spawn<F> for TaskGroup<T, K, Local<'a>>
where
    F: Future<Output = T> + 'a,
{
    fn spawn(&mut self, fut: F) {
        self.before_spawn();
        self.core_mut()
            .spawn(fut, |spawner, child| spawner.spawn(child));
    }
}

type LocalChild<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Children run inside the group's own future, polled whenever the body waits: they may
/// borrow from the caller and need not be `Send`, at the price of sharing one thread.
pub struct Local<'a> {
    running: Rc<RefCell<futures_util::stream::FuturesUnordered<LocalChild<'a>>>>,
}

impl std::fmt::Debug for Local<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("running", &self.running.borrow().len())
            .finish()
    }
}

impl<'a> Local<'a> {
    pub(crate) fn new() -> Self {
        Local {
            running: Rc::default(),
        }
    }

    pub(crate) fn spawn(&mut self, child: impl Future<Output = ()> + 'a) {
        self.running.borrow_mut().push(Box::pin(child));
    }

    /// A handle the group's runner keeps to drive the children.
    pub(crate) fn driver(&self) -> Driver<'a> {
        Driver {
            running: Rc::clone(&self.running),
        }
    }
}

impl sealed::Sealed for Local<'_> {}

impl Spawner for Local<'_> {
    type Handle = ();

    fn abort_all<'h>(&mut self, _: impl Iterator<Item = &'h ()>) {
        // Dropping a child's future stops it; each reports `Gone` from its drop.
        let children = std::mem::take(&mut *self.running.borrow_mut());
        drop(children);
    }
}

/// Polls a local group's children.
pub(crate) struct Driver<'a> {
    running: Rc<RefCell<futures_util::stream::FuturesUnordered<LocalChild<'a>>>>,
}

impl Driver<'_> {
    /// Runs `fut` (the body, or the group's final wait), polling the children whenever it is
    /// suspended. If some finished, `fut` may be waiting for them in `next()`: it is polled
    /// again.
    async fn run<F: Future>(&self, fut: F) -> F::Output {
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            loop {
                if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                    return Poll::Ready(out);
                }
                if !self.drive(cx) {
                    return Poll::Pending;
                }
            }
        })
        .await
    }

    /// Polls the children until none makes progress. Returns whether any finished (it has
    /// reported, so the body may be able to go on).
    pub(crate) fn drive(&self, cx: &mut Context<'_>) -> bool {
        use futures_util::StreamExt as _;
        let mut progressed = false;
        // A child's report wakes the group's waker, which is this task's: no other wake-up
        // is needed.
        while let Poll::Ready(Some(())) = self.running.borrow_mut().poll_next_unpin(cx) {
            progressed = true;
        }
        progressed
    }
}

/// Runs `body` with a local group, polling the children whenever the body is suspended, then
/// waits for the children left (S14). `failed` says whether the body's output cancels the
/// group first (S16c).
async fn run<'a, T: 'a, R>(
    settings: Settings,
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> R,
    failed: impl FnOnce(&R) -> bool,
) -> R {
    let spawner = Local::new();
    let driver = spawner.driver();
    let mut group = LocalTaskGroup::with_spawner(spawner, settings, None);
    let out = driver.run(body(&mut group)).await;
    // Collect what is left (S16c, S14), driving the children meanwhile.
    driver.run(group.finish(failed(&out))).await;
    out
}

/// Runs a [`LocalTaskGroup`]: `body` spawns children that may borrow from the caller, and
/// collects their results; its result is the group's. When the body returns, the group waits
/// for the children left (S14).
///
/// See [`LocalTaskGroup`] for an example.
///
/// # Panics
///
/// Resumes a child's panic once its siblings have finished (S21).
#[track_caller]
pub fn with_local_task_group<'a, T: 'a, R>(
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> R,
) -> impl Future<Output = R> {
    GroupOptions::new().local(body)
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
///
/// # Panics
///
/// Resumes a child's panic once its siblings have finished (S21).
#[track_caller]
pub fn with_throwing_local_task_group<'a, T: 'a, R, E>(
    body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> Result<R, E>,
) -> impl Future<Output = Result<R, E>> {
    GroupOptions::new().local_throwing(body)
}

impl GroupOptions {
    /// Runs a [`LocalTaskGroup`] with these options (see [`with_local_task_group`]).
    ///
    /// # Panics
    ///
    /// Resumes a child's panic once its siblings have finished (S21), unless panics are
    /// isolated.
    pub async fn local<'a, T: 'a, R>(
        self,
        body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> R,
    ) -> R {
        run(self.settings(), body, |_| false).await
    }

    /// Runs a [`LocalTaskGroup`] whose body may fail, with these options (see
    /// [`with_throwing_local_task_group`]).
    ///
    /// # Errors
    ///
    /// The body's error.
    ///
    /// # Panics
    ///
    /// As [`local`](Self::local).
    pub async fn local_throwing<'a, T: 'a, R, E>(
        self,
        body: impl AsyncFnOnce(&mut LocalTaskGroup<'a, T>) -> Result<R, E>,
    ) -> Result<R, E> {
        run(self.settings(), body, Result::is_err).await
    }
}
