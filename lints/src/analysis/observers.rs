//! What counts as observing cancellation: cancelkit's checks, tokio-util's
//! `CancellationToken`, and paths the user configures.
//!
//! Names are matched syntactically (there is no type information):
//! - a *path call* `a::b::f(..)` matches an observer path `x::a::b::f` when the last segments
//!   agree and one path is a suffix of the other (so a bare `checkpoint()` imported with `use`
//!   matches `cancelkit::checkpoint`);
//! - a *method call* `x.f(..)` matches by method name alone (for the few names that are specific
//!   enough, see [`CHECK_METHODS`] and [`AWARE_METHODS`]).

use syn::{Expr, Ident, Path};

/// Synchronous checks: calling them observes cancellation.
const CHECK_FNS: &[&str] = &["cancelkit::checkpoint", "cancelkit::is_cancelled"];
/// Cancellation-aware futures: awaiting them observes cancellation, also in strict mode.
const AWARE_FNS: &[&str] = &[
    "cancelkit::cancelled",
    "cancelkit::sleep",
    "cancelkit::yield_now",
];
/// Methods that check synchronously (`CancelToken`, tokio-util's `CancellationToken`, `Task`).
pub(crate) const CHECK_METHODS: &[&str] = &["is_cancelled", "checkpoint", "check_cancelled"];
/// Methods returning cancellation-aware futures.
pub(crate) const AWARE_METHODS: &[&str] = &["cancelled", "cancelled_owned", "run_until_cancelled"];
/// Macros that await their operands implicitly.
const AWAITING_MACROS: &[&str] = &["select", "select_biased", "join", "try_join"];
/// Macros that never return.
const DIVERGING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// How a call relates to cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// Observes when called.
    Check,
    /// Returns a future that observes when awaited.
    Aware,
    /// Never returns.
    Diverges,
    /// Anything else.
    Other,
}

/// How a macro invocation relates to cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacroKind {
    /// Awaits implicitly (`select!`, `join!`).
    Awaiting,
    /// Never returns (`panic!`).
    Diverges,
    /// Anything else: its tokens are scanned.
    Other,
}

/// The observer table for one run.
#[derive(Debug, Clone)]
pub(crate) struct Observers {
    check_fns: Vec<Vec<String>>,
    aware_fns: Vec<Vec<String>>,
    extra_methods: Vec<String>,
    /// Last segments of every observer path.
    last_names: Vec<String>,
}

impl Observers {
    pub(crate) fn new(extra: &[String]) -> Self {
        let split = |p: &str| -> Vec<String> {
            p.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut check_fns: Vec<Vec<String>> = CHECK_FNS.iter().map(|p| split(p)).collect();
        let aware_fns: Vec<Vec<String>> = AWARE_FNS.iter().map(|p| split(p)).collect();
        let mut extra_methods = Vec::new();
        for p in extra {
            let segs = split(p);
            if let Some(last) = segs.last() {
                extra_methods.push(last.clone());
            }
            if !segs.is_empty() {
                check_fns.push(segs);
            }
        }
        let last_names = check_fns
            .iter()
            .chain(&aware_fns)
            .filter_map(|p| p.last().cloned())
            .collect();
        Observers {
            check_fns,
            aware_fns,
            extra_methods,
            last_names,
        }
    }

    /// Classifies a call through a path.
    pub(crate) fn classify_path(&self, path: &Path) -> CallKind {
        let Some(last) = path.segments.last().map(|s| &s.ident) else {
            return CallKind::Other;
        };
        // Fast path: most calls have nothing to do with cancellation.
        if !self.last_names.iter().any(|n| last == n)
            && *last != "exit"
            && *last != "abort"
            && *last != "panic_any"
        {
            return CallKind::Other;
        }
        let segs: Vec<&Ident> = path
            .segments
            .iter()
            .map(|s| &s.ident)
            .skip_while(|i| *i == "crate" || *i == "self" || *i == "super" || *i == "Self")
            .collect();
        let Some(last) = segs.last() else {
            return CallKind::Other;
        };
        if self.check_fns.iter().any(|p| path_matches(p, &segs)) {
            return CallKind::Check;
        }
        if self.aware_fns.iter().any(|p| path_matches(p, &segs)) {
            return CallKind::Aware;
        }
        if (*last == "exit" || *last == "abort") && segs.iter().any(|s| *s == "process") {
            return CallKind::Diverges;
        }
        if *last == "panic_any" {
            return CallKind::Diverges;
        }
        CallKind::Other
    }

    /// Classifies a method call by name (and, for the generic names, by receiver).
    pub(crate) fn classify_method(&self, method: &Ident, receiver: &Expr) -> CallKind {
        if CHECK_METHODS.iter().any(|m| method == m)
            || self.extra_methods.iter().any(|m| method == m)
        {
            return CallKind::Check;
        }
        if AWARE_METHODS.iter().any(|m| method == m) {
            return CallKind::Aware;
        }
        // `token.check()` (cancelkit's `CancelToken::check`) and `group.next()` (S6): only when
        // the receiver's name says what it is, because `check` and `next` are common names.
        if method == "check" && receiver_name_contains(receiver, &["token", "cancel"]) {
            return CallKind::Check;
        }
        if method == "next" && receiver_name_contains(receiver, &["group"]) {
            return CallKind::Aware;
        }
        CallKind::Other
    }

    /// Classifies a macro by its last path segment.
    pub(crate) fn classify_macro(&self, path: &Path) -> MacroKind {
        let Some(last) = path.segments.last() else {
            return MacroKind::Other;
        };
        if AWAITING_MACROS.iter().any(|m| last.ident == m) {
            MacroKind::Awaiting
        } else if DIVERGING_MACROS.iter().any(|m| last.ident == m) {
            MacroKind::Diverges
        } else {
            MacroKind::Other
        }
    }

    /// Whether `name` (an identifier seen in macro tokens followed by `(`) is a check.
    pub(crate) fn is_check_name(&self, name: &Ident) -> bool {
        CHECK_METHODS.iter().any(|m| name == m)
            || self.extra_methods.iter().any(|m| name == m)
            || self
                .check_fns
                .iter()
                .any(|p| p.last().is_some_and(|l| name == l))
    }

    /// Whether `name` (seen in macro tokens) names a cancellation-aware future.
    pub(crate) fn is_aware_name(&self, name: &Ident) -> bool {
        AWARE_METHODS.iter().any(|m| name == m)
            || self
                .aware_fns
                .iter()
                .any(|p| p.last().is_some_and(|l| name == l))
    }
}

/// `observer` is a full path such as `cancelkit::checkpoint`; `call` the segments of the called
/// path. They match when the last segments agree and one is a suffix of the other.
fn path_matches(observer: &[String], call: &[&Ident]) -> bool {
    let (Some(o), Some(c)) = (observer.last(), call.last()) else {
        return false;
    };
    if *c != o {
        return false;
    }
    let n = observer.len().min(call.len());
    observer[observer.len() - n..]
        .iter()
        .zip(&call[call.len() - n..])
        .all(|(o, c)| *c == o)
}

/// The name of a receiver expression (`self.token` → `token`, `group` → `group`), lowercased
/// containment test.
fn receiver_name_contains(receiver: &Expr, needles: &[&str]) -> bool {
    let name = match receiver {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        Expr::MethodCall(m) => Some(m.method.to_string()),
        Expr::Reference(r) => return receiver_name_contains(&r.expr, needles),
        Expr::Paren(p) => return receiver_name_contains(&p.expr, needles),
        _ => None,
    };
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        needles.iter().any(|needle| n.contains(needle))
    })
}
