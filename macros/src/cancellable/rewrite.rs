//! The body rewrite: checkpoints at loop heads and around `.await`.
//!
//! ```text
//! loop { body }            =>  loop { CHECK; body }
//! while c { body }         =>  while c { CHECK; body }
//! for p in it { body }     =>  for p in it { CHECK; body }
//! fut.await                =>  match UntilCancelled::interrupt(fut).await {
//!                                  Ok(value) => value,
//!                                  Err(err) => ON_CANCEL,
//!                              }
//! ```
//!
//! where `CHECK` is `if let Err(err) = checkpoint() { ON_CANCEL; }` and `ON_CANCEL` is what the
//! policy says (`return Err(err.into())`, `break`, `return EXPR`).
//!
//! At an await, the adapter checks once before the future is first polled (S25a), drops the
//! future if the task is cancelled while it is pending (S25b), and lets a completed value
//! through (S25c). With `interrupt = false` it is `UntilCancelled::check_first`, which only
//! checks. The await stays one expression, a `match` and no block, so temporaries in `fut`
//! live as long as around the plain `.await` (`first_word(&String::from("a b")).await.len()`
//! compiles). `shield(..).await` is left alone: a shield's clean-up must finish.
//!
//! The visitor stops at scope boundaries, where `return`, `break` and `?` mean something else:
//! closures, `async` blocks and nested items are left alone, and so are macro invocations (their
//! tokens are not Rust syntax to us). Code under a literal `if false` never runs and gets no
//! checkpoints (that is also the shape of macro-generated type-inference hints such as
//! tracing's). A statement or expression marked `#[uninterruptible]` gets no checkpoints, and
//! its awaits run shielded (see [`ShieldAwaits`]).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Block, Expr, ExprLit, Item, Label, Lifetime, Lit, Local, Pat, Stmt};

use super::args::{OnCancel, Options};

/// Lints the inserted checks could trip in a user's crate. They only cover generated
/// statements (user expressions inside `on_cancel = return EXPR` excepted).
fn allow_list() -> TokenStream {
    quote! {
        #[allow(
            unreachable_code,
            unused_results,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
        )]
    }
}

/// One loop the visitor is inside.
struct LoopFrame {
    /// The user's label, or one made up when an await checkpoint needs to name the loop.
    label: Option<Lifetime>,
    /// Whether the label was made up by us (and must be added to the loop).
    generated_label: bool,
    /// Whether an await checkpoint breaks out of this loop (break policy).
    broken_by_await: bool,
    /// A `break value` that leaves this loop, if any.
    value_break: Option<Span>,
}

pub(crate) struct Rewriter<'a> {
    opts: &'a Options,
    private: TokenStream,
    /// The declared return type, for the default policy (`None`: let the compiler infer it).
    ret: Option<TokenStream>,
    loops: Vec<LoopFrame>,
    next_label: usize,
    /// Whether the code being visited runs in an async context (an `async fn`, or the
    /// `async` wrapper of another attribute macro), where a loop may suspend.
    in_async: bool,
    pub(crate) errors: Vec<syn::Error>,
}

impl<'a> Rewriter<'a> {
    pub(crate) fn new(opts: &'a Options, ret: Option<TokenStream>) -> Self {
        Rewriter {
            opts,
            private: opts.private_path(),
            ret,
            loops: Vec::new(),
            next_label: 0,
            in_async: false,
            errors: Vec::new(),
        }
    }

    /// Rewrites a function body. Besides the plain walk, it sees through the wrappers that
    /// `#[tokio::main]`, `#[tokio::test]` and `#[tracing::instrument]` put around a body when
    /// they expand *before* `#[cancellable]` (see [`Rewriter::visit_wrapper`]).
    pub(crate) fn rewrite_body(&mut self, block: &mut Block, is_async: bool) {
        self.in_async = is_async;
        self.rewrite_stmts(block);
    }

