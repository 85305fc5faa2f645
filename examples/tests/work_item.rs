//! Seeds 004 and 001: work cancelkit cannot see, stopped through a cancellation handler.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cancelkit::{CancelToken, Task};
use cancelkit_examples::work_item::{WorkResult, count_while, run_work_item};

/// Steps the worker would take uncancelled: an hour of 1 ms steps.
const STEPS: u64 = 3_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_task_stops_the_worker_thread() {
    let progress = Arc::new(AtomicU64::new(0));
    let task = Task::spawn(run_work_item(
        STEPS,
        Duration::from_millis(1),
        Arc::clone(&progress),
    ));
    while progress.load(Ordering::Acquire) < 3 {
        tokio::task::yield_now().await;
    }
    task.cancel();
    match task.await {
        WorkResult::Cancelled(steps) => assert!((3..STEPS).contains(&steps), "{steps}"),
        WorkResult::Finished => panic!("the worker ignored the cancel"),
    }
}

#[tokio::test]
async fn an_uncancelled_item_finishes() {
    let progress = Arc::new(AtomicU64::new(0));
    let result = CancelToken::new()
        .run(run_work_item(
            3,
            Duration::from_millis(1),
            Arc::clone(&progress),
        ))
        .await;
    assert_eq!(result, WorkResult::Finished);
    assert_eq!(progress.load(Ordering::Acquire), 3);
}

#[tokio::test]
async fn an_already_cancelled_task_cancels_the_item_before_it_runs() {
    let token = CancelToken::new();
    token.cancel();
    let result = token
        .run(run_work_item(
            STEPS,
            Duration::from_millis(1),
            Arc::new(AtomicU64::new(0)),
        ))
        .await;
    // S8: the handler ran before the operation awaited the worker; the worker may have
    // finished a step before it saw the flag, but never all of them.
    assert!(
        matches!(result, WorkResult::Cancelled(n) if n < STEPS),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_clears_the_condition_of_a_loop_that_never_checks() {
    let started = Arc::new(AtomicBool::new(false));
    let task = Task::spawn(count_while(Arc::clone(&started)));
    while !started.load(Ordering::Acquire) {
        tokio::task::yield_now().await;
    }
    task.cancel();
    task.await; // returns only because the handler stopped the loop
}
