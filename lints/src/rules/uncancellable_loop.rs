//! ## What it does
//! Flags a loop in async code (an `async fn` or method, an `async` block, an async closure) in
//! which some path through one iteration gets back to the loop head without observing
//! cancellation (SPEC S32). The default mode looks at `loop`, `while` and `while let`; the
//! strict mode at `for` loops too.
//!
//! Observing means: calling a cancellation check (`cancelkit::checkpoint`, `is_cancelled`,
//! tokio-util's `CancellationToken::is_cancelled`, any path configured under `observers`),
//! awaiting (in the default mode any `.await`; in the strict mode only cancellation-aware
//! futures such as `cancelkit::sleep`, `yield_now`, `cancelled()`, `token.cancelled()`), a loop
//! condition that does one of these, or calling a function of the same workspace that itself
//! observes on every path from its entry to its exits.
//!
//! Functions under `#[cancellable]` are instrumented at every loop head (S25) and are not
//! flagged, except what the macro leaves alone (S28, S33): loops marked
//! `#[cancelkit::uninterruptible]` (or `#[uninterruptible]`), everything inside a marked loop
//! or statement, closures and async blocks (S27), and every loop when the attribute says
//! `loops = false`. Unless it says `awaits = false`, the macro also makes every `.await`
//! observe: it is checked before it starts and interrupted by the task's cancellation while it
//! is pending (S25; with `interrupt = false`, only checked before), so there every await
//! observes, in strict mode too. The exceptions follow the expansion: `shield(..).await`,
//! which the macro leaves alone, and awaits inside a marked statement.
//!
//! ## Why is this bad
//! Cancellation is cooperative (S1): a cancelled task stops only when it looks. A loop that can
//! go around without looking keeps a cancelled task alive, holding its memory, locks and
//! connections, and delays every group and deadline that waits for it. A loop that never
//! awaits on some path is worse: it also starves the executor thread.
//!
//! ## Known problems
//! - There is no type information. Observers are matched by name (see the `observers` module):
//!   a function of another crate named like a check is taken for one, and a renamed import of a
//!   check is not seen unless configured.
//! - Calls into the code being checked (the selected packages of the workspace) are resolved by
//!   the function's name alone (the last path segment, or the method name); a call counts as
//!   observing only when *every* function of that name observes on every path from its entry to
//!   its exits (a least fixed point, so recursion alone never counts). The error path of `?`
//!   inside such a function is not counted as an exit.
//! - Macro bodies are scanned as tokens: an `.await` or a check anywhere in the invocation
//!   counts as observing on the path that reaches the macro.
//! - Loops that are bounded by their data (draining a buffer, `while i < n`) are flagged like
//!   any other in async code; allow them with a comment.
//! - Closures and nested async blocks are separate scopes: their awaits do not count for the
//!   enclosing loop.
//!
//! ## Example
//! ```rust,ignore
//! async fn pump(rx: &mut Receiver<Job>) {
//!     loop {
//!         let Ok(job) = rx.try_recv() else { continue };   // spins, never observes
//!         job.run().await;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! async fn pump(rx: &mut Receiver<Job>) -> Result<(), CancellationError> {
//!     loop {
//!         cancelkit::checkpoint()?;
//!         let Ok(job) = rx.try_recv() else { continue };
//!         job.run().await;
//!     }
//! }
//! ```

use crate::analysis::Pending;
use crate::analysis::flow::{Ctx, LoopOutcome, LoopRef};
use crate::config::Level;
use crate::finding::{Annotation, Applicability, Edit, Finding, Suggestion};
use crate::rules::Rule;
use crate::source::SourceFile;
use syn::spanned::Spanned;

