//! [`with_cancellation_handler`]: Swift's `withTaskCancellationHandler`.

use std::future::Future;

use crate::context::current_token;

/// Runs `operation`; if the current task is cancelled while it runs, calls `on_cancel` at once
/// — on the cancelling thread, concurrently with the operation — at most once (S7).
///
/// The order of events is exactly Swift's:
/// - if the task is already cancelled when this is entered, `on_cancel` runs *first*, and the
///   operation still runs (S8);
/// - when the operation finishes (or this future is dropped), the handler is removed, and a
///   later cancel does not call it. If the handler is running at that very moment, this waits
///   for it to finish, so nothing it touches outlives the operation (S9);
/// - cancelkit holds none of its locks while calling `on_cancel`, so the handler may take
///   locks, cancel other tasks or register handlers (S10).
///
/// `on_cancel` must be quick and must not wait for the operation: it runs synchronously inside
/// whoever calls `cancel()`. Outside any task nothing can cancel the operation and `on_cancel`
/// never runs. A panic in `on_cancel` is resumed in the thread that called `cancel()`, after
/// every other handler has run and the whole subtree is cancelled.
///
/// Typical use is to tie work that cancelkit cannot see — a blocking job on a worker thread,
/// a callback API — to the task:
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let task = cancelkit::Task::spawn(async {
///     let stop = Arc::new(AtomicBool::new(false));
///     let worker_stop = stop.clone();
///     cancelkit::with_cancellation_handler(
///         async move {
///             // A blocking job that cancelkit cannot see into.
///             tokio::task::spawn_blocking(move || {
///                 let mut spins = 0u64;
///                 while !worker_stop.load(Ordering::Relaxed) {
///                     spins += 1;
///                     std::hint::spin_loop();
///                 }
///                 spins
///             })
///             .await
///             .unwrap()
///         },
///         move || stop.store(true, Ordering::Relaxed),
///     )
///     .await
/// });
/// task.cancel();
/// task.await; // returns: the handler stopped the blocking job
/// # }
/// ```
pub async fn with_cancellation_handler<F, H>(operation: F, on_cancel: H) -> F::Output
where
    F: Future,
    H: FnOnce() + Send + 'static,
{
    let _guard = current_token().map(|token| token.on_cancel(on_cancel));
    operation.await
}
