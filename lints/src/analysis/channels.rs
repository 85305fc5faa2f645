//! Which kinds of channel a crate makes, read from the constructors it calls.
//!
//! A message `send` on a bounded channel can wait for room while it holds the message, so
//! dropping that future loses it. On an unbounded channel, `send` finishes on its first poll:
//! there is nothing to lose. Without types the checker cannot tell which channel a `send`
//! goes to, but it can tell which channels a crate makes. When every channel the crate makes
//! is unbounded, its sends are taken to go to those (see `cancel_unsafe_select`).
//!
//! Invariants, all in the direction of keeping findings:
//! - A constructor is known by its name: `unbounded`, `unbounded_channel`, `unbounded_async`
//!   make unbounded channels; `bounded`, `bounded_async`, `channel(cap)` and
//!   `broadcast(cap)` make bounded ones. It is seen in code, and also in any macro's tokens
//!   (a `select!` branch, a `lazy_static!`), where a name followed by parentheses counts.
//! - Channels whose `send` never waits are left out: `watch` and `oneshot` channels, and
//!   `tokio::sync::broadcast::channel` (as the file's `use` items resolve it; another crate's
//!   `broadcast::channel` counts as bounded).
//! - A channel made by another crate, or through a renamed import (`use mpsc::channel as
//!   make`), is not seen: a crate that makes none of its own channels says nothing, and its
//!   sends stay reported.
//! - Test code makes no channels the library sends on: the driver does not note constructors
//!   in test functions, `#[cfg(test)]` modules, or files under `tests/`, `examples/` or
//!   `benches/` (see [`is_test_path`]).

use std::path::Path;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::imports::Imports;

/// The kinds of channel that some code makes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Channels {
    bounded: bool,
    unbounded: bool,
}

impl Channels {
    /// Records the channel `call` makes, if it makes one.
    pub(crate) fn note(&mut self, call: &syn::ExprCall, imports: &Imports) {
        let syn::Expr::Path(p) = &*call.func else {
            return;
        };
        let Some(last) = p.path.segments.last() else {
            return;
        };
        let name = &last.ident;
        if name == "unbounded" || name == "unbounded_channel" || name == "unbounded_async" {
            self.unbounded = true;
        } else if name == "bounded" || name == "bounded_async" {
            self.bounded = true;
        } else if (name == "channel" || name == "broadcast") && call.args.len() == 1 {
            let segs = imports.resolve_path(&p.path);
            let sync_send = segs.iter().any(|s| s == "watch" || s == "oneshot")
                || segs.starts_with(&["tokio".into(), "sync".into(), "broadcast".into()]);
            self.bounded |= !sync_send;
        }
    }

    /// Records the constructors a macro's tokens call (`select!` branches, `lazy_static!`).
    pub(crate) fn note_tokens(&mut self, tokens: &TokenStream) {
        let mut previous: Option<String> = None;
        let mut name: Option<String> = None;
        for tt in tokens.clone() {
            match tt {
                TokenTree::Ident(i) => {
                    previous = name.take().or(previous);
                    name = Some(i.to_string());
                }
                TokenTree::Group(g) => {
                    if g.delimiter() == Delimiter::Parenthesis
                        && let Some(n) = name.take()
                    {
                        let args = !g.stream().is_empty();
                        match n.as_str() {
                            "unbounded" | "unbounded_channel" | "unbounded_async" => {
                                self.unbounded = true;
                            }
                            "bounded" | "bounded_async" => self.bounded = true,
                            "channel" | "broadcast" if args => {
                                let kind = previous.as_deref();
                                self.bounded |= !matches!(kind, Some("watch" | "oneshot"));
                            }
                            _ => {}
                        }
                    }
                    previous = None;
                    name = None;
                    self.note_tokens(&g.stream());
                }
                // `mpsc :: channel`: the path goes on.
                TokenTree::Punct(p) if p.as_char() == ':' => {}
                TokenTree::Punct(_) | TokenTree::Literal(_) => {
                    previous = None;
                    name = None;
                }
            }
        }
    }

    /// Adds what `other` makes.
    pub(crate) fn merge(&mut self, other: Channels) {
        self.bounded |= other.bounded;
        self.unbounded |= other.unbounded;
    }

