//! The two sleeps of seed 004. A task sleeps 10 s and is cancelled after 0.5 s:
//!
//! - with a sleep that ignores cancellation (`tokio::time::sleep`, Swift's deprecated
//!   `Task.sleep(_:)`), it sleeps the full 10 s and finishes normally, only *reporting* that it
//!   was cancelled (S1);
//! - with `cancelkit::sleep` (Swift's `try await Task.sleep(nanoseconds:)`) it wakes at once
//!   with a `CancellationError` (S6).

use std::time::Duration;

use cancelkit::{CancellationError, Task};
use tokio::time::Instant;

/// How a sleeping task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What the task returned: `Ok(is_cancelled at the end)`, or the error.
    pub result: Result<bool, CancellationError>,
    /// How long the task ran.
    pub ran_for: Duration,
}

/// How long the task means to sleep and when it is cancelled.
pub const SLEEP: Duration = Duration::from_secs(10);
/// When the task is cancelled.
pub const CANCEL_AFTER: Duration = Duration::from_millis(500);

async fn run(sleep_honours_cancellation: bool) -> Outcome {
    let task = Task::spawn(async move {
        let start = Instant::now();
        println!("task start");
        let result = if sleep_honours_cancellation {
            cancelkit::sleep(SLEEP).await
        } else {
            tokio::time::sleep(SLEEP).await;
            Ok(())
        };
        let result = result.map(|()| {
            println!("task finish, is_cancelled: {}", cancelkit::is_cancelled());
            cancelkit::is_cancelled()
        });
        Outcome {
            result,
            ran_for: start.elapsed(),
        }
    });
    tokio::time::sleep(CANCEL_AFTER).await;
    task.cancel();
    let outcome = task.await;
    println!("{:?}", outcome.result);
    outcome
}

/// The sleep that ignores cancellation.
pub async fn ignoring_sleep() -> Outcome {
    run(false).await
}

/// The sleep that returns the error.
pub async fn cancellable_sleep() -> Outcome {
    run(true).await
}
