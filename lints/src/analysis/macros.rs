//! What a macro's name (or, failing that, its tokens) says about control flow: whether it awaits
//! its operands, and whether it leaves the code around it.

/// Macros that await their operands implicitly, or yield (`futures::pending!`).
pub(crate) const AWAITING: &[&str] = &["select", "select_biased", "join", "try_join", "pending"];

/// Macros that never come back: they panic, or return from the function (`anyhow::bail!`).
const LEAVING: &[&str] = &["panic", "unreachable", "todo", "unimplemented", "bail"];

/// Macros that leave only when a condition fails (`assert!`, `ensure!`) or a poll is pending
/// (`ready!`).
fn leaves_on_condition(name: &str) -> bool {
    name.starts_with("assert")
        || name.starts_with("debug_assert")
        || matches!(name, "ensure" | "ready")
}

fn name(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Whether the macro named `path` never comes back (`panic!`, `bail!`).
pub(crate) fn always_leaves(path: &syn::Path) -> bool {
    LEAVING.contains(&name(path).as_str())
}

/// Whether the macro leaves on some path: it always does, leaves on a condition, or its tokens
/// say `return`, `break` or `?`.
pub(crate) fn may_leave(m: &syn::Macro) -> bool {
    always_leaves(&m.path) || leaves_on_condition(&name(&m.path)) || tokens_leave(&m.tokens)
}

/// Whether tokens contain `return`, `break` or a `?`.
pub(crate) fn tokens_leave(tokens: &proc_macro2::TokenStream) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == "return" || i == "break",
        proc_macro2::TokenTree::Punct(p) => p.as_char() == '?',
        proc_macro2::TokenTree::Group(g) => tokens_leave(&g.stream()),
        proc_macro2::TokenTree::Literal(_) => false,
    })
}
