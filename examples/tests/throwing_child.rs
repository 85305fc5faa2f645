//! Seed 002: a child's error cancels its sleeping sibling only once the body observes it.

use std::time::Duration;

use cancelkit_examples::throwing_child::{ExampleError, test_cancellation};

#[tokio::test(start_paused = true)]
async fn observed_error_cancels_the_sibling_after_one_second() {
    let outcome = test_cancellation(true).await;
    assert_eq!(outcome.result, Err(ExampleError::BadUrl));
    assert!(outcome.sibling_cancelled);
    // The sibling woke at once instead of sleeping its 2 s.
    assert_eq!(outcome.elapsed, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn unobserved_error_cancels_nothing() {
    let outcome = test_cancellation(false).await;
    assert_eq!(outcome.result, Ok(()));
    assert!(!outcome.sibling_cancelled);
    assert_eq!(outcome.elapsed, Duration::from_secs(2));
}
