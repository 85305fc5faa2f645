//! Swift-style cooperative cancellation and structured concurrency for async Rust.
//!
//! ```
//! use std::time::Duration;
//! use cancelkit::{CancellationError, Task, cancellable};
//!
//! // Every loop head is a checkpoint, and every `.await` stops when the task is cancelled,
//! // tokio's own `recv` included.
//! #[cancellable]
//! async fn consume(mut jobs: tokio::sync::mpsc::Receiver<u64>) -> Result<u64, CancellationError> {
//!     let mut done = 0;
//!     while let Some(job) = jobs.recv().await {
//!         done += job;
//!     }
//!     Ok(done)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let (_idle, jobs) = tokio::sync::mpsc::channel(8);
//! let task = Task::spawn(consume(jobs));
//! tokio::time::sleep(Duration::from_millis(10)).await; // the task is parked in `recv`
//! task.cancel();
//! assert!(task.await.is_err()); // it stopped at once, with the reason
//! # }
//! ```
//!
//! # The model
//!
//! Every task carries a cancellation *flag* (S1). Cancelling a task sets the flag and nothing
//! else: code that never looks at it runs to completion. Code cooperates by looking:
//!
//! | Swift | cancelkit |
//! | --- | --- |
//! | `Task.isCancelled` | [`is_cancelled()`] |
//! | `try Task.checkCancellation()` | [`checkpoint()?`](checkpoint) |
//! | `try await Task.sleep(for:)` | [`sleep(d).await?`](sleep) |
//! | `await Task.yield()` | [`yield_now().await?`](yield_now) |
//! | `withTaskCancellationHandler` | [`with_cancellation_handler`] |
//! | `Task { }` / `task.cancel()` / `task.value` | [`Task::spawn`] / [`Task::cancel`] / `task.await` |
//!
//! The flag lives in a tree of [`CancelToken`]s: cancelling a node cancels its whole subtree and
//! never its ancestors (S19). The current task's token is found through a thread-local that the
//! wrapping future sets on every poll, so the checks, [`cancelled()`](cancelled), handlers,
//! tokens, shields and local groups work on any executor and in plain sync code the task
//! calls; outside any task they report "not cancelled" (S3). Timers and spawning come from a
//! runtime: tokio's when one is current, else smol's with the `smol` feature. [`sleep`],
//! [`Task::spawn`] and the spawning groups need one; a deadline without one is seen only when
//! its future is polled. [Choosing a runtime](docs::runtimes) says how the choice is made.
//!
//! Beyond Swift: [`with_timeout`]/[`with_deadline`] cancel a subtree when time runs out (S23),
//! [`shield`] hides cancellation from clean-up code (S24), and a [`CancellationError`] tells
//! *why* a task was cancelled (S5).
//!
//! # Features
//!
//! - `macros` (default): `#[cancellable]` and `group!`.
//! - `local` (default): task groups whose children borrow ([`with_local_task_group`]).
//! - `signal`: [`shutdown::Shutdown::listen_for_signals`] (SIGINT, SIGTERM, Ctrl-C).
//! - `smol`: a second runtime backend, smol's executor and `async-io` timers, used when no
//!   tokio runtime is current ([choosing a runtime](docs::runtimes)).
//! - `tracing`: `tracing` events for cancels, group children, shutdown phases and failed
//!   checkpoints ([debugging cancellation](docs::debugging)).
//! - `serde`: `Serialize` for the [tree dump](dump), to print it as JSON.
//! - `tokio-util`: conversions to and from `tokio_util::sync::CancellationToken`.
//! - `anyhow`: `CancellationError::find_in` for `anyhow::Error` chains.
//! - `download`: resumable HTTP downloads that cancel producing resume data
//!   (`cancelkit::download`).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod context;
mod error;
pub mod group;
mod handler;
mod meta;
mod node;
mod rt;
pub mod shutdown;
mod sync;
mod task;
mod time;
mod token;
mod trace;
mod tracker;
mod until_cancelled;

#[cfg(all(test, cancelkit_loom))]
mod loom_tests;
#[cfg(all(test, not(cancelkit_loom)))]
mod memory_tests;

pub mod cancel_safety;
pub mod dump;

/// Guides: longer explanations than the API docs, with examples.
pub mod docs {
    #[doc = include_str!("../docs/runtimes.md")]
    pub mod runtimes {}

    #[doc = include_str!("../docs/debugging.md")]
    pub mod debugging {}
}

#[cfg(feature = "tokio-util")]
mod compat;

#[cfg(feature = "download")]
#[cfg_attr(docsrs, doc(cfg(feature = "download")))]
pub mod download;

