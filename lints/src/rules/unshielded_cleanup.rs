//! ## What it does
//! Flags clean-up code that runs after cancellation was observed and waits on an operation that
//! gives up on that same cancellation. Two kinds of cancellation are followed.
//!
//! **The task's (cancelkit).** The places where it has been observed are:
//! - the `Err` arm (of a `match`, an `if let`, an `is_err()` test) of one of cancelkit's
//!   fallible checks: `checkpoint()`, `sleep(..).await`, `yield_now().await`,
//!   `until_cancelled(..).await`, `token.check()`;
//! - the statements after `cancelkit::cancelled().await` in the same block;
//! - the handler of a `select!` branch on `cancelkit::cancelled()`.
//!
//! The operations that fail there are cancelkit's `sleep`, `yield_now`, `until_cancelled`,
//! `cancelled`, `.until_cancelled()`, a cancelkit token's `run_until_cancelled`, a task group's
//! `next()`, and `checkpoint()`, awaited outside `cancelkit::shield(..)`.
//!
//! **A token's (tokio-util's `CancellationToken`, or cancelkit's `CancelToken`).** It has been
//! observed after `token.cancelled().await` in the same block, in the handler of a `select!`
//! branch on `token.cancelled()`, and under `if token.is_cancelled()`. The clean-up that gives up
//! there is raced against the same token (the same variable or `self` field, through `&` and
//! `.clone()`): `token.run_until_cancelled(fut)`, `fut.with_cancellation_token(&token)`, their
//! `_owned` forms, and a `select!` with a branch on `token.cancelled()`.
//!
//! This is the Rust form of flake8-async's ASYNC102.
//!
//! ## Why is this bad
//! Once the task is cancelled, every cancellation-aware operation completes at once with a
//! `CancellationError` (S4, S6). Clean-up that sleeps before a retry, waits for a group of
//! flushers, or yields to let a writer drain, fails immediately: the `?` returns, the flush
//! never happens, and the connection is dropped mid-frame. `shield` runs its future as if the
//! task were not cancelled (S24), which is what clean-up needs.
//!
//! A token stays cancelled. `run_until_cancelled` polls its future at most once and, unless
//! that poll finishes it, returns `None` and drops it: a graceful-shutdown flush written this way
//! never flushes anything that has to wait for I/O.
//!
//! ## Known problems
//! - A token is known by its receiver's text: a clean-up raced against a child token, or a
//!   clone kept under another name, of the token that fired is not seen (unless the name is the
//!   same: `let token = token.child_token()`), and a token assigned or bound anew between the
//!   two is taken as another token from there on.
//! - tokio's own operations do not fail on a token, so clean-up that uses them is fine and is
//!   not flagged.
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
//! ```rust,ignore
//! _ = shutdown.cancelled() => {
//!     shutdown.run_until_cancelled(conn.flush()).await;   // polled once, then dropped
//!     break;
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
//!
//! ```rust,ignore
//! _ = shutdown.cancelled() => {
//!     tokio::time::timeout(GRACE, conn.flush()).await.ok();
//!     break;
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::macros;
use crate::analysis::names;
use crate::analysis::observers::CallKind;
use crate::finding::{Applicability, Edit, Finding, Suggestion};

/// The rule's entry point: blocks, `match`es, `if`s and `select!`s in async code. The task's
/// cancellation is looked at only in files that use cancelkit; a token's, everywhere.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    if !cx.scope.is_async {
        return None;
    }
    let task = cx.ctx.names.mentions_cancelkit;
    let report = |region: Region<'_>, observed: proc_macro2::Span, what: Observed| {
        let (op, span) = first_aware(cx, region, &what)?;
        match &what {
            Observed::Task => task_finding(cx, &op, &span, observed),
            Observed::Token(token) => token_finding(cx, &op, token, &span, observed),
        }
    };
    let f = match node {
        Node::Block(b) => {
            let (region, observed, what) = after_cancelled(cx, b, task)?;
            report(region, observed, what)
        }
        Node::Match(m) if task && fallible(cx, &m.expr) => {
            let arm = m.arms.iter().find(|a| is_err_pat(&a.pat))?;
            report(Region::Expr(&arm.body), m.expr.span(), Observed::Task)
        }
        Node::If(i) => {
            let then = Region::Block(&i.then_branch);
            match &*i.cond {
                syn::Expr::Let(l) if task && is_err_pat(&l.pat) && fallible(cx, &l.expr) => {
                    report(then, l.expr.span(), Observed::Task)
                }
                syn::Expr::MethodCall(m)
                    if task && m.method == "is_err" && fallible(cx, &m.receiver) =>
                {
                    report(then, m.receiver.span(), Observed::Task)
                }
                syn::Expr::MethodCall(m) if m.method == "is_cancelled" && m.args.is_empty() => {
                    report(
                        then,
                        i.cond.span(),
                        Observed::Token(token_key(&m.receiver)?),
                    )
                }
                _ => None,
            }
        }
        Node::Macro(m) => {
            let branches = macros::select_branches(m)?;
            branches.iter().find_map(|b| {
                let what = observes(cx, &b.future, task)?;
                report(Region::Expr(&b.handler), b.future.span(), what)
            })
        }
        _ => None,
    };
    f.map(Emit::Finding)
}

