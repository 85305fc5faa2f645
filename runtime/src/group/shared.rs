//! The state a group shares with its children, and the protocol they follow on it.
//!
//! This is the only synchronisation a group adds to its children's executor and the
//! cancellation tree, and it is what the loom models (`group::loom_tests`) check:
//!
//! - a child runs under the group's own token (children share their group's node: they are
//!   only ever cancelled together, so one node serves them all, and a cancel marks one node
//!   and wakes its waiters);
//! - a child reports exactly once, when it finishes, panics, or is dropped unfinished (aborted,
//!   or its runtime shut down): [`Shared::child_finished`] queues its [`Report`] and wakes the
//!   group. The outcome travels through this queue, not through tokio's `JoinHandle`, so the
//!   group learns *which* child finished without a per-child allocation;
//! - the group drains the queue ([`Shared::poll_finished`]), registering its waker under the
//!   same lock when the queue is empty, so a report is either drained or wakes the group;
//! - a child whose output is a failure, in a group that reacts to failures (fail-fast, or a
//!   throwing discarding group), calls [`Shared::child_failed`] *before* it reports: the first
//!   failure is kept when the group keeps one, and then the group's token is cancelled with
//!   [`CancelReason::SiblingFailed`], so whoever sees the group cancelled for that reason also
//!   finds the failure;
//! - a child that panics in a group that propagates panics (S21) cancels the group's token
//!   the same way before it reports;
//! - `cancel_all` and a dropped group cancel the token with [`CancelReason::Group`]. Whichever
//!   cancel wins the token's compare-and-swap gives the reason; the other is a no-op (S2).

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::task::{Context, Waker};

use crate::error::CancelReason;
use crate::sync::{Arc, Mutex, lock};
use crate::token::CancelToken;

/// How a child ended.
pub(crate) enum Outcome<T> {
    /// It returned this.
    Value(T),
    /// It returned a failure that the group kept as its error ([`Shared::take_failure`]).
    Kept,
    /// It panicked with this payload.
    Panicked(Box<dyn Any + Send>),
    /// It was dropped before finishing: aborted, or its runtime shut down.
    Gone,
}

/// A child's one report to its group.
pub(crate) struct Report<T> {
    /// The child's key in the group's table.
    pub(crate) key: usize,
    /// Tells a report for this key from a stale one for an earlier child under the same key.
    pub(crate) generation: u64,
    pub(crate) outcome: Outcome<T>,
}

/// How a group reacts to its children's outputs and panics; fixed when the group is created.
pub(crate) struct Reactions<T> {
    /// Which outputs are failures that cancel the siblings at once (fail-fast, S17; throwing
    /// discarding groups, S22). `None`: no output cancels anything by itself.
    pub(crate) fails: Option<fn(&T) -> bool>,
    /// Keep the first failure as the group's error (throwing discarding groups, S22).
    pub(crate) keep_first_failure: bool,
    /// A panic cancels the siblings (S21); otherwise it is isolated (S22b).
    pub(crate) panic_cancels: bool,
}

/// What a group shares with its children; `T` is the children's output.
pub(crate) struct Shared<T> {
    token: CancelToken,
    reactions: Reactions<T>,
    first_failure: Mutex<Option<T>>,
    finished: Mutex<Finished<T>>,
}

struct Finished<T> {
    reports: Vec<Report<T>>,
    waker: Option<Waker>,
}

impl<T> Shared<T> {
    /// State for a group whose token is `token`.
    pub(crate) fn new(token: CancelToken, reactions: Reactions<T>) -> Arc<Self> {
        Arc::new(Shared {
            token,
            reactions,
            first_failure: Mutex::new(None),
            finished: Mutex::new(Finished {
                reports: Vec::new(),
                waker: None,
            }),
        })
    }

    /// The group's token.
    pub(crate) fn token(&self) -> &CancelToken {
        &self.token
    }

    /// What a finished child reports: reacts to a failure first (see the module docs).
    pub(crate) fn outcome_of(&self, output: T) -> Outcome<T> {
        let Some(fails) = self.reactions.fails else {
            return Outcome::Value(output);
        };
        if !fails(&output) {
            return Outcome::Value(output);
        }
        let outcome = if self.reactions.keep_first_failure {
            let mut slot = lock(&self.first_failure);
            if slot.is_none() {
                *slot = Some(output);
                Outcome::Kept
            } else {
                Outcome::Value(output)
            }
        } else {
            Outcome::Value(output)
        };
        self.token.cancel_with(CancelReason::SiblingFailed);
        outcome
    }

    /// A child panicked: cancels the siblings if the group propagates panics (S21).
    pub(crate) fn child_panicked(&self) {
        if self.reactions.panic_cancels {
            self.token.cancel_with(CancelReason::SiblingFailed);
        }
    }

    /// A child's one report: queues it and wakes the group.
    pub(crate) fn child_finished(&self, report: Report<T>) {
        let waker = {
            let mut finished = lock(&self.finished);
            finished.reports.push(report);
            finished.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves every queued report into `into`; if there is none, registers `cx`'s waker to be
    /// woken by the next one. Returns whether anything was moved.
    pub(crate) fn poll_finished(
        &self,
        cx: &mut Context<'_>,
        into: &mut VecDeque<Report<T>>,
    ) -> bool {
        let mut finished = lock(&self.finished);
        if finished.reports.is_empty() {
            match &mut finished.waker {
                Some(waker) => waker.clone_from(cx.waker()),
                slot @ None => *slot = Some(cx.waker().clone()),
            }
            return false;
        }
        into.extend(finished.reports.drain(..));
        true
    }

    /// Moves every queued report into `into`, without waiting.
    pub(crate) fn take_finished(&self, into: &mut VecDeque<Report<T>>) {
        into.extend(lock(&self.finished).reports.drain(..));
    }

    /// Cancels the group's token with [`CancelReason::Group`]. `false` if it already was.
    #[track_caller]
    pub(crate) fn cancel_all(&self) -> bool {
        self.token.cancel_with(CancelReason::Group)
    }

    /// Takes the kept first failure.
    pub(crate) fn take_failure(&self) -> Option<T> {
        lock(&self.first_failure).take()
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}
