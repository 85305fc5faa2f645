//! Macro invocations are opaque: their tokens are scanned for `.await`, calls to checks and
//! mentions of cancellation-aware futures.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::observers::Observers;

/// Token groups nested deeper than this are not scanned (see `flow`'s `MAX_DEPTH`).
const MAX_DEPTH: u32 = 256;

/// What a macro's tokens contain.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TokenScan {
    pub(crate) await_: bool,
    pub(crate) check: bool,
    pub(crate) aware: bool,
}

/// Scans tokens for `.await` (or a `select!`/`join!`, which awaits), calls to checks and
/// mentions of cancellation-aware futures.
pub(crate) fn scan_tokens(observers: &Observers, tokens: TokenStream) -> TokenScan {
    let mut scan = TokenScan::default();
    scan_into(observers, tokens, &mut scan, 0);
    scan
}

fn scan_into(observers: &Observers, tokens: TokenStream, scan: &mut TokenScan, depth: u32) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut prev_dot = false;
    let mut pending_ident: Option<proc_macro2::Ident> = None;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                if prev_dot && i == "await" {
                    scan.await_ = true;
                }
                if observers.is_aware_name(&i) {
                    scan.aware = true;
                }
                pending_ident = Some(i);
                prev_dot = false;
            }
            TokenTree::Punct(p) => {
                // A `select!` or `join!` in the tokens awaits its futures.
                if p.as_char() == '!'
                    && pending_ident
                        .as_ref()
                        .is_some_and(|i| super::macros::AWAITING.iter().any(|m| i == m))
                {
                    scan.await_ = true;
                }
                prev_dot = p.as_char() == '.';
                pending_ident = None;
            }
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis
                    && pending_ident
                        .as_ref()
                        .is_some_and(|i| observers.is_check_name(i))
                {
                    scan.check = true;
                }
                scan_into(observers, g.stream(), scan, depth + 1);
                prev_dot = false;
                pending_ident = None;
            }
            TokenTree::Literal(_) => {
                prev_dot = false;
                pending_ident = None;
            }
        }
    }
}

/// Token mode: whether a macro's tokens consult a token by calling one of its cancellation
/// methods (`. is_cancelled (`, `. cancelled (`), whatever the receiver, where the call is
/// part of the invocation's own path:
/// - in a `select!`, only in the branches' futures (between `=` and `=>`): a branch's body
///   runs when that branch wins, not on every pass;
/// - never inside an `async` block or a closure's braced body, which runs later or elsewhere
///   (a task the loop spawns watching a token of its own);
/// - not an error's `is_cancelled()` (`e`, `err`: a `JoinError`'s says how a task ended).
pub(crate) fn call_a_token_method(mac: &syn::Macro) -> bool {
    match select_futures(mac) {
        None => calls_token_method(mac.tokens.clone()),
        Some(futures) => futures.into_iter().any(calls_token_method),
    }
}

/// The locals a `select!` races against a token: the branches whose future is a plain
/// variable (`result = writer_loop =>`, or `&mut writer_loop`), when another branch's future
/// calls a cancellation method (`_ = token.cancelled() =>`). Whatever such a local holds is
/// dropped when the token fires.
pub(crate) fn raced_against_a_token(mac: &syn::Macro) -> Vec<String> {
    use quote::ToTokens;
    let Some(branches) = super::macros::select_branches(mac) else {
        return Vec::new();
    };
    if !branches
        .iter()
        .any(|b| calls_token_method(b.future.to_token_stream()))
    {
        return Vec::new();
    }
    let local = |e: &syn::Expr| match e {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    branches
        .iter()
        .filter_map(|b| match &b.future {
            syn::Expr::Reference(r) if r.mutability.is_some() => local(&r.expr),
            f => local(f),
        })
        .collect()
}

/// A `select!`'s branch futures, each `pattern = future =>` (a lone `=` opens a future, the
/// `=` of `=>` closes it); `None` for any other macro.
fn select_futures(mac: &syn::Macro) -> Option<Vec<TokenStream>> {
    let select = mac
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == "select" || s.ident == "select_biased");
    if !select {
        return None;
    }
    let mut out = Vec::new();
    let mut future: Option<Vec<TokenTree>> = None;
    let mut tokens = mac.tokens.clone().into_iter().peekable();
    while let Some(tt) = tokens.next() {
        if let TokenTree::Punct(p) = &tt
            && p.as_char() == '='
        {
            let arrow = matches!(tokens.peek(), Some(TokenTree::Punct(n)) if n.as_char() == '>');
            if arrow {
                if let Some(f) = future.take() {
                    out.push(f.into_iter().collect());
                }
            } else if p.spacing() == proc_macro2::Spacing::Alone && future.is_none() {
                future = Some(Vec::new());
                continue;
            }
        }
        if let Some(f) = &mut future {
            f.push(tt);
        }
    }
    Some(out)
}

fn calls_token_method(tokens: TokenStream) -> bool {
    // The identifier before the last `.` (the receiver, when it is one word), and the method
    // after it.
    let mut receiver: Option<proc_macro2::Ident> = None;
    let mut last_ident: Option<proc_macro2::Ident> = None;
    let mut prev_dot = false;
    let mut method: Option<proc_macro2::Ident> = None;
    // An `async` block or a closure's body comes next.
    let mut deferred = false;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                method = (prev_dot
                    && super::names::consults_a_token(&i)
                    && !(i == "is_cancelled"
                        && receiver
                            .as_ref()
                            .is_some_and(|r| super::names::names_an_error(&r.to_string()))))
                .then(|| i.clone());
                deferred |= i == "async" || i == "move";
                prev_dot = false;
                last_ident = Some(i);
            }
            TokenTree::Punct(p) => {
                prev_dot = p.as_char() == '.';
                receiver = if prev_dot { last_ident.take() } else { None };
                deferred |= p.as_char() == '|';
                method = None;
            }
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis && method.is_some() {
                    return true;
                }
                let skip = deferred && g.delimiter() == Delimiter::Brace;
                if !skip && calls_token_method(g.stream()) {
                    return true;
                }
                if g.delimiter() == Delimiter::Brace {
                    deferred = false;
                }
                prev_dot = false;
                method = None;
                last_ident = None;
            }
            TokenTree::Literal(_) => {
                prev_dot = false;
                method = None;
                last_ident = None;
            }
        }
    }
    false
}
