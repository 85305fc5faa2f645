//! [`GroupOptions`]: the policies a group is created with, and the runners that create one.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::spawner::Spawned;
use super::task_group::{Collecting, Discarding, TaskGroup};

/// What a child's panic does to its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// Swift's and Kotlin's `coroutineScope`: the panic cancels the siblings at once; the
    /// group waits for them to finish, then resumes the panic out of the group (S21).
    #[default]
    Propagate,
    /// Kotlin's `supervisorScope`, tokio's per-task isolation: the panic is caught, counted
    /// and handed to the [`on_panic`](GroupOptions::on_panic) callback (and logged as a
    /// `tracing` warning with the `tracing` feature); the siblings are not cancelled (S22b).
    /// What a server's accept loop wants.
    Isolate,
}

/// A child's panic, as an isolating group reports it.
pub struct ChildPanic {
    payload: Box<dyn Any + Send>,
}

impl ChildPanic {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> Self {
        ChildPanic { payload }
    }

    /// The panic's message, when it was a string (as `panic!` with a message makes).
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        crate::error::panic_message(self.payload.as_ref())
    }

    /// The payload, to resume the panic with [`std::panic::resume_unwind`].
    #[must_use]
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for ChildPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildPanic")
            .field("message", &self.message())
            .finish()
    }
}

type OnPanic = Arc<dyn Fn(ChildPanic) + Send + Sync>;

/// The settings a group's core reads.
#[derive(Clone)]
pub(crate) struct Settings {
    /// Where the group was created, for a dump.
    pub(crate) location: &'static std::panic::Location<'static>,
    pub(crate) panics: PanicPolicy,
    pub(crate) on_panic: Option<OnPanic>,
    pub(crate) fail_fast: bool,
    /// Set by the throwing discarding runner, not by the user.
    pub(crate) keep_first_failure: bool,
}

/// How to create a task group: its policies, chosen once, then one of the runners.
///
/// The free functions ([`with_task_group`](crate::with_task_group) and the others) are these
/// runners with the default options: Swift's semantics.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use cancelkit::group::GroupOptions;
///
/// // An accept loop: one connection's panic must not take the others down.
/// let panics = Arc::new(AtomicU32::new(0));
/// # let hook = std::panic::take_hook();
/// # std::panic::set_hook(Box::new(|_| {}));
/// let served = GroupOptions::new()
///     .isolate_panics()
///     .on_panic({
///         let panics = panics.clone();
///         move |_| { panics.fetch_add(1, Ordering::Relaxed); }
///     })
///     .discarding(async |group| {
///         for conn in 0..10u32 {
///             group.spawn(async move {
///                 assert!(conn != 3, "a bad request");
///             });
///         }
///         10
///     })
///     .await;
/// # std::panic::set_hook(hook);
/// assert_eq!((served, panics.load(Ordering::Relaxed)), (10, 1));
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct GroupOptions {
    settings: Settings,
}

impl Default for GroupOptions {
    #[track_caller]
    fn default() -> Self {
        GroupOptions::new()
    }
}

impl GroupOptions {
    /// Swift's semantics: panics propagate (S21), no fail-fast. The group's place in a [tree
    /// dump](crate::dump) is where this is called.
    #[track_caller]
    pub fn new() -> Self {
        GroupOptions {
            settings: Settings {
                location: std::panic::Location::caller(),
                panics: PanicPolicy::default(),
                on_panic: None,
                fail_fast: false,
                keep_first_failure: false,
            },
        }
    }

    /// What a child's panic does (default [`PanicPolicy::Propagate`]).
    pub fn panics(mut self, policy: PanicPolicy) -> Self {
        self.settings.panics = policy;
        self
    }

    /// Short for `.panics(PanicPolicy::Isolate)`.
    pub fn isolate_panics(self) -> Self {
        self.panics(PanicPolicy::Isolate)
    }

