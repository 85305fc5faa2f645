//! Names, as a checker without types knows things: cancelkit's runtime names, expanded from the
//! one list in `runtime_names.in` (which a test checks against the real `cancelkit` and
//! `tokio-util` APIs), what a method's or a value's name says, and a path by its last segment
//! ([`path_ends_in`]), wherever it was imported from.

/// The list as string tables: free functions as full paths (`cancelkit::checkpoint`), methods
/// by name (the checker has no types, so `is_cancelled` on any receiver counts).
macro_rules! runtime_names {
    (
        check_fns: [$($($cf:ident)::+),* $(,)?],
        aware_fns: [$($($af:ident)::+),* $(,)?],
        check_methods: [$([$($cty:tt)+]::$cm:ident $(::<$($cg:ty),*>)?),* $(,)?],
        aware_methods: [$([$($aty:tt)+]::$am:ident $(::<$($ag:ty),*>)?),* $(,)?],
    ) => {
        /// Synchronous checks: calling one observes cancellation.
        pub(crate) const CHECK_FNS: &[&str] = &[$(stringify!($($cf)::+)),*];
        /// Functions whose futures complete on cancellation.
        pub(crate) const AWARE_FNS: &[&str] = &[$(stringify!($($af)::+)),*];
        /// Methods that check synchronously.
        pub(crate) const CHECK_METHODS: &[&str] = &[$(stringify!($cm)),*];
        /// Methods returning cancellation-aware futures.
        pub(crate) const AWARE_METHODS: &[&str] = &[$(stringify!($am)),*];
    };
}

include!("runtime_names.in");

/// A method that consults whatever cancellation token it is called on (`is_cancelled`,
/// `cancelled`, `run_until_cancelled`...): the checker matches methods by name.
/// `check` is too common a name to say what its receiver is, and `until_cancelled` is a
/// future's adapter that watches cancelkit's current task, not a token.
pub(crate) fn consults_a_token(method: &proc_macro2::Ident) -> bool {
    CHECK_METHODS
        .iter()
        .chain(AWARE_METHODS)
        .filter(|m| !matches!(**m, "check" | "until_cancelled" | "until_token_cancelled"))
        .any(|m| method == m)
}

/// A value named like an error (`e`, `err`, `join_error`): its `is_cancelled()` is a
/// `JoinError`'s, which says how a task ended, not whether a token fired.
pub(crate) fn names_an_error(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "e" || n.starts_with("err") || n.ends_with("err") || n.ends_with("error")
}

/// Whether a path's last segment is one of `names`, whatever comes before it: `shield`,
/// `cancelkit::shield` and `crate::rt::shield` all end in `shield`. The checker has no types,
/// so this is how it recognises a function, a variant or an attribute wherever it was imported
/// from.
pub(crate) fn path_ends_in(path: &syn::Path, names: &[&str]) -> bool {
    path.segments
        .last()
        .is_some_and(|s| names.iter().any(|n| s.ident == n))
}

/// `shield(..)` under any path (through parentheses), as `#[cancellable]` recognises it: a
/// future that runs as if its task were not cancelled.
pub(crate) fn is_shield_call(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if path_ends_in(&p.path, &["shield"]))
        }
        syn::Expr::Paren(p) => is_shield_call(&p.expr),
        syn::Expr::Group(g) => is_shield_call(&g.expr),
        _ => false,
    }
}

/// `a :: b` (as `stringify!` spells a path) → `["a", "b"]`.
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_expanded() {
        assert!(
            CHECK_FNS
                .iter()
                .any(|p| segments(p) == ["cancelkit", "checkpoint"])
        );
        assert!(
            AWARE_FNS
                .iter()
                .any(|p| segments(p) == ["cancelkit", "sleep"])
        );
        assert!(CHECK_METHODS.contains(&"is_cancelled"));
        assert!(AWARE_METHODS.contains(&"run_until_cancelled"));
    }

    #[test]
    fn a_path_is_known_by_its_last_segment() {
        let path = |s: &str| syn::parse_str::<syn::Path>(s).expect("path");
        assert!(path_ends_in(&path("shield"), &["shield"]));
        assert!(path_ends_in(&path("cancelkit::shield"), &["shield"]));
        assert!(path_ends_in(
            &path("tokio::time::sleep_until"),
            &["sleep", "sleep_until"]
        ));
        assert!(!path_ends_in(&path("shield::run"), &["shield"]));
        let expr = |s: &str| syn::parse_str::<syn::Expr>(s).expect("expr");
        assert!(is_shield_call(&expr("(cancelkit::shield(flush()))")));
        assert!(!is_shield_call(&expr("shield")));
        assert!(!is_shield_call(&expr("guard.shield()")));
    }

    #[test]
    fn a_token_is_consulted_by_its_cancellation_methods_not_by_check() {
        let ident = |s: &str| proc_macro2::Ident::new(s, proc_macro2::Span::call_site());
        for m in [
            "is_cancelled",
            "cancelled",
            "cancelled_owned",
            "run_until_cancelled",
        ] {
            assert!(consults_a_token(&ident(m)), "{m}");
        }
        for m in ["check", "until_cancelled", "cancel", "recv", "sleep"] {
            assert!(!consults_a_token(&ident(m)), "{m}");
        }
    }
}
