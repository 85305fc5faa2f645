//! `#[cancellable]`: parse the options, check the item, rewrite each function body.
//!
//! ```text
//! #[cancellable] fn f() -> Result<T, E> { body }   =>  fn f() -> Result<T, E> { body' }
//! #[cancellable] impl X { fn a() {..} fn b() {..} } =>  impl X { fn a() {..'} fn b() {..'} }
//! ```
//!
//! On any error the item is emitted unchanged (markers stripped, so they do not cause a second
//! error) followed by spanned `compile_error!`s, so that the rest of the crate and the IDE keep
//! working (tokio-macros' `token_stream_with_error`).

mod args;
mod rewrite;
#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit_mut::VisitMut;
use syn::{Block, ImplItem, Item, ReturnType, Signature, Type};

use args::{OnCancel, Options};
use rewrite::{Rewriter, StripMarkers, is_cancellable_attr, is_marked};

/// Expands `#[cancellable(attr)] item`.
pub(crate) fn expand(attr: TokenStream, input: TokenStream) -> TokenStream {
    let mut item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(err) => return with_errors(input, vec![err]),
    };
    let opts = match Options::parse(attr) {
        Ok(opts) => opts,
        Err(err) => {
            let mut errors = Vec::new();
            strip_item(&mut item, &mut errors);
            let mut out = item.into_token_stream();
            out.extend(err.write_errors());
            out.extend(errors.iter().map(syn::Error::to_compile_error));
            return out;
        }
    };
    let mut errors = Vec::new();
    match &mut item {
        Item::Fn(f) => rewrite_fn(&opts, &f.sig, &mut f.block, false, &mut errors),
        Item::Impl(imp) => {
            for member in &mut imp.items {
                let ImplItem::Fn(f) = member else { continue };
                // Methods with their own `#[cancellable(...)]` are expanded by it; marked
                // ones and `const fn`s (which cannot observe a task) are left alone.
                if f.attrs.iter().any(is_cancellable_attr)
                    || is_marked(&f.attrs)
                    || f.sig.constness.is_some()
                {
                    continue;
                }
                rewrite_fn(&opts, &f.sig, &mut f.block, true, &mut errors);
            }
        }
        other => errors.push(syn::Error::new_spanned(
            item_head(other),
            format!(
                "`#[cancellable]` goes on a function or an `impl` block, not on {}\n\
                 help: put it on the functions whose loops and `.await`s should observe \
                 cancellation",
                item_kind(other)
            ),
        )),
    }
    strip_item(&mut item, &mut errors);
    if errors.is_empty() {
        item.into_token_stream()
    } else {
        // Re-parse the untouched input: cheaper than cloning the tree up front for the rare
        // error. It parsed once, so it parses again; the fallback only keeps this panic-free.
        let original = match syn::parse2::<Item>(input.clone()) {
            Ok(mut original) => {
                strip_item(&mut original, &mut Vec::new());
                original.into_token_stream()
            }
            Err(_) => input,
        };
        with_errors(original, errors)
    }
}

fn with_errors(mut tokens: TokenStream, errors: Vec<syn::Error>) -> TokenStream {
    tokens.extend(errors.iter().map(syn::Error::to_compile_error));
    tokens
}

/// Removes the markers, including the ones on impl methods (which opt a method out).
fn strip_item(item: &mut Item, errors: &mut Vec<syn::Error>) {
    let mut strip = StripMarkers { errors: Vec::new() };
    match item {
        Item::Fn(f) => strip.visit_block_mut(&mut f.block),
        Item::Impl(imp) => {
            for member in &mut imp.items {
                if let ImplItem::Fn(f) = member {
                    if f.attrs.iter().any(is_cancellable_attr) {
                        continue;
                    }
                    strip.strip(&mut f.attrs);
                    strip.visit_block_mut(&mut f.block);
                }
            }
        }
        _ => {}
    }
    errors.append(&mut strip.errors);
}

