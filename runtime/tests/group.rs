//! Task groups: SPEC S14–S22. Each test names the rule it pins down. Those that need no paused
//! clock run on every runtime backend, one body each (`on_every_runtime!`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use cancelkit::group::GroupOptions;
use cancelkit::{
    CancelReason, CancelToken, Task, with_discarding_task_group, with_task_group,
    with_throwing_discarding_task_group, with_throwing_task_group,
};
use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot};

mod runtimes;
use runtimes::Rt;

on_every_runtime!(
    next_yields_in_completion_order,
    body_end_waits_for_remaining_children,
    cancel_all_is_cooperative_and_covers_later_children,
    spawn_unless_cancelled_adds_when_not_cancelled,
    cancelling_the_task_cancels_children_and_next_returns_promptly,
    cancellation_propagates_down_nested_groups_never_up,
    dropping_the_group_in_select_stops_every_child,
    a_timed_out_group_stops_every_child,
    a_panicking_child_cancels_siblings_and_the_panic_propagates,
    panic_surfaces_from_next,
    throwing_discarding_body_error_wins,
    the_group_is_a_stream,
    group_outside_any_task_uses_a_root_token,
    s22b_an_isolated_panic_is_reported_and_spares_the_siblings,
    s22b_isolated_panics_reach_a_collecting_body_as_missing_results,
    s21_a_discarding_group_resumes_a_panic_once_the_siblings_have_finished,
);

