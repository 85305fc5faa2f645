//! Behaviour tests for S1–S13, S19, S23 and S24 (`docs/semantics.md`), each named after the
//! rule it pins. Those that need an executor run on every runtime backend, one body each
//! (`on_every_runtime!`); those that need none run on the futures executor or by hand.
//! What the tree holds once things end is tested inside the crate (`memory_tests`), where the
//! entry count can be read.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use cancelkit::{CancelReason, CancelToken, CancellationError, Task};
use futures::FutureExt;
use futures::executor::block_on;
use tokio::sync::oneshot;

mod runtimes;
use runtimes::{HANG, Rt};

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn poll_once<F: Future + Unpin>(fut: &mut F, flag: &Arc<Flag>) -> Poll<F::Output> {
    let waker = Waker::from(Arc::clone(flag));
    fut.poll_unpin(&mut Context::from_waker(&waker))
}

#[test]
fn s1_cancelling_does_not_stop_code_that_never_checks() {
    let token = CancelToken::new();
    let out = block_on(token.run(async {
        let mut sum = 0u64;
        for i in 0..1000 {
            if i == 10 {
                cancelkit::current_token().unwrap().cancel();
            }
            sum += i;
        }
        sum
    }));
    assert_eq!(out, 499_500);
    assert!(token.is_cancelled());
}

#[test]
fn s2_cancel_is_one_way_and_idempotent() {
    let token = CancelToken::new();
    token.cancel();
    let first = token.cancellation();
    token.cancel();
    assert_eq!(token.cancellation(), first);
    assert!(token.is_cancelled());
    // A later cancel of an already-cancelled parent does not rewrite the child's reason.
    let child = token.child();
    assert_eq!(child.cancellation().unwrap().reason(), CancelReason::Parent);
    child.cancel();
    assert_eq!(child.cancellation().unwrap().reason(), CancelReason::Parent);
}

fn sync_helper_sees_cancellation() -> bool {
    cancelkit::is_cancelled()
}

async fn nested_async() -> (bool, Result<(), CancellationError>) {
    (sync_helper_sees_cancellation(), cancelkit::checkpoint())
}

#[test]
fn s3_current_task_is_visible_in_nested_async_and_sync_code() {
    let token = CancelToken::new();
    assert_eq!(block_on(token.run(nested_async())), (false, Ok(())));
    token.cancel();
    let (seen, checked) = block_on(token.run(nested_async()));
    assert!(seen);
    assert_eq!(checked.unwrap_err().reason(), CancelReason::Explicit);
}

#[test]
fn s3_outside_any_task_nothing_is_cancelled() {
    assert!(!cancelkit::is_cancelled());
    assert_eq!(cancelkit::checkpoint(), Ok(()));
    assert!(cancelkit::current_token().is_none());
    // On a plain thread, too.
    std::thread::spawn(|| assert!(!cancelkit::is_cancelled()))
        .join()
        .unwrap();
}

#[test]
fn s3_the_slot_is_restored_after_each_poll_even_on_panic() {
    let token = CancelToken::new();
    token.cancel();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        block_on(token.run(async {
            assert!(cancelkit::is_cancelled());
            panic!("boom");
        }));
    }));
    assert!(result.is_err());
    assert!(
        !cancelkit::is_cancelled(),
        "the panic must not leak the task into the thread"
    );
}

#[test]
fn s3_nested_scopes_see_their_own_token_and_restore_the_outer_one() {
    let outer = CancelToken::new();
    outer.cancel();
    let seen = block_on(outer.run(async {
        let before = cancelkit::checkpoint().is_err();
        // The inner token is created, used and dropped inside the outer poll.
        let inner = CancelToken::new()
            .run(async { cancelkit::checkpoint() })
            .await;
        let after = cancelkit::checkpoint().is_err();
        (before, inner, after)
    }));
    assert_eq!(seen, (true, Ok(()), true));
    assert_eq!(
        cancelkit::checkpoint(),
        Ok(()),
        "nothing left behind on this thread"
    );
}

