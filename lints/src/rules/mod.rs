//! The rules. Each rule has its own module with clippy-style documentation; this module only
//! names them.

use serde::Serialize;

use crate::config::Level;

pub mod swallowed_cancellation;
pub mod uncancellable_loop;

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
