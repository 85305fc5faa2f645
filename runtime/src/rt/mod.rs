//! Where timers and tasks come from. Every timer and every spawn in cancelkit goes through this
//! module, and nothing else in the crate names an executor.
//!
//! # The seam
//!
//! A backend implements [`Runtime`]: spawn a `Send + 'static` future and get a handle that can
//! be awaited, aborted and detached; make a timer for an [`Instant`]. Two exist:
//!
//! - [`tokio`](self::tokio) (always built): the runtime whose context is current
//!   (`Handle::try_current`);
//! - [`smol`](self::smol) (feature `smol`): smol's global executor (`smol::spawn`) and
//!   `async-io` timers, which need no context at all.
//!
//! # Which one runs
//!
//! Chosen at each call, not once per process: **a tokio runtime if one is current, else smol
//! (with the feature), else none**. So code under `#[tokio::main]` stays on tokio even with the
//! `smol` feature on, and the same code under `smol::block_on` (or `futures::executor`, or a
//! plain thread) uses smol. With no backend, the API that needs one panics with a message that
//! names it and says what to do, instead of tokio's "there is no reactor running".
//!
//! A join handle works wherever it is polled: either executor's task can be awaited from the
//! other, and a tokio timer keeps being driven by its runtime wherever it is polled. Mixing is
//! defined; it is just rarely what one wants.
//!
//! What needs no runtime at all (tokens, checks, handlers, `shield`, local groups, deadlines
//! seen when polled) never comes here.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::time::Instant;
use pin_project_lite::pin_project;

#[cfg(feature = "smol")]
pub(crate) mod smol;
pub(crate) mod tokio;

/// What a backend provides. Implemented by [`tokio::Tokio`] and [`smol::Smol`]; the rest of
/// the crate reaches them through [`Backend`], which picks one per call.
pub(crate) trait Runtime {
    /// A spawned task: awaited for its output, aborted, or detached when dropped.
    type JoinHandle<T>: Future<Output = Result<T, JoinError>> + Unpin;
    /// A timer.
    type Sleep: Future<Output = ()>;

    fn spawn<F>(&self, fut: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Drops the task's future at its next await, wherever it is (tokio's `abort`).
    fn abort<T>(handle: &Self::JoinHandle<T>);

    fn is_finished<T>(handle: &Self::JoinHandle<T>) -> bool;

    /// A timer until `deadline` (a sleep for a duration is one until `now + duration`).
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep;
}

/// Why a spawned task has no output.
pub(crate) enum JoinError {
    /// It panicked; the payload.
    Panicked(Box<dyn Any + Send>),
    /// It was aborted, or its runtime dropped it unfinished (shut down).
    Cancelled,
}

/// The backend chosen for one call (see the module docs).
#[derive(Clone)]
pub(crate) enum Backend {
    Tokio(tokio::Tokio),
    #[cfg(feature = "smol")]
    Smol(smol::Smol),
}

impl Backend {
    /// A tokio runtime if one is current, else smol with the feature, else `None`.
    pub(crate) fn current() -> Option<Backend> {
        if let Some(tokio) = tokio::Tokio::current() {
            return Some(Backend::Tokio(tokio));
        }
        #[cfg(feature = "smol")]
        return Some(Backend::Smol(smol::Smol));
        #[cfg(not(feature = "smol"))]
        None
    }

    /// The current backend, or a panic that says `what` needs one.
    #[track_caller]
    pub(crate) fn require(what: &'static str) -> Backend {
        match Backend::current() {
            Some(backend) => backend,
            None => no_runtime(what),
        }
    }

    pub(crate) fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Backend::Tokio(rt) => JoinHandle::Tokio(rt.spawn(fut)),
            #[cfg(feature = "smol")]
            Backend::Smol(rt) => JoinHandle::Smol(rt.spawn(fut)),
        }
    }

    pub(crate) fn sleep_until(&self, deadline: Instant) -> Sleep {
        match self {
            Backend::Tokio(rt) => Sleep::Tokio {
                timer: rt.sleep_until(deadline),
            },
            #[cfg(feature = "smol")]
            Backend::Smol(rt) => Sleep::Smol {
                timer: rt.sleep_until(deadline),
            },
        }
    }
}

