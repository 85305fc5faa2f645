//! Model checks of the cancellation tree and handler registration with loom: every
//! interleaving of a cancel with a concurrent registration, removal or drop. (The group's
//! protocol has its own models in `group::loom_tests`.) They live inside the crate so that
//! they can read what a node holds without a public test hook.
//!
//! ```text
//! RUSTFLAGS="--cfg cancelkit_loom" cargo test -p cancelkit --release --lib loom --target-dir target/loom
//! ```
//!
//! The preemption bound defaults to 3 (each model finishes in well under a second) and can be
//! raised with `LOOM_MAX_PREEMPTIONS`.

use crate::{CancelReason, CancelToken};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// `loom::model` with a preemption bound of `bound` unless `LOOM_MAX_PREEMPTIONS` says
/// otherwise.
pub(crate) fn model_with_bound(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(bound);
    builder.check(f);
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_with_bound(3, f);
}

/// (linked children, listeners) held by a token's node.
pub(crate) fn entries(token: &CancelToken) -> (usize, usize) {
    token.node().live_entries()
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[test]
fn cancel_racing_child_registration_never_loses_the_child() {
    model(|| {
        let parent = CancelToken::new();
        let canceller = thread::spawn({
            let parent = parent.clone();
            move || parent.cancel()
        });
        let child = parent.child();
        let grandchild = child.child();
        canceller.join().unwrap();
        assert!(child.is_cancelled());
        assert!(grandchild.is_cancelled());
        assert_eq!(
            grandchild.cancellation().unwrap().origin(),
            CancelReason::Explicit
        );
        // Whether marked by the cancel or born under a cancelled parent, every node knows
        // who cancelled it once the cancel has returned.
        let tree = parent.tree();
        assert_eq!(tree.nodes.len(), 3);
        assert!(
            tree.nodes
                .iter()
                .all(|node| node.cancelled.is_some_and(|c| c.by.is_some()))
        );
    });
}

#[test]
fn cancel_racing_handler_registration_runs_it_exactly_once() {
    model(|| {
        let token = CancelToken::new();
        let calls = counter();
        let canceller = thread::spawn({
            let token = token.clone();
            move || token.cancel()
        });
        let guard = token.on_cancel({
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
            }
        });
        canceller.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(guard);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn cancel_racing_handler_removal_runs_it_once_or_never_and_never_after_removal() {
    model(|| {
        let token = CancelToken::new();
        let started = counter();
        let finished = counter();
        let guard = token.on_cancel({
            let started = started.clone();
            let finished = finished.clone();
            move || {
                started.fetch_add(1, Ordering::SeqCst);
                finished.fetch_add(1, Ordering::SeqCst);
            }
        });
        let canceller = thread::spawn({
            let token = token.clone();
            move || token.cancel()
        });
        drop(guard);
        // S9: once removal returns, the handler either never ran or has finished.
        let seen_started = started.load(Ordering::SeqCst);
        assert_eq!(seen_started, finished.load(Ordering::SeqCst));
        canceller.join().unwrap();
        // Nothing runs it after removal.
        assert_eq!(started.load(Ordering::SeqCst), seen_started);
        assert!(seen_started <= 1);
    });
}

#[test]
fn concurrent_cancels_run_each_handler_once() {
    model(|| {
        let parent = CancelToken::new();
        let child = parent.child();
        let calls = counter();
        let _guard = child.on_cancel({
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
            }
        });
        let a = thread::spawn({
            let parent = parent.clone();
            move || parent.cancel()
        });
        child.cancel();
        a.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(child.is_cancelled());
    });
}

#[test]
fn child_dropped_while_parent_cancels_leaves_nothing_behind() {
    model(|| {
        let parent = CancelToken::new();
        let child = parent.child();
        let canceller = thread::spawn({
            let parent = parent.clone();
            move || parent.cancel()
        });
        drop(child);
        canceller.join().unwrap();
        assert_eq!(entries(&parent), (0, 0));
    });
}

#[test]
fn parked_waiter_is_always_woken() {
    model(|| {
        let token = CancelToken::new();
        let canceller = thread::spawn({
            let token = token.clone();
            move || token.cancel()
        });
        let err = loom::future::block_on(token.cancelled());
        assert_eq!(err.reason(), CancelReason::Explicit);
        canceller.join().unwrap();
    });
}

#[test]
fn dropping_a_middle_token_while_cancelling_still_reaches_the_grandchild() {
    model(|| {
        let root = CancelToken::new();
        let middle = root.child();
        let grandchild = middle.child();
        let dropper = thread::spawn(move || drop(middle));
        root.cancel();
        dropper.join().unwrap();
        assert!(grandchild.is_cancelled());
        drop(grandchild);
        assert_eq!(entries(&root), (0, 0));
    });
}

/// An await interrupted by a cancel from another thread (`until_cancelled`, what every await
/// of a `#[cancellable]` fn is): a pending future either completes or is dropped with the
/// cancellation; it is never left parked, and the waiter entry is gone afterwards.
#[test]
fn a_parked_until_cancelled_is_interrupted_and_leaves_nothing_behind() {
    model(|| {
        let token = CancelToken::new();
        let canceller = thread::spawn({
            let token = token.clone();
            move || token.cancel()
        });
        let out =
            loom::future::block_on(token.run(crate::until_cancelled(std::future::pending::<()>())));
        assert_eq!(out.unwrap_err().reason(), CancelReason::Explicit);
        canceller.join().unwrap();
        assert_eq!(entries(&token), (0, 0));
    });
}

/// A handler that drops the guard of another handler of the same cancel, while a second
/// thread drops that guard too: the other handler runs at most once, never after its guard is
/// gone, and nobody deadlocks.
#[test]
fn a_handler_dropping_a_guard_of_the_same_cancel_never_deadlocks() {
    model(|| {
        let token = CancelToken::new();
        let calls = counter();
        let inner = token.child().on_cancel({
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
            }
        });
        let slot = Arc::new(loom::sync::Mutex::new(Some(inner)));
        let _outer = token.on_cancel({
            let slot = slot.clone();
            move || drop(slot.lock().unwrap().take())
        });
        let dropper = thread::spawn({
            let slot = slot.clone();
            move || drop(slot.lock().unwrap().take())
        });
        token.cancel();
        dropper.join().unwrap();
        assert!(calls.load(Ordering::SeqCst) <= 1);
    });
}

/// Links outlive a cancel (so a dump still sees a cancelled subtree that runs) and go when
/// their child's last handle does, whichever happens first; a shield linked under a node
/// being cancelled is listed but never cancelled.
#[test]
fn cancel_racing_a_childs_drop_and_a_shields_link_leaves_no_stale_link() {
    model(|| {
        let parent = CancelToken::new();
        let child = parent.child();
        let canceller = thread::spawn({
            let parent = parent.clone();
            move || parent.cancel()
        });
        let dropper = thread::spawn(move || drop(child));
        let shield = CancelToken::shield_under(&parent);
        canceller.join().unwrap();
        dropper.join().unwrap();
        assert!(!shield.is_cancelled());
        // The dropped child is gone; the shield is still listed.
        assert_eq!(entries(&parent), (1, 0));
        assert_eq!(parent.tree().nodes.len(), 2);
        drop(shield);
        assert_eq!(entries(&parent), (0, 0));
    });
}