/// Sends on drop: proves a child's future was dropped (finished or stopped).
struct DropSignal(mpsc::UnboundedSender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Waits for `n` drop signals, with a generous bound so a bug fails instead of hanging.
async fn expect_dropped(rt: Rt, rx: &mut mpsc::UnboundedReceiver<()>, n: usize) {
    for _ in 0..n {
        rt.within("a child left running", rx.recv())
            .await
            .expect("sender alive");
    }
}

async fn next_yields_in_completion_order(_rt: Rt) {
    // S15
    let order = with_task_group(async |group| {
        let (tx1, rx1) = oneshot::channel::<()>();
        let (tx2, rx2) = oneshot::channel::<()>();
        group.spawn(async move {
            rx1.await.unwrap();
            1
        });
        group.spawn(async move {
            rx2.await.unwrap();
            tx1.send(()).unwrap();
            2
        });
        group.spawn(async move {
            tx2.send(()).unwrap();
            3
        });
        assert_eq!(group.len(), 3);
        let mut order = Vec::new();
        while let Some(n) = group.next().await {
            order.push(n);
        }
        assert!(group.is_empty());
        order
    })
    .await;
    assert_eq!(order, [3, 2, 1]);
}

async fn body_end_waits_for_remaining_children(rt: Rt) {
    // S14: results discarded, but the children finish before the group returns.
    let finished = Arc::new(AtomicUsize::new(0));
    let (release, gate) = tokio::sync::watch::channel(false);
    let group = Task::spawn({
        let finished = finished.clone();
        async move {
            with_task_group(async |group| {
                for _ in 0..4 {
                    let finished = finished.clone();
                    let mut gate = gate.clone();
                    group.spawn(async move {
                        gate.wait_for(|open| *open).await.unwrap();
                        finished.fetch_add(1, Ordering::SeqCst);
                    });
                }
                "body done"
            })
            .await
        }
    });
    tokio::task::yield_now().await;
    assert!(!group.is_finished());
    release.send(true).unwrap();
    assert_eq!(rt.within("the group", group).await, "body done");
    assert_eq!(finished.load(Ordering::SeqCst), 4);
}

async fn cancel_all_is_cooperative_and_covers_later_children(_rt: Rt) {
    // S1, S18
    let results = with_task_group(async |group| {
        // Checks only once the cancel is in: on a multi-threaded executor it would otherwise
        // race the body's `cancel_all`.
        let (go, wait) = oneshot::channel::<()>();
        group.spawn(async move {
            wait.await.ok();
            cancelkit::checkpoint().map_err(|e| e.origin())
        });
        group.cancel_all();
        go.send(()).unwrap();
        assert!(group.is_cancelled());
        assert_eq!(group.cancellation().unwrap().reason(), CancelReason::Group);
        // Added anyway, and starts cancelled.
        group.spawn(async { cancelkit::checkpoint().map_err(|e| e.origin()) });
        // Never checks: runs to completion.
        group.spawn(async { Ok(()) });
        assert!(!group.spawn_unless_cancelled(async { Ok(()) }));
        assert_eq!(group.len(), 3);
        let mut results: Vec<_> = group.collect().await;
        results.sort_by_key(Result::is_ok);
        results
    })
    .await;
    assert_eq!(
        results,
        [Err(CancelReason::Group), Err(CancelReason::Group), Ok(())]
    );
}

async fn spawn_unless_cancelled_adds_when_not_cancelled(_rt: Rt) {
    let n = with_task_group(async |group| {
        assert!(group.spawn_unless_cancelled(async { 7 }));
        group.next().await
    })
    .await;
    assert_eq!(n, Some(7));
}

async fn cancelling_the_task_cancels_children_and_next_returns_promptly(rt: Rt) {
    // S16a, S6: next() wakes up on the task's cancellation even though the children never
    // finish on their own; the group still waits for them (S14).
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let stopped = Arc::new(AtomicUsize::new(0));
    let task = Task::spawn({
        let stopped = stopped.clone();
        async move {
            with_task_group(async |group| {
                for _ in 0..3 {
                    let started_tx = started_tx.clone();
                    let stopped = stopped.clone();
                    group.spawn(async move {
                        started_tx.send(()).unwrap();
                        let err = cancelkit::cancelled().await;
                        stopped.fetch_add(1, Ordering::SeqCst);
                        err.reason()
                    });
                }
                let first = group.next().await;
                (first, group.is_cancelled())
            })
            .await
        }
    });
    for _ in 0..3 {
        started.recv().await.unwrap();
    }
    task.cancel();
    let (first, group_cancelled) = rt.within("next() after the cancel", task).await;
    // Either nothing had arrived yet (None) or a cancelled child's result raced in first.
    assert!(
        matches!(first, None | Some(CancelReason::Parent)),
        "{first:?}"
    );
    assert!(group_cancelled);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
}

async fn cancellation_propagates_down_nested_groups_never_up(_rt: Rt) {
    // S19
    let outer = CancelToken::new();
    let reasons = outer
        .run(with_task_group(async |group| {
            group.spawn(async {
                with_task_group(async |inner| {
                    inner.spawn(async {
                        cancelkit::sleep(Duration::from_secs(3600))
                            .await
                            .unwrap_err()
                    });
                    // The task running this inner group is cancelled: next() returns None
                    // at once (S6), and the group then waits for its child (S14).
                    assert_eq!(inner.next().await, None);
                    inner.wait_for_all().await;
                    cancelkit::checkpoint().unwrap_err()
                })
                .await
            });
            group.cancel_all();
            group.next().await.unwrap()
        }))
        .await;
    assert_eq!(reasons.origin(), CancelReason::Group);
    // Children share their group's node, so a child sees the group's own reason.
    assert_eq!(reasons.reason(), CancelReason::Group);
    assert!(!outer.is_cancelled(), "cancellation went up");
}

#[tokio::test(start_paused = true)]
async fn throwing_body_error_cancels_the_rest_and_waits() {
    // S16c, seed 002's third example.
    let sibling_saw = Arc::new(std::sync::Mutex::new(None));
    let result: Result<(), &str> = with_throwing_task_group(async |group| {
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(1)).await.unwrap();
            Err("bad URL")
        });
        let sibling_saw = sibling_saw.clone();
        group.spawn(async move {
            let slept = cancelkit::sleep(Duration::from_secs(2)).await;
            *sibling_saw.lock().unwrap() = Some(slept.map_err(|e| e.origin()));
            Ok(())
        });
        group.try_next().await?;
        group.try_next().await?;
        Ok(())
    })
    .await;
    assert_eq!(result, Err("bad URL"));
    // The group waited: the sibling has already recorded what it saw.
    assert_eq!(*sibling_saw.lock().unwrap(), Some(Err(CancelReason::Group)));
}

