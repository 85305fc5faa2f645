//! The live cancellation tree as a snapshot: when shutdown hangs, *what is still running, and
//! why didn't it stop?*
//!
//! [`CancelToken::tree`](crate::CancelToken::tree) (or [`current`] for the current task, or
//! [`Shutdown::tree`](crate::shutdown::Shutdown::tree)) walks the tree below a node and
//! returns a [`Tree`]: every task, group, deadline scope, shield and token still linked there,
//! with its state, who cancelled it, how long it has lived, where it was created, and how many
//! futures run under it. It prints as an indented tree with `Display`, and as JSON through `serde` (feature
//! `serde`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::time::Duration;
//! let root = cancelkit::CancelToken::new();
//! let stubborn = root.run(cancelkit::with_task_group(async |group| {
//!     group.spawn(async { tokio::time::sleep(Duration::from_secs(3600)).await });
//!     group.wait_for_all().await;
//! }));
//! let waiting = tokio::spawn(stubborn);
//! tokio::task::yield_now().await;
//! root.cancel();
//! let tree = root.tree();
//! println!("{tree}");
//! // token at src/main.rs:5:12, lived 0.0s: cancelled: cancelled explicitly, by src/main.rs:11:6;
//! //   1 running after the cancel
//! // └── group at src/main.rs:6:24, lived 0.0s: cancelled: its parent was cancelled
//! //     (origin: cancelled explicitly); 1 running after the cancel
//! assert!(tree.still_running().any(|node| node.kind == cancelkit::dump::Kind::Group));
//! # waiting.abort();
//! # }
//! ```
//!
//! # What it costs
//!
//! Nothing until called, beyond what each node records when it is made: its kind, the
//! `#[track_caller]` location, and a clock read. There is no global registry: a dump starts
//! from a node you hold. Children of a task group share their group's node, so a group shows
//! how many of them run, not one line each. A `checkpoint()` is untouched.
//!
//! # Consistency
//!
//! Each node is read once, under its own lock, and one lock at a time: a dump never blocks a
//! cancel or a spawn for longer than one node's bookkeeping, and cannot deadlock with them.
//! It is not an atomic snapshot of the whole tree. A dump taken while a cancel is in flight
//! may show a cancelled node above nodes not yet marked (a cancel marks top-down), and a node
//! linked or unlinked during the walk may be missing or present.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::error::CancelReason;
use crate::meta::Born;
pub use crate::meta::Kind;
use crate::node::Node;
use crate::sync::Arc;
use crate::token::CancelToken;

/// The tree below the current task's node; `None` outside any task.
#[must_use]
pub fn current() -> Option<Tree> {
    crate::context::current_token().map(|token| token.tree())
}

/// A snapshot of a cancellation subtree, in depth-first order: each node is followed by the
/// nodes below it. Flat, so that a tree a hundred thousand levels deep prints and drops
/// without recursion.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tree {
    /// The nodes, the root first.
    pub nodes: Vec<NodeInfo>,
}

/// One node of a [`Tree`].
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct NodeInfo {
    /// Levels below the root (the root is 0).
    pub depth: usize,
    /// The index of the node above, in [`Tree::nodes`]; `None` for the root.
    pub parent: Option<usize>,
    /// What the node belongs to.
    pub kind: Kind,
    /// Where it was created (the caller of `Task::spawn`, `with_task_group`,
    /// `with_timeout`, `shield`, `CancelToken::new`…).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::location"))]
    pub location: &'static Location<'static>,
    /// How long it had lived when the dump was taken.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::seconds"))]
    pub age: Duration,
    /// Why it was cancelled, if it was.
    pub cancelled: Option<Cancellation>,
    /// Futures running under it: a task's or scope's own future, a group's children, futures
    /// given to [`CancelToken::run`]. A future counts until it is dropped, which executors do
    /// as soon as it completes.
    pub running: u32,
}

/// Why a node was cancelled: [`CancellationError::reason`](crate::CancellationError::reason)
/// and [`origin`](crate::CancellationError::origin), and who cancelled it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Cancellation {
    /// Why this node was cancelled (often [`Parent`](CancelReason::Parent)).
    pub reason: CancelReason,
    /// What started the cancellation at the top.
    pub origin: CancelReason,
    /// The code that called the cancel at the top of the subtree (`cancel()`, `cancel_all()`,
    /// `Shutdown::trigger()`, through `#[track_caller]`; inside cancelkit for a deadline's
    /// timer, a dropped group or a failing sibling). `None` while a cancel in flight has
    /// flipped the node but not yet recorded it.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser::by"))]
    pub by: Option<&'static Location<'static>>,
}

impl NodeInfo {
    /// Cancelled, with futures still running under it: what a hanging shutdown waits for.
    #[must_use]
    pub fn is_still_running_after_cancel(&self) -> bool {
        self.cancelled.is_some() && self.running > 0
    }
}

