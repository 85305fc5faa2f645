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
//! condition that does one of these, or calling a function of the same crate that itself
//! observes on every path from its entry to its exits.
//!
//! Functions under `#[cancellable]` are instrumented at every loop head (S25) and are not
//! flagged, except loops marked `#[cancelkit::uninterruptible]` (or `#[uninterruptible]`),
//! which the macro leaves alone (S28, S33).
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
//! - Same-crate calls are resolved by the function's name alone; a call counts as observing
//!   only when *every* function of that name in the crate observes on every path (recursion
//!   alone never counts). The error path of `?` inside such a function is not counted as an exit.
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
        notes.push("any `.await` counts as observing; a check call or a same-crate function that checks counts too".into());
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
        applicability: if outcome.breaks_with_value {
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
