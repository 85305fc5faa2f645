//! ## What it does
//! Flags a loop in async code (an `async fn` or method, an `async` block, an async closure)
//! that can spin: some path through one iteration gets back to the loop head without awaiting or
//! observing cancellation, and the loop's exit depends only on something that path does not
//! advance (SPEC S32). The default mode reports such a path when it shows one of these:
//!
//! - a **poll that keeps answering "nothing yet"**: the path takes the failure side of a
//!   poll-style call (`Err(TryRecvError::Empty)`, `None` from `poll_decode()`,
//!   `Poll::Pending`, a failed `try_lock`, the `false` of a `try_` call asked in a condition,
//!   a `for` over `rx.try_iter()` running out, a failed socket read in a function that makes
//!   its sockets non-blocking) and goes round again. A broadcast receiver's
//!   `Err(TryRecvError::Lagged(_))` is not a failure: it skipped ahead to a message it can get.
//!   A catch-all arm after arms that took every failure (`Err(_)`, or both
//!   `Err(TryRecvError::Empty)` and `Err(TryRecvError::Disconnected)`) takes a message;
//! - **state only something else changes**: a condition on the path reads an atomic
//!   (`flag.load(..)`), the clock (`Instant::now()`, `elapsed()`) or a poll-style call, itself
//!   or through a local the pass binds from an atomic or the clock (`let now = Instant::now();
//!   if now >= deadline ..`; handing such a copy to a call changes nothing), or
//!   the path takes the "no" side of a terminal asked whether an event is there (crossterm's
//!   `event::poll(Duration::ZERO)`);
//! - in a loop with no path round that awaits, **no way out** (no `break`, `return`, `?` or
//!   panic at all), or a `while` whose **condition reads nothing the path changes**, unless
//!   the path draws a random number (`rand::random()`, `rng.gen_range(..)`, a `rand_*`
//!   helper: a branch on the draw can go the other way next time). Where the loop awaits on
//!   another path round (an await in a nested loop counts, read as having run), its shape
//!   says nothing about whether the await-free one is taken twice in a row (it is often a
//!   case that cannot happen for reasons the code does not show), so one of the other kinds
//!   of evidence must show it;
//! - a **blocking call** (`std::thread::sleep`, `park`, a `recv()` or `wait()` that is not
//!   awaited, a read of a socket or of a reader built from one (not of one built only from a
//!   `Cursor`, whatever it is called), `block_on`, crossterm's
//!   `event::poll(timeout)` and `event::read()`, a line editor's `readline(prompt)`, a
//!   terminal prompt's `interact()`, `interact_opt()` or `interact_text()`): the
//!   executor thread is held, whatever the loop does. A call
//!   of a **helper of the checked code that blocks on every call** counts too: a sync free
//!   function (`fn readline() -> io::Result<String>`) whose straight-line part makes such a
//!   call, or calls another such helper, before anything can return.
//!
//! `std::thread::yield_now()` and `std::hint::spin_loop()` are not evidence by themselves: they
//! return at once, and what the loop waits for decides whether it spins (in a lock-free queue
//! they wait out another thread's push, a few instructions long).
//!
//! The first three are excused when the path makes progress: it takes an item out of something
//! (the success side of `pop`, `next`, `try_recv`, `remove_lru`...), or changes something a
//! condition of the loop reads (`i += 1`, `queue.pop_front()`, `retries += 1`), or retries a
//! call a signal interrupted (`e.kind() == ErrorKind::Interrupted`, EINTR). A drain of a
//! queue, a counting loop and a retry with a bound are not spins. Nor is a lock-free retry: a
//! compare-and-swap that expects a value read before (`compare_exchange(seen, ..)`) or acts on
//! the atomic the pass loaded, or a call on the object a value was loaded from that is handed
//! it (`s.claim(current, ..)`), fails only when another thread has just moved the state. A
//! compare-and-swap from a constant with nothing loaded before is a try-lock, and waits.
//!
//! Strict mode keeps its meaning: it reports every path that gets back to the head without
//! observing cancellation, counts only cancellation-aware awaits (`cancelkit::sleep`,
//! `yield_now`, `cancelled()`, `token.cancelled()`...), and looks at `for` loops too.
//!
//! Observing means: calling a cancellation check (`cancelkit::checkpoint`, `is_cancelled`,
//! tokio-util's `CancellationToken::is_cancelled`, any path configured under `observers`),
//! awaiting (in the default mode any `.await`), a loop condition that does one of these, a
//! macro whose tokens (or, for a `macro_rules!` of the checked code, whose body) await or
//! check or invoke another `macro_rules!` of the same file that does, or calling a function of the checked code that itself observes on every path from
//! its entry to its exits.
//!
//! Functions under `#[cancellable]` (or in a `#[cancellable] impl` block) are instrumented at
//! every loop head (S25) and are not flagged, except what the macro leaves alone (S28, S33):
//! loops marked `#[uninterruptible]`, everything inside a marked loop or statement, methods of
//! the `impl` marked `#[uninterruptible]`, closures and async blocks (S27), and every loop
//! when the attribute says `loops = false`. Unless it says `awaits = false`, the macro also
//! makes every `.await` observe, in strict mode too, except `shield(..).await`.
//!
//! ## Why is this bad
//! Cancellation is cooperative (S1): a cancelled task stops only when it looks. A loop that goes
//! round without awaiting never looks, and it also holds the executor thread, so every other
//! task on that thread starves until the loop's condition changes by itself. A cancelled task
//! stuck there keeps its memory, locks and connections, and delays every group and deadline
//! that waits for it.
//!
//! ## Known problems
//! - There is no type information. Names resolve through the file's `use` items, but a method
//!   is known by its name alone: any `is_cancelled()` counts as a check, any `try_*` or
//!   `poll_*` as a poll, any `recv()` that is not awaited as blocking (but an argument-less
//!   one on something named like a socket, as smoltcp's is). A library's blocking
//!   call under another name (inquire's `prompt()`, a `flock` behind a helper) is
//!   not seen, so a loop around one is not reported. A helper of the checked code is taken to
//!   block only when it is a free function that blocks before any branch or `return`, and no
//!   method of the same name is in scope: one that blocks on some branches, a method, or an
//!   `async fn` is not followed.
//! - Calls into the checked code are resolved by name within the crate and its dependencies
//!   among the checked crates; a call counts as observing only when *every* function of that
//!   name there observes on every path (a least fixed point, so recursion alone never
//!   counts). The error path of `?` inside such a function is not counted as an exit. An
//!   `async fn` counts only where its future is awaited (or handed to a combinator), and a
//!   path through `std::`, `core::` or `alloc::` never resolves to the checked code.
//! - Progress is syntactic: changing any variable a condition of the loop reads counts, even
//!   when the change cannot end the loop (a local the body makes afresh on each pass too:
//!   ruling those out cost two false reports on the study's corpora and found no spin); so does handing it to a call (`process(&store)`,
//!   which may change it through interior mutability); calling a method on `self` counts as
//!   changing every field of `self`.
//! - Polls are known by name (`try_*`, `poll_*`, `now_or_never`, and `peek*` with an argument:
//!   a socket's `peek(&mut buf)` asks the OS, while `peek()`, `peek_mut()` and `peekable()` look
//!   at a collection or an iterator the code owns). A method of the code's own that only
//!   steps a state machine under a poll-like name (rattler's `self.poll_cache()`, whose
//!   `Retry` answer comes after it reset the state) is read as a poll. Reading its body does
//!   not settle it: a step over state behind a lock looks the same as a `try_take()` on a
//!   queue another thread fills. A loop that retries a function whose name
//!   says nothing (`op()`, `compute()`) until it answers is not reported in the default mode:
//!   such a function may as well do the work itself.
//! - A loop that awaits on some path round is reported only with a poll, a blocking call or
//!   state only something else changes on the path that does not: a branch taken again and
//!   again for another reason (`loop { if let Some(t) = &mut a { t.tick().await } }` with `a`
//!   never set) is not reported in the default mode. An await in a nested loop counts as on a
//!   path round even though that loop may run zero times (`loop { while c() { x.await } }` is
//!   not reported), as progress in a nested loop does.
//! - A `peek()` without arguments on a lock-free queue that another thread fills (`rtrb`,
//!   `heapless`) is read as a look at the code's own data, not as a poll.
//! - A `try_` call asked in a condition (`if !self.try_advance_row() { .. }`) is taken to
//!   say `true` when it did what it tried; a `try_` whose `true` means "not yet" is misread.
//!   A `peek` or a `poll_` asked the same way is evidence on both sides. `Lagged` is known by
//!   name: bare, or under an error type named `*RecvError`.
//! - Conditions that go together are not related: a pass that skips the sleep only when a
//!   second has passed, after resetting the window that makes the next pass sleep (armature's
//!   rate limiter), is reported.
//! - A value read from an atomic and handed to a call on the object it was loaded from
//!   counts as acted on, like a compare-and-swap's, whatever the call does with it. A value
//!   that a call computes from the clock (`deadline.checked_duration_since(now)`) reads as
//!   that call's answer, and is not followed back to the clock.
//! - Random draws are known by name: a path through `rand::random()`, a `rand_*` function or a
//!   generator's `gen_range` is not reported for the loop's shape alone, whatever the draw is
//!   for.
//! - Paths are checked for feasibility only through local booleans set to a constant (a flag
//!   set where the path awaits, tested before the loop goes round), and through a test in
//!   the body of one of the root `while`'s own `&&` conditions, whose false side leaves at the
//!   head: a path that cannot happen
//!   for another reason (all the variants are handled by inner loops that await) can still be
//!   reported when it shows evidence. So a drain written as a `for` over `rx.try_iter()`
//!   whose emptiness is then tested through a counter (`n += 1;` .. `if n == 0 { break }`) is
//!   reported; the same test through a boolean (`got = true;` .. `if !got { break }`) is not.
//! - The same spin written with `while let Ok(m) = rx.try_recv() { .. }` inside the outer loop
//!   is not reported when the body makes progress: the `while`'s failure side is joined with
//!   its body's paths.
//! - Macro bodies are scanned as tokens: an `.await` or a check anywhere in an invocation
//!   counts as observing on the path that reaches it.
//! - Closures and nested async blocks are separate scopes: their awaits do not count for the
//!   enclosing loop.
//!
//! ## Example
//! ```rust,ignore
//! async fn pump(rx: &mut Receiver<Job>) {
//!     loop {
//!         let Ok(job) = rx.try_recv() else { continue };   // spins while the queue is empty
//!         job.run().await;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! async fn pump(rx: &mut Receiver<Job>) {
//!     while let Some(job) = rx.recv().await {              // waits, and can be cancelled
//!         job.run().await;
//!     }
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::flow::{self, Ctx, LoopRef, UncheckedPath};
use crate::analysis::summaries::{Pending, Unless};
use crate::analysis::{has_attr, macros};
use crate::finding::{Annotation, Applicability, Edit, Finding, Suggestion};

