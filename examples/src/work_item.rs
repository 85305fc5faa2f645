//! Tying work cancelkit cannot see to a task with `with_cancellation_handler`.
//!
//! - [`WorkItem`] is seed 004's `ContinuationWorkItem`: a blocking job on a worker thread (GCD's
//!   `DispatchWorkItem`) that checks its own `is_cancelled` flag between steps and hands its
//!   result back through a one-shot channel (the continuation). The task awaits it inside
//!   `with_cancellation_handler`, whose handler cancels the item, so cancelling the *task* stops
//!   the *thread*.
//! - [`count_while`] is seed 001's `condition.cancel()` case: an operation that spins on a
//!   condition and never checks the task; the handler clears the condition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

/// A job for a worker thread that can be cancelled from outside, like a `DispatchWorkItem`.
#[derive(Debug, Clone, Default)]
pub struct WorkItem {
    cancelled: Arc<AtomicBool>,
}

/// How a [`WorkItem`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkResult {
    /// Ran all its steps.
    Finished,
    /// Stopped after this many steps because it was cancelled.
    Cancelled(u64),
}

impl WorkItem {
    /// Marks the item cancelled (GCD's `DispatchWorkItem.cancel()`).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    /// Whether the item was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Runs `steps` steps of `step` length on a new worker thread, checking between steps;
    /// `progress` counts the steps done. The result arrives through the returned channel.
    pub fn dispatch(
        &self,
        steps: u64,
        step: Duration,
        progress: Arc<AtomicU64>,
    ) -> oneshot::Receiver<WorkResult> {
        let (continuation, result) = oneshot::channel();
        let item = self.clone();
        std::thread::spawn(move || {
            let mut i = 0;
            while i < steps && !item.is_cancelled() {
                std::thread::sleep(step);
                i += 1;
                progress.store(i, Ordering::Release);
            }
            let outcome = if item.is_cancelled() {
                WorkResult::Cancelled(i)
            } else {
                WorkResult::Finished
            };
            // The awaiting task may be gone; then nobody needs the result.
            let _ = continuation.send(outcome);
        });
        result
    }
}

/// Runs a work item inside the current task so that cancelling the task cancels the item.
pub async fn run_work_item(steps: u64, step: Duration, progress: Arc<AtomicU64>) -> WorkResult {
    let item = WorkItem::default();
    let result = item.dispatch(steps, step, progress);
    cancelkit::with_cancellation_handler(
        async { result.await.expect("the worker always answers") },
        move || item.cancel(),
    )
    .await
}

/// Seed 001: `while condition { sum += 1 }` with `onCancel: { condition.cancel() }`. The loop
/// never checks the task; the handler, running concurrently on the cancelling thread, clears
/// the condition. `started` is set once the loop runs.
pub async fn count_while(started: Arc<AtomicBool>) -> u64 {
    let condition = Arc::new(AtomicBool::new(true));
    let handler_condition = Arc::clone(&condition);
    cancelkit::with_cancellation_handler(
        async move {
            let mut sum = 0u64;
            started.store(true, Ordering::Release);
            // Deliberately never observes the task: the handler below is what stops it. The
            // checker rightly flags such a loop; this one is the point of the example.
            // cancelkit: allow(uncancellable_loop)
            while condition.load(Ordering::Acquire) {
                sum += 1;
                std::hint::spin_loop();
            }
            sum
        },
        move || handler_condition.store(false, Ordering::Release),
    )
    .await
}
