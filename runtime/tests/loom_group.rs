//! Model checks of a task group's own synchronisation with loom: the state a group shares
//! with its children (`group::shared`), raced against the group's cancel and drop. tokio
//! cannot run under loom, so the `JoinSet` around it is left out; what is checked is the
//! protocol every child and the group follow on the shared state and the cancellation tree.
//!
//! ```text
//! RUSTFLAGS="--cfg cancelkit_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p cancelkit --release --test loom_group --target-dir target/loom
//! ```
#![cfg(cancelkit_loom)]

use cancelkit::__loom_group::Shared;
use cancelkit::{CancelReason, CancelToken};
use loom::thread;

/// `loom::model` with a preemption bound of 2 unless `LOOM_MAX_PREEMPTIONS` says otherwise.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(2);
    builder.check(f);
}

#[test]
fn child_succeeding_while_cancel_all_runs() {
    // A child finishes (its guard and token are dropped) while the body calls cancel_all():
    // nothing is left registered on the group's node and the live count ends at zero.
    model(|| {
        let group = Shared::<&'static str>::new(CancelToken::new());
        let (token, guard) = Shared::child_started(&group, true);
        let child = thread::spawn(move || {
            assert!(
                !token.is_cancelled() || token.error().unwrap().origin() == CancelReason::Group
            );
            drop(token);
            drop(guard);
        });
        assert!(group.cancel_all());
        child.join().unwrap();
        assert_eq!(group.live(), 0);
        assert_eq!(group.token().__live_entries(), (0, 0));
        assert_eq!(group.take_error(), None);
    });
}

#[test]
fn child_failing_while_cancel_all_runs() {
    // A failing child in a throwing discarding group records its error and cancels the group
    // while the body cancels it too: whichever cancel wins gives the reason, the error is
    // never lost, and the child's token ends cancelled with the winner's origin.
    model(|| {
        let group = Shared::new(CancelToken::new());
        let (token, guard) = Shared::child_started(&group, true);
        let child = thread::spawn({
            let token = token.clone();
            move || {
                assert!(guard.shared().record_failure("child failed"));
                drop(guard);
                drop(token);
            }
        });
        let won = group.cancel_all();
        child.join().unwrap();
        let reason = group.token().error().unwrap().reason();
        if won {
            assert_eq!(reason, CancelReason::Group);
        } else {
            assert_eq!(reason, CancelReason::SiblingFailed);
        }
        assert_eq!(token.error().unwrap().origin(), reason);
        assert_eq!(group.take_error(), Some("child failed"));
        assert_eq!(group.live(), 0);
    });
}

#[test]
fn two_failing_children_keep_exactly_the_first_error() {
    model(|| {
        let group = Shared::new(CancelToken::new());
        let (_t1, first) = Shared::child_started(&group, true);
        let (_t2, second) = Shared::child_started(&group, true);
        let other = thread::spawn(move || second.shared().record_failure(2));
        let mine = first.shared().record_failure(1);
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one error is the first");
        let kept = group.take_error().unwrap();
        assert_eq!(kept, if mine { 1 } else { 2 });
        assert_eq!(
            group.token().error().unwrap().reason(),
            CancelReason::SiblingFailed
        );
    });
}

#[test]
fn group_dropped_while_a_child_registers() {
    // The group's future is dropped (cancel, then its state goes) while a child registers a
    // node below it — a nested group or a deadline starting in the child. The new node is
    // either drained by the cancel or created already cancelled: never left running
    // uncancelled under a dropped group.
    model(|| {
        let group = Shared::<()>::new(CancelToken::new());
        let (token, guard) = Shared::child_started(&group, true);
        let child = thread::spawn(move || {
            let grandchild = token.child();
            drop(guard);
            (token, grandchild)
        });
        // What dropping the group does: cancel every child, then release the state.
        group.cancel_all();
        drop(group);
        let (token, grandchild) = child.join().unwrap();
        assert!(token.is_cancelled());
        assert!(grandchild.is_cancelled());
        assert_eq!(grandchild.error().unwrap().origin(), CancelReason::Group);
    });
}

#[test]
fn spawn_racing_cancel_all_starts_cancelled_or_is_cancelled() {
    // S18 under a race: a child registered while another thread cancels the group is
    // cancelled either way.
    model(|| {
        let group = Shared::<()>::new(CancelToken::new());
        let canceller = thread::spawn({
            let group = group.clone();
            move || {
                group.cancel_all();
            }
        });
        let (token, guard) = Shared::child_started(&group, true);
        canceller.join().unwrap();
        assert!(token.is_cancelled());
        drop(guard);
        drop(token);
        assert_eq!(group.live(), 0);
        assert_eq!(group.token().__live_entries(), (0, 0));
    });
}