#[test]
fn s4_checkpoint_reports_the_reason() {
    let token = CancelToken::new();
    let child = token.child();
    token.cancel();
    let err = block_on(child.run(async { cancelkit::checkpoint() })).unwrap_err();
    assert_eq!(err.reason(), CancelReason::Parent);
    assert_eq!(err.origin(), CancelReason::Explicit);
}

#[test]
fn s5_error_converts_into_io_and_boxed_errors() {
    fn io() -> std::io::Result<()> {
        Err(CancellationError::default())?
    }
    fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(CancellationError::default())?
    }
    assert!(
        io().unwrap_err()
            .get_ref()
            .unwrap()
            .is::<CancellationError>()
    );
    assert!(boxed().unwrap_err().is::<CancellationError>());
}

#[test]
fn s5_the_cancellation_is_found_however_it_was_wrapped() {
    /// An application error whose cause is an I/O error.
    #[derive(Debug)]
    struct Request(std::io::Error);
    impl std::fmt::Display for Request {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request failed")
        }
    }
    impl std::error::Error for Request {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let cancelled = CancellationError::new(CancelReason::Deadline);
    let io: std::io::Error = cancelled.into();
    // `source()` does not show an io::Error's payload, so a plain chain walk misses it.
    assert!(std::error::Error::source(&io).is_none());
    assert_eq!(CancellationError::find(&io), Some(cancelled));
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Request(io));
    assert_eq!(CancellationError::find(boxed.as_ref()), Some(cancelled));
    let other = std::io::Error::other("disk full");
    assert_eq!(CancellationError::find(&other), None);
}

#[test]
fn s6_cancelled_future_is_woken_by_cancel_from_another_thread() {
    let token = CancelToken::new();
    let flag = Arc::new(Flag::default());
    let mut fut = Box::pin(token.run(cancelkit::cancelled()));
    assert!(poll_once(&mut fut, &flag).is_pending());
    let remote = token.clone();
    std::thread::spawn(move || remote.cancel()).join().unwrap();
    assert!(
        flag.0.load(Ordering::SeqCst),
        "cancel must wake the parked future"
    );
    match poll_once(&mut fut, &flag) {
        Poll::Ready(err) => assert_eq!(err.reason(), CancelReason::Explicit),
        Poll::Pending => panic!("woken but not ready"),
    }
}

#[test]
fn s6_cancelled_follows_the_task_that_polls_it_and_never_completes_outside_one() {
    let flag = Arc::new(Flag::default());
    let mut outside = Box::pin(cancelkit::cancelled());
    assert!(poll_once(&mut outside, &flag).is_pending());
    let token = CancelToken::new();
    token.cancel();
    // Created outside any task, first polled inside one: it belongs to that task.
    let made_outside = cancelkit::cancelled();
    let err = block_on(token.run(made_outside));
    assert_eq!(err.reason(), CancelReason::Explicit);
}

/// A future that cancels the task polling it and is ready in that same poll.
struct CancelWhilePolled(u32);

impl Future for CancelWhilePolled {
    type Output = u32;
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        cancelkit::current_token().unwrap().cancel();
        Poll::Ready(self.0)
    }
}

#[test]
fn s6b_a_ready_value_wins_over_a_cancel_seen_in_the_same_poll() {
    let token = CancelToken::new();
    let out = block_on(token.run(cancelkit::until_cancelled(CancelWhilePolled(7))));
    assert_eq!(out, Ok(7));
    assert!(token.is_cancelled());
    let other = CancelToken::new();
    let inner = CancelToken::new();
    let out = block_on(other.run(inner.run_until_cancelled(async {
        inner.cancel();
        8
    })));
    assert_eq!(out, Some(8));
}

