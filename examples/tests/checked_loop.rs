//! Seed 004: `checkpoint()?` stops the hard-work loop at the next iteration head.
use std::sync::mpsc;

use cancelkit::{CancelToken, Task};
use cancelkit_examples::checked_loop::{ITERATIONS, hard_work};

#[tokio::test]
async fn runs_all_iterations_when_not_cancelled() {
    assert_eq!(
        CancelToken::new().run(hard_work(|_| {})).await,
        Ok(ITERATIONS)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_at_the_iteration_after_the_cancel() {
    let (at_tx, at_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let task = Task::spawn(hard_work(move |i| {
        if i == 41 {
            // Hold iteration 41 open until the test has cancelled.
            at_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        }
    }));
    tokio::task::spawn_blocking(move || at_rx.recv().unwrap())
        .await
        .unwrap();
    task.cancel();
    go_tx.send(()).unwrap();
    // Iteration 41 finished; the head of iteration 42 saw the cancel.
    assert!(task.await.is_err());
}

#[tokio::test]
async fn the_error_says_why() {
    let token = CancelToken::new();
    token.cancel();
    let err = token.run(hard_work(|_| {})).await.unwrap_err();
    assert_eq!(err.to_string(), "task was cancelled: cancelled explicitly");
}