/// Builds the (still symbolic) finding for a loop with unchecked back edges.
pub(crate) fn finding(
    ctx: Ctx<'_>,
    file: &SourceFile,
    lp: LoopRef<'_>,
    outcome: &LoopOutcome,
    strict: bool,
    marked: bool,
) -> Pending {
    let (kind, head) = match lp {
        LoopRef::Loop(l) => ("loop", ctx.range(l.loop_token.span)),
        LoopRef::While(l) => (
            "while",
            ctx.range(l.while_token.span).start..ctx.range(l.cond.span()).end,
        ),
        LoopRef::For(l) => (
            "for",
            ctx.range(l.for_token.span).start..ctx.range(l.expr.span()).end,
        ),
    };
    let head_span = file.span(head);
    let any_observation = outcome.back_edge.paths.iter().any(|p| p.witness.is_some());
    let primary_label = if any_observation {
        "this loop can repeat without observing cancellation"
    } else {
        "nothing in this loop observes cancellation"
    };
    let mut notes = vec![
        "a cancelled task cannot stop this loop: cancellation is only seen where the code looks for it"
            .to_string(),
    ];
    if marked {
        notes.push(
            "this loop opted out of `#[cancellable]`'s checks with `#[uninterruptible]`".into(),
        );
    } else if strict {
        notes.push("strict mode: only cancellation-aware awaits and checks count".into());
    } else {
        notes.push("any `.await` counts as observing; so do check calls and workspace functions that check on every path".into());
    }

    // Insert a check right after the body's opening brace.
    let open = ctx.range(lp.body().brace_token.span.open()).end;
    let loop_line = file.line_of(head_span.byte_start);
    let loop_indent = indent_of(file.line_text(loop_line));
    let first_stmt_line = lp
        .body()
        .stmts
        .first()
        .map(|s| file.line_of(ctx.range(s.span()).start))
        .filter(|&l| l > loop_line);
    let (indent, tail) = match first_stmt_line {
        Some(l) => (indent_of(file.line_text(l)).to_string(), String::new()),
        None if lp.body().stmts.is_empty() && file.text.get(open..open + 1) == Some("}") => {
            (format!("{loop_indent}    "), format!("\n{loop_indent}"))
        }
        None => (format!("{loop_indent}    "), String::new()),
    };
    let insert = file.span(open..open);
    let mut suggestions = vec![Suggestion {
        message: "stop the loop when the task is cancelled".into(),
        edits: vec![Edit {
            span: insert,
            replacement: format!(
                "\n{indent}if ::cancelkit::is_cancelled() {{\n{indent}    break;\n{indent}}}{tail}"
            ),
        }],
        applicability: if breaks_with_value(lp) {
            Applicability::MaybeIncorrect
        } else {
            Applicability::MachineApplicable
        },
    }];
    suggestions.push(Suggestion {
        message: "or return the cancellation error (the function must return a `Result` whose error converts from `CancellationError`)".into(),
        edits: vec![Edit { span: insert, replacement: format!("\n{indent}::cancelkit::checkpoint()?;{tail}") }],
        applicability: Applicability::MaybeIncorrect,
    });

    let finding = Finding {
        rule: Rule::UncancellableLoop,
        level: Level::Warn,
        path: file.path.clone(),
        message: format!("this `{kind}` can go around without observing cancellation"),
        primary: Annotation {
            span: head_span,
            label: Some(primary_label.into()),
        },
        secondary: Vec::new(),
        notes,
        help: Vec::new(),
        suggestions,
    };
    let paths = outcome
        .back_edge
        .paths
        .iter()
        .map(|p| {
            let witness = p.witness.as_ref().map(|w| Annotation {
                span: file.span(w.range.clone()),
                label: Some(w.label.to_string()),
            });
            (p.calls.clone(), witness)
        })
        .collect();
    Pending { finding, paths }
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// Whether a `break value` leaves this loop (then a plain `break;` would not type-check).
fn breaks_with_value(lp: LoopRef<'_>) -> bool {
    use syn::visit::{self, Visit};
    struct Finder<'a> {
        label: Option<&'a syn::Ident>,
        depth: u32,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            if b.expr.is_some() {
                match (&b.label, self.label) {
                    (Some(l), Some(ours)) if l.ident == *ours => self.found = true,
                    (None, _) if self.depth == 0 => self.found = true,
                    _ => {}
                }
            }
            visit::visit_expr_break(self, b);
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.depth += 1;
            visit::visit_expr_loop(self, l);
            self.depth -= 1;
        }
        fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
            self.depth += 1;
            visit::visit_expr_while(self, l);
            self.depth -= 1;
        }
        fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
            self.depth += 1;
            visit::visit_expr_for_loop(self, l);
            self.depth -= 1;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder {
        label: lp.label().map(|l| &l.name.ident),
        depth: 0,
        found: false,
    };
    f.visit_block(lp.body());
    f.found
}