/// The rule's entry point: loops only.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    let Node::Loop(lp) = node else { return None };
    let scope = cx.scope;
    let marked = has_attr(lp.attrs(), "uninterruptible") || scope.opted_out;
    let strict = cx.config.strict;
    let looked_at = match lp {
        LoopRef::Loop(_) | LoopRef::While(_) => true,
        LoopRef::For(_) => strict,
    };
    if !scope.is_async || !looked_at || (scope.cancellable && !marked) {
        return None;
    }
    let every_path = strict || cx.config.report_bounded_loops;
    let ctx = Ctx {
        instrumented_awaits: scope.instrumented_awaits,
        facts: !every_path,
        ..cx.ctx
    };
    let back_edge = flow::analyse_loop(ctx, lp);
    let shape = Shape::of(lp, &back_edge);
    let paths: Vec<&UncheckedPath> = back_edge
        .paths
        .iter()
        .filter(|p| every_path || shape.spins(p))
        .collect();
    let labelled = |paths: &[&UncheckedPath]| {
        paths
            .iter()
            .map(|p| {
                let labels = p
                    .witness
                    .iter()
                    .chain(&p.evidence)
                    .map(|w| Annotation {
                        span: cx.file.span(w.range.clone()),
                        label: Some(w.label.clone()),
                    })
                    .collect();
                (p.calls.clone(), labels)
            })
            .collect()
    };
    if paths.is_empty() {
        // No evidence on any path yet, unless one calls a helper that blocks every caller:
        // resolution decides, once every function's body is known.
        let all: Vec<&UncheckedPath> = back_edge.paths.iter().collect();
        let candidates = free_calls(cx, lp, &all);
        if every_path || candidates.is_empty() {
            return None;
        }
        let finding = build(cx, lp, &all, marked, BLOCKING_NOTE);
        return Some(Emit::Pending(Pending {
            finding,
            unless: Unless::Observes {
                paths: labelled(&all),
                if_blocking: Some(candidates),
            },
        }));
    }
    let finding = build(cx, lp, &paths, marked, shape.note(paths[0]));
    Some(Emit::Pending(Pending {
        finding,
        unless: Unless::Observes {
            paths: labelled(&paths),
            if_blocking: None,
        },
    }))
}

