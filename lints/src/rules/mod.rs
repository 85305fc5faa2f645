//! The rules. Each rule has its own module with clippy-style documentation, owns its
//! heuristics, and has one entry point of the same shape, [`CheckFn`]: the driver walks each
//! file and hands every rule each [`Node`] together with what it knows there ([`Cx`]). Rules
//! use the analysis (`crate::analysis`) and never the driver, as clippy's lint passes use
//! rustc's queries: the module graph runs driver → rules → analysis.

use serde::Serialize;

use crate::analysis::flow::{Ctx, LoopRef};
use crate::analysis::summaries::Pending;
use crate::config::{Config, Level};
use crate::finding::Finding;
use crate::source::SourceFile;

pub mod swallowed_cancellation;
pub mod uncancellable_loop;

/// A place in the syntax tree where rules look.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    /// A `loop`, `while` or `for` loop.
    Loop(LoopRef<'a>),
    /// A statement.
    Stmt(&'a syn::Stmt),
    /// An `if` expression.
    If(&'a syn::ExprIf),
    /// A `match` expression.
    Match(&'a syn::ExprMatch),
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Loop(l) => l.fmt(f),
            Node::Stmt(_) => f.write_str("Node::Stmt"),
            Node::If(_) => f.write_str("Node::If"),
            Node::Match(_) => f.write_str("Node::Match"),
        }
    }
}

/// What the driver knows about the code around a node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// Inside an `async fn`, an `async` block or an async closure.
    pub(crate) is_async: bool,
    /// Inside a function whose loops `#[cancellable]` instruments.
    pub(crate) cancellable: bool,
    /// Inside a loop or statement marked `#[uninterruptible]`: `#[cancellable]` leaves the
    /// whole subtree alone.
    pub(crate) opted_out: bool,
    /// `#[cancellable]` made every `.await` of the function observe.
    pub(crate) instrumented_awaits: bool,
    /// Number of enclosing loops within the function.
    pub(crate) loop_depth: u32,
    /// Rules allowed by a comment above the enclosing function.
    pub(crate) allowed: Vec<Rule>,
    /// Parameters of the enclosing function that look like cancellation tokens (`token`,
    /// `cancel`), for suggestions.
    pub(crate) tokens: Vec<String>,
}

/// What a rule gets with each node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) ctx: Ctx<'a>,
    pub(crate) file: &'a SourceFile,
    pub(crate) config: &'a Config,
    pub(crate) scope: &'a Scope,
}

/// What a rule reports.
#[derive(Debug)]
pub(crate) enum Emit {
    /// A finding that holds.
    Finding(Finding),
    /// A finding that holds unless calls on its paths turn out to observe.
    Pending(Pending),
}

impl Emit {
    pub(crate) fn finding_mut(&mut self) -> &mut Finding {
        match self {
            Emit::Finding(f) => f,
            Emit::Pending(p) => &mut p.finding,
        }
    }
}

/// A rule's entry point.
pub(crate) type CheckFn = fn(&Cx<'_>, Node<'_>) -> Option<Emit>;

/// Every rule with its entry point, in the order they run.
pub(crate) const CHECKS: [(Rule, CheckFn); 2] = [
    (Rule::UncancellableLoop, uncancellable_loop::check),
    (Rule::SwallowedCancellation, swallowed_cancellation::check),
];

/// A rule (or one of the checker's own diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// See [`uncancellable_loop`].
    UncancellableLoop,
    /// See [`swallowed_cancellation`].
    SwallowedCancellation,
    /// A file that does not parse (S35).
    ParseError,
    /// An unknown rule name in an allow comment or in the configuration.
    UnknownRule,
    /// Any other problem in `metadata.cancelkit` (unknown key, bad value).
    InvalidConfig,
}

impl Rule {
    /// The rules users can configure and silence.
    pub const CONFIGURABLE: [Rule; 2] = [Rule::UncancellableLoop, Rule::SwallowedCancellation];

    /// Every rule, including the checker's own diagnostics.
    pub const ALL: [Rule; 5] = [
        Rule::UncancellableLoop,
        Rule::SwallowedCancellation,
        Rule::ParseError,
        Rule::UnknownRule,
        Rule::InvalidConfig,
    ];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::UncancellableLoop => "uncancellable_loop",
            Rule::SwallowedCancellation => "swallowed_cancellation",
            Rule::ParseError => "parse_error",
            Rule::UnknownRule => "unknown_rule",
            Rule::InvalidConfig => "invalid_config",
        }
    }

    /// Looks a configurable rule up by name.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::CONFIGURABLE.into_iter().find(|r| r.name() == name)
    }

    /// The level when the configuration says nothing.
    pub fn default_level(self) -> Level {
        Level::Warn
    }

    /// One-line description (used by SARIF).
    pub fn summary(self) -> &'static str {
        match self {
            Rule::UncancellableLoop => {
                "a loop in async code can return to its head without observing cancellation"
            }
            Rule::SwallowedCancellation => {
                "a cancellation error is caught and dropped, and the code carries on"
            }
            Rule::ParseError => "a file could not be parsed, so it was not checked",
            Rule::UnknownRule => "an allow comment or the configuration names an unknown rule",
            Rule::InvalidConfig => "the `metadata.cancelkit` configuration has a problem",
        }
    }
}
