//! Configuration: rule levels, strict mode, extra observers and skipped files, read from
//! `[workspace.metadata.cancelkit]` and `[package.metadata.cancelkit]` (the package wins).
//!
//! ```toml
//! [package.metadata.cancelkit]
//! strict = false
//! observers = ["my_crate::shutdown::poll_stop", "is_stopping"]
//! skip = ["src/generated/**"]
//! levels = { uncancellable_loop = "deny", swallowed_cancellation = "warn" }
//! outside_loops = { blocking_in_async = "warn" }     # levels for code outside loops
//! timer_loops = { unobserved_token = "deny" }        # levels for loops paced by a timer
//! token_types = ["ShutdownSignal"]                   # also cancellation tokens
//! cancel_unsafe = ["read_frame", "send"]             # also not cancel-safe (`send`, `feed`, `send_all`, `lock`, `acquire` only when named)
//! blocking = ["my_crate::db::query_sync"]            # also blocking
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

pub use crate::rule::Level;
use crate::rule::Rule;

/// The checker's settings for one package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Strict mode (S32): only cancellation-aware awaits observe, `for` loops are checked too,
    /// and `unobserved_token` takes every token in scope, named by the code or not.
    pub strict: bool,
    /// Extra observer paths (`a::b::check` or a bare name).
    pub observers: Vec<String>,
    /// Glob patterns (relative to the package root) of files not to check.
    pub skip: Vec<String>,
    /// Rule levels; rules not present use their default.
    pub levels: BTreeMap<Rule, Level>,
    /// Rule levels for code outside loops (`outside_loops` in the table); rules not present
    /// use [`Rule::default_level_outside_loops`], then their level in loops.
    pub outside_loops: BTreeMap<Rule, Level>,
    /// Rule levels for loops paced by a timer (`timer_loops` in the table); rules not present
    /// use their `levels` entry, then [`Rule::default_level_in_timer_loops`], then their
    /// default level.
    pub timer_loops: BTreeMap<Rule, Level>,
    /// Type names that make a parameter, a field or a `let` a cancellation token for
    /// `unobserved_token`, besides `CancellationToken` and `CancelToken`.
    pub token_types: Vec<String>,
    /// Methods that are not cancel-safe, for `cancel_unsafe_select`, besides tokio's.
    pub cancel_unsafe: Vec<String>,
    /// Paths of calls that block the thread, for `blocking_in_async`, besides the std ones.
    pub blocking: Vec<String>,
    /// Default mode: report every path that goes round without an await, not only those that
    /// show evidence of spinning (used by the precision study to show what the evidence rules
    /// remove). Strict mode always reports every path.
    pub report_bounded_loops: bool,
    /// The package's direct dependencies by name, when known (cargo metadata): suggestions
    /// offer only what the crate can use. `None`: unknown (paths mode, [`crate::check_source`]).
    pub dependencies: Option<Vec<String>>,
}

impl Config {
    /// The level of `rule`.
    pub fn level(&self, rule: Rule) -> Level {
        self.levels
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_level())
    }

    /// The level of `rule` in code inside a loop (`in_loop`) or elsewhere.
    pub fn level_in(&self, rule: Rule, in_loop: bool) -> Level {
        if in_loop {
            return self.level(rule);
        }
        self.outside_loops
            .get(&rule)
            .copied()
            .or_else(|| rule.default_level_outside_loops())
            .unwrap_or_else(|| self.level(rule))
    }

    /// The level of `rule` for a loop paced by a timer. A `levels` entry the user wrote
    /// applies here too: it says how the rule should treat every loop.
    pub fn level_in_timer_loops(&self, rule: Rule) -> Level {
        self.timer_loops
            .get(&rule)
            .or_else(|| self.levels.get(&rule))
            .copied()
            .or_else(|| rule.default_level_in_timer_loops())
            .unwrap_or_else(|| rule.default_level())
    }

    /// Applies one `metadata.cancelkit` table over `self`; problems (unknown rule names, bad
    /// values, unknown keys) are returned as messages, the rest of the table still applies.
    pub fn apply_metadata(&mut self, table: &serde_json::Value) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(map) = table.as_object() else {
            if !table.is_null() {
                problems.push("`metadata.cancelkit` must be a table".to_string());
            }
            return problems;
        };
        for (key, value) in map {
            match key.as_str() {
                "strict" => match value.as_bool() {
                    Some(b) => self.strict = b,
                    None => problems.push("`strict` must be true or false".to_string()),
                },
                "observers" => match string_list(value) {
                    Some(list) => self.observers.extend(list),
                    None => problems.push("`observers` must be a list of paths".to_string()),
                },
                "skip" => match string_list(value) {
                    Some(list) => self.skip.extend(list),
                    None => problems.push("`skip` must be a list of glob patterns".to_string()),
                },
                "levels" => level_table(key, value, &mut self.levels, &mut problems),
                "outside_loops" => level_table(key, value, &mut self.outside_loops, &mut problems),
                "timer_loops" => level_table(key, value, &mut self.timer_loops, &mut problems),
                "token_types" | "cancel_unsafe" | "blocking" => match string_list(value) {
                    Some(list) => match key.as_str() {
                        "token_types" => self.token_types.extend(list),
                        "cancel_unsafe" => self.cancel_unsafe.extend(list),
                        _ => self.blocking.extend(list),
                    },
                    None => problems.push(format!("`{key}` must be a list of names")),
                },
                other => problems.push(format!(
                    "unknown key `{other}` in `metadata.cancelkit` (expected strict, observers, \
                     skip, levels, outside_loops, timer_loops, token_types, cancel_unsafe, \
                     blocking)"
                )),
            }
        }
        problems
    }

    /// Whether `relative` (a path relative to the package root, `/`-separated) is skipped.
    pub fn is_skipped(&self, relative: &str) -> bool {
        self.skip
            .iter()
            .any(|pattern| glob_match(pattern, relative))
    }
}