const BLOCKING_NOTE: &str =
    "a blocking call holds the executor thread, and a cancelled task cannot stop there";

/// The free functions called in the loop (`readline()`, `utils::input(..)`) that are on one of
/// `paths`, each with the place of its first call: resolution keeps the finding if one of them
/// blocks on every call (see `analysis::blocking`).
fn free_calls(
    cx: &Cx<'_>,
    lp: LoopRef<'_>,
    paths: &[&UncheckedPath],
) -> Vec<(flow::Sym, Annotation)> {
    struct Calls<'p> {
        on_paths: &'p [&'p UncheckedPath],
        found: Vec<(flow::Sym, proc_macro2::Span)>,
    }
    impl<'ast> Visit<'ast> for Calls<'_> {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && crate::analysis::blocking::plain_call(p)
                && let Some(last) = p.path.segments.last()
            {
                let name: flow::Sym = last.ident.to_string().into();
                if !self.found.iter().any(|(n, _)| *n == name)
                    && self.on_paths.iter().any(|q| q.calls.contains(&name))
                {
                    self.found.push((name, last.ident.span()));
                }
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut calls = Calls {
        on_paths: paths,
        found: Vec::new(),
    };
    match lp {
        LoopRef::While(l) => {
            calls.visit_expr(&l.cond);
            calls.visit_block(&l.body);
        }
        _ => calls.visit_block(lp.body()),
    }
    calls
        .found
        .into_iter()
        .map(|(name, span)| {
            let label = format!(
                "`{name}` blocks the thread on every call: the executor cannot run anything else"
            );
            let at = Annotation {
                span: cx.file.span(cx.ctx.range(span)),
                label: Some(label),
            };
            (name, at)
        })
        .collect()
}

