//! What a macro's name (or, failing that, its tokens) says about control flow: whether it awaits
//! its operands, and whether it leaves the code around it.

/// Macros that await their operands implicitly, or yield (`futures::pending!`).
pub(crate) const AWAITING: &[&str] = &["select", "select_biased", "join", "try_join", "pending"];

/// Macros known not to await or check: std's, logging and tracing, common helpers. A macro of
/// another crate that is none of these may await (`ztimeout!(fut)` expands to
/// `timeout(..).await`), which the checker cannot see: it gets the benefit of the doubt.
/// std's expression macros ([`EXPRESSION_MACROS`]) are quiet too.
const QUIET: &[&str] = &[
    "vec",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "matches",
    "concat",
    "stringify",
    "include",
    "include_str",
    "include_bytes",
    "env",
    "option_env",
    "cfg",
    "line",
    "column",
    "file",
    "module_path",
    "compile_error",
    "thread_local",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
    "log",
    "anyhow",
    "bail",
    "ensure",
    "json",
    "pin",
    "pin_mut",
    "ready",
    "lazy_static",
    "hashmap",
    "btreemap",
    "quote",
    "parse_quote",
];

/// Whether a macro without a definition in the checked code is known not to await.
pub(crate) fn is_quiet(name: &str) -> bool {
    QUIET.contains(&name) || EXPRESSION_MACROS.contains(&name)
}

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

/// Whether every rule of a `macro_rules!` (its tokens) expands to code whose last statement
/// leaves the function: a `return`, or a macro that always leaves (`panic!`). Such a macro
/// (`corrupted!()` defined as `return Err(..)`) ends the path it is on, as `panic!` does.
pub(crate) fn rules_always_leave(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut bodies = 0;
    for w in tts.windows(3) {
        let arrow = matches!((&w[0], &w[1]), (TokenTree::Punct(a), TokenTree::Punct(b))
            if a.as_char() == '=' && b.as_char() == '>');
        if !arrow {
            continue;
        }
        let TokenTree::Group(body) = &w[2] else {
            return false;
        };
        if !ends_by_leaving(&body.stream()) {
            return false;
        }
        bodies += 1;
    }
    bodies > 0
}

/// Whether the last statement of `tokens` is `return ..` or an always-leaving macro call.
fn ends_by_leaving(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree};
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut last: &[TokenTree] = &[];
    for stmt in tts.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';')) {
        if !stmt.is_empty() {
            last = stmt;
        }
    }
    match last {
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Brace => ends_by_leaving(&g.stream()),
        [TokenTree::Ident(i), ..] if i == "return" => true,
        [
            TokenTree::Ident(i),
            TokenTree::Punct(p),
            TokenTree::Group(_),
        ] if p.as_char() == '!' => LEAVING.contains(&i.to_string().as_str()),
        _ => false,
    }
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