#[test]
fn s6b_already_cancelled_fails_before_polling_like_tokio_util() {
    let token = CancelToken::new();
    token.cancel();
    let polled = AtomicBool::new(false);
    let probe = async { polled.store(true, Ordering::SeqCst) };
    let out = block_on(token.run(cancelkit::until_cancelled(probe)));
    assert!(out.is_err());
    assert!(!polled.load(Ordering::SeqCst));

    let tokio_token = tokio_util::sync::CancellationToken::new();
    tokio_token.cancel();
    let ours = block_on(token.run_until_cancelled(async { 1 }));
    let theirs = block_on(tokio_token.run_until_cancelled(async { 1 }));
    assert_eq!(ours, theirs);
    assert_eq!(ours, None);
}

#[test]
fn s6b_outside_any_task_until_cancelled_is_the_future() {
    assert_eq!(block_on(cancelkit::until_cancelled(async { 3 })), Ok(3));
}

#[test]
fn s7_handler_runs_once_on_the_cancelling_thread_while_the_operation_runs() {
    let token = CancelToken::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let op_token = token.clone();
    let op_calls = Arc::clone(&calls);
    let worker = std::thread::spawn(move || {
        block_on(op_token.run(cancelkit::with_cancellation_handler(
            async move {
                started_tx.send(()).unwrap();
                // Blocks without checking: the handler must still run, concurrently.
                release_rx.recv().unwrap();
            },
            move || {
                op_calls.fetch_add(1, Ordering::SeqCst);
            },
        )));
    });
    started_rx.recv().unwrap();
    let canceller = std::thread::current().id();
    let ran_on = Arc::new(Mutex::new(None));
    let _probe = token.on_cancel({
        let ran_on = Arc::clone(&ran_on);
        move || *ran_on.lock().unwrap() = Some(std::thread::current().id())
    });
    token.cancel();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "ran before cancel() returned"
    );
    assert_eq!(*ran_on.lock().unwrap(), Some(canceller));
    token.cancel();
    release_tx.send(()).unwrap();
    worker.join().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "at most once");
}

#[test]
fn s8_already_cancelled_runs_handler_first_then_the_operation() {
    let token = CancelToken::new();
    token.cancel();
    let events = Arc::new(Mutex::new(Vec::new()));
    let out = block_on(token.run(cancelkit::with_cancellation_handler(
        {
            let events = Arc::clone(&events);
            async move {
                events.lock().unwrap().push("operation");
                42
            }
        },
        {
            let events = Arc::clone(&events);
            move || events.lock().unwrap().push("handler")
        },
    )));
    assert_eq!(out, 42);
    assert_eq!(*events.lock().unwrap(), ["handler", "operation"]);
}

#[test]
fn s9_removal_waits_for_a_running_handler() {
    let token = CancelToken::new();
    let (in_handler_tx, in_handler_rx) = mpsc::channel();
    let (finish_tx, finish_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let guard = token.on_cancel({
        let finished = Arc::clone(&finished);
        move || {
            in_handler_tx.send(()).unwrap();
            finish_rx.recv().unwrap();
            finished.store(true, Ordering::SeqCst);
        }
    });
    let canceller = std::thread::spawn({
        let token = token.clone();
        move || token.cancel()
    });
    in_handler_rx.recv().unwrap();
    let releaser = std::thread::spawn(move || {
        // Give the drop below time to start waiting. The assertion does not depend on this
        // delay: a correct drop always waits; a broken one is caught unless it is slower.
        std::thread::sleep(Duration::from_millis(50));
        finish_tx.send(()).unwrap();
    });
    drop(guard);
    assert!(
        finished.load(Ordering::SeqCst),
        "the guard's drop returned while the handler was still running"
    );
    canceller.join().unwrap();
    releaser.join().unwrap();
}

#[test]
fn s10_handler_may_cancel_other_tokens_and_register_handlers() {
    let a = CancelToken::new();
    let b = CancelToken::new();
    let registered_inside = Arc::new(Mutex::new(None));
    let _ga = a.on_cancel({
        let b = b.clone();
        let a2 = a.clone();
        let registered_inside = Arc::clone(&registered_inside);
        move || {
            b.cancel();
            // Registering on the token being cancelled runs at once (it is cancelled).
            let ran = Arc::new(AtomicBool::new(false));
            let guard = a2.on_cancel({
                let ran = Arc::clone(&ran);
                move || ran.store(true, Ordering::SeqCst)
            });
            drop(guard);
            *registered_inside.lock().unwrap() = Some(ran.load(Ordering::SeqCst));
        }
    });
    a.cancel();
    assert!(b.is_cancelled());
    assert_eq!(*registered_inside.lock().unwrap(), Some(true));
}

#[test]
fn s10_handler_may_take_a_lock_the_cancelling_code_does_not_hold() {
    let shared = Arc::new(Mutex::new(0));
    let token = CancelToken::new();
    let child = token.child();
    let _g = child.on_cancel({
        let shared = Arc::clone(&shared);
        move || *shared.lock().unwrap() += 1
    });
    // Two threads cancel the parent and the child at once; no internal lock is held while
    // the handler runs, so neither can deadlock, and the handler runs once.
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = [token.clone(), child.clone()]
        .into_iter()
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                t.cancel();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*shared.lock().unwrap(), 1);
}

