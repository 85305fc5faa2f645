//! The hard-work loop of seed 004 (`for i in 0...10000 { doHardWork(i) }`) instrumented by
//! `#[cancellable]` instead of hand-written `checkpoint()?` calls (compare
//! [`checked_loop`](crate::checked_loop)): the attribute puts a checkpoint at the loop head and
//! around the `.await`, so a cancelled task stops at the next iteration.

use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cancelkit::{CancellationError, Task, cancellable};

pub use crate::checked_loop::{ITERATIONS, do_hard_work};

/// The loop as one would write it without thinking about cancellation; `#[cancellable]` makes
/// it return `Err(CancellationError)` at the first checkpoint after a cancel.
///
/// # Errors
///
/// [`CancellationError`] once the task is cancelled.
#[cancellable]
pub async fn hard_work(mut on_iteration: impl FnMut(u64)) -> Result<u64, CancellationError> {
    let mut done = 0;
    for i in 0..ITERATIONS {
        black_box(do_hard_work(i));
        done += 1;
        on_iteration(i);
        // Give the scheduler a turn so the canceller gets to run on a single thread, too.
        tokio::task::yield_now().await;
    }
    Ok(done)
}

/// The same loop keeping partial results, like Swift's `while !Task.isCancelled`: on cancel it
/// leaves the loop and returns how many iterations were done.
#[cancellable(on_cancel = break)]
pub async fn hard_work_partial(mut on_iteration: impl FnMut(u64)) -> u64 {
    let mut done = 0;
    for i in 0..ITERATIONS {
        black_box(do_hard_work(i));
        done += 1;
        on_iteration(i);
        tokio::task::yield_now().await;
    }
    done
}

/// How promptly a cancelled [`hard_work`] stopped.
#[derive(Debug)]
pub struct Report {
    /// What the task returned.
    pub result: Result<u64, CancellationError>,
    /// Iterations completed in all.
    pub completed: u64,
    /// Iterations that *started* after `cancel()` returned (0 means it stopped at the very
    /// next checkpoint).
    pub started_after_cancel: u64,
    /// From `cancel()` to the task's result being available.
    pub latency: Duration,
}

/// Runs [`hard_work`] as a task and cancels it while iteration `cancel_at` is running (the
/// iteration is held open until the cancel has happened, so the outcome does not depend on
/// timing).
///
/// # Panics
///
/// If `cancel_at` is not below [`ITERATIONS`], or the task panics.
pub async fn run(cancel_at: u64) -> Report {
    assert!(
        cancel_at < ITERATIONS,
        "cancel_at must be below {ITERATIONS}"
    );
    let (at_tx, at_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let task = Task::spawn(hard_work(move |i| {
        seen_tx.send(i).ok();
        if i == cancel_at {
            at_tx.send(()).ok();
            go_rx.recv().ok();
        }
    }));
    tokio::task::spawn_blocking(move || at_rx.recv().expect("the loop reaches cancel_at"))
        .await
        .expect("waiting for the loop");
    task.cancel();
    let cancelled_at = Instant::now();
    go_tx.send(()).ok();
    let result = task.await;
    let latency = cancelled_at.elapsed();
    let completed = seen_rx.try_iter().count() as u64;
    Report {
        result,
        completed,
        started_after_cancel: completed - (cancel_at + 1),
        latency,
    }
}
