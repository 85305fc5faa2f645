//! Seed 003's soup kitchen: cancel before and after the guard.
use std::time::Duration;

use cancelkit_examples::soup::{Kitchen, order_and_cancel_after};

#[tokio::main]
async fn main() {
    let kitchen = Kitchen {
        step: Duration::from_millis(100),
    };
    for (label, cancel_after) in [
        (
            "cancelled while the broth boils (before the guard)",
            Some(50),
        ),
        ("cancelled while chopping (after the guard)", Some(250)),
        ("never cancelled", None),
    ] {
        let cancel_after = cancel_after.map(Duration::from_millis);
        let partial = order_and_cancel_after(kitchen, cancel_after, false).await;
        let strict = order_and_cancel_after(kitchen, cancel_after, true).await;
        println!("{label}:\n  is_cancelled() loop: {partial:?}\n  checkpoint()? loop:  {strict:?}");
    }
}
