//! Seed 004: a sleep that ignores cancellation vs one that returns the error.
use cancelkit::CancelReason;
use cancelkit_examples::sleeps::{CANCEL_AFTER, SLEEP, cancellable_sleep, ignoring_sleep};

#[tokio::test(start_paused = true)]
async fn ignoring_sleep_runs_to_the_end_and_reports_the_cancel() {
    let outcome = ignoring_sleep().await;
    assert_eq!(outcome.result, Ok(true));
    assert_eq!(outcome.ran_for, SLEEP);
}

#[tokio::test(start_paused = true)]
async fn cancellable_sleep_returns_the_error_at_the_cancel() {
    let outcome = cancellable_sleep().await;
    assert_eq!(outcome.result.unwrap_err().reason(), CancelReason::Explicit);
    assert_eq!(outcome.ran_for, CANCEL_AFTER);
}
