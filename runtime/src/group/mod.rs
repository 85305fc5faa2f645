//! Structured task groups (S14–S22): Swift's `withTaskGroup` family, with Rust's guarantees.
//!
//! # The model
//!
//! A group runs *child tasks* concurrently and never lets one outlive it. Its cancellation
//! node sits between the task running the group and the children, which all run under it:
//!
//! ```text
//! task running the group ── group token ── shared by child 1, child 2, ...
//! ```
//!
//! so cancelling the task cancels the group and every child (S16a, S19), [`cancel_all`]
//! cancels the children and not the task, and a child's cancellation touches nothing above
//! the group. The group's *body* — the async closure you pass — runs in the task itself, under
//! the task's token: it spawns children and collects their results.
//!
//! Children share their group's node: as in Swift, they are only ever cancelled together, so
//! one node serves them all; a cancel marks one node instead of one per child, and a spawn
//! allocates none. A child therefore sees its group's own reason
//! ([`Group`](crate::CancelReason::Group), [`SiblingFailed`](crate::CancelReason::SiblingFailed),
//! or [`Parent`](crate::CancelReason::Parent) when the task running the group was cancelled),
//! and [`current_token`](crate::current_token) inside a child is the group's token:
//! cancelling it is [`cancel_all`]. Tokens, deadlines and groups a child creates are nodes of
//! their own below it.
//!
//! | Swift | cancelkit |
//! | --- | --- |
//! | `withTaskGroup(of:)` | [`with_task_group`] → [`TaskGroup`] |
//! | `withThrowingTaskGroup(of:)` | [`with_throwing_task_group`] → [`ThrowingTaskGroup`] |
//! | `withDiscardingTaskGroup` | [`with_discarding_task_group`] → [`DiscardingTaskGroup`] |
//! | `withThrowingDiscardingTaskGroup` | [`with_throwing_discarding_task_group`] |
//! | `group.addTask { }` | `group.spawn(async { })` |
//! | `group.addTaskUnlessCancelled { }` | `group.spawn_unless_cancelled(async { })` |
//! | `for await x in group` | `while let Some(x) = group.next().await` (or the `Stream`) |
//! | `for try await x in group` | `while let Some(x) = group.try_next().await?` |
//! | — | [`with_local_task_group`]: children that borrow |
//! | — | [`GroupOptions`]: isolated panics, fail-fast |
//!
//! # One group, several kinds
//!
//! Every group is a [`TaskGroup<T, K, S>`](TaskGroup): `T` the children's output (a throwing
//! group's children return `Result`), `K` the kind ([`Collecting`] or [`Discarding`]), `S` where
//! children run ([`Spawned`] tokio tasks, or [`Local`]ly inside the group's future). The Swift
//! names are aliases: [`ThrowingTaskGroup<T, E>`](ThrowingTaskGroup) is
//! `TaskGroup<Result<T, E>>`, [`DiscardingTaskGroup`] is `TaskGroup<(), Discarding>`, and so
//! on. Policies — what a panic does, fail-fast — are chosen when the group is created, with
//! [`GroupOptions`].
//!
//! # Guarantees
//!
//! - When the body returns, the group waits for the remaining children, discarding their
//!   results (S14). In a throwing group a body that returns `Err` first cancels them (S16c).
//! - Dropping a group's future before it completes — it lost a `select!`, hit a timeout, its
//!   task was aborted — cancels every child (so handlers run) and aborts them: no child keeps
//!   running detached (S20).
//! - A child's panic cancels its siblings at once; the group waits for them to finish, then
//!   resumes the panic (S21). With [`GroupOptions::isolate_panics`] it is caught and reported
//!   instead, and the siblings go on (S22b): what a server's accept loop wants.
//! - [`next`](TaskGroup::next) returns as soon as the task running the group is cancelled,
//!   with `None`, even if children are still running (S6); the group still waits for them
//!   before returning.
//!
//! Children of the spawning groups are tasks of the current runtime (tokio, or smol with the
//! `smol` feature), so these need one. The group keeps their join handles (to abort them) and
//! learns of their outcomes through a report queue it shares with them, rather than through a
//! `JoinSet`: that saves an allocation and a lock round-trip per child, which pays for most of
//! the child's cancellation node. Local children report through the same queue.
//!
//! [`cancel_all`]: TaskGroup::cancel_all

mod child;
mod core;
pub(crate) mod fan_out;
#[cfg(feature = "local")]
mod local;
#[cfg(all(test, cancelkit_loom))]
mod loom_tests;
mod options;
mod shared;
mod spawner;
mod task_group;

