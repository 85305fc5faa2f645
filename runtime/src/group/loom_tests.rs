//! Model checks of a task group's own synchronisation with loom: the state a group shares
//! with its children (`shared`: the report queue and its waker, the kept first failure),
//! raced against the group's polling, `cancel_all` and drop. tokio cannot run under loom, so
//! the tasks around it are left out; what is checked is the protocol every child and the
//! group follow on the shared state and the cancellation tree.
//!
//! ```text
//! RUSTFLAGS="--cfg cancelkit_loom" cargo test -p cancelkit --release --lib loom --target-dir target/loom
//! ```

use std::collections::VecDeque;
use std::task::{Context, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::shared::{Outcome, Reactions, Report, Shared};
use crate::loom_tests::{entries, model_with_bound};
use crate::sync::Arc;
use crate::{CancelReason, CancelToken};

/// A preemption bound of 2 unless `LOOM_MAX_PREEMPTIONS` says otherwise.
fn model(f: impl Fn() + Sync + Send + 'static) {
    model_with_bound(2, f);
}

/// A group whose children's outputs never cancel anything.
fn plain<T>() -> Arc<Shared<T>> {
    Shared::new(
        CancelToken::new(),
        Reactions {
            fails: None,
            keep_first_failure: false,
            panic_cancels: true,
        },
    )
}

/// A throwing discarding group: `Err` outputs cancel the siblings and the first is kept.
fn keeping<E>() -> Arc<Shared<Result<(), E>>> {
    Shared::new(
        CancelToken::new(),
        Reactions {
            fails: Some(Result::is_err),
            keep_first_failure: true,
            panic_cancels: true,
        },
    )
}

fn report<T>(outcome: Outcome<T>) -> Report<T> {
    Report {
        key: 0,
        generation: 0,
        outcome,
    }
}

/// A waker that counts its wake-ups.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (std::sync::Arc<CountingWaker>, Waker) {
    let counter = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

fn values<T>(reports: VecDeque<Report<T>>) -> Vec<T> {
    reports
        .into_iter()
        .filter_map(|report| match report.outcome {
            Outcome::Value(value) => Some(value),
            _ => None,
        })
        .collect()
}

#[test]
fn a_report_racing_the_group_poll_is_never_lost() {
    // The group polls the queue (registering its waker when empty) while a child reports:
    // either the poll drains the report, or the report wakes the group. No lost wake-up.
    model(|| {
        let group = plain::<u32>();
        let token = group.token().clone();
        let child = thread::spawn({
            let group = group.clone();
            move || {
                drop(token);
                group.child_finished(report(Outcome::Value(7)));
            }
        });
        let (woken, waker) = counting_waker();
        let mut reports = VecDeque::new();
        let drained = group.poll_finished(&mut Context::from_waker(&waker), &mut reports);
        child.join().unwrap();
        if !drained {
            assert_eq!(
                woken.0.load(Ordering::SeqCst),
                1,
                "the report must wake the group"
            );
            group.take_finished(&mut reports);
        }
        assert_eq!(values(reports), [7]);
    });
}

#[test]
fn child_finishing_while_cancel_all_runs() {
    // A child finishes (its token is dropped, its report queued) while the body calls
    // cancel_all(): the report arrives, and nothing is left registered on the group's node.
    model(|| {
        let group = plain::<&'static str>();
        let token = group.token().clone();
        let child = thread::spawn({
            let group = group.clone();
            move || {
                if let Some(err) = token.cancellation() {
                    assert_eq!(err.origin(), CancelReason::Group);
                }
                drop(token);
                group.child_finished(report(Outcome::Value("done")));
            }
        });
        assert!(group.cancel_all());
        child.join().unwrap();
        assert_eq!(entries(group.token()), (0, 0));
        let mut reports = VecDeque::new();
        group.take_finished(&mut reports);
        assert_eq!(values(reports), ["done"]);
    });
}

#[test]
fn child_failing_while_cancel_all_runs() {
    // A failing child in a throwing discarding group records its error and cancels the group
    // while the body cancels it too: whichever cancel wins gives the reason, the error is
    // never lost, and the child's token ends cancelled with the winner's origin.
    model(|| {
        let group = keeping::<&'static str>();
        let token = group.token().clone();
        let child = thread::spawn({
            let group = group.clone();
            move || {
                let outcome = group.outcome_of(Err("child failed"));
                assert!(matches!(outcome, Outcome::Kept));
                group.child_finished(report(outcome));
            }
        });
        let won = group.cancel_all();
        child.join().unwrap();
        let reason = group.token().cancellation().unwrap().reason();
        if won {
            assert_eq!(reason, CancelReason::Group);
        } else {
            assert_eq!(reason, CancelReason::SiblingFailed);
        }
        assert_eq!(token.cancellation().unwrap().origin(), reason);
        assert_eq!(group.take_failure(), Some(Err("child failed")));
    });
}

#[test]
fn two_failing_children_keep_exactly_the_first_error() {
    model(|| {
        let group = keeping::<u32>();
        let _first = group.token().clone();
        let _second = group.token().clone();
        let other = thread::spawn({
            let group = group.clone();
            move || matches!(group.outcome_of(Err(2)), Outcome::Kept)
        });
        let mine = matches!(group.outcome_of(Err(1)), Outcome::Kept);
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one error is the first");
        assert_eq!(group.take_failure(), Some(Err(if mine { 1 } else { 2 })));
        assert_eq!(
            group.token().cancellation().unwrap().reason(),
            CancelReason::SiblingFailed
        );
    });
}

#[test]
fn group_dropped_while_a_child_registers() {
    // The group's future is dropped (cancel, then its state goes) while a child registers a
    // node below it — a nested group or a deadline starting in the child — and then reports
    // that it is gone. The new node is either drained by the cancel or created already
    // cancelled: never left running uncancelled under a dropped group.
    model(|| {
        let group = plain::<()>();
        let token = group.token().clone();
        let child = thread::spawn({
            let group = group.clone();
            move || {
                let grandchild = token.child();
                group.child_finished(report(Outcome::Gone));
                (token, grandchild)
            }
        });
        // What dropping the group does: cancel every child, then release the state.
        group.cancel_all();
        drop(group);
        let (token, grandchild) = child.join().unwrap();
        assert!(token.is_cancelled());
        assert!(grandchild.is_cancelled());
        assert_eq!(
            grandchild.cancellation().unwrap().origin(),
            CancelReason::Group
        );
    });
}

#[test]
fn spawn_racing_cancel_all_starts_cancelled_or_is_cancelled() {
    // S18 under a race: a child registered while another thread cancels the group is
    // cancelled either way.
    model(|| {
        let group = plain::<()>();
        let canceller = thread::spawn({
            let group = group.clone();
            move || {
                group.cancel_all();
            }
        });
        let token = group.token().clone();
        canceller.join().unwrap();
        assert!(token.is_cancelled());
        drop(token);
        group.child_finished(report(Outcome::Value(())));
        assert_eq!(entries(group.token()), (0, 0));
    });
}

#[test]
fn children_sharing_the_group_node_are_all_woken_by_cancel_all() {
    // Children run under the group's own token: two of them park on it (a `sleep`, an
    // interrupted await) while the body calls cancel_all(). Each is woken or sees the cancel
    // at registration, and nothing stays registered on the shared node.
    model(|| {
        let group = plain::<()>();
        let children: Vec<_> = (0..2)
            .map(|_| {
                let token = group.token().clone();
                thread::spawn(move || loom::future::block_on(token.cancelled()).origin())
            })
            .collect();
        assert!(group.cancel_all());
        for child in children {
            assert_eq!(child.join().unwrap(), CancelReason::Group);
        }
        assert_eq!(entries(group.token()), (0, 0));
    });
}
