//! The options of `#[cancellable(...)]`, parsed with darling.
//!
//! ```text
//! #[cancellable]                                   // on cancel: return Err(CancellationError.into())
//! #[cancellable(on_cancel = break)]                // on cancel: break out of the innermost loop
//! #[cancellable(on_cancel = return partial)]       // on cancel: return the given expression
//! #[cancellable(loops = false)]                    // no checkpoints at loop heads
//! #[cancellable(awaits = false)]                   // no checkpoints at `.await`
//! #[cancellable(interrupt = false)]                // check before each `.await`, never interrupt one
//! #[cancellable(crate = ::my_cancelkit)]           // the runtime crate is renamed
//! ```

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Path};

/// Everything `#[cancellable(...)]` accepts.
#[derive(Debug, FromMeta)]
pub(crate) struct Options {
    /// What a checkpoint does when the task is cancelled.
    #[darling(default)]
    pub(crate) on_cancel: OnCancel,
    /// Checkpoints at the head of every loop (default `true`).
    #[darling(default = default_true, with = switch)]
    pub(crate) loops: bool,
    /// Checkpoints at every `.await` (default `true`).
    #[darling(default = default_true, with = switch)]
    pub(crate) awaits: bool,
    /// Whether a pending `.await` is interrupted by the task's cancellation (default `true`);
    /// `false` keeps only the check before it starts, for awaits that are not cancel-safe.
    #[darling(default = default_true, with = switch)]
    pub(crate) interrupt: bool,
    /// Where the runtime crate is, when the dependency is renamed (default `::cancelkit`).
    #[darling(rename = "crate", default, and_then = absolute_path)]
    pub(crate) krate: Option<Path>,
}

fn default_true() -> bool {
    true
}

/// `loops = false`: a bool, with an error that says so (darling's own is "Unknown value").
fn switch(meta: &syn::Meta) -> darling::Result<bool> {
    bool::from_meta(meta).map_err(|_| {
        let name = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let at: &dyn quote::ToTokens = match meta {
            syn::Meta::NameValue(nv) => &nv.value,
            other => other,
        };
        let what = if name == "interrupt" {
            "to keep only the check before each `.await` and never interrupt a pending one"
        } else {
            "to turn these checkpoints off"
        };
        darling::Error::custom(format!(
            "`{name}` takes `true` or `false`: write `{name} = false` {what} (the default is \
             `true`)"
        ))
        .with_span(&at.to_token_stream())
    })
}

impl Options {
    /// Parses the attribute's arguments (the tokens between the parentheses).
    pub(crate) fn parse(attr: TokenStream) -> darling::Result<Self> {
        let items = NestedMeta::parse_meta_list(attr)?;
        Options::from_list(&items)
    }

    /// The path generated code uses to reach `__private`.
    pub(crate) fn private_path(&self) -> TokenStream {
        match &self.krate {
            Some(path) => quote!(#path::__private),
            None => quote!(::cancelkit::__private),
        }
    }
}

/// The cancellation policy: what a checkpoint does once the task is cancelled.
#[derive(Debug, Default)]
pub(crate) enum OnCancel {
    /// `return <Ret as CarriesCancellation>::from_cancellation(err)`, i.e.
    /// `return Err(err.into())`.
    #[default]
    Error,
    /// `break` out of the innermost loop around the checkpoint (partial results).
    Break,
    /// `return EXPR` (or a bare `return` for functions returning `()`).
    Return(Option<Box<Expr>>),
}

impl FromMeta for OnCancel {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Break(b) if b.label.is_none() && b.expr.is_none() => Ok(OnCancel::Break),
            Expr::Return(r) => Ok(OnCancel::Return(r.expr.clone())),
            Expr::Group(g) => Self::from_expr(&g.expr),
            _ => Err(darling::Error::custom(
                "expected `break` or `return EXPR`: `on_cancel = break` leaves the innermost loop \
                 and carries on after it, `on_cancel = return EXPR` returns EXPR from the \
                 function; leave `on_cancel` out to return `Err(CancellationError.into())`",
            )
            .with_span(expr)),
        }
    }
}

/// `crate = ...` must not depend on the module the macro is used in.
fn absolute_path(path: Option<Path>) -> darling::Result<Option<Path>> {
    let Some(path) = path else { return Ok(None) };
    let first = path.segments.first().map(|s| s.ident.to_string());
    let absolute =
        path.leading_colon.is_some() || matches!(first.as_deref(), Some("crate" | "$crate"));
    if absolute {
        Ok(Some(path))
    } else {
        Err(darling::Error::custom(
            "`crate` must be an absolute path, like `::my_cancelkit` or \
             `crate::reexports::cancelkit`: a relative path would resolve differently in every \
             module the attribute is used in",
        )
        .with_span(&path))
    }
}
