#![cfg_attr(not(cancelkit_loom), allow(unreachable_pub))] // `pub` for the loom tests only
//! The state a group shares with its children, and the protocol they follow on it.
//!
//! This is the only synchronisation a group adds to tokio's tasks and the cancellation tree,
//! and it is what the loom tests model-check:
//!
//! - spawning a child takes a child of the group's token and (in a discarding group)
//!   increments `live` ([`Shared::child_started`]);
//! - a child reports exactly once, when it finishes, panics, or is dropped unfinished (aborted,
//!   or its runtime shut down): [`Shared::child_finished`] queues its [`Outcome`], decrements
//!   `live`, and wakes the group. The outcome travels through this queue, not through tokio's
//!   `JoinHandle`, so the group learns *which* child finished without a per-child allocation;
//! - the group drains the queue ([`Shared::poll_finished`]), registering its waker under the
//!   same lock when the queue is empty, so a report is either drained or wakes the group;
//! - a child that fails in a fail-fast or discarding-throwing group calls
//!   [`Shared::record_failure`]: the first error is kept, and the group's token is cancelled
//!   with [`CancelReason::SiblingFailed`] *after* the error is stored, so whoever sees the group
//!   cancelled for that reason also finds the error;
//! - `cancel_all` and a dropped group cancel the token with [`CancelReason::Group`]. Whichever
//!   cancel wins the token's compare-and-swap gives the reason; the other is a no-op (S2).

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::task::{Context, Waker};

use crate::error::CancelReason;
use crate::sync::{Arc, AtomicUsize, Mutex, Ordering, lock};
use crate::token::CancelToken;

/// How a child ended.
pub enum Outcome<T> {
    /// It returned this.
    Value(T),
    /// It panicked with this payload.
    Panicked(Box<dyn Any + Send>),
    /// It was dropped before finishing: aborted, or its runtime shut down.
    Gone,
}

/// A child's report: its key and generation in the group's table, and its outcome.
pub type Report<T> = (usize, u64, Outcome<T>);

/// What a group shares with its children: `T` is the children's output, `E` the error type a
/// throwing discarding group keeps (the other groups never store one).
pub struct Shared<T, E> {
    token: CancelToken,
    live: AtomicUsize,
    first_error: Mutex<Option<E>>,
    finished: Mutex<Finished<T>>,
}

struct Finished<T> {
    reports: Vec<Report<T>>,
    waker: Option<Waker>,
}

impl<T, E> Shared<T, E> {
    /// State for a group whose token is `token`.
    pub fn new(token: CancelToken) -> Arc<Self> {
        Arc::new(Shared {
            token,
            live: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            finished: Mutex::new(Finished {
                reports: Vec::new(),
                waker: None,
            }),
        })
    }

    /// The group's token.
    pub fn token(&self) -> &CancelToken {
        &self.token
    }

    /// Registers a new child and returns its token: a child of the group's, already cancelled
    /// if the group is. `counted` children are counted live until they report (only discarding
    /// groups need the count: two contended atomic operations per child).
    pub fn child_started(&self, counted: bool) -> CancelToken {
        if counted {
            self.live.fetch_add(1, Ordering::Relaxed);
        }
        self.token.child()
    }

    /// A child's one report: queues it and wakes the group.
    pub fn child_finished(&self, report: Report<T>, counted: bool) {
        let waker = {
            let mut finished = lock(&self.finished);
            finished.reports.push(report);
            finished.waker.take()
        };
        if counted {
            self.live.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Moves every queued report into `into`; if there is none, registers `cx`'s waker to be
    /// woken by the next one. Returns whether anything was moved.
    pub fn poll_finished(&self, cx: &mut Context<'_>, into: &mut VecDeque<Report<T>>) -> bool {
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
    pub fn take_finished(&self, into: &mut VecDeque<Report<T>>) {
        into.extend(lock(&self.finished).reports.drain(..));
    }

    /// Counted children started and not yet reported.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Keeps `err` if it is the first failure, then cancels the group with
    /// [`CancelReason::SiblingFailed`]. Returns whether `err` was the first.
    pub fn record_failure(&self, err: E) -> bool {
        let first = {
            let mut slot = lock(&self.first_error);
            if slot.is_none() {
                *slot = Some(err);
                true
            } else {
                false
            }
        };
        self.token.cancel_with(CancelReason::SiblingFailed);
        first
    }

    /// Cancels the group's token because a sibling failed (without an error to keep: a
    /// fail-fast child error that travels through `next()`, or a panic).
    pub fn sibling_failed(&self) {
        self.token.cancel_with(CancelReason::SiblingFailed);
    }

    /// Cancels the group's token with [`CancelReason::Group`]. `false` if it already was.
    pub fn cancel_all(&self) -> bool {
        self.token.cancel_with(CancelReason::Group)
    }

    /// Takes the first recorded child error.
    pub fn take_error(&self) -> Option<E> {
        lock(&self.first_error).take()
    }
}

impl<T, E> fmt::Debug for Shared<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("token", &self.token)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Outcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Value(_) => "Value(..)",
            Outcome::Panicked(_) => "Panicked(..)",
            Outcome::Gone => "Gone",
        })
    }
}