/// What the loop as a whole says about its paths.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// No `break`, `return`, `?` or panic leaves the loop.
    no_exit: bool,
    /// A `while` loop: its condition is tested again at the head.
    retests: bool,
    /// Some path round the loop awaits (or otherwise observes), also in a nested loop read as
    /// having run: an await-free one is then a branch among others.
    awaits: bool,
}

impl Shape {
    fn of(lp: LoopRef<'_>, back_edge: &flow::Flow) -> Self {
        Shape {
            no_exit: matches!(lp, LoopRef::Loop(_)) && !has_exit(lp),
            retests: matches!(lp, LoopRef::While(_)),
            awaits: back_edge.observed,
        }
    }

    /// The default mode's decision for one unchecked path (see the module docs). The loop's
    /// shape (no way out, a condition the path does not advance) is evidence only where no
    /// path awaits. In a loop that awaits elsewhere, the await-free path repeats only if the
    /// branches that chose it choose it again, and the shape says nothing about those: a poll,
    /// a blocking call or state only something else changes must show it.
    fn spins(self, p: &UncheckedPath) -> bool {
        let stuck = !self.awaits && (self.no_exit || self.retests) && !p.facts.drew;
        p.facts.blocking || ((p.facts.nothing_yet || stuck) && !p.facts.progress)
    }