/// Reads a `{ rule = "level" }` table into `into`.
fn level_table(
    key: &str,
    value: &serde_json::Value,
    into: &mut BTreeMap<Rule, Level>,
    problems: &mut Vec<String>,
) {
    let Some(levels) = value.as_object() else {
        problems.push(format!("`{key}` must be a table"));
        return;
    };
    for (name, level) in levels {
        let Some(rule) = Rule::from_name(name) else {
            problems.push(unknown_rule_message(name));
            continue;
        };
        match level.as_str().map(Level::from_str) {
            Some(Ok(level)) => {
                into.insert(rule, level);
            }
            Some(Err(e)) => problems.push(format!("{key}.{name}: {e}")),
            None => problems.push(format!("{key}.{name} must be a string")),
        }
    }
}

/// The message for an unknown rule name, with a suggestion when one is close.
pub fn unknown_rule_message(name: &str) -> String {
    let known: Vec<&str> = Rule::CONFIGURABLE.iter().map(|r| r.name()).collect();
    format!(
        "unknown cancelkit rule `{name}` (known rules: {})",
        known.join(", ")
    )
}

fn string_list(value: &serde_json::Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A small glob: `*` matches within a path segment, `**` any number of segments, `?` one char.
/// A pattern without `/` also matches a file name anywhere (`*.gen.rs`).
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    if !pattern.contains('/') {
        let name = path.rsplit('/').next().unwrap_or(path);
        if match_segment(pattern.as_bytes(), name.as_bytes()) {
            return true;
        }
    }
    let mut pats: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if match_segments(&pats, &segs) {
        return true;
    }
    // `dir` matches everything below `dir`.
    pats.push("**");
    match_segments(&pats, &segs)
}

fn match_segments(pats: &[&str], segs: &[&str]) -> bool {
    match pats.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|i| match_segments(rest, &segs[i..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, srest)) => {
                match_segment(p.as_bytes(), s.as_bytes()) && match_segments(rest, srest)
            }
            None => false,
        },
    }
}

fn match_segment(p: &[u8], s: &[u8]) -> bool {
    match (p.split_first(), s.split_first()) {
        (None, None) => true,
        (Some((b'*', prest)), _) => (0..=s.len()).any(|i| match_segment(prest, &s[i..])),
        (Some((b'?', prest)), Some((_, srest))) => match_segment(prest, srest),
        (Some((pc, prest)), Some((sc, srest))) => pc == sc && match_segment(prest, srest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("src/gen/**", "src/gen/a/b.rs"));
        assert!(glob_match("src/gen", "src/gen/a.rs"));
        assert!(glob_match("*.gen.rs", "src/x/y.gen.rs"));
        assert!(glob_match("src/*.rs", "src/lib.rs"));
        assert!(!glob_match("src/*.rs", "src/a/lib.rs"));
        assert!(!glob_match("tests/**", "src/lib.rs"));
    }

    #[test]
    fn metadata_problems_are_reported_and_the_rest_applies() {
        let mut c = Config::default();
        let v = serde_json::json!({
            "strict": true,
            "levels": { "uncancellable_loop": "deny", "no_such_rule": "warn" },
            "bogus": 1,
        });
        let problems = c.apply_metadata(&v);
        assert!(c.strict);
        assert_eq!(c.level(Rule::UncancellableLoop), Level::Deny);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("bogus") || problems[1].contains("bogus"));
    }
}
