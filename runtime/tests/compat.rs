//! Interop with tokio-util's `CancellationToken` (feature `tokio-util`) and `anyhow`.
#![cfg(all(feature = "tokio-util", feature = "anyhow"))]

use std::time::Duration;

use cancelkit::{CancelReason, CancelToken, CancellationError};
use tokio_util::sync::CancellationToken;

#[test]
fn a_cancelkit_cancel_reaches_the_tokio_util_token_made_before_or_after() {
    let parent = CancelToken::new();
    let child = parent.child();
    let before = child.to_tokio_util();
    assert!(!before.is_cancelled());
    parent.cancel();
    assert!(before.is_cancelled());
    assert!(
        child.to_tokio_util().is_cancelled(),
        "already cancelled: at once"
    );
}

#[test]
fn cancelling_the_tokio_util_side_does_not_cancel_cancelkit() {
    let token = CancelToken::new();
    CancellationToken::from(&token).cancel();
    assert!(!token.is_cancelled());
    assert!(
        !token.to_tokio_util().is_cancelled(),
        "nor another token made from it"
    );
}

/// Checks but never awaits: only a trigger running beside it can reach it.
async fn spin_until_cancelled() -> Result<(), CancellationError> {
    loop {
        cancelkit::checkpoint()?;
        std::hint::spin_loop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_util_cancel_is_seen_by_checkpoints_even_in_a_spinning_loop() {
    let tokio_token = CancellationToken::new();
    let canceller = tokio::spawn({
        let tokio_token = tokio_token.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            tokio_token.cancel();
        }
    });
    let result = cancelkit::run_with_tokio_util(tokio_token, spin_until_cancelled()).await;
    assert_eq!(result.unwrap_err().reason(), CancelReason::Explicit);
    canceller.await.unwrap();
}

#[test]
fn find_in_digs_the_cancellation_out_of_an_anyhow_chain() {
    let err = anyhow::Error::from(CancellationError::new(CancelReason::Deadline))
        .context("loading the feed")
        .context("refreshing");
    let found = CancellationError::find_in(&err).expect("in the chain");
    assert_eq!(found.reason(), CancelReason::Deadline);
    assert!(CancellationError::find_in(&anyhow::anyhow!("disk full")).is_none());
}