/// Runs `scenario` on a thread and fails the test if it does not finish: a deadlock hangs
/// instead of failing.
fn finishes(scenario: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        scenario();
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("cancel() deadlocked");
}

#[test]
fn s10_a_handler_may_drop_a_guard_the_same_cancel_has_not_run_yet() {
    finishes(|| {
        // On a descendant: taken by the same cancel, run after this one.
        let token = CancelToken::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let inner = token.child().on_cancel({
            let ran = Arc::clone(&ran);
            move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }
        });
        let _outer = token.on_cancel(move || drop(inner));
        token.cancel();
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "a revoked handler does not run (S9)"
        );

        // A later guard on the same token.
        let token = CancelToken::new();
        let later = Arc::new(Mutex::new(None::<cancelkit::OnCancel>));
        let _first = token.on_cancel({
            let later = Arc::clone(&later);
            move || drop(later.lock().unwrap().take())
        });
        *later.lock().unwrap() = Some(token.on_cancel(|| panic!("revoked: must not run")));
        token.cancel();
    });
}

#[test]
fn s10_a_handler_may_drop_its_own_guard() {
    finishes(|| {
        let token = CancelToken::new();
        let own = Arc::new(Mutex::new(None::<cancelkit::OnCancel>));
        let guard = token.on_cancel({
            let own = Arc::clone(&own);
            move || drop(own.lock().unwrap().take())
        });
        *own.lock().unwrap() = Some(guard);
        token.cancel();
        assert!(own.lock().unwrap().is_none());
    });
}

#[test]
fn panicking_handler_does_not_stop_the_others_or_poison_the_tree() {
    let token = CancelToken::new();
    let child = token.child();
    let other_ran = Arc::new(AtomicBool::new(false));
    let _bad = token.on_cancel(|| panic!("handler bug"));
    let _good = token.on_cancel({
        let other_ran = Arc::clone(&other_ran);
        move || other_ran.store(true, Ordering::SeqCst)
    });
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| token.cancel()));
    let payload = result.expect_err("the handler's panic is resumed in cancel()");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"handler bug"));
    assert!(other_ran.load(Ordering::SeqCst));
    assert!(child.is_cancelled(), "propagation continued past the panic");
    // The tree still works.
    let grandchild = child.child();
    assert!(grandchild.is_cancelled());
    let fresh = CancelToken::new();
    let _g = fresh.on_cancel(|| {});
    fresh.cancel();
}

#[test]
fn s19_cancellation_propagates_down_and_never_up() {
    let root = CancelToken::new();
    let child = root.child();
    let grandchild = child.child();
    let sibling = root.child();
    child.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(!root.is_cancelled() && !sibling.is_cancelled());
    root.cancel();
    assert!(sibling.is_cancelled());
    assert_eq!(
        grandchild.cancellation().unwrap().reason(),
        CancelReason::Parent
    );
    assert_eq!(
        child.cancellation().unwrap().reason(),
        CancelReason::Explicit
    );
}