#[tokio::test(start_paused = true)]
async fn a_child_error_alone_does_not_cancel_siblings() {
    // S17: the body ignores the error, so the sibling is never cancelled.
    let result: Result<Vec<Result<u32, &str>>, &str> = with_throwing_task_group(async |group| {
        group.spawn(async { Err("ignored") });
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(2)).await.unwrap();
            Ok(2)
        });
        let mut all = Vec::new();
        while let Some(r) = group.next().await {
            all.push(r);
        }
        assert!(!group.is_cancelled());
        Ok(all)
    })
    .await;
    assert_eq!(result, Ok(vec![Err("ignored"), Ok(2)]));
}

#[tokio::test(start_paused = true)]
async fn fail_fast_cancels_siblings_at_once() {
    // S17 (explicit option)
    let result: Result<_, &str> = GroupOptions::new()
        .fail_fast()
        .throwing(async |group| {
            group.spawn(async {
                cancelkit::sleep(Duration::from_secs(3600))
                    .await
                    .map(|()| CancelReason::Explicit)
                    .or_else(|e| Ok(e.origin()))
            });
            group.spawn(async { Err("boom") });
            // The body does not look at the error: the sibling is cancelled anyway.
            group.wait_for_all().await;
            Ok(group.cancellation().map(|e| e.reason()))
        })
        .await;
    assert_eq!(result, Ok(Some(CancelReason::SiblingFailed)));
}

async fn dropping_the_group_in_select_stops_every_child(rt: Rt) {
    // S20: a group that loses a select!. One child cooperates, one never checks.
    let (tx, mut dropped) = mpsc::unbounded_channel();
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let handler_ran = Arc::new(AtomicBool::new(false));
    let group = with_task_group(async |group| {
        let guard = DropSignal(tx.clone());
        let started_tx2 = started_tx.clone();
        let handler_ran = handler_ran.clone();
        group.spawn(async move {
            let _guard = guard;
            cancelkit::with_cancellation_handler(
                async {
                    started_tx2.send(()).unwrap();
                    cancelkit::cancelled().await;
                },
                move || handler_ran.store(true, Ordering::SeqCst),
            )
            .await;
        });
        let guard = DropSignal(tx.clone());
        let started_tx = started_tx.clone();
        group.spawn(async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            loop {
                tokio::task::yield_now().await; // never checks
            }
        });
        group.wait_for_all().await;
    });
    tokio::select! {
        () = group => panic!("the group cannot finish"),
        () = async {
            started.recv().await.unwrap();
            started.recv().await.unwrap();
        } => {}
    }
    expect_dropped(rt, &mut dropped, 2).await;
    assert!(
        handler_ran.load(Ordering::SeqCst),
        "children were not cancelled first"
    );
}

async fn a_timed_out_group_stops_every_child(rt: Rt) {
    // S20 with the runtime's own timeout
    let (tx, mut dropped) = mpsc::unbounded_channel();
    let live = Arc::new(AtomicUsize::new(0));
    let result = rt
        .timeout(
            Duration::from_millis(50),
            with_task_group(async |group| {
                for _ in 0..8 {
                    let guard = DropSignal(tx.clone());
                    let live = live.clone();
                    group.spawn(async move {
                        let _guard = guard;
                        live.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    });
                }
                group.wait_for_all().await;
            }),
        )
        .await;
    assert!(result.is_none());
    expect_dropped(rt, &mut dropped, 8).await;
    drop(tx);
    assert!(dropped.recv().await.is_none());
}

async fn a_panicking_child_cancels_siblings_and_the_panic_propagates(_rt: Rt) {
    // S21: the siblings are cancelled at once, their clean-up after the cancel runs, and only
    // once they have finished does the panic leave the group.
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let outcome = std::panic::AssertUnwindSafe(Task::spawn(async move {
        with_task_group(async |group| {
            let seen_tx = seen_tx.clone();
            group.spawn(async move {
                let slept = cancelkit::sleep(Duration::from_secs(30)).await;
                // Clean-up after the cancel: this must run before the panic propagates.
                seen_tx.send(slept.unwrap_err().origin()).unwrap();
            });
            group.spawn(async { panic!("child blew up") });
            // The body waits for something that never comes: the panic must still get out.
            group.wait_for_all().await;
        })
        .await;
    }))
    .catch_unwind()
    .await;
    let payload = outcome.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"child blew up"));
    assert_eq!(
        seen_rx.try_recv(),
        Ok(CancelReason::SiblingFailed),
        "the sibling recorded its cancellation before the panic propagated"
    );
}

