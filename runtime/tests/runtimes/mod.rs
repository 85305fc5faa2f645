//! One test body, every runtime backend (issue 14): `on_every_runtime!(name, ..)` turns each
//! `async fn name(rt: Rt)` into a module `name` with one `#[test]` per backend, `name::tokio`
//! and `name::smol` (with the `smol` feature), each running the same body.
//!
//! A body stays runtime-agnostic by spawning through cancelkit (`Task::spawn`, groups), by
//! using runtime-agnostic channels, and by asking `rt` for what only an executor has: a plain
//! timer that ignores cancellation, and a bound on how long a step may take. Real time is used
//! (smol has no paused clock), so every bound on elapsed time is generous: it catches a hang,
//! never a slow machine. Tests that need tokio's paused clock stay `#[tokio::test]`s.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::Duration;

/// A runtime backend, as a test parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rt {
    /// A multi-threaded tokio runtime with two workers.
    Tokio,
    /// `smol::block_on`: cancelkit spawns on smol's global executor, timers are `async-io`'s.
    Smol,
}

/// A bound that only a hang exceeds.
pub const HANG: Duration = Duration::from_secs(20);

impl Rt {
    /// Runs `fut` to completion on this runtime.
    pub fn block_on<F: Future>(self, fut: F) -> F::Output {
        match self {
            Rt::Tokio => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(fut),
            Rt::Smol => smol_block_on(fut),
        }
    }

    /// The runtime's own timer: a sleep that knows nothing of cancellation.
    pub async fn plain_sleep(self, duration: Duration) {
        match self {
            Rt::Tokio => tokio::time::sleep(duration).await,
            Rt::Smol => smol_sleep(duration).await,
        }
    }

    /// `fut`'s output, or `None` if `duration` passes first (and `fut` is dropped).
    pub async fn timeout<F: Future>(self, duration: Duration, fut: F) -> Option<F::Output> {
        let timer = self.plain_sleep(duration);
        futures::pin_mut!(fut, timer);
        match futures::future::select(fut, timer).await {
            futures::future::Either::Left((output, _)) => Some(output),
            futures::future::Either::Right(_) => None,
        }
    }

    /// `fut`'s output, or a panic naming `what` if it takes longer than [`HANG`].
    pub async fn within<F: Future>(self, what: &str, fut: F) -> F::Output {
        match self.timeout(HANG, fut).await {
            Some(output) => output,
            None => panic!("{what}: still pending after {HANG:?}"),
        }
    }
}

#[cfg(feature = "smol")]
fn smol_block_on<F: Future>(fut: F) -> F::Output {
    smol::block_on(fut)
}

#[cfg(not(feature = "smol"))]
fn smol_block_on<F: Future>(_: F) -> F::Output {
    unreachable!("smol tests are generated only with the `smol` feature")
}

#[cfg(feature = "smol")]
async fn smol_sleep(duration: Duration) {
    smol::Timer::after(duration).await;
}

#[cfg(not(feature = "smol"))]
async fn smol_sleep(_: Duration) {
    unreachable!("smol tests are generated only with the `smol` feature")
}

/// Generates, for each `name` listed, a module `name` with one `#[test]` per backend that
/// runs `async fn name(rt: Rt)` (defined beside the invocation) on it.
#[macro_export]
macro_rules! on_every_runtime {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn tokio() {
                let rt = $crate::runtimes::Rt::Tokio;
                rt.block_on(super::$name(rt));
            }

            #[cfg(feature = "smol")]
            #[test]
            fn smol() {
                let rt = $crate::runtimes::Rt::Smol;
                rt.block_on(super::$name(rt));
            }
        }
    )*};
}