#[test]
fn s19_the_whole_subtree_reads_cancelled_before_any_handler_runs() {
    let root = CancelToken::new();
    let grandchild = root.child().child();
    let seen = Arc::new(Mutex::new(None));
    let _g = root.on_cancel({
        let grandchild = grandchild.clone();
        let seen = Arc::clone(&seen);
        move || *seen.lock().unwrap() = Some(grandchild.is_cancelled())
    });
    root.cancel();
    assert_eq!(*seen.lock().unwrap(), Some(true));
}

#[test]
fn s19_a_child_stays_reachable_after_its_parents_tokens_are_dropped() {
    let root = CancelToken::new();
    let grandchild = root.child().child(); // the middle token is dropped at once
    root.cancel();
    assert!(grandchild.is_cancelled());
}

#[test]
fn s19_deep_trees_do_not_overflow_the_stack() {
    let root = CancelToken::new();
    let mut chain = vec![root.child()];
    for _ in 0..100_000 {
        let next = chain.last().unwrap().child();
        chain.push(next);
    }
    root.cancel();
    assert!(chain.last().unwrap().is_cancelled());
}

/// An expired deadline is visible at the body's first check on every runtime flavour.
fn expired_deadline_is_seen_at_once(runtime: &tokio::runtime::Runtime) {
    for _ in 0..50 {
        let first = runtime.block_on(cancelkit::with_timeout(Duration::ZERO, async {
            cancelkit::checkpoint()
        }));
        assert_eq!(first.unwrap_err().reason(), CancelReason::Deadline);
        let past = tokio::time::Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap();
        let first = runtime.block_on(cancelkit::with_deadline(past, async {
            cancelkit::is_cancelled()
        }));
        assert!(first);
    }
}

#[test]
fn s23_an_expired_deadline_is_visible_at_the_first_check_current_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    expired_deadline_is_seen_at_once(&runtime);
}

#[test]
fn s23_an_expired_deadline_is_visible_at_the_first_check_multi_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    expired_deadline_is_seen_at_once(&runtime);
}

#[test]
fn s23_a_deadline_without_any_runtime_does_not_panic_and_is_seen_when_polled() {
    let out = block_on(cancelkit::with_timeout(Duration::ZERO, async {
        cancelkit::checkpoint()
    }));
    assert!(out.is_err());
    let out = block_on(cancelkit::with_timeout(Duration::from_secs(3600), async {
        cancelkit::checkpoint()
    }));
    assert!(out.is_ok());
}

#[test]
fn run_works_on_the_futures_executor() {
    // No tokio here: the context is carried by the wrapper, not the executor.
    let token = CancelToken::new();
    let fut = token.run(async { cancelkit::cancelled().await });
    let remote = token.clone();
    let t = std::thread::spawn(move || remote.cancel());
    assert_eq!(block_on(fut).reason(), CancelReason::Explicit);
    t.join().unwrap();
}

/// Without any runtime (no tokio, no `smol` feature), what needs one says so by name (issue
/// 14), instead of tokio's "there is no reactor running"; what needs none keeps working.
/// CI runs this file once more without features for it.
#[cfg(not(feature = "smol"))]
#[test]
fn without_any_runtime_the_panic_names_the_api() {
    fn message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(f).expect_err("needs a runtime");
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }
    let sleep = message(|| {
        let task = cancelkit::CancelToken::new();
        let _ = block_on(task.run(cancelkit::sleep(Duration::from_millis(1))));
    });
    assert!(
        sleep.contains("`cancelkit::sleep` needs a runtime"),
        "{sleep}"
    );
    let spawn = message(|| drop(cancelkit::Task::spawn(async {})));
    assert!(
        spawn.contains("`cancelkit::Task::spawn` needs a runtime"),
        "{spawn}"
    );
    // No runtime needed: checks, handlers, shields and deadlines seen when polled.
    let token = cancelkit::CancelToken::new();
    token.cancel();
    assert!(block_on(token.run(async { cancelkit::checkpoint() })).is_err());
    let late = block_on(cancelkit::with_timeout(Duration::ZERO, async {
        cancelkit::checkpoint()
    }));
    assert!(late.is_err());
}