/// Whether tokens contain `.await`.
/// The macros a `macro_rules!` body invokes (`name!(..)`, `$crate::name!(..)`), by name;
/// not its metavariables (`$name`) nor `macro_rules!` itself.
pub(crate) fn invoked(tokens: &proc_macro2::TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    for (k, tt) in tts.iter().enumerate() {
        match tt {
            // `name ! (..)`: not `a != b` (a joint `!`), nor `if !done { .. }` (no group next).
            TokenTree::Ident(i)
                if matches!(tts.get(k + 1), Some(TokenTree::Punct(p))
                    if p.as_char() == '!' && p.spacing() == proc_macro2::Spacing::Alone)
                    && matches!(tts.get(k + 2), Some(TokenTree::Group(_)))
                    && !matches!(k.checked_sub(1).and_then(|j| tts.get(j)),
                        Some(TokenTree::Punct(p)) if p.as_char() == '$')
                    && i != "macro_rules" =>
            {
                out.push(i.to_string());
            }
            TokenTree::Group(g) => out.extend(invoked(&g.stream())),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

pub(crate) fn tokens_await(tokens: &proc_macro2::TokenStream) -> bool {
    let mut prev_dot = false;
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => {
            let hit = prev_dot && i == "await";
            prev_dot = false;
            hit
        }
        proc_macro2::TokenTree::Punct(p) => {
            prev_dot = p.as_char() == '.';
            false
        }
        proc_macro2::TokenTree::Group(g) => {
            prev_dot = false;
            tokens_await(&g.stream())
        }
        proc_macro2::TokenTree::Literal(_) => {
            prev_dot = false;
            false
        }
    })
}

/// One branch of a `select!`: `pattern = future (, if precondition)? => handler`.
pub(crate) struct SelectBranch {
    pub(crate) pat: syn::Pat,
    pub(crate) future: syn::Expr,
    pub(crate) handler: syn::Expr,
}

/// The branches of a `tokio::select!`, `futures::select!` or `select_biased!` invocation, or
/// `None` when the tokens do not parse as one (a macro of the same name that is something
/// else). Understands `biased;`, `else => ..`, `complete => ..`, guards and preconditions.
pub(crate) fn select_branches(m: &syn::Macro) -> Option<Vec<SelectBranch>> {
    use syn::parse::{ParseStream, Parser};
    let name = name(&m.path);
    if !matches!(name.as_str(), "select" | "select_biased") {
        return None;
    }
    let parser = |input: ParseStream<'_>| -> syn::Result<Vec<SelectBranch>> {
        let mut out = Vec::new();
        if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "biased" {
            input.parse::<syn::Ident>()?;
            input.parse::<syn::Token![;]>()?;
        }
        while !input.is_empty() {
            let is_default = (input.peek(syn::Token![else])
                || (input.peek(syn::Ident)
                    && input
                        .fork()
                        .parse::<syn::Ident>()
                        .is_ok_and(|i| i == "complete" || i == "default")))
                && input.peek2(syn::Token![=>]);
            if is_default {
                input.parse::<proc_macro2::TokenTree>()?;
                input.parse::<syn::Token![=>]>()?;
                let _handler: syn::Expr = input.parse()?;
            } else {
                let pat = syn::Pat::parse_multi_with_leading_vert(input)?;
                input.parse::<syn::Token![=]>()?;
                let future: syn::Expr = input.parse()?;
                if input.peek(syn::Token![,]) && input.peek2(syn::Token![if]) {
                    input.parse::<syn::Token![,]>()?;
                    input.parse::<syn::Token![if]>()?;
                    let _pre: syn::Expr = input.parse()?;
                }
                input.parse::<syn::Token![=>]>()?;
                let handler: syn::Expr = input.parse()?;
                out.push(SelectBranch {
                    pat,
                    future,
                    handler,
                });
            }
            if input.peek(syn::Token![,]) {
                input.parse::<syn::Token![,]>()?;
            }
        }
        Ok(out)
    };
    parser.parse2(m.tokens.clone()).ok()
}

/// `matches!(e, pat)` (or `matches!(e, pat if guard)`) read as the condition `let pat = e`, which
/// it is, so that the scrutinee's call and the pattern's outcome count as in a `while let`.
/// The flag says whether a guard was present (its false side then includes the pattern's
/// success). `None` when the tokens do not parse as that.
pub(crate) fn matches_as_let(m: &syn::Macro) -> Option<(syn::ExprLet, bool)> {
    use syn::parse::{ParseStream, Parser};
    use syn::spanned::Spanned;
    if name(&m.path) != "matches" {
        return None;
    }
    let parser = |input: ParseStream<'_>| -> syn::Result<(syn::ExprLet, bool)> {
        let expr: syn::Expr = input.parse()?;
        input.parse::<syn::Token![,]>()?;
        let pat = syn::Pat::parse_multi_with_leading_vert(input)?;
        let guarded = input.peek(syn::Token![if]);
        if guarded {
            input.parse::<syn::Token![if]>()?;
            let _guard: syn::Expr = input.parse()?;
        }
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        }
        let l = syn::ExprLet {
            attrs: Vec::new(),
            let_token: syn::Token![let](m.path.span()),
            pat: Box::new(pat),
            eq_token: syn::Token![=](m.path.span()),
            expr: Box::new(expr),
        };
        Ok((l, guarded))
    };
    parser.parse2(m.tokens.clone()).ok()
}

/// std's macros whose operands are plain expressions, each evaluated once.
const EXPRESSION_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "dbg",
];

/// The operands of one of std's expression macros (`assert!(n < max, "{}", n)`), to be walked
/// as code; a named format argument (`x = e`) gives `e`. `None` for any other macro, or tokens
/// that do not parse as expressions.
pub(crate) fn operands(m: &syn::Macro) -> Option<Vec<syn::Expr>> {
    use syn::punctuated::Punctuated;
    if !EXPRESSION_MACROS.contains(&name(&m.path).as_str()) {
        return None;
    }
    let args = m
        .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    Some(
        args.into_iter()
            .map(|e| match e {
                syn::Expr::Assign(a) => *a.right,
                e => e,
            })
            .collect(),
    )
}