    fn rewrite_stmts(&mut self, block: &mut Block) {
        let tracing_sync = block
            .stmts
            .iter()
            .any(|s| local_named(s, "__tracing_attr_span"));
        // tokio's shape, in a plain fn: `let body = async { .. }; ... block_on(body)` at the end.
        // Both ends are required, so a user's own `let body = async { .. }` is left alone.
        let tokio_wrapped = !self.in_async
            && block.stmts.first().is_some_and(|s| local_named(s, "body"))
            && block
                .stmts
                .last()
                .is_some_and(|s| mentions_ident(s.to_token_stream(), "block_on"));
        // When another attribute macro has wrapped the body, only the wrapped body is the
        // user's: the wrapper's own statements (tracing's `.await` of the instrumented future,
        // tokio's `block_on`) are left alone. Interrupting tracing's outer await would drop the
        // whole body, `#[uninterruptible]` statements and shields included.
        let wrapper = block.stmts.iter().position(|stmt| match stmt {
            // tokio: `let body = async { .. };`
            // tracing, async fn: `let __tracing_instrument_future = async move { .. };`
            Stmt::Local(local) => {
                !is_marked(&local.attrs)
                    && ((tokio_wrapped && local_named(stmt, "body"))
                        || pat_is(&local.pat, "__tracing_instrument_future"))
            }
            // tracing, sync fn with `err`/`ret`: `match (move || { .. })() { .. }` or
            // `let x = (move || { .. })();`
            _ => false,
        });
        if let Some(i) = wrapper {
            if let Stmt::Local(Local {
                init: Some(init), ..
            }) = &mut block.stmts[i]
            {
                self.visit_wrapper(&mut init.expr);
            }
            return;
        }
        if tracing_sync && let Some(body) = block.stmts.iter_mut().find_map(tracing_closure_body) {
            self.visit_expr_mut(body);
            return;
        }
        for stmt in &mut block.stmts {
            self.visit_stmt_mut(stmt);
        }
    }

    /// A wrapper's `async` block is the function body moved by another attribute macro, so
    /// `return` and `?` inside it still leave "the function". tracing's `err`/`ret` modes nest
    /// the body once more as `async move { body }.await` in the first statement.
    fn visit_wrapper(&mut self, expr: &mut Expr) {
        let in_async = std::mem::replace(&mut self.in_async, true);
        self.visit_wrapper_inner(expr);
        self.in_async = in_async;
    }

    fn visit_wrapper_inner(&mut self, expr: &mut Expr) {
        let Expr::Async(wrapper) = expr else {
            self.visit_expr_mut(expr);
            return;
        };
        let inner = wrapper.block.stmts.first_mut().and_then(|stmt| match stmt {
            Stmt::Local(Local {
                init: Some(init), ..
            }) => immediately_awaited_async(&mut init.expr),
            Stmt::Expr(Expr::Match(m), _) => immediately_awaited_async(&mut m.expr),
            _ => None,
        });
        match inner {
            Some(inner) => self.visit_block_mut(inner),
            None => self.visit_block_mut(&mut wrapper.block),
        }
    }