/// With the `smol` feature and no tokio runtime, a plain executor gets smol's timers and
/// tasks: what used to panic with tokio's "no reactor running" works (issue 14).
#[cfg(feature = "smol")]
#[test]
fn with_the_smol_feature_a_plain_executor_gets_timers_and_tasks() {
    let token = CancelToken::new();
    assert_eq!(
        block_on(token.run(cancelkit::sleep(Duration::from_millis(1)))),
        Ok(())
    );
    assert_eq!(block_on(Task::spawn(async { 7 })), 7);
    let err = block_on(cancelkit::with_timeout(Duration::from_millis(20), async {
        cancelkit::cancelled().await
    }));
    assert_eq!(err.reason(), CancelReason::Deadline);
}

on_every_runtime!(
    s6_sleep_wakes_promptly_on_cancel,
    s6_sleep_completes_when_not_cancelled_and_fails_fast_when_already,
    s6_yield_now_checks_before_and_after,
    s6b_until_cancelled_interrupts_a_pending_foreign_future,
    s6b_run_until_cancelled_wakes_on_cancel_from_another_task,
    s11_task_does_not_inherit_the_spawners_cancellation,
    s11_task_is_cancelled_through_a_handle_sent_to_another_thread,
    s12_awaiting_a_task_gives_its_output_and_propagates_its_panic,
    s13_worker_thread_observes_the_tasks_cancellation,
    s23_timeout_cancels_the_subtree_with_cause_deadline,
    s23_timeout_is_cooperative_and_does_not_touch_the_outer_task,
    s23_deadline_fires_while_the_future_spins_in_one_poll,
    s23_a_deadline_interrupts_a_pending_until_cancelled,
    s23_timeout_inherits_the_outer_cancellation,
    s24_shield_hides_cancellation_inside_and_restores_it_after,
);

async fn s6_sleep_wakes_promptly_on_cancel(rt: Rt) {
    let (parked_tx, parked_rx) = oneshot::channel();
    let task = Task::spawn(async move {
        parked_tx.send(()).unwrap();
        let started = std::time::Instant::now();
        let result = cancelkit::sleep(Duration::from_secs(3600)).await;
        (result, started.elapsed())
    });
    parked_rx.await.unwrap();
    task.cancel();
    let (result, elapsed) = rt.within("a cancelled sleep", task).await;
    assert_eq!(result.unwrap_err().reason(), CancelReason::Explicit);
    assert!(elapsed < HANG, "slept {elapsed:?}");
}

async fn s6_sleep_completes_when_not_cancelled_and_fails_fast_when_already(rt: Rt) {
    let token = CancelToken::new();
    assert_eq!(
        token.run(cancelkit::sleep(Duration::from_millis(5))).await,
        Ok(())
    );
    token.cancel();
    let slept = rt
        .within(
            "an already-cancelled sleep",
            token.run(cancelkit::sleep(Duration::from_secs(3600))),
        )
        .await;
    assert!(slept.is_err());
}

async fn s6_yield_now_checks_before_and_after(_rt: Rt) {
    let token = CancelToken::new();
    assert_eq!(token.run(cancelkit::yield_now()).await, Ok(()));
    token.cancel();
    assert!(token.run(cancelkit::yield_now()).await.is_err());
}

async fn s6b_until_cancelled_interrupts_a_pending_foreign_future(rt: Rt) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
    let (parked_tx, parked_rx) = oneshot::channel();
    let task = Task::spawn(async move {
        let recv = cancelkit::until_cancelled(async {
            parked_tx.send(()).unwrap();
            rx.recv().await
        });
        (recv.await, rx)
    });
    parked_rx.await.unwrap();
    task.cancel();
    let (result, mut rx) = rt.within("an interrupted recv", task).await;
    assert_eq!(result.unwrap_err().reason(), CancelReason::Explicit);
    tx.send(1).await.unwrap();
    assert_eq!(
        rx.recv().await,
        Some(1),
        "recv was dropped before taking anything"
    );
}