    fn note(self, p: &UncheckedPath) -> &'static str {
        // A path that blocks waits there rather than asking again at once.
        if p.facts.blocking {
            BLOCKING_NOTE
        } else if p.facts.nothing_yet {
            "nothing on this path awaits, so the loop asks again at once: a busy-wait that holds \
             the executor thread and never sees cancellation"
        } else if self.no_exit {
            "nothing on this path awaits and the loop has no way out: it runs on the executor \
             thread until the task is dropped"
        } else {
            "the loop's condition reads nothing this path changes, and nothing on it awaits: it \
             repeats without yielding"
        }
    }
}

fn build(
    cx: &Cx<'_>,
    lp: LoopRef<'_>,
    paths: &[&UncheckedPath],
    marked: bool,
    note: &'static str,
) -> Finding {
    let ctx = cx.ctx;
    let file = cx.file;
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
    let any_observation = paths.iter().any(|p| p.witness.is_some());
    let mut f = Finding::new(
        Rule::UncancellableLoop,
        &file.path,
        format!("this `{kind}` can go around without observing cancellation"),
        file.span(head.clone()),
    )
    .label(if any_observation {
        "this loop can repeat without observing cancellation"
    } else {
        "nothing in this loop observes cancellation"
    });
    if marked {
        f = f
            .note("a cancelled task cannot stop this loop: cancellation is only seen where the code looks for it")
            .note("this loop opted out of `#[cancellable]`'s checks with `#[uninterruptible]`");
    } else if cx.config.strict {
        f = f
            .note("a cancelled task cannot stop this loop: cancellation is only seen where the code looks for it")
            .note("strict mode: only cancellation-aware awaits and checks count");
    } else if cx.config.report_bounded_loops {
        f = f.note("any `.await` counts as observing; every path without one is reported");
    } else {
        f = f.note(note);
    }
    for s in suggestions(cx, lp, head.start) {
        f = f.suggestion(s);
    }
    f
}