fn rewrite_fn(
    opts: &Options,
    sig: &Signature,
    block: &mut Block,
    in_impl: bool,
    errors: &mut Vec<syn::Error>,
) {
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "`#[cancellable]` cannot instrument a `const fn`: checkpoints read the running \
             task's cancellation flag, which does not exist at compile time\n\
             help: remove `const`, or remove `#[cancellable]`",
        ));
        return;
    }
    // A plain fn that returns a future runs none of its body's loops or awaits itself: the
    // future it returns does. Instrument that future's `async` block, with its `Output` as
    // the return type (async-trait's expansion, hand-written `Box::pin(async move { .. })`).
    let (ret_ty, body) = match &sig.output {
        ReturnType::Type(_, ty) if sig.asyncness.is_none() => match future_output(ty) {
            Some(output) => match returned_async_block(block) {
                Some(body) => (Some(output), Body::Future(body)),
                None => {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "`#[cancellable]` cannot see the code that runs when this future is \
                         awaited: the function returns a future, but its last expression is \
                         not an `async` block, so no checkpoint would ever run\n\
                         help: write an `async fn`, or end the function with \
                         `async move { .. }` or `Box::pin(async move { .. })`",
                    ));
                    return;
                }
            },
            None => (Some((**ty).clone()), Body::Plain(block)),
        },
        ReturnType::Type(_, ty) => (Some((**ty).clone()), Body::Plain(block)),
        ReturnType::Default => (None, Body::Plain(block)),
    };
    if matches!(opts.on_cancel, OnCancel::Error)
        && let Err(err) = check_return_type(sig, ret_ty.as_ref(), in_impl)
    {
        errors.push(err);
        return;
    }
    let ret = match &ret_ty {
        None => Some(quote!(())),
        Some(ty) if !mentions_impl(ty.to_token_stream()) => Some(ty.to_token_stream()),
        Some(_) => None,
    };
    let mut rewriter = Rewriter::new(opts, ret);
    match body {
        Body::Plain(block) => rewriter.rewrite_body(block, sig.asyncness.is_some()),
        Body::Future(block) => rewriter.rewrite_body(block, true),
    }
    errors.append(&mut rewriter.errors);
}

/// Where the code that observes cancellation is.
enum Body<'a> {
    /// The function's own block.
    Plain(&'a mut Block),
    /// The `async` block a future-returning function ends with.
    Future(&'a mut Block),
}

/// `Output` of a future type the macro can see: `impl Future<Output = T>`,
/// `Pin<Box<dyn Future<Output = T> + ..>>` (async-trait's), `BoxFuture<'_, T>`.
fn future_output(ty: &Type) -> Option<Type> {
    match peel(ty) {
        Type::ImplTrait(t) => output_of_bounds(&t.bounds),
        Type::TraitObject(t) => output_of_bounds(&t.bounds),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            let mut types = args.args.iter().filter_map(|arg| match arg {
                syn::GenericArgument::Type(ty) => Some(ty),
                _ => None,
            });
            match last.ident.to_string().as_str() {
                "Pin" | "Box" => future_output(types.next()?),
                "BoxFuture" | "LocalBoxFuture" => types.next().cloned(),
                _ => None,
            }
        }
        _ => None,
    }
}

fn output_of_bounds<'a>(bounds: impl IntoIterator<Item = &'a syn::TypeParamBound>) -> Option<Type> {
    bounds.into_iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let last = t.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(a) if a.ident == "Output" => Some(a.ty.clone()),
            _ => None,
        })
    })
}

/// The block of `async [move] { .. }` or `Box::pin(async [move] { .. })` ending `block`.
fn returned_async_block(block: &mut Block) -> Option<&mut Block> {
    let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last_mut() else {
        return None;
    };
    async_block_of(tail)
}

fn async_block_of(expr: &mut syn::Expr) -> Option<&mut Block> {
    match expr {
        syn::Expr::Async(a) => Some(&mut a.block),
        syn::Expr::Paren(p) => async_block_of(&mut p.expr),
        syn::Expr::Group(g) => async_block_of(&mut g.expr),
        syn::Expr::Call(call) if call.args.len() == 1 => {
            let syn::Expr::Path(func) = &*call.func else {
                return None;
            };
            let is_pin = func.path.segments.last().is_some_and(|s| s.ident == "pin");
            if is_pin {
                async_block_of(call.args.first_mut()?)
            } else {
                None
            }
        }
        _ => None,
    }
}

