//! [`CancellationError`] and [`CancelReason`].

use std::fmt;

/// Why a task was cancelled.
///
/// Every cancelled task records two reasons: [`CancellationError::reason`], why *this* task
/// was cancelled (often [`Parent`](CancelReason::Parent): an enclosing scope was), and
/// [`CancellationError::origin`], what started the cancellation at the top of the subtree
/// (an explicit `cancel()`, a deadline, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum CancelReason {
    /// [`CancelToken::cancel`](crate::CancelToken::cancel) or
    /// [`Task::cancel`](crate::Task::cancel) was called.
    Explicit,
    /// An enclosing task, group or scope was cancelled and the cancellation propagated down.
    Parent,
    /// The task group was cancelled: `cancel_all()`, or a throwing group's body returned an
    /// error.
    Group,
    /// A deadline set by [`with_timeout`](crate::with_timeout) or
    /// [`with_deadline`](crate::with_deadline) passed.
    Deadline,
    /// A sibling in a fail-fast group failed.
    SiblingFailed,
    /// A graceful shutdown's grace period ran out ([`crate::shutdown`]).
    Shutdown,
}

impl CancelReason {
    const ALL: [CancelReason; 6] = [
        CancelReason::Explicit,
        CancelReason::Parent,
        CancelReason::Group,
        CancelReason::Deadline,
        CancelReason::SiblingFailed,
        CancelReason::Shutdown,
    ];

    /// 1-based code, so that 0 can mean "not cancelled" in the packed state.
    const fn code(self) -> u8 {
        match self {
            CancelReason::Explicit => 1,
            CancelReason::Parent => 2,
            CancelReason::Group => 3,
            CancelReason::Deadline => 4,
            CancelReason::SiblingFailed => 5,
            CancelReason::Shutdown => 6,
        }
    }

    fn from_code(code: u8) -> CancelReason {
        Self::ALL[usize::from(code - 1)]
    }

    fn describe(self) -> &'static str {
        match self {
            CancelReason::Explicit => "cancelled explicitly",
            CancelReason::Parent => "its parent was cancelled",
            CancelReason::Group => "its task group was cancelled",
            CancelReason::Deadline => "its deadline passed",
            CancelReason::SiblingFailed => "a sibling task failed",
            CancelReason::Shutdown => "the server is shutting down",
        }
    }
}

/// The error a task gets when it observes its own cancellation, from
/// [`checkpoint`](crate::checkpoint), [`sleep`](crate::sleep) and the other
/// cancellation-aware operations. Swift's `CancellationError`.
///
/// It is `Copy`, two bytes wide, and carries no payload beyond *why* the task was cancelled.
/// It converts into [`std::io::Error`] (kind [`TimedOut`](std::io::ErrorKind::TimedOut) when a
/// deadline started the cancellation, [`Other`](std::io::ErrorKind::Other) otherwise; never
/// `Interrupted`, which I/O loops retry), and, being a `std::error::Error + Send + Sync`, into
/// `anyhow::Error` and `Box<dyn Error>` with `?`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CancellationError {
    reason: CancelReason,
    origin: CancelReason,
}

impl CancellationError {
    /// An error for a task cancelled explicitly. Useful in tests and adapters.
    #[must_use]
    pub const fn new(reason: CancelReason) -> Self {
        CancellationError {
            reason,
            origin: reason,
        }
    }

    /// Why this task was cancelled.
    #[must_use]
    pub const fn reason(&self) -> CancelReason {
        self.reason
    }

    /// What started the cancellation at the top of the cancelled subtree. Equal to
    /// [`reason`](Self::reason) unless the reason is [`CancelReason::Parent`].
    #[must_use]
    pub const fn origin(&self) -> CancelReason {
        self.origin
    }

    /// Packs into the node state byte: low nibble reason, high nibble origin; never 0.
    pub(crate) const fn pack(self) -> u8 {
        self.reason.code() | (self.origin.code() << 4)
    }