async fn s6b_run_until_cancelled_wakes_on_cancel_from_another_task(rt: Rt) {
    use cancelkit::FutureExt as _;
    let token = CancelToken::new();
    let waiter = Task::spawn({
        let token = token.clone();
        async move {
            std::future::pending::<()>()
                .until_token_cancelled(&token)
                .await
        }
    });
    token.cancel();
    assert_eq!(rt.within("a waiter on another token", waiter).await, None);
    let task = Task::spawn(std::future::pending::<()>().until_cancelled());
    task.cancel();
    assert!(rt.within("a waiter on its own task", task).await.is_err());
}

async fn s11_task_does_not_inherit_the_spawners_cancellation(_rt: Rt) {
    let outer = CancelToken::new();
    outer.cancel();
    let inner_saw_cancel = outer
        .run(async { Task::spawn(async { cancelkit::is_cancelled() }).await })
        .await;
    assert!(!inner_saw_cancel);
}

async fn s11_task_is_cancelled_through_a_handle_sent_to_another_thread(rt: Rt) {
    let (parked_tx, parked_rx) = oneshot::channel();
    let task = Task::spawn(async move {
        parked_tx.send(()).unwrap();
        cancelkit::cancelled().await
    });
    parked_rx.await.unwrap();
    let handle = task.token();
    std::thread::spawn(move || handle.cancel()).join().unwrap();
    assert_eq!(
        rt.within("the cancelled task", task).await.reason(),
        CancelReason::Explicit
    );
}

async fn s12_awaiting_a_task_gives_its_output_and_propagates_its_panic(_rt: Rt) {
    assert_eq!(Task::spawn(async { 7 }).await, 7);
    let task = Task::spawn(async { panic!("inside the task") });
    let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"inside the task"));
}

async fn s13_worker_thread_observes_the_tasks_cancellation(rt: Rt) {
    let (ready_tx, ready_rx) = oneshot::channel();
    let task = Task::spawn(async move {
        let token = cancelkit::current_token().expect("inside a task");
        let (done_tx, done_rx) = oneshot::channel();
        std::thread::spawn(move || {
            ready_tx.send(()).unwrap();
            let mut rounds = 0u64;
            while token.check().is_ok() {
                rounds += 1;
                std::thread::yield_now();
            }
            done_tx.send(rounds).unwrap();
        });
        done_rx.await.unwrap()
    });
    ready_rx.await.unwrap();
    task.cancel();
    // Returns only because the worker saw the cancel.
    rt.within("the worker thread", task).await;
}

async fn s23_timeout_cancels_the_subtree_with_cause_deadline(rt: Rt) {
    let result = rt
        .within(
            "a timed-out sleep",
            cancelkit::with_timeout(Duration::from_millis(50), async {
                let inner = cancelkit::current_token().unwrap().child();
                let res = cancelkit::sleep(Duration::from_secs(3600)).await;
                (res, inner.cancellation())
            }),
        )
        .await;
    assert_eq!(result.0.unwrap_err().reason(), CancelReason::Deadline);
    let inner = result.1.unwrap();
    assert_eq!(
        (inner.reason(), inner.origin()),
        (CancelReason::Parent, CancelReason::Deadline)
    );
}

async fn s23_timeout_is_cooperative_and_does_not_touch_the_outer_task(rt: Rt) {
    let outer = CancelToken::new();
    let out = outer
        .run(cancelkit::with_deadline(
            tokio::time::Instant::now() + Duration::from_millis(10),
            async {
                // Never checks: runs to completion past the deadline (S1).
                rt.plain_sleep(Duration::from_millis(100)).await;
                (cancelkit::is_cancelled(), "done")
            },
        ))
        .await;
    assert_eq!(out, (true, "done"));
    assert!(!outer.is_cancelled());
}