const RETURN_HELP: &str = "help: return `Result<_, E>` where `E: From<cancelkit::CancellationError>` \
     (for example `std::io::Error`, `anyhow::Error`, `Box<dyn Error + Send + Sync>` or \
     `CancellationError` itself), or choose another policy: \
     `#[cancellable(on_cancel = break)]` leaves the innermost loop and carries on with partial \
     results, `#[cancellable(on_cancel = return EXPR)]` returns EXPR";

/// The default policy returns `Err(CancellationError.into())`. Reject return types that can
/// be seen not to carry it; other named types (aliases like `io::Result<T>`) are checked by the
/// compiler through `__private::CarriesCancellation`, with the error on the return type.
fn check_return_type(sig: &Signature, ret: Option<&Type>, in_impl: bool) -> syn::Result<()> {
    let method = if in_impl {
        "; or, to leave this one method of the `impl` uninstrumented, mark it \
         `#[uninterruptible]`"
    } else {
        ""
    };
    let ty = match ret {
        None => {
            return Err(syn::Error::new(
                sig.paren_token.span.close(),
                format!(
                    "`#[cancellable]` makes this function return `Err(CancellationError.into())` \
                     when the task is cancelled, but it returns `()`\n{RETURN_HELP}, or \
                     `#[cancellable(on_cancel = return)]`{method}"
                ),
            ));
        }
        Some(ty) => ty,
    };
    let found = match peel(ty) {
        Type::Tuple(t) if t.elems.is_empty() => Some("`()`"),
        Type::ImplTrait(_) => Some("an `impl Trait` that is not a `Future`"),
        Type::Tuple(_) => Some("a tuple"),
        Type::Never(_) => Some("`!`"),
        Type::Reference(_) | Type::Ptr(_) => Some("a reference"),
        Type::Array(_) | Type::Slice(_) => Some("an array"),
        Type::FnPtr(_) => Some("a function pointer"),
        Type::TraitObject(_) => Some("a trait object"),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last().map(|s| s.ident.to_string());
            match last.as_deref() {
                Some("Option") => Some("an `Option`"),
                Some("Poll") => Some("a `Poll`"),
                Some(
                    "bool" | "char" | "str" | "String" | "u8" | "u16" | "u32" | "u64" | "u128"
                    | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "f32" | "f64",
                ) => Some("a plain value"),
                _ => None,
            }
        }
        _ => None,
    };
    match found {
        None => Ok(()),
        Some(what) => Err(syn::Error::new_spanned(
            ty,
            format!(
                "`#[cancellable]` makes this function return `Err(CancellationError.into())` \
                 when the task is cancelled, but its return type is {what}\n{RETURN_HELP}{method}"
            ),
        )),
    }
}

fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => peel(&p.elem),
        Type::Group(g) => peel(&g.elem),
        _ => ty,
    }
}

fn item_kind(item: &Item) -> &'static str {
    match item {
        Item::Const(_) => "a `const`",
        Item::Enum(_) => "an `enum`",
        Item::ExternCrate(_) => "an `extern crate`",
        Item::ForeignMod(_) => "an `extern` block",
        Item::Macro(_) => "a macro",
        Item::Mod(_) => "a module",
        Item::Static(_) => "a `static`",
        Item::Struct(_) => "a `struct`",
        Item::Trait(_) => "a trait (put it on the `impl` blocks or on each default method)",
        Item::TraitAlias(_) => "a trait alias",
        Item::Type(_) => "a type alias",
        Item::Union(_) => "a `union`",
        Item::Use(_) => "a `use`",
        _ => "this item",
    }
}

/// What to underline for a non-function item: up to and including its name.
fn item_head(item: &Item) -> TokenStream {
    match item {
        Item::Struct(i) => {
            let (v, s, n) = (&i.vis, &i.struct_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Enum(i) => {
            let (v, s, n) = (&i.vis, &i.enum_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Trait(i) => {
            let (v, s, n) = (&i.vis, &i.trait_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Mod(i) => {
            let (v, s, n) = (&i.vis, &i.mod_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Static(i) => {
            let (v, s, n) = (&i.vis, &i.static_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Const(i) => {
            let (v, s, n) = (&i.vis, &i.const_token, &i.ident);
            quote!(#v #s #n)
        }
        Item::Type(i) => {
            let (v, s, n) = (&i.vis, &i.type_token, &i.ident);
            quote!(#v #s #n)
        }
        other => other.to_token_stream(),
    }
}