    /// The code makes channels, and every one of them is unbounded.
    pub(crate) fn only_unbounded(self) -> bool {
        self.unbounded && !self.bounded
    }
}

/// Whether `text` calls a constructor by a name that can make a bounded channel (`channel(`,
/// `bounded(`): only then can a macro's tokens change what a crate makes, and scanning them is
/// worth its cost.
pub(crate) fn calls_bounded_by_name(text: &str) -> bool {
    ["bounded(", "bounded_async(", "channel(", "broadcast("]
        .iter()
        .any(|c| text.contains(c))
}

/// A file of a package's tests, examples or benchmarks (`tests/common/mod.rs`,
/// `examples/demo.rs`), or an out-of-line test module (`src/parser/tests.rs`).
pub(crate) fn is_test_path(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str());
    matches!(stem, Some("tests" | "test"))
        || path.parent().is_some_and(|dir| {
            dir.components().any(|c| {
                matches!(
                    c.as_os_str().to_str(),
                    Some("tests" | "examples" | "benches")
                )
            })
        })
}

#[cfg(test)]
mod tests {
    use super::{Channels, is_test_path};
    use crate::analysis::imports::Imports;

    fn of(code: &str) -> Channels {
        let file: syn::File = syn::parse_str(code).unwrap();
        let imports = Imports::of(&file);
        let mut c = Channels::default();
        struct Calls<'a>(&'a mut Channels, &'a Imports);
        impl<'ast> syn::visit::Visit<'ast> for Calls<'_> {
            fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
                self.0.note(call, self.1);
                syn::visit::visit_expr_call(self, call);
            }
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                self.0.note_tokens(&m.tokens);
            }
        }
        syn::visit::Visit::visit_file(&mut Calls(&mut c, &imports), &file);
        c
    }

    #[test]
    fn unbounded_constructors_alone_make_only_unbounded() {
        assert!(of("fn f() { async_channel::unbounded(); }").only_unbounded());
        assert!(of("fn f() { mpsc::unbounded_channel(); flume::unbounded(); }").only_unbounded());
    }

    #[test]
    fn any_bounded_constructor_counts() {
        for bounded in [
            "mpsc::channel(8)",
            "async_channel::bounded(1)",
            "channel(16)",
            "async_broadcast::broadcast(4)",
            "postage::broadcast::channel(8)",
        ] {
            let code = format!("fn f() {{ unbounded(); {bounded}; }}");
            assert!(!of(&code).only_unbounded(), "{bounded} is bounded");
        }
    }

    #[test]
    fn constructors_in_macros_count() {
        for code in [
            "fn f() { unbounded(); tokio::select! { Some(r) = reqs.recv() => { let (a, b) = tokio::sync::mpsc::channel(1); } } }",
            "fn f() { unbounded(); } lazy_static! { static ref CH: (S, R) = async_channel::bounded(8); }",
        ] {
            assert!(!of(code).only_unbounded(), "{code}");
        }
        assert!(of("fn f() { vec![unbounded()]; }").only_unbounded());
        assert!(of("fn f() { unbounded(); m!(watch::channel(0)); }").only_unbounded());
    }

    #[test]
    fn channels_without_async_send_are_ignored() {
        let c = of(
            "use tokio::sync::broadcast;\nfn f() { unbounded(); watch::channel(0); broadcast::channel(16); tokio::sync::broadcast::channel(16); oneshot::channel(); std::sync::mpsc::channel(); }",
        );
        assert!(c.only_unbounded());
    }

    #[test]
    fn no_channel_is_not_only_unbounded() {
        assert!(!of("fn f() { foo(1); }").only_unbounded());
    }

    #[test]
    fn test_files_are_known_by_their_path() {
        for test in [
            "tests/common/mod.rs",
            "crate/examples/demo.rs",
            "benches/b.rs",
            "src/parser/tests.rs",
        ] {
            assert!(is_test_path(std::path::Path::new(test)), "{test}");
        }
        for lib in ["src/lib.rs", "src/testing_utils.rs", "src/examples_gen.rs"] {
            assert!(!is_test_path(std::path::Path::new(lib)), "{lib}");
        }
    }
}
