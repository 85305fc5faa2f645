//! ## What it does
//! Flags clean-up code that runs after the task's cancellation was observed and awaits one of
//! cancelkit's cancellation-aware operations outside `cancelkit::shield(..)`. The places where
//! cancellation has been observed are:
//! - the `Err` arm (of a `match`, an `if let`, an `is_err()` test) of one of cancelkit's
//!   fallible checks: `checkpoint()`, `sleep(..).await`, `yield_now().await`,
//!   `until_cancelled(..).await`, `token.check()`;
//! - the statements after `cancelkit::cancelled().await` in the same block;
//! - the handler of a `select!` branch on `cancelkit::cancelled()`.
//!
//! The operations that fail there are cancelkit's `sleep`, `yield_now`, `until_cancelled`,
//! `cancelled`, `.until_cancelled()`, a cancelkit token's `run_until_cancelled`, a task group's
//! `next()`, and `checkpoint()`. This is the Rust form of flake8-async's ASYNC102.
//!
//! ## Why is this bad
//! Once the task is cancelled, every cancellation-aware operation completes at once with a
//! `CancellationError` (S4, S6). Clean-up that sleeps before a retry, waits for a group of
//! flushers, or yields to let a writer drain, fails immediately: the `?` returns, the flush
//! never happens, and the connection is dropped mid-frame. `shield` runs its future as if the
//! task were not cancelled (S24), which is what clean-up needs.
//!
//! ## Known problems
//! - Only cancelkit's own cancellation counts: clean-up after a tokio-util token fired is not
//!   looked at, because tokio's operations do not fail on it.
//! - A function of your own that is `#[cancellable]`, called during clean-up, fails at once as
//!   well, but is not recognised.
//!
//! ## Example
//! ```rust,ignore
//! match cancelkit::sleep(interval).await {
//!     Ok(()) => poll().await?,
//!     Err(e) => {
//!         cancelkit::sleep(FLUSH_DELAY).await?;   // fails at once: the flush never runs
//!         writer.flush().await?;
//!         return Err(e.into());
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! match cancelkit::sleep(interval).await {
//!     Ok(()) => poll().await?,
//!     Err(e) => {
//!         cancelkit::shield(cancelkit::sleep(FLUSH_DELAY)).await?;
//!         writer.flush().await?;
//!         return Err(e.into());
//!     }
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::macros;
use crate::analysis::observers::CallKind;
use crate::finding::{Applicability, Edit, Finding, Suggestion};

/// The rule's entry point: blocks, `match`es, `if`s and `select!`s in async code of files
/// that use cancelkit.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    if !cx.scope.is_async || !cx.ctx.names.mentions_cancelkit {
        return None;
    }
    let in_region = |region: Region<'_>, observed: proc_macro2::Span| {
        first_aware(cx, region).map(|(op, span)| (op, span, observed))
    };
    let (op, span, observed) = match node {
        Node::Block(b) => {
            let (region, observed) = after_cancelled(cx, b)?;
            in_region(region, observed)?
        }
        Node::Match(m) if fallible(cx, &m.expr) => {
            let arm = m.arms.iter().find(|a| is_err_pat(&a.pat))?;
            in_region(Region::Expr(&arm.body), m.expr.span())?
        }
        Node::If(i) => match &*i.cond {
            syn::Expr::Let(l) if is_err_pat(&l.pat) && fallible(cx, &l.expr) => {
                in_region(Region::Block(&i.then_branch), l.expr.span())?
            }
            syn::Expr::MethodCall(m) if m.method == "is_err" && fallible(cx, &m.receiver) => {
                in_region(Region::Block(&i.then_branch), m.receiver.span())?
            }
            _ => return None,
        },
        Node::Macro(m) => {
            let branches = macros::select_branches(m)?;
            let b = branches.iter().find(|b| is_cancelled_call(cx, &b.future))?;
            in_region(Region::Expr(&b.handler), b.future.span())?
        }
        _ => return None,
    };
    let uses_cancelkit = cx
        .config
        .dependencies
        .as_ref()
        .is_some_and(|d| d.iter().any(|n| n == "cancelkit"));
    let mut f = Finding::new(
        Rule::UnshieldedCleanup,
        &cx.file.path,
        format!("`{op}` runs after cancellation was observed, so it fails at once"),
        cx.file.span(cx.ctx.range(span.outer)),
    )
    .label("the task is already cancelled here: this completes with `CancellationError` at once")
    .secondary(
        cx.file.span(cx.ctx.range(observed)),
        "cancellation is observed here",
    )
    .note("clean-up that waits on a cancellation-aware operation never waits: what follows it does not run, or runs too early");
    if let Some(fut) = span.future {
        let text = cx.file.text.get(cx.ctx.range(fut))?;
        f = f.suggestion(Suggestion {
            message: "run it shielded from the task's cancellation".into(),
            edits: vec![Edit {
                span: cx.file.span(cx.ctx.range(fut)),
                replacement: format!("::cancelkit::shield({text})"),
            }],
            applicability: if uses_cancelkit {
                Applicability::MachineApplicable
            } else {
                Applicability::MaybeIncorrect
            },
        });
    } else {
        f = f.help("do the clean-up without checking for cancellation, or inside `cancelkit::shield(async { .. })`");
    }
    Some(Emit::Finding(f))
}

