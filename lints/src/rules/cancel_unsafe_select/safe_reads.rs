//! Reads of the rule's list that lose nothing when dropped, because of what they read into or
//! from:
//! - a `read_exact` into a one-byte buffer reads its byte in the poll that sees it, like
//!   `read_u8`, which tokio documents as cancel-safe;
//! - async-std's `Stdin::read_line` runs the read in a task the `Stdin` keeps, and the next
//!   call returns its line.
//!
//! A buffer written at the call (`&mut [0u8; 1]`) is known from the call alone
//! ([`reads_a_literal_byte`]); a variable (`let mut b = [0u8; 1];`, `let input =
//! async_std::io::stdin();`) from the `let` that binds it, which the walk of the file finds
//! ([`safe_binding`]) and hands to [`reads_a_safe_variable`].

use crate::analysis::imports::Imports;
use crate::analysis::literals;

/// What a variable is, when its reads lose nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safe {
    /// A one-element array (`let mut b = [0u8; 1];`, `let b: [u8; 1] = ..;`).
    OneByte,
    /// async-std's `Stdin`.
    AsyncStdStdin,
}

/// What the variable a `let` binds is, if its reads lose nothing: a one-element array, or
/// async-std's stdin (`async_std::io::stdin()`, or `io::stdin()` and `stdin()` as the file's
/// imports resolve them).
pub(super) fn safe_binding(l: &syn::Local, imports: &Imports) -> Option<Safe> {
    let (pat, typed) = match &l.pat {
        syn::Pat::Type(t) => (
            &*t.pat,
            matches!(&*t.ty, syn::Type::Array(a) if literals::int_lit(&a.len) == Some(1)),
        ),
        p => (p, false),
    };
    if !matches!(pat, syn::Pat::Ident(i) if i.subpat.is_none()) {
        return None;
    }
    let init = l.init.as_ref().map(|i| &*i.expr);
    if typed || init.is_some_and(one_element_array) {
        return Some(Safe::OneByte);
    }
    match init? {
        syn::Expr::Call(c) if c.args.is_empty() => match &*c.func {
            syn::Expr::Path(p) if imports.resolve_path(&p.path) == ["async_std", "io", "stdin"] => {
                Some(Safe::AsyncStdStdin)
            }
            _ => None,
        },
        _ => None,
    }
}

/// `[0u8; 1]`, `[0]`: an array of one element.
fn one_element_array(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Repeat(r) => literals::int_lit(&r.len) == Some(1),
        syn::Expr::Array(a) => a.elems.len() == 1,
        _ => false,
    }
}

/// `read_exact(&mut [0u8; 1])`: a read of one byte, written at the call.
pub(super) fn reads_a_literal_byte(name: &str, first_arg: Option<&syn::Expr>) -> bool {
    name == "read_exact"
        && matches!(first_arg, Some(syn::Expr::Reference(r)) if one_element_array(&r.expr))
}

/// `read_exact(&mut b)` into a one-byte buffer of `safe`, or `input.read_line(..)` on
/// async-std's stdin of `safe`.
pub(super) fn reads_a_safe_variable(
    name: &str,
    receiver: Option<&syn::Expr>,
    first_arg: Option<&syn::Expr>,
    safe: &[(String, Safe)],
) -> bool {
    let is = |e: &syn::Expr, kind: Safe| match e {
        syn::Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| safe.iter().any(|(n, k)| i == n && *k == kind)),
        _ => false,
    };
    match name {
        "read_exact" => {
            matches!(first_arg, Some(syn::Expr::Reference(r)) if is(&r.expr, Safe::OneByte))
        }
        "read_line" => receiver.is_some_and(|r| is(r, Safe::AsyncStdStdin)),
        _ => false,
    }
}
