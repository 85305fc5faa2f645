//! What a rule is, by identity: its name, its summary and how loud its findings are. A leaf
//! module: findings, the configuration and the analysis name rules without depending on the
//! rules' code (`crate::rules`).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How a rule's findings are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported, exit status unaffected.
    Warn,
    /// Reported, exit status 1.
    Deny,
}

impl Level {
    /// The name rustc uses in JSON (`warning`, `error`).
    pub fn rustc_name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warning",
            Level::Deny => "error",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "allow" => Ok(Level::Allow),
            "warn" | "warning" => Ok(Level::Warn),
            "deny" | "error" => Ok(Level::Deny),
            other => Err(format!(
                "unknown level `{other}` (expected allow, warn or deny)"
            )),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        })
    }
}

/// A rule (or one of the checker's own diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// See [`uncancellable_loop`](crate::rules::uncancellable_loop).
    UncancellableLoop,
    /// See [`swallowed_cancellation`](crate::rules::swallowed_cancellation).
    SwallowedCancellation,
    /// See [`unobserved_token`](crate::rules::unobserved_token).
    UnobservedToken,
    /// See [`cancel_unsafe_select`](crate::rules::cancel_unsafe_select).
    CancelUnsafeSelect,
    /// See [`blocking_in_async`](crate::rules::blocking_in_async).
    BlockingInAsync,
    /// See [`unshielded_cleanup`](crate::rules::unshielded_cleanup).
    UnshieldedCleanup,
    /// A file that does not parse (S35).
    ParseError,
    /// An unknown rule name in an allow comment or in the configuration.
    UnknownRule,
    /// Any other problem in `metadata.cancelkit` (unknown key, bad value).
    InvalidConfig,
}

impl Rule {
    /// The rules users can configure and silence.
    pub const CONFIGURABLE: [Rule; 6] = [
        Rule::UncancellableLoop,
        Rule::SwallowedCancellation,
        Rule::UnobservedToken,
        Rule::CancelUnsafeSelect,
        Rule::BlockingInAsync,
        Rule::UnshieldedCleanup,
    ];

    /// The checker's own diagnostics, which cannot be configured.
    const OWN: [Rule; 3] = [Rule::ParseError, Rule::UnknownRule, Rule::InvalidConfig];

    /// Every rule: the configurable ones, then the checker's own diagnostics.
    pub const ALL: [Rule; 9] = {
        let mut all = [Rule::ParseError; 9];
        let mut i = 0;
        while i < all.len() {
            all[i] = if i < Rule::CONFIGURABLE.len() {
                Rule::CONFIGURABLE[i]
            } else {
                Rule::OWN[i - Rule::CONFIGURABLE.len()]
            };
            i += 1;
        }
        all
    };

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::UncancellableLoop => "uncancellable_loop",
            Rule::SwallowedCancellation => "swallowed_cancellation",
            Rule::UnobservedToken => "unobserved_token",
            Rule::CancelUnsafeSelect => "cancel_unsafe_select",
            Rule::BlockingInAsync => "blocking_in_async",
            Rule::UnshieldedCleanup => "unshielded_cleanup",
            Rule::ParseError => "parse_error",
            Rule::UnknownRule => "unknown_rule",
            Rule::InvalidConfig => "invalid_config",
        }
    }

    /// Looks a configurable rule up by name.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::CONFIGURABLE.into_iter().find(|r| r.name() == name)
    }

    /// The level when the configuration says nothing. `unobserved_token` is allowed by
    /// default, except in loops paced by a timer ([`Rule::default_level_in_timer_loops`]): on
    /// fresh real code its other findings have mostly been false (see
    /// `lints/study/RESULTS.md`); turn it on everywhere with
    /// `levels = { unobserved_token = "warn" }`.
    pub fn default_level(self) -> Level {
        match self {
            Rule::UnobservedToken => Level::Allow,
            _ => Level::Warn,
        }
    }

    /// The level outside loops when the configuration says nothing (the configuration's
    /// `outside_loops` table): `blocking_in_async` matters most where it repeats, so it is
    /// allowed elsewhere by default; every other rule has one level.
    pub fn default_level_outside_loops(self) -> Option<Level> {
        match self {
            Rule::BlockingInAsync => Some(Level::Allow),
            _ => None,
        }
    }

    /// The level in a loop paced by a timer (a retry with a pause, a periodic task) when the
    /// configuration says nothing (its `timer_loops` table and its `levels` entry):
    /// `unobserved_token` warns there, because nothing but its own code or the token stops
    /// such a loop. Every other rule has one level.
    pub fn default_level_in_timer_loops(self) -> Option<Level> {
        match self {
            Rule::UnobservedToken => Some(Level::Warn),
            _ => None,
        }
    }

    /// The rule's documentation (What it does, Why is this bad, Known problems, Example, Use
    /// instead), as `cargo cancelkit explain` prints it; `None` for the checker's own
    /// diagnostics.
    pub fn explanation(self) -> Option<String> {
        let source = match self {
            Rule::UncancellableLoop => include_str!("rules/uncancellable_loop.rs"),
            Rule::SwallowedCancellation => include_str!("rules/swallowed_cancellation.rs"),
            Rule::UnobservedToken => include_str!("rules/unobserved_token.rs"),
            Rule::CancelUnsafeSelect => include_str!("rules/cancel_unsafe_select/mod.rs"),
            Rule::BlockingInAsync => include_str!("rules/blocking_in_async.rs"),
            Rule::UnshieldedCleanup => include_str!("rules/unshielded_cleanup.rs"),
            Rule::ParseError | Rule::UnknownRule | Rule::InvalidConfig => return None,
        };
        let doc: Vec<&str> = source
            .lines()
            .map_while(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        Some(format!(
            "# cancelkit::{}\n\n{}\n",
            self.name(),
            doc.join("\n").replace("```rust,ignore", "```rust")
        ))
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
            Rule::UnobservedToken => {
                "a loop has a cancellation token in scope and never consults it on some path"
            }
            Rule::CancelUnsafeSelect => {
                "a `select!` in a loop drops a future that is not cancel-safe when another branch wins"
            }
            Rule::BlockingInAsync => "a call blocks the executor thread inside async code",
            Rule::UnshieldedCleanup => {
                "clean-up after cancellation awaits an operation that fails at once, outside `shield`"
            }
            Rule::ParseError => "a file could not be parsed, so it was not checked",
            Rule::UnknownRule => "an allow comment or the configuration names an unknown rule",
            Rule::InvalidConfig => "the `metadata.cancelkit` configuration has a problem",
        }
    }
}
