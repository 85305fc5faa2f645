//! ## What it does
//! Flags code inside a loop that receives a `CancellationError` and drops it, so the loop
//! carries on as if the task had not been cancelled (SPEC S33b):
//! `let _ = cancelkit::sleep(d).await;`, `_ = checkpoint();`, `checkpoint().ok();`,
//! `if let Err(_) = checkpoint() { .. }` or a `match` whose `Err` arm neither returns nor breaks.
//!
//! ## Why is this bad
//! The check did its job and found the task cancelled; throwing the answer away turns a
//! cancellation point into a no-op, and `sleep`'s early wake-up into a busy loop. It is the Rust
//! cousin of Kotlin's `runCatching { delay(..) }` trap.
//!
//! ## Known problems
//! - Only cancelkit's fallible checks are recognised (`checkpoint`, `sleep(..).await`,
//!   `yield_now().await`, `token.check()`; a `check(..)` that takes arguments is another API's,
//!   such as a rate limiter's `check(key)`). Function names resolve through the file's `use`
//!   items (`sleep` imported from tokio is not cancelkit's); a bare name the file does not
//!   import counts when the file glob-imports cancelkit, or mentions it and glob-imports no
//!   other crate. Errors from group results that wrap a cancellation are not followed.
//! - "Leaves the loop" is syntactic: a `return`, `break`, `?` or `panic!` anywhere in the
//!   handling branch counts, even on a path that is not taken.
//!
//! ## Example
//! ```rust,ignore
//! loop {
//!     let _ = cancelkit::sleep(Duration::from_secs(1)).await;
//!     poll_status();
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! loop {
//!     cancelkit::sleep(Duration::from_secs(1)).await?;
//!     poll_status();
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::macros;
use crate::analysis::names;
use crate::finding::{Applicability, Edit, Finding, Suggestion};

/// The rule's entry point: statements, `if`s and `match`es inside a loop.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    if cx.scope.loop_depth == 0 {
        return None;
    }
    match node {
        Node::Stmt(s) => check_stmt(cx, s),
        Node::If(i) => check_if(cx, i),
        Node::Match(m) => check_match(cx, m),
        _ => None,
    }
    .map(Emit::Finding)
}

/// `let _ = e;`, `_ = e;`, `e.ok();` with a fallible cancellation check `e`.
fn check_stmt(cx: &Cx<'_>, stmt: &Stmt) -> Option<Finding> {
    match stmt {
        Stmt::Local(local) => {
            let init = local.init.as_ref()?;
            if !matches!(local.pat, Pat::Wild(_))
                || init.diverge.is_some()
                || !is_fallible(cx, &init.expr)
            {
                return None;
            }
            let start = cx.ctx.range(local.let_token.span).start;
            Some(propagate_finding(
                cx,
                &init.expr,
                start,
                "`let _ =` drops the cancellation error",
            ))
        }
        Stmt::Expr(Expr::Assign(a), _)
            if matches!(&*a.left, Expr::Infer(_)) && is_fallible(cx, &a.right) =>
        {
            let start = cx.ctx.range(a.left.span()).start;
            Some(propagate_finding(
                cx,
                &a.right,
                start,
                "`_ =` drops the cancellation error",
            ))
        }
        Stmt::Expr(Expr::MethodCall(m), Some(_))
            if [
                "ok",
                "unwrap_or_default",
                "unwrap_or",
                "unwrap_or_else",
                "is_err",
                "is_ok",
            ]
            .iter()
            .any(|n| m.method == n)
                && is_fallible(cx, &m.receiver) =>
        {
            Some(
                base_finding(
                    cx,
                    &m.receiver,
                    format!("`.{}()` drops the cancellation error", m.method),
                )
                .help("propagate the error with `?`, or `break` out of the loop"),
            )
        }
        _ => None,
    }
}

