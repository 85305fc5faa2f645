//! Graceful shutdown (S39) and the task tracker (S40), on tokio's paused clock: every
//! duration below is exact, and nothing sleeps for real.

use std::time::Duration;

use cancelkit::shutdown::{Ending, Shutdown, Trigger};
use cancelkit::{CancelReason, TaskTracker};

const GRACE: Duration = Duration::from_secs(5);
const ABORT_AFTER: Duration = Duration::from_secs(2);

/// A server with one request in flight that takes `work` (cooperatively cancellable, or not),
/// and an accept loop that stops when the shutdown starts; `trigger` starts the shutdown once
/// the request is in flight.
async fn serve(shutdown: &Shutdown, work: Duration, cooperative: bool) -> Result<(), CancelReason> {
    let handle = shutdown.clone();
    cancelkit::with_discarding_task_group(async |requests| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let in_flight = handle.clone();
        requests.spawn(async move {
            let _request = in_flight.in_flight("GET /work");
            tx.send(()).unwrap();
            if cooperative {
                if let Err(err) = cancelkit::sleep(work).await {
                    assert_eq!(err.origin(), CancelReason::Shutdown);
                }
            } else {
                tokio::time::sleep(work).await;
            }
        });
        rx.await.unwrap();
        handle.trigger();
        // The accept loop: runs until the shutdown starts.
        handle.stopping().cancelled().await;
    })
    .await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn s39_work_that_finishes_within_the_grace_period_drains() {
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let report = shutdown
        .run(serve(&shutdown, Duration::from_secs(1), true))
        .await;
    assert_eq!(report.ending, Ending::Drained);
    assert_eq!(report.trigger, Some(Trigger::Call));
    assert_eq!(report.elapsed, Duration::from_secs(1));
    assert_eq!(report.output, Some(Ok(())));
    assert!(report.cancelled.is_empty() && report.aborted.is_empty());
}

#[tokio::test(start_paused = true)]
async fn s39_work_still_running_after_the_grace_period_is_cancelled_with_a_reason() {
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let report = shutdown
        .run(serve(&shutdown, Duration::from_secs(60), true))
        .await;
    assert_eq!(report.ending, Ending::Cancelled);
    assert_eq!(report.elapsed, GRACE, "stopped the moment it was cancelled");
    assert_eq!(report.cancelled, ["GET /work"]);
    assert!(report.aborted.is_empty());
    assert!(
        report.to_string().contains("cancelled: GET /work"),
        "{report}"
    );
}

#[tokio::test(start_paused = true)]
async fn s39_work_that_ignores_the_cancel_is_aborted_after_the_second_period() {
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let report = shutdown
        .run(serve(&shutdown, Duration::from_secs(60), false))
        .await;
    assert_eq!(report.ending, Ending::Aborted);
    assert_eq!(report.elapsed, GRACE + ABORT_AFTER);
    assert_eq!(report.output, None);
    assert_eq!(report.aborted, ["GET /work"]);
    // The aborted children are dropped by their runtime (an abort lands at their next
    // poll): their in-flight guards go soon after, not never.
    for _ in 0..100 {
        if format!("{shutdown:?}").contains("in_flight: 0") {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(
        format!("{shutdown:?}").contains("in_flight: 0"),
        "{shutdown:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn s39_a_second_signal_skips_to_the_abort() {
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let forcer = shutdown.clone();
    tokio::spawn(async move {
        forcer.stopping().cancelled().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        forcer.force();
    });
    let report = shutdown
        .run(serve(&shutdown, Duration::from_secs(60), false))
        .await;
    assert_eq!(report.ending, Ending::Aborted);
    assert_eq!(report.elapsed, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn s39_a_grace_of_zero_cancels_at_once() {
    let shutdown = Shutdown::new(Duration::ZERO).abort_after(ABORT_AFTER);
    let report = shutdown
        .run(serve(&shutdown, Duration::from_secs(60), true))
        .await;
    assert_eq!(report.ending, Ending::Cancelled);
    assert_eq!(report.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn s39_a_shutdown_started_before_the_server_runs_stops_it_at_once() {
    let shutdown = Shutdown::new(GRACE);
    shutdown.trigger();
    let stopping = shutdown.stopping().clone();
    let report = shutdown
        .run(async move { stopping.cancelled().await.reason() })
        .await;
    assert_eq!(report.ending, Ending::Drained);
    assert_eq!(report.output, Some(CancelReason::Shutdown));
    assert_eq!(report.elapsed, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn s39_a_server_that_ends_by_itself_reports_no_shutdown() {
    let report = Shutdown::new(GRACE).run(async { 7 }).await;
    assert_eq!(
        (report.ending, report.trigger, report.output),
        (Ending::Completed, None, Some(7))
    );
}

#[tokio::test(start_paused = true)]
async fn s40_a_tracker_cancels_its_tasks_and_waits_for_them() {
    let tracker = TaskTracker::new();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            tracker
                .spawn(async { cancelkit::sleep(Duration::from_secs(60)).await })
                .unwrap()
        })
        .collect();
    assert_eq!(tracker.len(), 3);
    tracker.close();
    assert!(
        tracker.spawn(async {}).is_err(),
        "a closed tracker refuses tasks"
    );
    tracker.cancel();
    tracker.wait().await;
    assert!(tracker.is_empty());
    for task in tasks {
        assert!(task.await.is_err());
    }
}

#[tokio::test(start_paused = true)]
async fn s40_wait_needs_close_and_an_aborted_task_counts_as_finished() {
    let parent = cancelkit::CancelToken::new();
    let tracker = TaskTracker::under(&parent);
    let task = tracker.spawn(std::future::pending::<()>()).unwrap();
    let waiter = tokio::spawn({
        let tracker = tracker.clone();
        async move { tracker.wait().await }
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "open: wait does not complete");
    tracker.close();
    task.abort();
    waiter.await.unwrap();
    assert!(tracker.is_empty());
    parent.cancel();
    assert!(tracker.token().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn s39_a_panicking_cancellation_handler_does_not_crash_the_shutdown() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let handle = shutdown.clone();
    let report = shutdown
        .run(async move {
            // A buggy handler on the work the grace period will cancel.
            let _guard = cancelkit::current_token()
                .unwrap()
                .on_cancel(|| panic!("a buggy handler"));
            handle.trigger();
            cancelkit::cancelled().await.reason()
        })
        .await;
    std::panic::set_hook(hook);
    assert_eq!(report.ending, Ending::Cancelled);
    assert_eq!(report.output, Some(CancelReason::Shutdown));
}

#[test]
fn s40_a_drop_guard_whose_handler_panics_does_not_panic_in_drop() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let token = cancelkit::CancelToken::new();
    let _handler = token.on_cancel(|| panic!("a buggy handler"));
    let guard = token.clone().drop_guard();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(guard)));
    std::panic::set_hook(hook);
    assert!(dropped.is_ok());
    assert!(token.is_cancelled());
}