async fn panic_surfaces_from_next(_rt: Rt) {
    // S21, through next()
    let outcome = std::panic::AssertUnwindSafe(with_task_group(async |group| {
        group.spawn(async { panic!("from next") });
        group.next().await
    }))
    .catch_unwind()
    .await;
    assert!(outcome.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discarding_group_memory_is_flat_over_a_million_children() {
    // S22: count live and retained children, not time.
    const CHILDREN: usize = 1_000_000;
    let done = Arc::new(AtomicUsize::new(0));
    let max_live = with_discarding_task_group(async |group| {
        let mut max_live = 0;
        for i in 0..CHILDREN {
            let done = done.clone();
            group.spawn(async move {
                done.fetch_add(1, Ordering::Relaxed);
            });
            if i % 1024 == 0 {
                // An accept loop awaits between spawns; so does this one, now and then.
                tokio::task::yield_now().await;
                // Not collected yet: running, or finished since the last spawn.
                max_live = max_live.max(group.len());
            }
        }
        max_live
    })
    .await;
    assert_eq!(done.load(Ordering::Relaxed), CHILDREN);
    // Bounded by what can pile up between two yields, nowhere near a million.
    assert!(max_live < CHILDREN / 4, "children kept grew to {max_live}");
}

#[tokio::test(start_paused = true)]
async fn throwing_discarding_group_first_error_cancels_at_once() {
    // S22
    let (reason_tx, mut reason_rx) = mpsc::unbounded_channel();
    let result: Result<&str, &str> = with_throwing_discarding_task_group(async |group| {
        for _ in 0..3 {
            let reason_tx = reason_tx.clone();
            group.spawn(async move {
                let err = cancelkit::sleep(Duration::from_secs(3600))
                    .await
                    .unwrap_err();
                reason_tx.send(err.origin()).unwrap();
                Err("late")
            });
        }
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(1)).await.unwrap();
            Err("first")
        });
        group.wait_for_all().await;
        assert_eq!(
            group.cancellation().unwrap().reason(),
            CancelReason::SiblingFailed
        );
        Ok("body result")
    })
    .await;
    assert_eq!(result, Err("first"));
    for _ in 0..3 {
        assert_eq!(reason_rx.recv().await, Some(CancelReason::SiblingFailed));
    }
}

async fn throwing_discarding_body_error_wins(_rt: Rt) {
    let result: Result<(), &str> = with_throwing_discarding_task_group(async |group| {
        group.spawn(async { Err("child") });
        group.wait_for_all().await;
        Err("body")
    })
    .await;
    assert_eq!(result, Err("body"));
}

async fn the_group_is_a_stream(_rt: Rt) {
    let mut sum = with_task_group(async |group| {
        for i in 0..10u32 {
            group.spawn(async move { i });
        }
        assert_eq!(group.size_hint(), (0, Some(10)));
        let all: Vec<u32> = group.by_ref().collect().await;
        all
    })
    .await;
    sum.sort_unstable();
    assert_eq!(sum, (0..10).collect::<Vec<_>>());
}

async fn group_outside_any_task_uses_a_root_token(_rt: Rt) {
    // No current task: the group works and only cancel_all cancels it.
    let cancelled = with_task_group(async |group| {
        group.spawn(async { cancelkit::is_cancelled() });
        group.next().await.unwrap()
    })
    .await;
    assert!(!cancelled);
}

#[test]
fn group_futures_are_send_so_they_run_inside_spawned_tasks() {
    fn assert_send<T: Send>(_: &T) {}
    let group = with_task_group(async |group| {
        group.spawn(async { 1u32 });
        group.next().await
    });
    assert_send(&group);
    let throwing = with_throwing_task_group(async |group| {
        group.spawn(async { Ok::<_, String>(1u32) });
        group.try_next().await
    });
    assert_send(&throwing);
    let discarding = with_discarding_task_group(async |group| group.spawn(async {}));
    assert_send(&discarding);
}

