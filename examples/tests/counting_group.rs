//! Seed 004's counting group, on a paused clock: `cancel_all()` after 5.5 s stops every child
//! after the step it is in.

use std::time::Duration;

use cancelkit_examples::counting_group::{CANCEL_AFTER, MAX, TASKS, count, step};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn cancel_all_after_five_and_a_half_seconds() {
    let start = Instant::now();
    let mut results = count().await;
    let elapsed = start.elapsed();

    results.sort_unstable();
    assert_eq!(results.len(), TASKS as usize);
    for (i, count) in results {
        // Steps start at 0, p, 2p, ...; every step started before the cancel is finished,
        // and counted, before the child sees the flag.
        let period = step(i).as_millis();
        let started_before_cancel = (CANCEL_AFTER.as_millis() - 1) / period + 1;
        assert_eq!(
            u128::from(count),
            started_before_cancel.min(u128::from(MAX)),
            "child {i}"
        );
        assert!((4..=6).contains(&count), "child {i} counted {count}");
    }
    // The last child stops at the end of the step it was in: before 5.5 s + one step.
    assert!(elapsed > CANCEL_AFTER);
    assert!(elapsed < CANCEL_AFTER + Duration::from_millis(1_500));
}