/// `if let Err(_) = checkpoint() { .. }` / `if checkpoint().is_err() { .. }` whose branch does
/// not leave the loop.
fn check_if(cx: &Cx<'_>, i: &syn::ExprIf) -> Option<Finding> {
    let scrutinee = match &*i.cond {
        Expr::Let(l) if is_err_pat(&l.pat) => &*l.expr,
        Expr::MethodCall(m) if m.method == "is_err" => &*m.receiver,
        _ => return None,
    };
    if !is_fallible(cx, scrutinee) || leaves(Leaves::Stmts(&i.then_branch.stmts)) {
        return None;
    }
    let branch = cx
        .file
        .span(cx.ctx.range(i.then_branch.brace_token.span.join()));
    Some(
        base_finding(
            cx,
            scrutinee,
            "the cancellation error is caught here".into(),
        )
        .secondary(branch, "and this branch carries on looping")
        .help("`return` the error (or `break`) in this branch"),
    )
}

/// `match checkpoint() { Err(_) => { .. }, .. }` whose `Err` arm does not leave the loop.
fn check_match(cx: &Cx<'_>, m: &syn::ExprMatch) -> Option<Finding> {
    if !is_fallible(cx, &m.expr) {
        return None;
    }
    let arm = m
        .arms
        .iter()
        .find(|a| is_err_pat(&a.pat) || matches!(a.pat, Pat::Wild(_)))?;
    if leaves(Leaves::Expr(&arm.body)) {
        return None;
    }
    let arm = cx.file.span(cx.ctx.range(arm.pat.span()));
    Some(
        base_finding(cx, &m.expr, "the cancellation error is caught here".into())
            .secondary(arm, "and this arm carries on looping")
            .help("`return` the error (or `break`) in this arm"),
    )
}

fn is_err_pat(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(t) => names::path_ends_in(&t.path, &["Err"]),
        Pat::Paren(p) => is_err_pat(&p.pat),
        Pat::Guard(g) => is_err_pat(&g.pat),
        _ => false,
    }
}

/// One of cancelkit's fallible checks (see `Observers::is_fallible_check`).
fn is_fallible(cx: &Cx<'_>, e: &Expr) -> bool {
    cx.ctx.observers.is_fallible_check(cx.ctx.names, e)
}

/// Whether the statements contain a way out of the loop: `return`, `break`, `?`, `panic!`...
/// (not looking into closures, async blocks or items).
enum Leaves<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}

fn leaves(what: Leaves<'_>) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.0 = true;
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            // `panic!`, `bail!`, or `return`/`break`/`?` written inside the macro's tokens.
            if macros::always_leaves(&m.path) || macros::tokens_leave(&m.tokens) {
                self.0 = true;
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr(&mut self, e: &'ast Expr) {
            if !self.0 {
                visit::visit_expr(self, e);
            }
        }
    }
    let mut f = Finder(false);
    match what {
        Leaves::Stmts(stmts) => stmts.iter().for_each(|s| f.visit_stmt(s)),
        Leaves::Expr(e) => f.visit_expr(e),
    }
    f.0
}

fn base_finding(cx: &Cx<'_>, expr: &Expr, label: String) -> Finding {
    Finding::new(
        Rule::SwallowedCancellation,
        &cx.file.path,
        "a cancellation error is swallowed and the loop carries on",
        cx.file.span(cx.ctx.range(expr.span())),
    )
    .label(label)
    .note("the task was cancelled, but this loop goes on as if it had not")
}

/// `let _ = EXPR;` → `EXPR?;`
fn propagate_finding(cx: &Cx<'_>, expr: &Expr, stmt_start: usize, label: &str) -> Finding {
    let expr_range = cx.ctx.range(expr.span());
    base_finding(cx, expr, label.into()).suggestion(Suggestion {
        message: "propagate the cancellation with `?`".into(),
        edits: vec![
            Edit {
                span: cx.file.span(stmt_start..expr_range.start),
                replacement: String::new(),
            },
            Edit {
                span: cx.file.span(expr_range.end..expr_range.end),
                replacement: "?".into(),
            },
        ],
        applicability: Applicability::MaybeIncorrect,
    })
}
