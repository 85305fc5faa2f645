//! `group!`: a structured task group with less ceremony (SPEC S31).
//!
//! Three forms, told apart by their first tokens:
//!
//! ```text
//! group!(|g| BODY)              →  with_task_group(async |g: &mut TaskGroup<_>| BODY).await
//! group!(try |g| BODY)          →  with_throwing_task_group(
//!                                      async |g: &mut ThrowingTaskGroup<_, _>| Ok(BODY)).await
//! group!(a, b, c)               →  { slots; fail-fast throwing group filling them;
//!                                    Ok((slot_a.take(), slot_b.take(), slot_c.take())) }
//! group!(for PAT in ITER => FUT) →  group_for_each(ITER, |PAT| FUT).await
//! ```
//!
//! Everything is reached through `::cancelkit::__private`; the group handle keeps the user's
//! span, so type errors inside the body point at the user's code.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Pat, Token};

const USAGE: &str = "help: `group!` takes one of\n  \
    group!(|g| { ... })            a body with a group handle `g`\n  \
    group!(try |g| { ... })        the same, throwing: `?` works, the last expression is the Ok value\n  \
    group!(a(), b(), c())          run the futures as children: Ok((a, b, c)) or the first error\n  \
    group!(for x in xs => f(x))    one child per item: Ok(Vec) in input order, or the first error";

enum Input {
    Body {
        throwing: bool,
        handle: syn::Ident,
        body: Box<Expr>,
    },
    Fixed(Vec<Expr>),
    ForEach {
        pat: Box<Pat>,
        iter: Box<Expr>,
        fut: Box<Expr>,
    },
}

fn usage_error(span: Span, message: &str) -> syn::Error {
    syn::Error::new(span, format!("{message}\n{USAGE}"))
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(usage_error(
                input.span(),
                "`group!` needs a body or futures to run",
            ));
        }
        if input.peek(Token![try]) || input.peek(Token![|]) || input.peek(Token![||]) {
            return parse_body(input);
        }
        if input.peek(Token![for]) {
            return parse_for_each(input);
        }
        let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        let futures: Vec<Expr> = futures.into_iter().collect();
        if let Some(closure) = futures.iter().find(|e| matches!(e, Expr::Closure(_))) {
            return Err(usage_error(
                closure.span(),
                "a closure here is neither a body (that must come alone) nor a future",
            ));
        }
        Ok(Input::Fixed(futures))
    }
}

fn parse_body(input: ParseStream<'_>) -> syn::Result<Input> {
    let throwing = input.parse::<Option<Token![try]>>()?.is_some();
    if input.peek(Token![||]) {
        let bars: Token![||] = input.parse()?;
        return Err(usage_error(
            bars.span(),
            "the body needs a name for the group handle: write `|g|`",
        ));
    }
    if !input.peek(Token![|]) {
        return Err(usage_error(
            input.span(),
            "expected `|g|` after `try`: `group!(try |g| { ... })`",
        ));
    }
    let open: Token![|] = input.parse()?;
    let pat = Pat::parse_single(input)?;
    let handle = match &pat {
        Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
            ident.ident.clone()
        }
        Pat::Type(typed) => {
            return Err(usage_error(
                typed.colon_token.span(),
                "leave the handle's type out: `group!` gives it (`&mut TaskGroup<_>`, or \
                 `&mut ThrowingTaskGroup<_, _>` with `try`)",
            ));
        }
        other => {
            return Err(usage_error(
                other.span(),
                "the group handle must be a plain name, like `|g|`",
            ));
        }
    };
    if input.peek(Token![:]) {
        let colon: Token![:] = input.parse()?;
        return Err(usage_error(
            colon.span(),
            "leave the handle's type out: `group!` gives it (`&mut TaskGroup<_>`, or \
             `&mut ThrowingTaskGroup<_, _>` with `try`)",
        ));
    }
    if input.peek(Token![,]) {
        let comma: Token![,] = input.parse()?;
        return Err(usage_error(
            comma.span(),
            "the body takes exactly one parameter, the group handle",
        ));
    }
    let close: Token![|] = input
        .parse()
        .map_err(|_| usage_error(input.span(), "expected `|` to close the group handle `|g|`"))?;
    if input.is_empty() {
        return Err(usage_error(
            open.span().join(close.span()).unwrap_or(close.span()),
            "missing the body after the group handle",
        ));
    }
    let body: Expr = input.parse()?;
    if !input.is_empty() {
        return Err(usage_error(
            input.span(),
            "unexpected tokens after the body: the body form takes one closure-like body; \
             wrap several statements in `{ ... }`",
        ));
    }
    Ok(Input::Body {
        throwing,
        handle,
        body: Box::new(body),
    })
}