impl Tree {
    /// Walks the tree below `root`, one node's lock at a time.
    pub(crate) fn of(root: &Arc<Node>) -> Tree {
        let now = Born::now();
        let mut nodes: Vec<NodeInfo> = Vec::new();
        // (node, depth, parent index); popped in depth-first order.
        let mut stack = vec![(Arc::clone(root), 0, None)];
        while let Some((node, depth, parent)) = stack.pop() {
            let index = nodes.len();
            let meta = node.meta();
            let (links, by) = node.links();
            nodes.push(NodeInfo {
                depth,
                parent,
                kind: meta.kind,
                location: meta.location,
                age: meta.born.age(now),
                // Read after `by`, which is set under the lock once the state has flipped. A
                // node born under a cancelled parent was never marked: its canceller is the
                // parent's, read first (depth-first).
                cancelled: node.cancellation().map(|err| Cancellation {
                    reason: err.reason(),
                    origin: err.origin(),
                    by: by.or_else(|| nodes[parent?].cancelled.and_then(|c| c.by)),
                }),
                running: node.running(),
            });
            // Reversed, so that the first linked is the first popped.
            stack.extend(
                links
                    .into_iter()
                    .rev()
                    .map(|child| (child, depth + 1, Some(index))),
            );
        }
        Tree { nodes }
    }

    /// The nodes cancelled with futures still running under them: where to look when a
    /// shutdown hangs.
    pub fn still_running(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes
            .iter()
            .filter(|node| node.is_still_running_after_cancel())
    }
}

impl CancelToken {
    /// A snapshot of the cancellation tree below this token: see [`dump`](crate::dump).
    #[must_use]
    pub fn tree(&self) -> Tree {
        Tree::of(self.node())
    }
}

/// Levels drawn in full; deeper lines say their depth instead, so that printing stays linear.
const DRAWN_LEVELS: usize = 32;

impl fmt::Display for Tree {
    /// One line per node, indented with box-drawing characters, the root first. Below
    /// 32 levels a line starts with its depth instead of the full indentation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The last node linked below each node, so that its line gets `└──`.
        let mut last_child = vec![None; self.nodes.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            if let Some(parent) = node.parent {
                last_child[parent] = Some(index);
            }
        }
        // Along the current path: whether the node at each depth is its parent's last.
        let mut last_at: Vec<bool> = Vec::new();
        for (index, node) in self.nodes.iter().enumerate() {
            let is_last = node
                .parent
                .is_none_or(|parent| last_child[parent] == Some(index));
            last_at.truncate(node.depth);
            if node.depth > DRAWN_LEVELS {
                write!(f, "[depth {}] ", node.depth)?;
            } else if node.depth > 0 {
                for &ancestor_last in &last_at[1..] {
                    f.write_str(if ancestor_last { "    " } else { "│   " })?;
                }
            }
            if node.depth > 0 {
                f.write_str(if is_last { "└── " } else { "├── " })?;
            }
            last_at.push(is_last);
            writeln!(f, "{node}")?;
        }
        Ok(())
    }
}

impl fmt::Display for NodeInfo {
    /// `group at src/main.rs:6:24, lived 1.2s: cancelled: its parent was cancelled (origin: its
    /// deadline passed); 1 running after the cancel`. Who cancelled is printed on the node the
    /// cancel was called on (`…: cancelled explicitly, by src/server.rs:88:21`), not repeated
    /// on the nodes below it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}, lived {:.1}s: ",
            self.kind.as_str(),
            self.location,
            self.age.as_secs_f64()
        )?;
        match (self.cancelled, self.kind) {
            (None, Kind::Shield) => f.write_str("shielded")?,
            (None, _) => f.write_str("not cancelled")?,
            (Some(Cancellation { reason, origin, .. }), _) if reason == origin => {
                write!(f, "cancelled: {reason}")?;
            }
            (Some(Cancellation { reason, origin, .. }), _) => {
                write!(f, "cancelled: {reason} (origin: {origin})")?;
            }
        }
        // Said where the cancel was called; the nodes below inherit it (`Parent`).
        if let Some(Cancellation {
            reason,
            by: Some(by),
            ..
        }) = self.cancelled
            && reason != CancelReason::Parent
        {
            write!(f, ", by {by}")?;
        }
        match (self.running, self.cancelled.is_some()) {
            (0, _) if matches!(self.kind, Kind::Task | Kind::Deadline | Kind::Shield) => {
                f.write_str("; finished")
            }
            (0, _) => Ok(()),
            (n, true) => write!(f, "; {n} running after the cancel"),
            (n, false) => write!(f, "; {n} running"),
        }
    }
}

#[cfg(feature = "serde")]
mod ser {
    use std::panic::Location;
    use std::time::Duration;

    pub(super) fn location<S: serde::Serializer>(
        location: &&'static Location<'static>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(location)
    }

    pub(super) fn by<S: serde::Serializer>(
        by: &Option<&'static Location<'static>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match by {
            Some(location) => serializer.collect_str(location),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn seconds<S: serde::Serializer>(
        age: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(age.as_secs_f64())
    }
}
