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

/// Scans tokens for `.await`, calls to checks and mentions of cancellation-aware futures.
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

/// Token mode: whether the tokens call a method that consults the token it is called on
/// (`. is_cancelled (`, `. cancelled (`), whatever the receiver.
pub(crate) fn call_a_token_method(tokens: TokenStream) -> bool {
    let mut prev_dot = false;
    let mut method: Option<proc_macro2::Ident> = None;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                method = (prev_dot && super::names::consults_a_token(&i)).then_some(i);
                prev_dot = false;
            }
            TokenTree::Punct(p) => {
                prev_dot = p.as_char() == '.';
                method = None;
            }
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis && method.is_some() {
                    return true;
                }
                if call_a_token_method(g.stream()) {
                    return true;
                }
                prev_dot = false;
                method = None;
            }
            TokenTree::Literal(_) => {
                prev_dot = false;
                method = None;
            }
        }
    }
    false
}