/// Clean-up after the task's own cancellation was observed: cancelkit's operations fail at once.
fn task_finding(
    cx: &Cx<'_>,
    op: &str,
    span: &OpSpan,
    observed: proc_macro2::Span,
) -> Option<Finding> {
    let uses_cancelkit = cx
        .config
        .dependencies
        .as_ref()
        .is_some_and(|d| d.iter().any(|n| n == "cancelkit"));
    let mut f = base(
        cx,
        format!("`{op}` runs after cancellation was observed, so it fails at once"),
        (span.outer, "the task is already cancelled here: this completes with `CancellationError` at once"),
        (observed, "cancellation is observed here"),
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
    Some(f)
}

/// Clean-up run under a token that was already seen cancelled: it gets one poll, then is dropped
/// (tokio-util's `run_until_cancelled` polls the future first, then the token).
fn token_finding(
    cx: &Cx<'_>,
    op: &str,
    token: &str,
    span: &OpSpan,
    observed: proc_macro2::Span,
) -> Option<Finding> {
    let mut f = base(
        cx,
        format!("`{op}` runs under `{token}` after it was seen cancelled, so it gives up at once"),
        (span.outer, "the token is already cancelled here: the clean-up is polled once, then dropped"),
        (observed, "the token's cancellation is observed here"),
    )
    .note("clean-up raced against a token that has already fired does not finish: whatever it was to flush or close is lost");
    match span.inner {
        Some(inner) => {
            let text = cx.file.text.get(cx.ctx.range(inner))?;
            f = f.suggestion(Suggestion {
                message: "run the clean-up to its end (bound it with `tokio::time::timeout` if it may hang)".into(),
                edits: vec![Edit {
                    span: cx.file.span(cx.ctx.range(span.outer)),
                    replacement: format!("Some({text}.await)"),
                }],
                applicability: Applicability::MaybeIncorrect,
            });
        }
        None => {
            f = f.help("run the clean-up to its end, not raced against the token that fired (bound it with `tokio::time::timeout` if it may hang)");
        }
    }
    Some(f)
}

/// A finding at the operation, with the place where cancellation was observed.
fn base(
    cx: &Cx<'_>,
    message: String,
    (at, label): (proc_macro2::Span, &str),
    (observed, observed_label): (proc_macro2::Span, &str),
) -> Finding {
    Finding::new(
        Rule::UnshieldedCleanup,
        &cx.file.path,
        message,
        cx.file.span(cx.ctx.range(at)),
    )
    .label(label)
    .secondary(cx.file.span(cx.ctx.range(observed)), observed_label)
}

/// Whose cancellation a place has observed.
enum Observed {
    /// The task's (cancelkit's task-local cancellation).
    Task,
    /// A token's, named by its receiver text (`self.shutdown`).
    Token(String),
}

/// What a future that completes on cancellation observes: `cancelkit::cancelled()` (where the
/// file uses cancelkit), or `token.cancelled()` / `cancelled_owned()` on any token.
fn observes(cx: &Cx<'_>, e: &syn::Expr, task: bool) -> Option<Observed> {
    match e {
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "cancelled" | "cancelled_owned"
            ) && m.args.is_empty() =>
        {
            token_key(&m.receiver).map(Observed::Token)
        }
        _ if task && is_cancelled_call(cx, e) => Some(Observed::Task),
        _ => None,
    }
}

/// A token's receiver as text, without the `&`, parentheses and `.clone()`s that do not change
/// which token it is: `token`, `self.shutdown`. `None` for anything else (a call's result).
fn token_key(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Reference(r) => token_key(&r.expr),
        syn::Expr::Paren(p) => token_key(&p.expr),
        syn::Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
            token_key(&m.receiver)
        }
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Field(f) => {
            let base = token_key(&f.base)?;
            match &f.member {
                syn::Member::Named(n) => Some(format!("{base}.{n}")),
                syn::Member::Unnamed(i) => Some(format!("{base}.{}", i.index)),
            }
        }
        _ => None,
    }
}