#[cfg(feature = "local")]
pub use local::{Local, LocalTaskGroup, with_local_task_group, with_throwing_local_task_group};
pub use options::{ChildPanic, GroupOptions, PanicPolicy};
pub use spawner::{Spawned, Spawner};
use std::future::Future;

pub use task_group::{
    Collecting, Discarding, DiscardingTaskGroup, Kind, Spawn, TaskGroup,
    ThrowingDiscardingTaskGroup, ThrowingTaskGroup,
};

/// Runs a [`TaskGroup`] (Swift's `withTaskGroup`): `body` spawns children of type `T` and
/// collects their results; its result is the group's. When it returns, the group waits for
/// the children left, discarding their results (S14).
///
/// The group's token is created when the returned future is first polled, as a child of the
/// polling task's token. For other policies, see [`GroupOptions`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Results arrive in completion order (S15).
/// let order = cancelkit::with_task_group(async |group| {
///     let (tx, rx) = tokio::sync::oneshot::channel::<()>();
///     group.spawn(async move {
///         rx.await.unwrap();
///         "slow"
///     });
///     group.spawn(async move {
///         tx.send(()).unwrap();
///         "fast"
///     });
///     let mut order = Vec::new();
///     while let Some(name) = group.next().await {
///         order.push(name);
///     }
///     order
/// })
/// .await;
/// assert_eq!(order, ["fast", "slow"]);
/// # }
/// ```
///
/// # Panics
///
/// Resumes a child's panic once its siblings have finished (S21).
#[track_caller]
pub fn with_task_group<T, R>(
    body: impl AsyncFnOnce(&mut TaskGroup<T>) -> R,
) -> impl Future<Output = R>
where
    T: Send + 'static,
{
    GroupOptions::new().run(body)
}

/// Runs a [`ThrowingTaskGroup`] (Swift's `withThrowingTaskGroup`): children return
/// `Result<T, E>`, and so does the body. If the body returns `Err`, the remaining children are
/// cancelled (origin [`Group`](crate::CancelReason::Group)) and the group waits for them
/// before returning the error (S16c).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use std::time::Duration;
/// let result = cancelkit::with_throwing_task_group(async |group| {
///     group.spawn(async {
///         cancelkit::sleep(Duration::from_secs(1)).await.unwrap();
///         Err("bad URL")
///     });
///     group.spawn(async {
///         // Cancelled once the body sees the sibling's error and returns it.
///         let slept = cancelkit::sleep(Duration::from_secs(2)).await;
///         Ok(slept.is_err())
///     });
///     group.try_next().await?;
///     Ok(false)
/// })
/// .await;
/// assert_eq!(result, Err("bad URL"));
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
pub fn with_throwing_task_group<T, E, R>(
    body: impl AsyncFnOnce(&mut ThrowingTaskGroup<T, E>) -> Result<R, E>,
) -> impl Future<Output = Result<R, E>>
where
    T: Send + 'static,
    E: Send + 'static,
{
    GroupOptions::new().throwing(body)
}

/// Runs a [`DiscardingTaskGroup`] (Swift's `withDiscardingTaskGroup`): children return `()`,
/// finished children are dropped as the group goes, and the group waits for the rest when the
/// body returns (S14, S22).
///
/// See [`DiscardingTaskGroup`] for an example.
///
/// # Panics
///
/// Resumes a child's panic once its siblings have finished (S21).
#[track_caller]
pub fn with_discarding_task_group<R>(
    body: impl AsyncFnOnce(&mut DiscardingTaskGroup) -> R,
) -> impl Future<Output = R> {
    GroupOptions::new().discarding(body)
}

/// Runs a [`ThrowingDiscardingTaskGroup`] (Swift's `withThrowingDiscardingTaskGroup`). The first
/// child error cancels the group at once and is the group's error (S22); an error returned by
/// the body cancels the children too, and wins over theirs.
///
/// See [`ThrowingDiscardingTaskGroup`] for an example.
///
/// # Errors
///
/// The body's error, else the first child error.
///
/// # Panics
///
/// Resumes a child's panic once its siblings have finished (S21).
#[track_caller]
pub fn with_throwing_discarding_task_group<E, R>(
    body: impl AsyncFnOnce(&mut ThrowingDiscardingTaskGroup<E>) -> Result<R, E>,
) -> impl Future<Output = Result<R, E>>
where
    E: Send + 'static,
{
    GroupOptions::new().throwing_discarding(body)
}