/// Where clean-up code is.
#[derive(Clone, Copy)]
enum Region<'a> {
    Expr(&'a syn::Expr),
    Block(&'a syn::Block),
    Stmts(&'a [syn::Stmt]),
}

/// The statements after `cancelkit::cancelled().await` in a block.
fn after_cancelled<'b>(cx: &Cx<'_>, b: &'b syn::Block) -> Option<(Region<'b>, proc_macro2::Span)> {
    let at = b.stmts.iter().position(|s| {
        let e = match s {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) => match &l.init {
                Some(init) => &init.expr,
                None => return false,
            },
            _ => return false,
        };
        matches!(e, syn::Expr::Await(a) if is_cancelled_call(cx, &a.base))
    })?;
    let rest = &b.stmts[at + 1..];
    (!rest.is_empty()).then(|| (Region::Stmts(rest), b.stmts[at].span()))
}

/// `cancelkit::cancelled()` (as the imports resolve it).
fn is_cancelled_call(cx: &Cx<'_>, e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "cancelled")
            && cx.ctx.names.is_cancelkit(&p.path)))
}

/// One of cancelkit's fallible checks (see `Observers::is_fallible_check`).
fn fallible(cx: &Cx<'_>, e: &syn::Expr) -> bool {
    cx.ctx.observers.is_fallible_check(cx.ctx.names, e)
}

fn is_err_pat(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == "Err"),
        syn::Pat::Paren(p) => is_err_pat(&p.pat),
        syn::Pat::Guard(g) => is_err_pat(&g.pat),
        _ => false,
    }
}

/// Where an operation is: the whole expression, and the future to shield (for an await).
struct OpSpan {
    outer: proc_macro2::Span,
    future: Option<proc_macro2::Span>,
}