pub use context::{Scoped, cancelled, checkpoint, current_token, is_cancelled, shield};
pub use error::{CancelReason, CancellationError};
pub use group::{
    DiscardingTaskGroup, TaskGroup, ThrowingDiscardingTaskGroup, ThrowingTaskGroup,
    with_discarding_task_group, with_task_group, with_throwing_discarding_task_group,
    with_throwing_task_group,
};
#[cfg(feature = "local")]
pub use group::{LocalTaskGroup, with_local_task_group, with_throwing_local_task_group};
pub use handler::with_cancellation_handler;
pub use task::Task;
pub use time::{Timeout, sleep, with_deadline, with_timeout, yield_now};
pub use token::{CancelToken, Cancelled, DropGuard, HandlerPanic, OnCancel};
pub use tracker::{Closed, TaskTracker};
pub use until_cancelled::{FutureExt, RunUntilCancelled, UntilCancelled, until_cancelled};

#[cfg(feature = "tokio-util")]
pub use compat::{RunWithTokioUtil, run_with_tokio_util};

#[cfg(feature = "macros")]
pub use cancelkit_macros::{cancellable, uninterruptible};

/// A structured task group with less ceremony (S31): Swift's `withTaskGroup`, `async let` and
/// "one task per item" in one macro. Use it in async code; it expands to an expression that
/// ends in `.await`.
///
/// **Body form** — `group!(|g| { ... })` runs a [`TaskGroup`] and gives the body its handle;
/// the child type is inferred. `group!(try |g| { ... })` runs a [`ThrowingTaskGroup`] like a
/// `try` block: `?` works inside, the last expression is the `Ok` value, and an error leaving
/// the body cancels the children still running (S16c).
///
/// ```
/// use cancelkit::group;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let total = group!(|g| {
///     for i in 1..=3u32 {
///         g.spawn(async move { i * 10 });
///     }
///     let mut total = 0;
///     while let Some(n) = g.next().await {
///         total += n;
///     }
///     total
/// });
/// assert_eq!(total, 60);
///
/// let parsed: Result<u32, std::num::ParseIntError> = group!(try |g| {
///     for s in ["1", "2", "x"] {
///         g.spawn(async move { s.parse::<u32>() });
///     }
///     let mut sum = 0;
///     while let Some(n) = g.try_next().await? {
///         sum += n;
///     }
///     sum
/// });
/// assert!(parsed.is_err());
/// # }
/// ```
///
/// **Fan-out form** — `group!(a, b, c)` runs each future (giving `Result<_, E>`, one `E` for
/// all) as a child and returns `Ok((a, b, c))`, or the first error, after cancelling the
/// others and waiting for them. `group!(for PAT in ITER => FUTURE)` runs one child per item
/// and returns `Ok(Vec<_>)` in *input* order, or the first error likewise. Children are
/// spawned tasks, so the futures must be `Send + 'static` (use `async move`); for futures
/// that borrow, see [`with_local_task_group`].
///
/// ```
/// use cancelkit::group;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// async fn fetch(id: u32) -> Result<String, String> {
///     if id == 0 { Err("no such feed".into()) } else { Ok(format!("feed {id}")) }
/// }
/// let (a, b) = group!(fetch(1), fetch(2)).unwrap();
/// assert_eq!((a.as_str(), b.as_str()), ("feed 1", "feed 2"));
///
/// let all = group!(for id in [3, 1, 2] => fetch(id)).unwrap();
/// assert_eq!(all, ["feed 3", "feed 1", "feed 2"]);
///
/// assert_eq!(group!(for id in 0..3 => fetch(id)), Err("no such feed".to_string()));
/// # }
/// ```
///
/// The body is an `async` closure: `return` inside it returns from the body (its value is the
/// group's result), and `break`/`continue` cannot reach loops around the macro. A malformed
/// invocation is a compile error that shows the four forms.
#[cfg(feature = "macros")]
pub use cancelkit_macros::group;

/// Not public API: what `cancelkit-macros` expands to. Anything here may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::{checkpoint, shield};
    pub use crate::error::CancellationError;
    pub use crate::group::fan_out::{
        Slot, for_each as group_for_each, join_all as group_join_all, with_fail_fast_task_group,
    };
    pub use crate::group::{
        TaskGroup, ThrowingTaskGroup, with_task_group, with_throwing_task_group,
    };
    pub use crate::until_cancelled::UntilCancelled;
    pub use ::core;

    /// What `#[cancellable]`'s default policy returns: a type that can carry a
    /// [`CancellationError`] (`Result<_, E>` with `E: From<CancellationError>`).
    #[diagnostic::on_unimplemented(
        message = "`#[cancellable]` cannot return the cancellation as `{Self}`",
        label = "`#[cancellable]` returns `Err(CancellationError.into())` as this type",
        note = "return `Result<_, E>` where `E: From<cancelkit::CancellationError>`, or use \
                `#[cancellable(on_cancel = break)]` or `#[cancellable(on_cancel = return EXPR)]`"
    )]
    pub trait CarriesCancellation {
        /// `Err(err.into())`.
        fn from_cancellation(err: CancellationError) -> Self;
    }

    impl<T, E: From<CancellationError>> CarriesCancellation for Result<T, E> {
        #[inline]
        fn from_cancellation(err: CancellationError) -> Self {
            Err(err.into())
        }
    }
}