fn parse_for_each(input: ParseStream<'_>) -> syn::Result<Input> {
    let _for: Token![for] = input.parse()?;
    let pat = Pat::parse_multi_with_leading_vert(input)?;
    if !input.peek(Token![in]) {
        return Err(usage_error(
            input.span(),
            "expected `in`: `group!(for x in xs => f(x))`",
        ));
    }
    let _in: Token![in] = input.parse()?;
    let iter = Expr::parse_without_eager_brace(input)?;
    if !input.peek(Token![=>]) {
        return Err(usage_error(
            if input.is_empty() {
                iter.span()
            } else {
                input.span()
            },
            "expected `=>` and the future to run for each item: `group!(for x in xs => f(x))`",
        ));
    }
    let _arrow: Token![=>] = input.parse()?;
    if input.is_empty() {
        return Err(usage_error(
            _arrow.span(),
            "missing the future to run for each item after `=>`",
        ));
    }
    let fut: Expr = input.parse()?;
    let _ = input.parse::<Option<Token![,]>>()?;
    if !input.is_empty() {
        return Err(usage_error(
            input.span(),
            "unexpected tokens after the per-item future",
        ));
    }
    Ok(Input::ForEach {
        pat: Box::new(pat),
        iter: Box::new(iter),
        fut: Box::new(fut),
    })
}

fn allow_list() -> TokenStream {
    quote! {
        #[allow(
            unused_mut,
            unused_parens,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            clippy::restriction
        )]
    }
}

/// Expands `group!(...)`; a malformed invocation becomes a spanned `compile_error!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input) {
        Ok(input) => expand_input(input),
        Err(err) => err.to_compile_error(),
    }
}

/// Wraps `expr` so the allow list applies (attributes on expressions are unstable; on a `let`
/// they are not).
fn with_allow(expr: TokenStream) -> TokenStream {
    let allow = allow_list();
    let out = format_ident!("__cancelkit_out", span = Span::mixed_site());
    quote! {
        {
            #allow
            let #out = #expr;
            #out
        }
    }
}

fn expand_input(input: Input) -> TokenStream {
    with_allow(expand_inner(input))
}

fn expand_inner(input: Input) -> TokenStream {
    let private = quote!(::cancelkit::__private);
    match input {
        Input::Body {
            throwing: false,
            handle,
            body,
        } => quote_spanned! {handle.span()=>
            {
                #private::with_task_group(
                    async |#handle: &mut #private::TaskGroup<_>| #body
                )
                .await
            }
        },
        Input::Body {
            throwing: true,
            handle,
            body,
        } => quote_spanned! {handle.span()=>
            {
                #private::with_throwing_task_group(
                    async |#handle: &mut #private::ThrowingTaskGroup<_, _>| {
                        #private::core::result::Result::Ok(#body)
                    }
                )
                .await
            }
        },
        Input::Fixed(futures) => {
            let slots: Vec<_> = (0..futures.len())
                .map(|i| format_ident!("__cancelkit_slot{}", i, span = Span::mixed_site()))
                .collect();
            let group = format_ident!("__cancelkit_group", span = Span::mixed_site());
            let spawns = slots.iter().zip(&futures).map(|(slot, fut)| {
                quote_spanned! {fut.span()=>
                    #group.spawn(#slot.fill(#fut));
                }
            });
            quote! {
                    {
                    #( let #slots = #private::Slot::new(); )*
                    #private::with_fail_fast_task_group(async |#group: &mut #private::ThrowingTaskGroup<(), _>| {
                        #( #spawns )*
                        #private::group_join_all(#group).await?;
                        #private::core::result::Result::Ok(( #( #slots.take(), )* ))
                    })
                    .await
                }
            }
        }
        Input::ForEach { pat, iter, fut } => quote! {
            {
                #private::group_for_each(#iter, |#pat| #fut).await
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> String {
        expand(src.parse().unwrap()).to_string()
    }

    #[test]
    fn forms_expand_through_private_paths() {
        assert!(expand_str("|g| { 1 }").contains(":: cancelkit :: __private :: with_task_group"));
        assert!(expand_str("try |g| { 1 }").contains("with_throwing_task_group"));
        assert!(expand_str("a(), b()").contains("__cancelkit_slot1"));
        assert!(expand_str("for x in xs => f(x)").contains("group_for_each"));
    }

    #[test]
    fn malformed_input_is_a_compile_error() {
        for bad in [
            "",
            "|| 1",
            "|a, b| 1",
            "|g: X| 1",
            "for x in xs",
            "try a()",
            "|g|",
        ] {
            assert!(expand_str(bad).contains("compile_error"), "{bad}");
        }
    }
}