/// The first cancellation-aware operation in the region that is not inside `shield(..)`.
fn first_aware(cx: &Cx<'_>, region: Region<'_>) -> Option<(String, OpSpan)> {
    struct Finder<'c, 'a> {
        cx: &'c Cx<'a>,
        found: Option<(String, OpSpan)>,
    }
    impl Finder<'_, '_> {
        /// The name of an aware operation `e` is (a call or method call), if it is one.
        fn aware(&self, e: &syn::Expr) -> Option<String> {
            match e {
                syn::Expr::Call(c) => {
                    let syn::Expr::Path(p) = &*c.func else {
                        return None;
                    };
                    let last = p.path.segments.last()?;
                    (self.cx.ctx.names.is_cancelkit(&p.path)
                        && matches!(
                            self.cx
                                .ctx
                                .observers
                                .classify_path(self.cx.ctx.names, &p.path),
                            CallKind::Aware
                        ))
                    .then(|| last.ident.to_string())
                }
                syn::Expr::MethodCall(m) => {
                    let name = m.method.to_string();
                    let cancelkit_token =
                        crate::analysis::roots::root_of(&m.receiver).is_some_and(|r| {
                            self.cx
                                .scope
                                .tokens
                                .iter()
                                .any(|t| t.cancelkit && t.name == r)
                        });
                    let group_next = name == "next"
                        && self.cx.ctx.observers.classify_method(
                            self.cx.ctx.names,
                            &m.method,
                            &m.receiver,
                            &[],
                            true,
                        ) == CallKind::Aware;
                    (matches!(name.as_str(), "until_cancelled" | "until_token_cancelled")
                        || group_next
                        || (cancelkit_token
                            && matches!(name.as_str(), "cancelled" | "run_until_cancelled")))
                    .then_some(name)
                }
                _ => None,
            }
        }
    }
    impl<'ast> Visit<'ast> for Finder<'_, '_> {
        fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
            if self.found.is_none()
                && let Some(name) = self.aware(&a.base)
            {
                self.found = Some((
                    name,
                    OpSpan {
                        outer: a.span(),
                        future: Some(a.base.span()),
                    },
                ));
                return;
            }
            visit::visit_expr_await(self, a);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
            {
                if last.ident == "shield" {
                    return;
                }
                if self.found.is_none()
                    && last.ident == "checkpoint"
                    && self.cx.ctx.names.is_cancelkit(&p.path)
                {
                    self.found = Some((
                        "checkpoint".into(),
                        OpSpan {
                            outer: c.span(),
                            future: None,
                        },
                    ));
                }
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder { cx, found: None };
    match region {
        Region::Expr(e) => f.visit_expr(e),
        Region::Block(b) => f.visit_block(b),
        Region::Stmts(s) => s.iter().for_each(|s| f.visit_stmt(s)),
    }
    f.found
}

#[cfg(test)]
mod tests {
    use crate::{Config, Rule, check_source};

    fn lines(src: &str) -> Vec<usize> {
        check_source("t.rs", src, &Config::default())
            .into_iter()
            .filter(|f| f.rule == Rule::UnshieldedCleanup)
            .map(|f| f.primary.span.line_start)
            .collect()
    }

    #[test]
    fn clean_up_in_the_err_arm_that_sleeps() {
        let src = "async fn f() -> R {\n    match cancelkit::sleep(d).await {\n        Ok(()) => {}\n        Err(e) => {\n            cancelkit::sleep(FLUSH).await?;\n            flush().await;\n        }\n    }\n    Ok(())\n}";
        assert_eq!(lines(src), [5]);
        let f = check_source("t.rs", src, &Config::default());
        let fix = &f
            .iter()
            .find(|f| f.rule == Rule::UnshieldedCleanup)
            .unwrap()
            .suggestions[0];
        assert_eq!(
            fix.edits[0].replacement,
            "::cancelkit::shield(cancelkit::sleep(FLUSH))"
        );
    }

    #[test]
    fn every_place_where_cancellation_was_observed() {
        for src in [
            "use cancelkit::{cancelled, yield_now};\nasync fn f() { cancelled().await; yield_now().await.ok(); close().await; }",
            "async fn f() { if let Err(_) = cancelkit::checkpoint() { cancelkit::sleep(d).await.ok(); } }",
            "async fn f() { if cancelkit::checkpoint().is_err() { group.next().await; } }",
            "async fn f() { loop { tokio::select! { _ = cancelkit::cancelled() => { cancelkit::sleep(d).await.ok(); break } m = rx.recv() => work(m) } } }",
        ] {
            assert_eq!(lines(src).len(), 1, "{src}");
        }
    }

    #[test]
    fn shielded_or_unrelated_clean_up_is_fine() {
        for src in [
            "async fn f() -> R { match cancelkit::sleep(d).await { Ok(()) => {}, Err(e) => { cancelkit::shield(cancelkit::sleep(FLUSH)).await?; } } Ok(()) }",
            "async fn f() -> R { match cancelkit::sleep(d).await { Ok(()) => {}, Err(e) => { tokio::time::sleep(FLUSH).await; flush().await; } } Ok(()) }",
            "async fn f(t: CancellationToken) { t.cancelled().await; tokio::time::sleep(d).await; }",
            "async fn f() { match op().await { Ok(x) => {}, Err(e) => { cancelkit::sleep(d).await.ok(); } } }",
            "async fn f() { cancelkit::sleep(d).await.ok(); cancelkit::sleep(d).await.ok(); }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
        }
    }
}
