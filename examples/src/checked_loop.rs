//! The hard-work loop of seed 004: `for i in 0...10000 { try Task.checkCancellation();
//! doHardWork(i) }`, with `cancelkit::checkpoint()?` at the head of each iteration.

use cancelkit::CancellationError;

/// Iterations the loop would run if never cancelled.
pub const ITERATIONS: u64 = 10_000;

/// Some CPU work for iteration `i`, with a hook to see progress.
pub fn do_hard_work(i: u64) -> u64 {
    (0..1_000u64).fold(i, |acc, x| {
        acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(x)
    })
}

/// Runs the loop, calling `on_iteration(i)` after each unit of work; returns the number of
/// iterations completed, or the error once the task is cancelled.
///
/// # Errors
///
/// [`CancellationError`] at the first iteration head after the task was cancelled.
pub async fn hard_work(mut on_iteration: impl FnMut(u64)) -> Result<u64, CancellationError> {
    let mut done = 0;
    for i in 0..ITERATIONS {
        cancelkit::checkpoint()?;
        std::hint::black_box(do_hard_work(i));
        done += 1;
        on_iteration(i);
        // Give the scheduler a turn so the canceller gets to run on a single thread, too.
        tokio::task::yield_now().await;
    }
    Ok(done)
}