async fn s22b_an_isolated_panic_is_reported_and_spares_the_siblings(_rt: Rt) {
    let reported = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (sibling_tx, sibling_rx) = oneshot::channel();
    let (panicked, sibling) = GroupOptions::new()
        .isolate_panics()
        .on_panic({
            let reported = reported.clone();
            move |panic| {
                reported
                    .lock()
                    .unwrap()
                    .push(panic.message().unwrap_or_default().to_owned());
            }
        })
        .discarding(async |group| {
            group.spawn(async move {
                // Runs on after its sibling's panic, and is never cancelled.
                tokio::task::yield_now().await;
                sibling_tx.send(cancelkit::is_cancelled()).unwrap();
            });
            group.spawn(async { panic!("one bad connection") });
            group.wait_for_all().await;
            (group.panicked(), group.is_cancelled())
        })
        .await;
    assert_eq!((panicked, sibling), (1, false));
    assert_eq!(sibling_rx.await, Ok(false));
    assert_eq!(*reported.lock().unwrap(), ["one bad connection"]);
}

async fn s22b_isolated_panics_reach_a_collecting_body_as_missing_results(_rt: Rt) {
    let (values, panicked) = GroupOptions::new()
        .isolate_panics()
        .run(async |group| {
            for i in 0..4u32 {
                group.spawn(async move {
                    assert!(i != 2, "child 2 fails");
                    i
                });
            }
            let mut values = Vec::new();
            while let Some(v) = group.next().await {
                values.push(v);
            }
            values.sort_unstable();
            (values, group.panicked())
        })
        .await;
    assert_eq!((values, panicked), (vec![0, 1, 3], 1));
}

async fn s21_a_discarding_group_resumes_a_panic_once_the_siblings_have_finished(_rt: Rt) {
    let (cleaned_tx, mut cleaned_rx) = mpsc::unbounded_channel();
    let outcome = std::panic::AssertUnwindSafe(Task::spawn(async move {
        with_discarding_task_group(async |group| {
            let cleaned_tx = cleaned_tx.clone();
            group.spawn(async move {
                let slept = cancelkit::sleep(Duration::from_secs(30)).await;
                cleaned_tx.send(slept.is_err()).unwrap();
            });
            group.spawn(async { panic!("boom") });
            // An accept loop that keeps spawning: the panic gets out at a spawn, once no
            // sibling is left running.
            loop {
                group.spawn(async {});
                tokio::task::yield_now().await;
            }
        })
        .await
    }))
    .catch_unwind()
    .await;
    assert_eq!(outcome.unwrap_err().downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(
        cleaned_rx.try_recv(),
        Ok(true),
        "the sibling's clean-up ran first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s22b_memory_stays_flat_over_a_million_children_a_tenth_of_which_panic() {
    const CHILDREN: u32 = 1_000_000;
    // The default hook would print 100,000 messages; the test counts them instead.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let reported = Arc::new(AtomicUsize::new(0));
    let (max_kept, panicked) = GroupOptions::new()
        .isolate_panics()
        .on_panic({
            let reported = reported.clone();
            move |_| {
                reported.fetch_add(1, Ordering::Relaxed);
            }
        })
        .discarding(async |group| {
            let mut max_kept = 0;
            for i in 0..CHILDREN {
                group.spawn(async move {
                    assert!(i % 10 != 0, "every tenth child panics");
                });
                if i % 1024 == 0 {
                    tokio::task::yield_now().await;
                    max_kept = max_kept.max(group.len());
                }
            }
            group.wait_for_all().await;
            (max_kept, group.panicked())
        })
        .await;
    std::panic::set_hook(hook);
    assert_eq!(panicked, u64::from(CHILDREN / 10));
    assert_eq!(reported.load(Ordering::Relaxed), (CHILDREN / 10) as usize);
    // Bounded by what piles up between two yields on a busy machine, nowhere near a million.
    assert!(
        max_kept < CHILDREN as usize / 4,
        "children kept grew to {max_kept}"
    );
}