    /// What a cancelled checkpoint does: a pattern for the `CancellationError` and an
    /// expression of type `!` that may use what the pattern binds. `target` is the loop a
    /// `break` leaves: `None` for the innermost one.
    fn on_cancel(&self, span: Span, target: Option<&Lifetime>) -> (TokenStream, TokenStream) {
        let private = &self.private;
        match &self.opts.on_cancel {
            OnCancel::Error => {
                let err = format_ident!("cancelkit_err", span = span);
                // Naming the return type puts a type error on the user's return type; a type
                // with `impl Trait` inside cannot be named in a body, so there it is inferred.
                let from = match &self.ret {
                    Some(ret) => quote!(<#ret as #private::CarriesCancellation>::from_cancellation),
                    None => quote_spanned!(span=> #private::CarriesCancellation::from_cancellation),
                };
                (quote!(#err), quote_spanned!(span=> return #from(#err)))
            }
            OnCancel::Break => (quote!(_), quote_spanned!(span=> break #target)),
            OnCancel::Return(value) => (quote!(_), quote_spanned!(span=> return #value)),
        }
    }

    /// The statement a loop-head checkpoint turns into.
    fn check(&self, span: Span) -> TokenStream {
        let private = &self.private;
        let span = Span::mixed_site().located_at(span);
        let allow = allow_list();
        let (err, action) = self.on_cancel(span, None);
        quote_spanned! {span=>
            #allow
            if let ::core::result::Result::Err(#err) = #private::checkpoint() {
                #action;
            }
        }
    }

    fn visit_loop(&mut self, expr: &mut Expr) {
        let (attrs, label, kw_span) = match &*expr {
            Expr::Loop(l) => (&l.attrs, &l.label, l.loop_token.span),
            Expr::While(w) => (&w.attrs, &w.label, w.while_token.span),
            Expr::ForLoop(f) => (&f.attrs, &f.label, f.for_token.span),
            _ => unreachable!("visit_loop on a non-loop"),
        };
        if is_marked(attrs) {
            return;
        }
        let label = label.as_ref().map(|l| l.name.clone());
        self.loops.push(LoopFrame {
            label,
            generated_label: false,
            broken_by_await: false,
            value_break: None,
        });
        // The iterator of a `for` is evaluated once, outside the loop; a `while` condition is
        // evaluated on every iteration, inside it.
        let body = match expr {
            Expr::Loop(l) => &mut l.body,
            Expr::While(w) => {
                self.visit_expr_mut(&mut w.cond);
                &mut w.body
            }
            Expr::ForLoop(f) => {
                let frame = self.loops.pop();
                self.visit_expr_mut(&mut f.expr);
                self.loops.extend(frame);
                &mut f.body
            }
            _ => unreachable!(),
        };
        self.visit_block_mut(body);
        let frame = self.loops.pop().expect("pushed above");
        if self.opts.loops {
            let check = self.check(kw_span);
            body.stmts
                .insert(0, Stmt::Expr(Expr::Verbatim(check), None));
        }
        if frame.generated_label {
            let name = frame.label.expect("generated labels are set");
            let label = Some(Label {
                name,
                colon_token: syn::Token![:](Span::mixed_site()),
            });
            match expr {
                Expr::Loop(l) => l.label = label,
                Expr::While(w) => w.label = label,
                Expr::ForLoop(f) => f.label = label,
                _ => unreachable!(),
            }
        }
        if matches!(self.opts.on_cancel, OnCancel::Break)
            && (self.opts.loops || frame.broken_by_await)
            && let Some(span) = frame.value_break
        {
            self.errors.push(syn::Error::new(
                span,
                "`on_cancel = break` cannot leave this loop: it produces a value with \
                 `break value`, and a cancelled checkpoint has no value to give it\n\
                 help: use `on_cancel = return EXPR` or the default policy (leave `on_cancel` \
                 out), or mark the loop `#[uninterruptible]`",
            ));
        }
    }

    fn visit_await(&mut self, expr: &mut Expr) {
        let Expr::Await(aw) = expr else {
            unreachable!()
        };
        if is_marked(&aw.attrs) {
            return;
        }
        self.visit_expr_mut(&mut aw.base);
        if !self.opts.awaits || is_shield(&aw.base) {
            return;
        }
        let span = aw.await_token.span;
        let target = if matches!(self.opts.on_cancel, OnCancel::Break) {
            let Some(frame) = self.loops.last_mut() else {
                self.errors.push(syn::Error::new(
                    span,
                    "`on_cancel = break` needs a loop to break out of, but this `.await` is not \
                     inside a loop of this function\n\
                     help: mark the statement `#[uninterruptible]`, turn await checkpoints off \
                     with `#[cancellable(on_cancel = break, awaits = false)]`, or use \
                     `on_cancel = return EXPR`",
                ));
                return;
            };
            frame.broken_by_await = true;
            if frame.label.is_none() {
                frame.label = Some(Lifetime::new(
                    &format!("'cancelkit_loop{}", self.next_label),
                    Span::mixed_site(),
                ));
                frame.generated_label = true;
                self.next_label += 1;
            }
            frame.label.clone()
        } else {
            None
        };
        let private = &self.private;
        let site = Span::mixed_site().located_at(span);
        let value = format_ident!("cancelkit_value", span = site);
        let (err, action) = self.on_cancel(site, target.as_ref());
        let adapter = if self.opts.interrupt {
            quote_spanned!(site=> #private::UntilCancelled::interrupt)
        } else {
            quote_spanned!(site=> #private::UntilCancelled::check_first)
        };
        let base = &aw.base;
        let await_token = &aw.await_token;
        // One `match`, no block: temporaries in `base` live to the end of the user's statement,
        // exactly as they would around the plain `.await`.
        *expr = Expr::Verbatim(quote_spanned! {site=>
            match #adapter(#base).#await_token {
                ::core::result::Result::Ok(#value) => #value,
                ::core::result::Result::Err(#err) => #action,
            }
        });
    }

    fn record_break(&mut self, brk: &syn::ExprBreak) {
        if brk.expr.is_none() {
            return;
        }
        let frame = match &brk.label {
            Some(label) => self
                .loops
                .iter_mut()
                .rev()
                .find(|f| !f.generated_label && f.label.as_ref() == Some(label)),
            None => self.loops.last_mut(),
        };
        if let Some(frame) = frame {
            frame.value_break.get_or_insert(brk.span());
        }
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if expr_attrs(expr).is_some_and(|attrs| is_marked(attrs)) {
            ShieldAwaits(&self.private).visit_expr_mut(expr);
            return;
        }
        match expr {
            // Scope boundaries: `return`, `?` and `break` mean something else inside.
            Expr::Closure(_) | Expr::Async(_) | Expr::Macro(_) | Expr::Const(_) => {}
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => self.visit_loop(expr),
            Expr::Await(_) => self.visit_await(expr),
            Expr::If(i) if is_literal_false(&i.cond) => {
                if let Some((_, else_branch)) = &mut i.else_branch {
                    self.visit_expr_mut(else_branch);
                }
            }
            Expr::Break(brk) => {
                self.record_break(brk);
                visit_mut::visit_expr_break_mut(self, brk);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_local_mut(&mut self, local: &mut Local) {
        if is_marked(&local.attrs) {
            ShieldAwaits(&self.private).visit_local_mut(local);
        } else {
            visit_mut::visit_local_mut(self, local);
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        match stmt {
            Stmt::Item(_) | Stmt::Macro(_) => {}
            _ => visit_mut::visit_stmt_mut(self, stmt),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// What `#[uninterruptible]` does to a statement: no checkpoints, and every `.await` in it
/// runs shielded, so the `#[cancellable]` functions it calls are not interrupted either:
///
/// ```text
/// #[uninterruptible] let r = { send(req).await?; recv().await? };
///   =>  let r = { shield(send(req)).await?; shield(recv()).await? };
/// ```
///
/// It stops where the rewrite does (closures, `async` blocks, macros, nested items).
struct ShieldAwaits<'a>(&'a TokenStream);

impl VisitMut for ShieldAwaits<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::Macro(_) | Expr::Const(_) => {}
            Expr::Await(aw) => {
                self.visit_expr_mut(&mut aw.base);
                if !is_shield(&aw.base) {
                    let private = self.0;
                    let base = &aw.base;
                    let site = Span::mixed_site().located_at(aw.await_token.span);
                    *aw.base = Expr::Verbatim(quote_spanned!(site=> #private::shield(#base)));
                }
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        match stmt {
            Stmt::Item(_) | Stmt::Macro(_) => {}
            _ => visit_mut::visit_stmt_mut(self, stmt),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// Removes every marker from a function body, also inside closures and `async` blocks the
/// rewrite does not enter. Nested items are left alone: they are separate functions, and one
/// with its own `#[cancellable]` needs its markers.
pub(crate) struct StripMarkers {
    pub(crate) errors: Vec<syn::Error>,
}

impl StripMarkers {
    pub(crate) fn strip(&mut self, attrs: &mut Vec<Attribute>) {
        attrs.retain(|attr| {
            if !is_marker(attr) {
                return true;
            }
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                self.errors.push(syn::Error::new_spanned(
                    &attr.meta,
                    "`#[uninterruptible]` takes no arguments\n\
                     help: write `#[uninterruptible]` on the loop or statement",
                ));
            }
            false
        });
    }
}

impl VisitMut for StripMarkers {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(attrs) = expr_attrs_mut(expr) {
            self.strip(attrs);
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_local_mut(&mut self, local: &mut Local) {
        self.strip(&mut local.attrs);
        visit_mut::visit_local_mut(self, local);
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        if let Stmt::Macro(m) = stmt {
            self.strip(&mut m.attrs);
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// `#[uninterruptible]`, `#[cancelkit::uninterruptible]` or `#[::cancelkit::uninterruptible]`.
pub(crate) fn is_marker(attr: &Attribute) -> bool {
    let path = attr.path();
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [name] => name == "uninterruptible" && path.leading_colon.is_none(),
        [krate, name] => krate == "cancelkit" && name == "uninterruptible",
        _ => false,
    }
}

pub(crate) fn is_marked(attrs: &[Attribute]) -> bool {
    attrs.iter().any(is_marker)
}

/// Whether an attribute is (a path ending in) `cancellable`.
pub(crate) fn is_cancellable_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "cancellable")
}

/// `shield(..)` or `path::shield(..)`: clean-up that must finish. Its await is neither checked
/// nor interrupted, or the shield would be pointless.
fn is_shield(base: &Expr) -> bool {
    match base {
        Expr::Call(call) => matches!(
            &*call.func,
            Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "shield")
        ),
        Expr::Paren(p) => is_shield(&p.expr),
        Expr::Group(g) => is_shield(&g.expr),
        _ => false,
    }
}

fn is_literal_false(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b),
            ..
        }) if !b.value
    )
}

fn pat_is(pat: &Pat, name: &str) -> bool {
    matches!(pat, Pat::Ident(p) if p.ident == name)
}

fn mentions_ident(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(ident) => ident == name,
        proc_macro2::TokenTree::Group(group) => mentions_ident(group.stream(), name),
        _ => false,
    })
}

fn local_named(stmt: &Stmt, name: &str) -> bool {
    matches!(stmt, Stmt::Local(local) if pat_is(&local.pat, name))
}

fn tracing_closure_body(stmt: &mut Stmt) -> Option<&mut Expr> {
    match stmt {
        Stmt::Local(Local {
            init: Some(init), ..
        }) => immediately_called_closure(&mut init.expr),
        Stmt::Expr(Expr::Match(m), _) => immediately_called_closure(&mut m.expr),
        _ => None,
    }
}

/// `(move || BODY)()` => `BODY`.
fn immediately_called_closure(expr: &mut Expr) -> Option<&mut Expr> {
    let Expr::Call(call) = expr else { return None };
    if !call.args.is_empty() {
        return None;
    }
    let Expr::Paren(paren) = &mut *call.func else {
        return None;
    };
    match &mut *paren.expr {
        Expr::Closure(c) if c.inputs.is_empty() => Some(&mut c.body),
        _ => None,
    }
}

/// `async move { BODY }.await` => `BODY`.
fn immediately_awaited_async(expr: &mut Expr) -> Option<&mut Block> {
    let Expr::Await(aw) = expr else { return None };
    match &mut *aw.base {
        Expr::Async(a) => Some(&mut a.block),
        _ => None,
    }
}

macro_rules! attrs_of {
    ($name:ident, $($ref:tt)*) => {
        fn $name(expr: $($ref)* Expr) -> Option<$($ref)* Vec<Attribute>> {
            Some(match expr {
                Expr::Array(e) => $($ref)* e.attrs,
                Expr::Assign(e) => $($ref)* e.attrs,
                Expr::Async(e) => $($ref)* e.attrs,
                Expr::Await(e) => $($ref)* e.attrs,
                Expr::Binary(e) => $($ref)* e.attrs,
                Expr::Block(e) => $($ref)* e.attrs,
                Expr::Break(e) => $($ref)* e.attrs,
                Expr::Call(e) => $($ref)* e.attrs,
                Expr::Cast(e) => $($ref)* e.attrs,
                Expr::Closure(e) => $($ref)* e.attrs,
                Expr::Const(e) => $($ref)* e.attrs,
                Expr::Continue(e) => $($ref)* e.attrs,
                Expr::Field(e) => $($ref)* e.attrs,
                Expr::ForLoop(e) => $($ref)* e.attrs,
                Expr::Group(e) => $($ref)* e.attrs,
                Expr::If(e) => $($ref)* e.attrs,
                Expr::Index(e) => $($ref)* e.attrs,
                Expr::Let(e) => $($ref)* e.attrs,
                Expr::Lit(e) => $($ref)* e.attrs,
                Expr::Loop(e) => $($ref)* e.attrs,
                Expr::Macro(e) => $($ref)* e.attrs,
                Expr::Match(e) => $($ref)* e.attrs,
                Expr::MethodCall(e) => $($ref)* e.attrs,
                Expr::Paren(e) => $($ref)* e.attrs,
                Expr::Path(e) => $($ref)* e.attrs,
                Expr::Range(e) => $($ref)* e.attrs,
                Expr::Reference(e) => $($ref)* e.attrs,
                Expr::Repeat(e) => $($ref)* e.attrs,
                Expr::Return(e) => $($ref)* e.attrs,
                Expr::Struct(e) => $($ref)* e.attrs,
                Expr::Try(e) => $($ref)* e.attrs,
                Expr::TryBlock(e) => $($ref)* e.attrs,
                Expr::Tuple(e) => $($ref)* e.attrs,
                Expr::Unary(e) => $($ref)* e.attrs,
                Expr::Unsafe(e) => $($ref)* e.attrs,
                Expr::While(e) => $($ref)* e.attrs,
                Expr::Yield(e) => $($ref)* e.attrs,
                _ => return None,
            })
        }
    };
}

attrs_of!(expr_attrs, &);
attrs_of!(expr_attrs_mut, &mut);
