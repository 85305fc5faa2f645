//! Seed 004 under `#[cancellable]`: the instrumented loop stops at the next checkpoint.
use cancelkit::{CancelReason, CancelToken};
use cancelkit_examples::hard_work::{ITERATIONS, hard_work, hard_work_partial, run};

#[tokio::test]
async fn runs_all_iterations_when_not_cancelled() {
    assert_eq!(
        CancelToken::new().run(hard_work(|_| {})).await,
        Ok(ITERATIONS)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_promptly_once_cancelled() {
    let report = run(41).await;
    assert_eq!(report.result.unwrap_err().reason(), CancelReason::Explicit);
    // Iteration 41 was running when cancel() happened; it finished (the after-await check
    // caught the cancel) and no further iteration started.
    assert_eq!(report.completed, 42);
    assert_eq!(report.started_after_cancel, 0);
}

#[tokio::test]
async fn partial_policy_returns_the_iterations_done() {
    let token = CancelToken::new();
    let done = token
        .run(hard_work_partial({
            let token = token.clone();
            move |i| {
                if i == 9 {
                    token.cancel();
                }
            }
        }))
        .await;
    assert_eq!(done, 10);
}
