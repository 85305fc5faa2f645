//! What the rules build on: the path-sensitive walk ([`flow`]), what values and calls say about
//! a loop ([`outcomes`], [`roots`]), name resolution through `use` items ([`imports`]) and the
//! runtime's names ([`names`]), what a call means for cancellation ([`observers`]), macro names and tokens
//! ([`macros`], [`tokens`]), cancellation-token variables ([`token_vars`]), locals that read like streams ([`streams`]), allow comments ([`suppress`]), the free functions that block on every call ([`blocking`]) and the resolution of calls across files
//! ([`summaries`]). Nothing here knows about rules or the driver.

pub(crate) mod blocking;
pub(crate) mod flow;
pub(crate) mod imports;
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

#[cfg(test)]
mod tests;