    /// Unpacks a non-zero state byte.
    pub(crate) fn unpack(state: u8) -> Self {
        debug_assert_ne!(state, 0);
        CancellationError {
            reason: CancelReason::from_code(state & 0x0f),
            origin: CancelReason::from_code(state >> 4),
        }
    }

    /// The error a descendant of a node cancelled with `self` records.
    pub(crate) const fn inherited(self) -> Self {
        CancellationError {
            reason: CancelReason::Parent,
            origin: self.origin,
        }
    }
}

impl Default for CancellationError {
    fn default() -> Self {
        CancellationError::new(CancelReason::Explicit)
    }
}

impl fmt::Debug for CancellationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationError")
            .field("reason", &self.reason)
            .field("origin", &self.origin)
            .finish()
    }
}

impl fmt::Display for CancelReason {
    /// What happened, as a clause: "its deadline passed".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl fmt::Display for CancellationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task was cancelled: {}", self.reason.describe())?;
        if self.reason != self.origin {
            write!(f, " ({})", self.origin.describe())?;
        }
        Ok(())
    }
}

impl std::error::Error for CancellationError {}

impl From<CancellationError> for std::io::Error {
    fn from(err: CancellationError) -> Self {
        let kind = if err.origin == CancelReason::Deadline {
            std::io::ErrorKind::TimedOut
        } else {
            std::io::ErrorKind::Other
        };
        std::io::Error::new(kind, err)
    }
}

/// The message of a caught panic's payload, when it was a string (as `panic!` with a message
/// makes): what `ChildPanic` and `HandlerPanic` show.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl CancellationError {
    /// Finds a `CancellationError` in `err` or anything it wraps, so that code handling
    /// errors generically can tell cancellation from failure: the error itself, its
    /// `source()` chain, and the payload of an [`std::io::Error`] made from one (which
    /// `source()` does not show: `#[cancellable]` in a function returning `io::Result`, or
    /// boxed inside `Box<dyn Error>`).
    ///
    /// ```
    /// use cancelkit::{CancelReason, CancellationError};
    /// let io: std::io::Error = CancellationError::new(CancelReason::Deadline).into();
    /// let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(io);
    /// let found = CancellationError::find(boxed.as_ref()).unwrap();
    /// assert_eq!(found.reason(), CancelReason::Deadline);
    /// ```
    #[must_use]
    pub fn find(err: &(dyn std::error::Error + 'static)) -> Option<CancellationError> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(found) = err.downcast_ref::<CancellationError>() {
                return Some(*found);
            }
            if let Some(inner) = err
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                && let Some(found) = Self::find(inner)
            {
                return Some(found);
            }
            next = err.source();
        }
        None
    }
}

#[cfg(feature = "anyhow")]
impl CancellationError {
    /// Finds a `CancellationError` anywhere in an `anyhow::Error`'s chain of causes (see
    /// [`find`](Self::find)).
    #[must_use]
    pub fn find_in(err: &anyhow::Error) -> Option<CancellationError> {
        err.chain().find_map(Self::find)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_roundtrips_every_pair() {
        for reason in CancelReason::ALL {
            for origin in CancelReason::ALL {
                let err = CancellationError { reason, origin };
                assert_ne!(err.pack(), 0);
                assert_eq!(CancellationError::unpack(err.pack()), err);
            }
        }
    }

    #[test]
    fn io_error_kind_follows_origin() {
        let deadline = CancellationError::new(CancelReason::Deadline).inherited();
        assert_eq!(
            std::io::Error::from(deadline).kind(),
            std::io::ErrorKind::TimedOut
        );
        let explicit = CancellationError::default();
        let io = std::io::Error::from(explicit);
        assert_eq!(io.kind(), std::io::ErrorKind::Other);
        assert_eq!(
            io.get_ref()
                .and_then(|e| e.downcast_ref::<CancellationError>()),
            Some(&explicit)
        );
    }

    #[test]
    fn display_names_reason_and_origin() {
        let err = CancellationError::new(CancelReason::Deadline).inherited();
        assert_eq!(
            err.to_string(),
            "task was cancelled: its parent was cancelled (its deadline passed)"
        );
    }
}