async fn s23_deadline_fires_while_the_future_spins_in_one_poll(rt: Rt) {
    // A loop that checks but never awaits: only a deadline running beside it can fire.
    let result = rt
        .within(
            "a spinning loop under a deadline",
            cancelkit::with_timeout(Duration::from_millis(20), async {
                let mut spins = 0u64;
                loop {
                    cancelkit::checkpoint()?;
                    spins += 1;
                    std::hint::spin_loop();
                    if spins == u64::MAX {
                        return Ok::<u64, CancellationError>(spins);
                    }
                }
            }),
        )
        .await;
    assert_eq!(result.unwrap_err().reason(), CancelReason::Deadline);
}

async fn s23_a_deadline_interrupts_a_pending_until_cancelled(rt: Rt) {
    let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
    let start = std::time::Instant::now();
    let result = rt
        .within(
            "a recv under a deadline",
            cancelkit::with_timeout(Duration::from_millis(50), async {
                cancelkit::until_cancelled(rx.recv()).await
            }),
        )
        .await;
    assert_eq!(result.unwrap_err().reason(), CancelReason::Deadline);
    assert!(start.elapsed() >= Duration::from_millis(50));
}

async fn s23_timeout_inherits_the_outer_cancellation(_rt: Rt) {
    let outer = CancelToken::new();
    outer.cancel();
    let err = outer
        .run(cancelkit::with_timeout(Duration::from_secs(60), async {
            cancelkit::checkpoint()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), CancelReason::Parent);
}

async fn s24_shield_hides_cancellation_inside_and_restores_it_after(_rt: Rt) {
    let token = CancelToken::new();
    token.cancel();
    let handler_ran = Arc::new(AtomicBool::new(false));
    let (inside, child_cancelled, after) = token
        .run(async {
            let inside = cancelkit::shield(async {
                let child = cancelkit::current_token().unwrap().child();
                cancelkit::with_cancellation_handler(async {}, {
                    let handler_ran = Arc::clone(&handler_ran);
                    move || handler_ran.store(true, Ordering::SeqCst)
                })
                .await;
                (cancelkit::checkpoint(), child.is_cancelled())
            })
            .await;
            (inside.0, inside.1, cancelkit::checkpoint())
        })
        .await;
    assert_eq!(inside, Ok(()));
    assert!(!child_cancelled);
    assert!(!handler_ran.load(Ordering::SeqCst));
    assert!(after.is_err());
}

/// Mixing runtimes is defined (issue 14): a spawn goes to tokio when a tokio runtime's
/// context is current, to smol otherwise, whoever polls; join handles work across.
#[cfg(feature = "smol")]
#[test]
fn mixing_runtimes_spawns_where_the_context_says_and_works_across() {
    /// Where a group's two children ran: `true` if in a tokio runtime's context.
    async fn children_on_tokio() -> Vec<bool> {
        cancelkit::with_task_group(async |group| {
            for _ in 0..2 {
                group.spawn(async { tokio::runtime::Handle::try_current().is_ok() });
            }
            group.collect::<Vec<bool>>().await
        })
        .await
    }
    use futures::StreamExt as _;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // A group spawned on smol from inside a tokio task (on a thread of its own, which has no
    // tokio context), and one spawned from the tokio task itself.
    let (from_smol, from_tokio) = tokio.block_on(async {
        let (tx, rx) = oneshot::channel();
        std::thread::spawn(move || tx.send(smol::block_on(children_on_tokio())).unwrap());
        (rx.await.unwrap(), children_on_tokio().await)
    });
    assert_eq!((from_smol, from_tokio), (vec![false; 2], vec![true; 2]));
    // The reverse: under smol, a group inside a tokio `block_on` goes to tokio, and a task
    // spawned on tokio (its context entered) joins under smol.
    smol::block_on(async {
        assert_eq!(children_on_tokio().await, [false; 2]);
        assert_eq!(tokio.block_on(children_on_tokio()), [true; 2]);
        let task = {
            let _context = tokio.enter();
            Task::spawn(async { tokio::runtime::Handle::try_current().is_ok() })
        };
        assert!(task.await);
    });
}