/// Where clean-up code is.
#[derive(Clone, Copy)]
enum Region<'a> {
    Expr(&'a syn::Expr),
    Block(&'a syn::Block),
    Stmts(&'a [syn::Stmt]),
}

/// The statements after `cancelkit::cancelled().await` or `token.cancelled().await` in a block.
fn after_cancelled<'b>(
    cx: &Cx<'_>,
    b: &'b syn::Block,
    task: bool,
) -> Option<(Region<'b>, proc_macro2::Span, Observed)> {
    let (at, what) = b.stmts.iter().enumerate().find_map(|(i, s)| {
        let e = match s {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) => &l.init.as_ref()?.expr,
            _ => return None,
        };
        match e {
            syn::Expr::Await(a) => observes(cx, &a.base, task).map(|w| (i, w)),
            _ => None,
        }
    })?;
    let rest = &b.stmts[at + 1..];
    (!rest.is_empty()).then(|| (Region::Stmts(rest), b.stmts[at].span(), what))
}

/// `cancelkit::cancelled()` (as the imports resolve it).
fn is_cancelled_call(cx: &Cx<'_>, e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p)
        if names::path_ends_in(&p.path, &["cancelled"])
            && cx.ctx.names.is_cancelkit(&p.path)))
}

/// One of cancelkit's fallible checks (see `Observers::is_fallible_check`).
fn fallible(cx: &Cx<'_>, e: &syn::Expr) -> bool {
    cx.ctx.observers.is_fallible_check(cx.ctx.names, e)
}

fn is_err_pat(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => names::path_ends_in(&t.path, &["Err"]),
        syn::Pat::Paren(p) => is_err_pat(&p.pat),
        syn::Pat::Guard(g) => is_err_pat(&g.pat),
        _ => false,
    }
}

/// Where an operation is: the whole expression, and the future to shield (for an await).
struct OpSpan {
    outer: proc_macro2::Span,
    future: Option<proc_macro2::Span>,
    /// The clean-up future a token races (`fut` in `token.run_until_cancelled(fut)`).
    inner: Option<proc_macro2::Span>,
}

