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