/// Fixes that fit the crate: a check when it depends on cancelkit (machine-applicable where a
/// plain `break` type-checks), tokio's `yield_now` when it depends on tokio, the token in scope.
/// Each edit rewrites the loop head through the body's `{`, so an editor offers it on the
/// warning's own span.
fn suggestions(cx: &Cx<'_>, lp: LoopRef<'_>, head_start: usize) -> Vec<Suggestion> {
    let file = cx.file;
    let open = cx.ctx.range(lp.body().brace_token.span.open()).end;
    let Some(original) = file.text.get(head_start..open) else {
        return Vec::new();
    };
    let loop_line = file.line_of(head_start);
    let loop_indent = indent_of(file.line_text(loop_line));
    let first_stmt_line = lp
        .body()
        .stmts
        .first()
        .map(|s| file.line_of(cx.ctx.range(s.span()).start))
        .filter(|&l| l > loop_line);
    let (indent, tail) = match first_stmt_line {
        Some(l) => (indent_of(file.line_text(l)).to_string(), String::new()),
        None if lp.body().stmts.is_empty() && file.text.get(open..open + 1) == Some("}") => {
            (format!("{loop_indent}    "), format!("\n{loop_indent}"))
        }
        None => (format!("{loop_indent}    "), String::new()),
    };
    let span = file.span(head_start..open);
    let edit = |code: &str| Edit {
        span,
        replacement: format!("{original}\n{indent}{code}{tail}"),
    };
    let deps = &cx.config.dependencies;
    let uses = |name: &str| deps.as_ref().is_none_or(|d| d.iter().any(|n| n == name));
    let mut out = Vec::new();
    let break_check = |cond: &str| format!("if {cond} {{\n{indent}    break;\n{indent}}}");
    if deps
        .as_ref()
        .is_some_and(|d| d.iter().any(|n| n == "cancelkit"))
        || (deps.is_none() && cx.ctx.names.mentions_cancelkit)
    {
        out.push(Suggestion {
            message: "stop the loop when the task is cancelled".into(),
            edits: vec![edit(&break_check("::cancelkit::is_cancelled()"))],
            applicability: if plain_break_fits(lp) && deps.is_some() {
                Applicability::MachineApplicable
            } else {
                Applicability::MaybeIncorrect
            },
        });
        out.push(Suggestion {
            message: "or return the cancellation error (the function must return a `Result` whose error converts from `CancellationError`)".into(),
            edits: vec![edit("::cancelkit::checkpoint()?;")],
            applicability: Applicability::MaybeIncorrect,
        });
    }
    // Prefer a token the code already names (naming another in a `move` block moves it in).
    let tokens = &cx.scope.tokens;
    if let Some(token) = tokens
        .iter()
        .find(|t| !t.unnamed)
        .or(tokens.first())
        .map(|t| &t.name)
    {
        out.push(Suggestion {
            message: format!("stop the loop when `{token}` is cancelled"),
            edits: vec![edit(&break_check(&format!("{token}.is_cancelled()")))],
            applicability: Applicability::MaybeIncorrect,
        });
    }
    if uses("tokio") {
        out.push(Suggestion {
            message: "let other tasks run, and let the task be cancelled, on every iteration"
                .into(),
            edits: vec![edit("tokio::task::yield_now().await;")],
            applicability: Applicability::MaybeIncorrect,
        });
    }
    out
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// Whether adding `break;` at the top of the body still compiles: the loop already leaves with
/// a plain `break` (so it has type `()` and the code after it is reachable), or it is a
/// `while`; it never leaves with a value; and it assigns no variable declared outside it (which
/// a `let x;` before the loop may need initialised after it).
fn plain_break_fits(lp: LoopRef<'_>) -> bool {
    let breaks = Breaks::of(lp);
    !breaks.with_value
        && (breaks.plain || matches!(lp, LoopRef::While(_)))
        && !assigns_outer_variable(lp.body())
}

/// Whether a loop has a way out: a `break` to it or to an enclosing label, `return`, `?`, a
/// macro that may leave (`panic!`, `assert!`, `ready!`, one whose tokens say `return` or `?`),
/// or `process::exit`.
fn has_exit(lp: LoopRef<'_>) -> bool {
    let b = Breaks::of(lp);
    b.plain || b.with_value || b.leaves
}

#[derive(Default)]
struct Breaks<'a> {
    /// Labels of loops and blocks inside the loop (a `break` to one of them stays inside).
    inner_labels: Vec<&'a syn::Ident>,
    depth: u32,
    plain: bool,
    with_value: bool,
    /// `return`, `?`, a leaving macro, a `break` to an outer label.
    leaves: bool,
}

impl<'a> Breaks<'a> {
    fn of(lp: LoopRef<'a>) -> Self {
        let mut b = Breaks::default();
        b.visit_block(lp.body());
        b
    }

    fn nested(&mut self, label: Option<&'a syn::Label>, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        let pushed = label
            .map(|l| self.inner_labels.push(&l.name.ident))
            .is_some();
        f(self);
        if pushed {
            self.inner_labels.pop();
        }
        self.depth -= 1;
    }
}

