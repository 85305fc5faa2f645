//! Seed 004's counting group: ten children count up, one step every 1–1.5 s, while they are
//! not cancelled; the group calls `cancel_all()` after 5.5 s and prints every result.
//!
//! The children sleep with `tokio::time::sleep`, which — like the deprecated non-throwing
//! `Task.sleep` of the seed — ignores cancellation: a child cancelled mid-sleep finishes that
//! sleep, counts once more, and only then sees the flag in its loop condition (S1). The seed's
//! random jitter is a fixed spread here, so a run (and its test) is reproducible.

use std::time::Duration;

use cancelkit::with_task_group;

/// How far a child counts at most.
pub const MAX: u32 = 10;
/// Number of children.
pub const TASKS: u32 = 10;
/// When the group is cancelled.
pub const CANCEL_AFTER: Duration = Duration::from_millis(5_500);

/// Child `i`'s step: 1 s plus a fixed jitter below 0.5 s.
#[must_use]
pub fn step(i: u32) -> Duration {
    Duration::from_millis(1_000 + u64::from(i * 137 % 500))
}

/// Runs the group; returns `(child, count)` in completion order.
pub async fn count() -> Vec<(u32, u32)> {
    with_task_group(async |group| {
        for i in 0..TASKS {
            group.spawn(async move {
                let mut count = 0;
                while !cancelkit::is_cancelled() && count < MAX {
                    tokio::time::sleep(step(i)).await;
                    count += 1;
                    println!("Task: {i}, count: {count}");
                }
                (i, count)
            });
        }

        tokio::time::sleep(CANCEL_AFTER).await;
        group.cancel_all();

        let mut results = Vec::new();
        while let Some(result) = group.next().await {
            println!("result: {result:?}");
            results.push(result);
        }
        results
    })
    .await
}
