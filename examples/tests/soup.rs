//! Seed 003: the race around the guard, on a paused clock so every cancel lands at an exact
//! point of the recipe.
use std::time::Duration;

use cancelkit_examples::soup::{Kitchen, ORDER, SoupError, order_and_cancel_after};

const KITCHEN: Kitchen = Kitchen {
    step: Duration::from_secs(60),
};

fn at_minutes(m: f64) -> Option<Duration> {
    Some(Duration::from_secs_f64(m * 60.0))
}

#[tokio::test(start_paused = true)]
async fn cancelled_before_the_guard_fails_the_order() {
    let result = order_and_cancel_after(KITCHEN, at_minutes(0.5), false).await;
    assert_eq!(result, Err(SoupError::Cancelled));
}

#[tokio::test(start_paused = true)]
async fn cancelled_after_the_guard_serves_a_partial_soup() {
    // Broth done at 1:00; onion chopped by 2:00, carrot by 3:00; cancelled at 2:30.
    let soup = order_and_cancel_after(KITCHEN, at_minutes(2.5), false)
        .await
        .unwrap();
    assert_eq!(soup.ingredients, ["onion", "carrot"]);
}

#[tokio::test(start_paused = true)]
async fn checkpoint_variant_turns_a_late_cancel_into_an_error() {
    let err = order_and_cancel_after(KITCHEN, at_minutes(2.5), true)
        .await
        .unwrap_err();
    assert!(matches!(err, SoupError::Interrupted(_)), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn uncancelled_order_is_served_whole() {
    let soup = order_and_cancel_after(KITCHEN, None, false).await.unwrap();
    assert_eq!(soup.ingredients, ORDER);
}