/// Default mode only: whether a `while` loop's condition says the loop is bounded by its own
/// data, so the loop is not reported (strict mode reports it):
/// - a comparison (`while i < n`, `while buf.len() > 0`, combined with `&&`/`||`/`!`);
/// - a condition over local variables that the body assigns (`while got.is_none() { got = .. }`).
///
/// A spin on outside state (`while !flag.load(..)`, `while !ready()`) is neither, and is reported.
pub(crate) fn is_data_bounded_while(cond: &syn::Expr, body: &syn::Block) -> bool {
    use syn::visit::{self, Visit};
    use syn::{BinOp, Expr};
    fn comparison(e: &Expr) -> bool {
        match e {
            Expr::Binary(b) => match b.op {
                BinOp::Lt(_)
                | BinOp::Le(_)
                | BinOp::Gt(_)
                | BinOp::Ge(_)
                | BinOp::Ne(_)
                | BinOp::Eq(_) => true,
                BinOp::And(_) | BinOp::Or(_) => comparison(&b.left) || comparison(&b.right),
                _ => false,
            },
            Expr::Unary(u) => comparison(&u.expr),
            Expr::Paren(p) => comparison(&p.expr),
            _ => false,
        }
    }
    if comparison(cond) {
        return true;
    }
    #[derive(Default)]
    struct Roots(Vec<String>);
    impl<'ast> Visit<'ast> for Roots {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                let name = i.to_string();
                if name.starts_with(|c: char| c.is_lowercase() || c == '_') {
                    self.0.push(name);
                }
            }
        }
        fn visit_macro(&mut self, _: &'ast syn::Macro) {}
    }
    struct Assigned<'r>(&'r [String], bool);
    impl Assigned<'_> {
        fn root(&mut self, e: &syn::Expr) {
            let mut e = e;
            loop {
                match e {
                    Expr::Field(f) => e = &f.base,
                    Expr::Index(i) => e = &i.expr,
                    Expr::Unary(u) => e = &u.expr,
                    Expr::Paren(p) => e = &p.expr,
                    Expr::Path(p) => {
                        if p.path
                            .get_ident()
                            .is_some_and(|i| self.0.iter().any(|r| i == r))
                        {
                            self.1 = true;
                        }
                        return;
                    }
                    _ => return,
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Assigned<'_> {
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            self.root(&a.left);
            visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            if matches!(
                b.op,
                BinOp::AddAssign(_)
                    | BinOp::SubAssign(_)
                    | BinOp::MulAssign(_)
                    | BinOp::DivAssign(_)
                    | BinOp::BitOrAssign(_)
                    | BinOp::BitAndAssign(_)
                    | BinOp::ShlAssign(_)
                    | BinOp::ShrAssign(_)
            ) {
                self.root(&b.left);
            }
            visit::visit_expr_binary(self, b);
        }
    }
    let mut roots = Roots::default();
    roots.visit_expr(cond);
    if roots.0.is_empty() {
        return false;
    }
    let mut a = Assigned(&roots.0, false);
    a.visit_block(body);
    a.1
}