    /// Called, on the thread running the group, with each isolated panic.
    pub fn on_panic(mut self, callback: impl Fn(ChildPanic) + Send + Sync + 'static) -> Self {
        self.settings.on_panic = Some(Arc::new(callback));
        self
    }

    /// In a throwing group, the first child that returns `Err` cancels the siblings at once,
    /// with reason [`SiblingFailed`](crate::CancelReason::SiblingFailed) (S17); its error
    /// still arrives through `next()`. (A throwing discarding group always does this, S22.)
    ///
    /// It takes effect in [`throwing`](Self::throwing) groups, whose children return
    /// `Result`; the local runners' children may return anything, so there it has no effect.
    pub fn fail_fast(mut self) -> Self {
        self.settings.fail_fast = true;
        self
    }

    #[cfg(feature = "local")]
    pub(crate) fn settings(&self) -> Settings {
        self.settings.clone()
    }

    /// Runs a [`TaskGroup`] with these options (see [`with_task_group`](crate::with_task_group)).
    ///
    /// # Panics
    ///
    /// Resumes a child's panic once its siblings have finished (S21), unless panics are
    /// isolated.
    pub async fn run<T, R>(self, body: impl AsyncFnOnce(&mut TaskGroup<T>) -> R) -> R
    where
        T: Send + 'static,
    {
        let mut group = TaskGroup::<T, Collecting, Spawned>::with(self.settings, None);
        let out = body(&mut group).await;
        group.finish(false).await;
        out
    }

    /// Runs a throwing [`TaskGroup`] with these options (see
    /// [`with_throwing_task_group`](crate::with_throwing_task_group)).
    ///
    /// # Errors
    ///
    /// The body's error.
    ///
    /// # Panics
    ///
    /// As [`run`](Self::run).
    pub async fn throwing<T, E, R>(
        self,
        body: impl AsyncFnOnce(&mut TaskGroup<Result<T, E>>) -> Result<R, E>,
    ) -> Result<R, E>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let mut group = TaskGroup::<Result<T, E>, Collecting, Spawned>::with(
            self.settings,
            Some(Result::is_err),
        );
        let out = body(&mut group).await;
        group.finish(out.is_err()).await;
        out
    }

    /// Runs a discarding [`TaskGroup`] with these options (see
    /// [`with_discarding_task_group`](crate::with_discarding_task_group)).
    ///
    /// # Panics
    ///
    /// As [`run`](Self::run).
    pub async fn discarding<R>(
        self,
        body: impl AsyncFnOnce(&mut TaskGroup<(), Discarding>) -> R,
    ) -> R {
        let mut group = TaskGroup::<(), Discarding, Spawned>::with(self.settings, None);
        let out = body(&mut group).await;
        group.finish(false).await;
        out
    }

    /// Runs a throwing discarding [`TaskGroup`] with these options (see
    /// [`with_throwing_discarding_task_group`](crate::with_throwing_discarding_task_group)).
    ///
    /// # Errors
    ///
    /// The body's error, else the first child error.
    ///
    /// # Panics
    ///
    /// As [`run`](Self::run).
    pub async fn throwing_discarding<E, R>(
        mut self,
        body: impl AsyncFnOnce(&mut TaskGroup<Result<(), E>, Discarding>) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: Send + 'static,
    {
        self.settings.keep_first_failure = true;
        let mut group = TaskGroup::<Result<(), E>, Discarding, Spawned>::with(
            self.settings,
            Some(Result::is_err),
        );
        let out = body(&mut group).await;
        group.finish(out.is_err()).await;
        match (out, group.take_failure()) {
            (Err(err), _) | (Ok(_), Some(Err(err))) => Err(err),
            (Ok(value), _) => Ok(value),
        }
    }
}

impl fmt::Debug for GroupOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupOptions")
            .field("panics", &self.settings.panics)
            .field("on_panic", &self.settings.on_panic.is_some())
            .field("fail_fast", &self.settings.fail_fast)
            .finish()
    }
}