/// The first cancellation-aware operation in the region that is not inside `shield(..)`.
fn first_aware(cx: &Cx<'_>, region: Region<'_>, what: &Observed) -> Option<(String, OpSpan)> {
    struct Finder<'c, 'a> {
        cx: &'c Cx<'a>,
        what: &'c Observed,
        found: Option<(String, OpSpan)>,
        /// The token was assigned anew: what follows runs under another token.
        replaced: bool,
    }
    impl Finder<'_, '_> {
        /// The name of an aware operation `e` is (a call or method call), and the clean-up
        /// future it races, if it is one.
        fn aware(&self, e: &syn::Expr) -> Option<(String, Option<proc_macro2::Span>)> {
            match self.what {
                Observed::Task => self.task_aware(e).map(|n| (n, None)),
                Observed::Token(key) => Self::token_aware(e, key),
            }
        }

        /// `token.run_until_cancelled(fut)` and `fut.with_cancellation_token(&token)` (and
        /// their `_owned` forms) on the token that fired.
        fn token_aware(e: &syn::Expr, key: &str) -> Option<(String, Option<proc_macro2::Span>)> {
            let syn::Expr::MethodCall(m) = e else {
                return None;
            };
            let name = m.method.to_string();
            let same = |e: &syn::Expr| token_key(e).is_some_and(|k| k == key);
            match name.as_str() {
                "run_until_cancelled" | "run_until_cancelled_owned" if same(&m.receiver) => {
                    Some((name, m.args.first().map(Spanned::span)))
                }
                "with_cancellation_token" | "with_cancellation_token_owned"
                    if m.args.first().is_some_and(same) =>
                {
                    Some((name, Some(m.receiver.span())))
                }
                _ => None,
            }
        }

        /// One of cancelkit's operations that fail once the task is cancelled.
        fn task_aware(&self, e: &syn::Expr) -> Option<String> {
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
                && !self.replaced
                && let Some((name, inner)) = self.aware(&a.base)
            {
                self.found = Some((
                    name,
                    OpSpan {
                        outer: a.span(),
                        future: Some(a.base.span()),
                        inner,
                    },
                ));
                return;
            }
            visit::visit_expr_await(self, a);
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            visit::visit_expr_assign(self, a);
            if let Observed::Token(key) = self.what
                && token_key(&a.left).is_some_and(|k| k == *key)
            {
                self.replaced = true;
            }
        }
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            // `if let Some(token) = ..`, `for (conn, token) in ..`, a closure's `|token|`: the
            // name is another token from here on.
            if let Observed::Token(key) = self.what
                && p.ident == key.as_str()
            {
                self.replaced = true;
            }
            visit::visit_pat_ident(self, p);
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init {
                self.visit_expr(&init.expr);
                if let Some((_, diverge)) = &init.diverge {
                    self.visit_expr(diverge);
                }
            }
            // `let token = ..` shadows the token, unless it is the same one or its child.
            match (self.what, &l.pat) {
                (Observed::Token(key), syn::Pat::Ident(p)) if p.ident == key.as_str() => {
                    let same = l.init.as_ref().is_some_and(|i| match &*i.expr {
                        syn::Expr::MethodCall(m) if m.method == "child_token" => {
                            token_key(&m.receiver).is_some_and(|k| k == *key)
                        }
                        e => token_key(e).is_some_and(|k| k == *key),
                    });
                    self.replaced |= !same;
                }
                _ => self.visit_pat(&l.pat),
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            // A `select!` with a branch on the token that fired: that branch is ready at once,
            // and the clean-up in the others is dropped.
            let Observed::Token(key) = self.what else {
                return;
            };
            if self.found.is_some() || self.replaced {
                return;
            }
            let Some(branches) = macros::select_branches(m) else {
                return;
            };
            let on_token = branches.iter().find(|b| {
                matches!(&b.future, syn::Expr::MethodCall(c)
                    if matches!(c.method.to_string().as_str(), "cancelled" | "cancelled_owned")
                        && token_key(&c.receiver).is_some_and(|k| k == *key))
            });
            if let Some(b) = on_token
                && branches.len() > 1
            {
                self.found = Some((
                    format!("select!` on `{key}.cancelled()"),
                    OpSpan {
                        outer: b.future.span(),
                        future: None,
                        inner: None,
                    },
                ));
            }
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
                            inner: None,
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
    let mut f = Finder {
        cx,
        what,
        found: None,
        replaced: false,
    };
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
    fn clean_up_raced_against_the_token_that_fired() {
        for src in [
            // After the token's `cancelled().await`, in the same block.
            "async fn f(token: CancellationToken) {\n    token.cancelled().await;\n    token.run_until_cancelled(flush()).await;\n}",
            // In the handler of a `select!` branch on it (through a clone and a field).
            "async fn f(&self) { loop { tokio::select! { _ = self.shutdown.cancelled() => { self.shutdown.clone().run_until_cancelled_owned(close()).await; break } m = rx.recv() => work(m) } } }",
            // Under `if token.is_cancelled()`, through tokio-util's `FutureExt`.
            "async fn f(t: CancellationToken) { if t.is_cancelled() { drain().with_cancellation_token(&t).await; } }",
            // A child of the token that fired is cancelled too.
            "async fn f(t: CancellationToken) { t.cancelled().await; let t = t.child_token(); t.run_until_cancelled(flush()).await; }",
            // A `select!` on the same token in the clean-up.
            "async fn f(t: CancellationToken) { t.cancelled().await; tokio::select! { _ = t.cancelled() => {} _ = flush() => {} } }",
        ] {
            assert_eq!(lines(src).len(), 1, "{src}");
        }
        let src = "async fn f(token: CancellationToken) {\n    token.cancelled().await;\n    let r = token.run_until_cancelled(flush()).await;\n}";
        let f = check_source("t.rs", src, &Config::default());
        let f = f
            .iter()
            .find(|f| f.rule == Rule::UnshieldedCleanup)
            .unwrap();
        assert_eq!(f.primary.span.line_start, 3);
        assert_eq!(f.suggestions[0].edits[0].replacement, "Some(flush().await)");
        assert_eq!(
            f.suggestions[0].applicability,
            crate::finding::Applicability::MaybeIncorrect
        );
    }

    #[test]
    fn another_token_or_a_fresh_one_is_fine() {
        for src in [
            "async fn f(a: CancellationToken, b: CancellationToken) { a.cancelled().await; b.run_until_cancelled(flush()).await; }",
            "async fn f(mut t: CancellationToken) { t.cancelled().await; t = CancellationToken::new(); t.run_until_cancelled(flush()).await; }",
            "async fn f(t: CancellationToken) { t.cancelled().await; let t = CancellationToken::new(); t.run_until_cancelled(flush()).await; }",
            "async fn f(t: CancellationToken) { t.cancelled().await; if let Some(t) = grace { t.run_until_cancelled(flush()).await; } }",
            "async fn f(t: CancellationToken) { t.cancelled().await; for (c, t) in conns { t.run_until_cancelled(c.close()).await; } }",
            "async fn f(t: CancellationToken) { if !t.is_cancelled() { t.run_until_cancelled(work()).await; } }",
            "async fn f(t: CancellationToken) { t.run_until_cancelled(work()).await; t.cancelled().await; }",
            "async fn f(t: CancellationToken) { tokio::select! { _ = t.cancelled() => { flush().await; } m = rx.recv() => { t.run_until_cancelled(work(m)).await; } } }",
            "fn f(t: CancellationToken) { if t.is_cancelled() { block_on(t.run_until_cancelled(x)); } }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
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