#[cold]
#[track_caller]
fn no_runtime(what: &'static str) -> ! {
    #[cfg(feature = "smol")]
    unreachable!("`{what}`: the smol backend is always available");
    #[cfg(not(feature = "smol"))]
    panic!(
        "`{what}` needs a runtime for its timers or tasks, and it was called outside a tokio \
         runtime with cancelkit's `smol` feature off. Run it inside `#[tokio::main]`, \
         `#[tokio::test]` or `Runtime::block_on`, or turn on the `smol` feature to use smol's \
         executor and timers. Tokens, checks, handlers, `shield` and local groups work \
         without a runtime."
    )
}

/// Spawns `fut` on the current backend, on behalf of `what`.
#[track_caller]
pub(crate) fn spawn<F>(what: &'static str, fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Backend::require(what).spawn(fut)
}

/// A timer on the current backend, on behalf of `what`.
#[track_caller]
pub(crate) fn sleep(what: &'static str, duration: Duration) -> Sleep {
    let backend = Backend::require(what);
    // Read where the timer is made, as tokio's own `sleep` does (a paused clock is the
    // runtime's); a duration too long to represent sleeps for about 30 years, as tokio's.
    let now = Instant::now();
    let deadline = now
        .checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
    backend.sleep_until(deadline)
}

/// A timer until `deadline` on the current backend, on behalf of `what`.
#[track_caller]
pub(crate) fn sleep_until(what: &'static str, deadline: Instant) -> Sleep {
    Backend::require(what).sleep_until(deadline)
}

/// A task spawned through [`Backend`].
pub(crate) enum JoinHandle<T> {
    Tokio(<tokio::Tokio as Runtime>::JoinHandle<T>),
    #[cfg(feature = "smol")]
    Smol(<smol::Smol as Runtime>::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    pub(crate) fn abort(&self) {
        match self {
            JoinHandle::Tokio(handle) => tokio::Tokio::abort::<T>(handle),
            #[cfg(feature = "smol")]
            JoinHandle::Smol(handle) => smol::Smol::abort::<T>(handle),
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        match self {
            JoinHandle::Tokio(handle) => tokio::Tokio::is_finished::<T>(handle),
            #[cfg(feature = "smol")]
            JoinHandle::Smol(handle) => smol::Smol::is_finished::<T>(handle),
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            JoinHandle::Tokio(handle) => Pin::new(handle).poll(cx),
            #[cfg(feature = "smol")]
            JoinHandle::Smol(handle) => Pin::new(handle).poll(cx),
        }
    }
}

#[cfg(feature = "smol")]
type SmolSleep = <smol::Smol as Runtime>::Sleep;
/// Never made without the feature (`pin_project!` cannot leave a variant out).
#[cfg(not(feature = "smol"))]
type SmolSleep = std::future::Pending<()>;

pin_project! {
    /// A timer made through [`Backend`].
    #[project = SleepProj]
    pub(crate) enum Sleep {
        Tokio { #[pin] timer: <tokio::Tokio as Runtime>::Sleep },
        Smol { #[pin] timer: SmolSleep },
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project() {
            SleepProj::Tokio { timer } => timer.poll(cx),
            SleepProj::Smol { timer } => timer.poll(cx),
        }
    }
}

/// Aborts a helper task (a deadline's timer, a bridge's watcher) when the future it serves
/// completes or is dropped.
pub(crate) struct AbortOnDrop(JoinHandle<()>);

impl AbortOnDrop {
    /// Runs `fut` as a helper task on the current backend; `None` (nothing spawned) without one.
    pub(crate) fn spawn(fut: impl Future<Output = ()> + Send + 'static) -> Option<AbortOnDrop> {
        Backend::current().map(|backend| AbortOnDrop(backend.spawn(fut)))
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
