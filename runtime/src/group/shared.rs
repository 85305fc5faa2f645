#![cfg_attr(not(cancelkit_loom), allow(unreachable_pub))] // `pub` for the loom tests only
//! The state a group shares with its children, and the protocol they follow on it.
//!
//! This is the only synchronisation a group adds to the cancellation tree (the children
//! themselves are tokio tasks in a `JoinSet`), and it is what the loom tests model-check:
//!
//! - spawning a child takes a child of the group's token and (in a discarding group)
//!   increments `live` ([`Shared::child_started`]); the returned [`ChildGuard`] decrements it
//!   when the child's future is dropped: finished, aborted, or unwound by a panic;
//! - a child that fails in a fail-fast or discarding-throwing group calls
//!   [`Shared::record_failure`]: the first error is kept, and the group's token is cancelled
//!   with [`CancelReason::SiblingFailed`] *after* the error is stored, so whoever sees the group
//!   cancelled for that reason also finds the error;
//! - `cancel_all` and a dropped group cancel the token with [`CancelReason::Group`]. Whichever
//!   cancel wins the token's compare-and-swap gives the reason; the other is a no-op (S2).

use std::fmt;

use crate::error::CancelReason;
use crate::sync::{Arc, AtomicUsize, Mutex, Ordering, lock};
use crate::token::CancelToken;

/// What a group shares with its children. `E` is the error type a throwing discarding group
/// keeps; the other groups never store one.
pub struct Shared<E> {
    token: CancelToken,
    live: AtomicUsize,
    first_error: Mutex<Option<E>>,
}

impl<E> Shared<E> {
    /// State for a group whose token is `token`.
    pub fn new(token: CancelToken) -> Arc<Self> {
        Arc::new(Shared {
            token,
            live: AtomicUsize::new(0),
            first_error: Mutex::new(None),
        })
    }

    /// The group's token.
    pub fn token(&self) -> &CancelToken {
        &self.token
    }

    /// Registers a new child: its token (a child of the group's, already cancelled if the
    /// group is) and its guard, which counts it live until it is dropped if `counted` (only
    /// discarding groups need the count: it is two contended atomic operations per child).
    pub fn child_started(this: &Arc<Self>, counted: bool) -> (CancelToken, ChildGuard<E>) {
        if counted {
            this.live.fetch_add(1, Ordering::Relaxed);
        }
        let guard = ChildGuard {
            shared: Arc::clone(this),
            counted,
        };
        (this.token.child(), guard)
    }

    /// Counted children started and not yet finished (or dropped).
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

impl<E> fmt::Debug for Shared<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("token", &self.token)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

/// Counts one child live until dropped.
pub struct ChildGuard<E> {
    shared: Arc<Shared<E>>,
    counted: bool,
}

impl<E> ChildGuard<E> {
    /// The group's shared state.
    pub fn shared(&self) -> &Arc<Shared<E>> {
        &self.shared
    }
}

impl<E> Drop for ChildGuard<E> {
    fn drop(&mut self) {
        if self.counted {
            self.shared.live.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl<E> fmt::Debug for ChildGuard<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildGuard").finish_non_exhaustive()
    }
}
