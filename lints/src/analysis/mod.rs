//! What the rules build on:
//! - the path-sensitive walk ([`flow`]), and what values and calls say about a loop
//!   ([`outcomes`], [`roots`]);
//! - name resolution through `use` items ([`imports`]), the runtime's names ([`names`]),
//!   literal values ([`literals`]), macro names and tokens ([`macros`], [`tokens`]);
//! - what a call means for cancellation ([`observers`]), cancellation-token variables
//!   ([`token_vars`]), locals that read like streams ([`streams`]), channels ([`channels`]),
//!   the free functions that block on every call ([`blocking`]);
//! - allow comments ([`suppress`]), and the resolution of calls across files ([`summaries`]).
//!
//! Nothing here knows about rules or the driver.

pub(crate) mod blocking;
pub(crate) mod channels;
pub(crate) mod flow;
pub(crate) mod imports;
pub(crate) mod literals;
pub(crate) mod macros;
pub(crate) mod names;
pub(crate) mod observers;
pub(crate) mod outcomes;
pub(crate) mod roots;
pub(crate) mod streams;
pub(crate) mod summaries;
pub(crate) mod suppress;
pub(crate) mod token_vars;
pub(crate) mod tokens;

/// Whether `attrs` has an attribute whose path ends in `name` (`#[uninterruptible]`,
/// `#[cancelkit::uninterruptible]`).
pub(crate) fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
}

/// The outer attributes of a statement, or of its expression (`#[cfg(unix)] read(..);`,
/// `#[uninterruptible] let x = ..;`). A loop's own attributes are read where the loop is.
pub(crate) fn stmt_attrs(stmt: &syn::Stmt) -> &[syn::Attribute] {
    use syn::{Expr, Stmt};
    match stmt {
        Stmt::Local(l) => &l.attrs,
        Stmt::Macro(m) => &m.attrs,
        Stmt::Item(_) => &[],
        Stmt::Expr(e, _) => match e {
            Expr::If(x) => &x.attrs,
            Expr::Match(x) => &x.attrs,
            Expr::Block(x) => &x.attrs,
            Expr::Unsafe(x) => &x.attrs,
            Expr::Call(x) => &x.attrs,
            Expr::MethodCall(x) => &x.attrs,
            Expr::Await(x) => &x.attrs,
            Expr::Macro(x) => &x.attrs,
            Expr::Assign(x) => &x.attrs,
            Expr::Try(x) => &x.attrs,
            _ => &[],
        },
    }
}

#[cfg(test)]
mod tests;
