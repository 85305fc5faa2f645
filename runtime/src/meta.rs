//! What each node of the cancellation tree records about itself for the [tree
//! dump](crate::dump): what made it, where, and when. Written once when the node is created and
//! read only by a dump, so it costs the hot paths nothing but its size and one clock read per
//! node.

use std::panic::Location;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What a node of the cancellation tree belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Kind {
    /// A [`CancelToken`](crate::CancelToken) made with `new` or `child`.
    Token,
    /// A [`Task`](crate::Task), spawned directly or through a
    /// [`TaskTracker`](crate::TaskTracker).
    Task,
    /// A task group; its children share its node, so they are counted there.
    Group,
    /// A [`with_timeout`](crate::with_timeout) or [`with_deadline`](crate::with_deadline)
    /// scope.
    Deadline,
    /// A [`shield`](crate::shield): listed under the task it runs in, but not cancelled by it.
    Shield,
    /// A [`Shutdown`](crate::shutdown::Shutdown)'s token for the server's work.
    Shutdown,
    /// A [`TaskTracker`](crate::TaskTracker)'s token; its tasks are below it.
    Tracker,
}

impl Kind {
    /// The word a dump prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Task => "task",
            Kind::Group => "group",
            Kind::Deadline => "deadline",
            Kind::Shield => "shield",
            Kind::Shutdown => "shutdown",
            Kind::Tracker => "tracker",
        }
    }
}

/// A node's birth record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Meta {
    pub(crate) kind: Kind,
    pub(crate) location: &'static Location<'static>,
    /// When, as [`Born::now`].
    pub(crate) born: Born,
}

/// A moment, in nanoseconds since the first one taken: half an `Instant`, so that a node stays
/// within a small allocation. (Wraps after 584 years.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Born(u64);

static EPOCH: OnceLock<Instant> = OnceLock::new();

impl Born {
    pub(crate) fn now() -> Born {
        let epoch = *EPOCH.get_or_init(Instant::now);
        let nanos = Instant::now().saturating_duration_since(epoch).as_nanos();
        Born(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// How long ago this was, as of `now`.
    pub(crate) fn age(self, now: Born) -> Duration {
        Duration::from_nanos(now.0.saturating_sub(self.0))
    }
}

impl Meta {
    /// A node of `kind` made now, by the caller of the `#[track_caller]` chain that leads here.
    #[track_caller]
    #[inline]
    pub(crate) fn here(kind: Kind) -> Meta {
        Meta::at(kind, Location::caller())
    }

    /// A node of `kind` made now, on behalf of code at `location` (captured earlier, for a
    /// node made lazily at a future's first poll).
    #[inline]
    pub(crate) fn at(kind: Kind, location: &'static Location<'static>) -> Meta {
        Meta {
            kind,
            location,
            born: Born::now(),
        }
    }
}