impl<'ast> Visit<'ast> for Breaks<'ast> {
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = match &b.label {
            Some(l) => !self.inner_labels.iter().any(|i| **i == l.ident),
            None => self.depth == 0,
        };
        if ours {
            match (&b.expr, &b.label) {
                (Some(_), _) => self.with_value = true,
                (None, _) => self.plain = true,
            }
        }
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.leaves = true;
        visit::visit_expr_return(self, r);
    }
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        self.leaves = true;
        visit::visit_expr_try(self, t);
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && p.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "exit" || s.ident == "abort")
        {
            self.leaves = true;
        }
        visit::visit_expr_call(self, c);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if macros::may_leave(m) {
            self.leaves = true;
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.nested(l.label.as_ref(), |s| visit::visit_expr_loop(s, l));
    }
    fn visit_expr_while(&mut self, l: &'ast syn::ExprWhile) {
        self.nested(l.label.as_ref(), |s| visit::visit_expr_while(s, l));
    }
    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        self.nested(l.label.as_ref(), |s| visit::visit_expr_for_loop(s, l));
    }
    fn visit_expr_block(&mut self, b: &'ast syn::ExprBlock) {
        match &b.label {
            // A labelled block is a `break` target only by its label.
            Some(l) => {
                self.inner_labels.push(&l.name.ident);
                visit::visit_expr_block(self, b);
                self.inner_labels.pop();
            }
            None => visit::visit_expr_block(self, b),
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether the body assigns (`x = ..`) a variable it does not declare.
fn assigns_outer_variable(body: &syn::Block) -> bool {
    #[derive(Default)]
    struct Finder {
        declared: Vec<String>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.declared.push(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let syn::Expr::Path(p) = &*a.left
                && let Some(i) = p.path.get_ident()
                && !self.declared.iter().any(|d| i == d)
            {
                self.found = true;
            }
            visit::visit_expr_assign(self, a);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder::default();
    f.visit_block(body);
    f.found
}

#[cfg(test)]
mod tests {
    use crate::{Config, check_source};

    fn applicability(src: &str) -> Vec<&'static str> {
        let config = Config {
            dependencies: Some(vec!["cancelkit".into()]),
            ..Config::default()
        };
        let f = check_source("t.rs", src, &config);
        assert_eq!(f.len(), 1, "{f:#?}");
        f[0].suggestions
            .iter()
            .map(|s| s.applicability.as_str())
            .collect()
    }

    #[test]
    fn the_check_is_machine_applicable_only_where_a_plain_break_compiles() {
        // Already leaves with `break`: fine.
        let ok = "async fn f() { loop { if flag.load(SeqCst) { break; } } }";
        assert_eq!(applicability(ok)[0], "MachineApplicable");
        // No break: the loop is the function's `!`-typed tail, `break` would make it `()`.
        let tail = "async fn f() -> u8 { loop { work(); } }";
        assert_eq!(applicability(tail)[0], "MaybeIncorrect");
        // Assigns a variable declared before it, maybe read after it.
        let init = "async fn f() { let x; loop { if flag.load(SeqCst) { x = 1; break; } } }";
        assert_eq!(applicability(init)[0], "MaybeIncorrect");
        // Leaves with a value.
        let value = "async fn f() -> u8 { loop { if flag.load(SeqCst) { break 1; } } }";
        assert_eq!(applicability(value)[0], "MaybeIncorrect");
    }

    #[test]
    fn without_cancelkit_the_fixes_are_tokio_and_the_token_in_scope() {
        let config = Config {
            dependencies: Some(vec!["tokio".into()]),
            ..Config::default()
        };
        let src =
            "async fn f(token: CancellationToken) { loop { if flag.load(SeqCst) { break; } } }";
        let f = check_source("t.rs", src, &config);
        let fixes: Vec<(&str, &str)> = f[0]
            .suggestions
            .iter()
            .map(|s| (s.edits[0].replacement.as_str(), s.applicability.as_str()))
            .collect();
        assert_eq!(fixes.len(), 2, "{fixes:?}");
        assert!(fixes[0].0.contains("token.is_cancelled()"), "{fixes:?}");
        assert!(
            fixes[1].0.contains("tokio::task::yield_now().await;"),
            "{fixes:?}"
        );
        assert!(fixes.iter().all(|f| f.1 == "MaybeIncorrect"));
        assert!(!fixes.iter().any(|f| f.0.contains("cancelkit")));
    }

    #[test]
    fn the_fix_covers_the_warning_span() {
        let f = check_source(
            "t.rs",
            "async fn f() { loop { if flag.load(SeqCst) { break; } } }",
            &Config::default(),
        );
        let edit = &f[0].suggestions[0].edits[0];
        assert!(edit.span.byte_start <= f[0].primary.span.byte_start);
        assert!(edit.span.byte_end >= f[0].primary.span.byte_end);
    }
}
