//! The path-sensitive core: which paths through a loop iteration (or a function body) reach the
//! end without observing cancellation.
//!
//! Modelled on flake8-async's checkpoint visitor. The state at a program point is a [`Flow`]:
//! whether the point is reachable at all, and the set of *unchecked paths* that reach it (paths
//! from the loop head, or the function entry, on which nothing observed cancellation yet). The
//! walker carries that state through the syntax tree in evaluation order:
//!
//! - an observation (a check call, an `.await` in the default mode, ...) empties the set;
//! - branches (`if`/`else`, `match` arms, `&&`/`||`, `let ... else`) copy the state, walk each
//!   arm and merge (union) the results;
//! - `continue`, `break` and `return` record the state at their loop (or function) and make the
//!   rest of the block unreachable; `?` is transparent (its error path leaves the loop);
//! - nested loops are entered with the current state and left with the merge of their exits.
//!   No fixed point is needed: nothing turns a checked path into an unchecked one, so the state
//!   at a nested loop's head is the state on entry.
//!
//! A call to a function of the checked code is not decided here: it is recorded, by name, on every
//! unchecked path that passes it. A path then reads "unchecked unless one of `f`, `g` observes",
//! and the driver resolves that once every function's summary is known (see
//! [`super::resolve`]). So one parse of each file is enough.

use std::ops::Range;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::{Block, Expr, Macro, Stmt};

use super::observers::{CallKind, MacroKind, Observers};

/// A function name that a path calls (the last segment).
pub(crate) type Sym = Box<str>;

const MAX_PATHS: usize = 8;
const MAX_CALLS: usize = 16;
const MAX_DEPTH: u32 = 256;

/// Where an unchecked path was decided, for the diagnostic's secondary label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Witness {
    pub(crate) range: Range<usize>,
    pub(crate) label: &'static str,
}

/// One class of unchecked paths: unchecked unless one of `calls` observes on every path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UncheckedPath {
    pub(crate) calls: Vec<Sym>,
    pub(crate) witness: Option<Witness>,
    /// The path went through the success arm of a consuming call (`Some(x) = q.pop()`,
    /// `Ok(m) = rx.try_recv()`): it is a drain step, which the default mode does not count
    /// (see [`is_consuming`]).
    pub(crate) progress: bool,
}

/// The analysis state at a program point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flow {
    pub(crate) reachable: bool,
    pub(crate) paths: Vec<UncheckedPath>,
}

impl Flow {
    pub(crate) fn unreachable() -> Self {
        // Invariant: an unreachable flow has no paths.
        Flow {
            reachable: false,
            paths: Vec::new(),
        }
    }

    /// The state at a loop head or function entry: one path, nothing observed yet.
    pub(crate) fn fresh() -> Self {
        Flow {
            reachable: true,
            paths: vec![UncheckedPath {
                calls: Vec::new(),
                witness: None,
                progress: false,
            }],
        }
    }

    pub(crate) fn is_unchecked(&self) -> bool {
        !self.paths.is_empty()
    }

    /// Reachable, and every path observed.
    fn is_checked(&self) -> bool {
        self.reachable && self.paths.is_empty()
    }

    fn observe(&mut self) {
        self.paths.clear();
    }

    fn call(&mut self, ident: &proc_macro2::Ident) {
        if self.paths.iter().all(|p| p.calls.len() >= MAX_CALLS) {
            return;
        }
        let sym = ident.to_string();
        for p in &mut self.paths {
            if p.calls.len() < MAX_CALLS && !p.calls.iter().any(|c| **c == *sym) {
                p.calls.push(sym.as_str().into());
            }
        }
    }

    fn tag(&mut self, range: Range<usize>, label: &'static str) {
        for p in &mut self.paths {
            if p.witness.is_none() {
                p.witness = Some(Witness {
                    range: range.clone(),
                    label,
                });
            }
        }
    }

    pub(crate) fn join(&mut self, other: Flow) {
        self.reachable |= other.reachable;
        for p in other.paths {
            self.add(p);
        }
    }

    fn add(&mut self, p: UncheckedPath) {
        // `q` dominates `p` when it needs fewer calls to be excused and is no more excusable as
        // a drain step: then `p` adds nothing.
        let dominates = |q: &UncheckedPath, p: &UncheckedPath| {
            q.calls.iter().all(|c| p.calls.contains(c)) && (!q.progress || p.progress)
        };
        if let Some(q) = self.paths.iter_mut().find(|q| dominates(q, &p)) {
            if q.witness.is_none() {
                q.witness = p.witness;
            }
            return;
        }
        let mut witness = p.witness.clone();
        self.paths.retain(|q| {
            let dominated = dominates(&p, q);
            if dominated && witness.is_none() {
                witness.clone_from(&q.witness);
            }
            !dominated
        });
        if self.paths.len() < MAX_PATHS {
            self.paths.push(UncheckedPath {
                calls: p.calls,
                witness,
                progress: p.progress,
            });
        }
    }

    fn progress(mut self) -> Self {
        for p in &mut self.paths {
            p.progress = true;
        }
        self
    }
}

/// Method names that take an item out of a finite source (a queue, a channel, an iterator, a
/// buffer) without waiting. A loop path that goes around only after such a call *succeeded* is
/// a drain step: it ends when the source is empty. The default mode does not report those paths
/// (strict mode does).
const CONSUMING_PREFIXES: &[&str] = &[
    "try_", "next", "pop", "recv", "read", "write", "take", "drain",
];

/// Whether `e` is (a method chain containing) a consuming call.
fn is_consuming(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            (CONSUMING_PREFIXES.iter().any(|p| name.starts_with(p)) && name != "try_lock")
                || is_consuming(&m.receiver)
        }
        Expr::Paren(p) => is_consuming(&p.expr),
        Expr::Group(g) => is_consuming(&g.expr),
        Expr::Reference(r) => is_consuming(&r.expr),
        _ => false,
    }
}

/// `Some(..)`, `Ok(..)` (and or-patterns of them).
fn is_success_pat(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Some" || s.ident == "Ok"),
        syn::Pat::Or(o) => o.cases.iter().all(is_success_pat),
        syn::Pat::Paren(p) => is_success_pat(&p.pat),
        syn::Pat::Guard(g) => is_success_pat(&g.pat),
        _ => false,
    }
}

/// Whether a condition holds only when a consuming call succeeded: `let Some(x) = q.pop()`,
/// `rx.try_recv().is_ok()`, and `&&` chains containing one.
fn is_success_cond(cond: &Expr) -> bool {
    match cond {
        Expr::Let(l) => is_success_pat(&l.pat) && is_consuming(&l.expr),
        Expr::MethodCall(m) => {
            (m.method == "is_ok" || m.method == "is_some") && is_consuming(&m.receiver)
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            is_success_cond(&b.left) || is_success_cond(&b.right)
        }
        Expr::Paren(p) => is_success_cond(&p.expr),
        _ => false,
    }
}

/// `shield(..)` under any path, as `#[cancellable]` recognises it.
fn is_shield_call(base: &Expr) -> bool {
    match base {
        Expr::Call(c) => matches!(
            &*c.func,
            Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "shield")
        ),
        Expr::Paren(p) => is_shield_call(&p.expr),
        Expr::Group(g) => is_shield_call(&g.expr),
        _ => false,
    }
}

/// Settings the walk needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) observers: &'a Observers,
    /// Strict mode: only cancellation-aware awaits observe (unless `#[cancellable]` put a
    /// checkpoint at every await of the function, see [`Ctx::awaits_observe`]).
    pub(crate) strict: bool,
    /// Inside a `#[cancellable]` function whose awaits are instrumented.
    pub(crate) instrumented_awaits: bool,
    /// Keep drain-step paths (strict mode, or `report_bounded_loops`).
    pub(crate) keep_progress: bool,
    /// Byte offset of the parsed text within the file (BOM, shebang).
    pub(crate) base: usize,
}

impl Ctx<'_> {
    /// Whether every `.await` observes.
    fn awaits_observe(&self) -> bool {
        !self.strict || self.instrumented_awaits
    }

    pub(crate) fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        let r = span.byte_range();
        r.start + self.base..r.end + self.base
    }
}

#[derive(Debug, PartialEq, Eq)]
enum TargetKind {
    Loop,
    Block,
}

#[derive(Debug)]
struct Target {
    label: Option<String>,
    kind: TargetKind,
    continue_flow: Flow,
    break_flow: Flow,
}

/// A loop being analysed as the root of a walk.
#[derive(Clone, Copy)]
pub(crate) enum LoopRef<'a> {
    Loop(&'a syn::ExprLoop),
    While(&'a syn::ExprWhile),
    For(&'a syn::ExprForLoop),
}

impl std::fmt::Debug for LoopRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LoopRef::Loop(_) => "LoopRef::Loop",
            LoopRef::While(_) => "LoopRef::While",
            LoopRef::For(_) => "LoopRef::For",
        })
    }
}

impl<'a> LoopRef<'a> {
    pub(crate) fn label(&self) -> Option<&'a syn::Label> {
        match self {
            LoopRef::Loop(l) => l.label.as_ref(),
            LoopRef::While(l) => l.label.as_ref(),
            LoopRef::For(l) => l.label.as_ref(),
        }
    }

    pub(crate) fn body(&self) -> &'a Block {
        match self {
            LoopRef::Loop(l) => &l.body,
            LoopRef::While(l) => &l.body,
            LoopRef::For(l) => &l.body,
        }
    }

    pub(crate) fn attrs(&self) -> &'a [syn::Attribute] {
        match self {
            LoopRef::Loop(l) => &l.attrs,
            LoopRef::While(l) => &l.attrs,
            LoopRef::For(l) => &l.attrs,
        }
    }
}

/// The result of analysing one loop.
#[derive(Debug)]
pub(crate) struct LoopOutcome {
    /// The unchecked paths that get back to the loop head.
    pub(crate) back_edge: Flow,
}

/// Analyses one loop: the state at the end of an iteration (and at every `continue`), starting
/// from a fresh state at the loop head.
pub(crate) fn analyse_loop(ctx: Ctx<'_>, lp: LoopRef<'_>) -> LoopOutcome {
    let mut w = Walker::new(ctx, false);
    w.targets.push(Target {
        label: lp.label().map(|l| l.name.ident.to_string()),
        kind: TargetKind::Loop,
        continue_flow: Flow::unreachable(),
        break_flow: Flow::unreachable(),
    });
    let head = match lp {
        LoopRef::While(l) => {
            // The condition runs at the head of every iteration.
            let c = w.expr(&l.cond, Flow::fresh());
            if is_success_cond(&l.cond) {
                c.progress()
            } else {
                c
            }
        }
        LoopRef::Loop(_) | LoopRef::For(_) => Flow::fresh(),
    };
    let mut end = w.block(lp.body(), head);
    let root = w.targets.pop().expect("root target");
    end.join(root.continue_flow);
    if !ctx.keep_progress {
        end.paths.retain(|p| !p.progress);
    }
    LoopOutcome { back_edge: end }
}

/// Analyses a function body: the unchecked paths from entry to every exit (`return` and the
/// end of the body; the error path of `?` is not counted, see the crate docs).
pub(crate) fn analyse_fn(ctx: Ctx<'_>, body: &Block) -> Flow {
    let mut w = Walker::new(ctx, true);
    let mut end = w.block(body, Flow::fresh());
    if let Some(r) = w.returns.take() {
        end.join(r);
    }
    end
}

struct Walker<'a> {
    ctx: Ctx<'a>,
    targets: Vec<Target>,
    /// Function mode: the merged state at `return`s.
    returns: Option<Flow>,
    depth: u32,
}

impl<'a> Walker<'a> {
    fn new(ctx: Ctx<'a>, function: bool) -> Self {
        Walker {
            ctx,
            targets: Vec::new(),
            returns: function.then(Flow::unreachable),
            depth: 0,
        }
    }

    fn block(&mut self, block: &Block, mut f: Flow) -> Flow {
        for stmt in &block.stmts {
            // Nothing turns a checked path unchecked again: once every path observed (or none
            // is left), the rest of the block cannot matter.
            if !f.is_unchecked() {
                break;
            }
            f = self.stmt(stmt, f);
        }
        f
    }

    fn stmt(&mut self, stmt: &Stmt, f: Flow) -> Flow {
        if !f.is_unchecked() {
            return f;
        }
        match stmt {
            Stmt::Local(local) => match &local.init {
                Some(init) => {
                    let f = self.expr(&init.expr, f);
                    if let Some((_, diverge)) = &init.diverge {
                        // `let ... else { .. }`: the else block runs when the pattern does not
                        // match; it must diverge, so whatever it records (`continue`!) is what
                        // matters, and its end state is dropped.
                        self.expr(diverge, f.clone());
                        if is_success_pat(&local.pat) && is_consuming(&init.expr) {
                            return f.progress();
                        }
                    }
                    f
                }
                None => f,
            },
            Stmt::Item(_) => f,
            Stmt::Expr(e, _) => self.expr(e, f),
            Stmt::Macro(m) => self.mac(&m.mac, f),
        }
    }

    fn exprs<'e>(&mut self, es: impl IntoIterator<Item = &'e Expr>, mut f: Flow) -> Flow {
        for e in es {
            f = self.expr(e, f);
        }
        f
    }

    fn expr(&mut self, e: &Expr, f: Flow) -> Flow {
        if !f.is_unchecked() || self.depth > MAX_DEPTH {
            return f;
        }
        self.depth += 1;
        let out = self.expr_inner(e, f);
        self.depth -= 1;
        out
    }

    fn expr_inner(&mut self, e: &Expr, f: Flow) -> Flow {
        match e {
            Expr::Await(a) => {
                let mut f = self.expr(&a.base, f);
                if self.await_observes(&a.base) {
                    f.observe();
                }
                f
            }
            Expr::Call(c) => {
                let f = self.expr(&c.func, f);
                let mut f = self.exprs(&c.args, f);
                if let Expr::Path(p) = &*c.func {
                    match self.ctx.observers.classify_path(&p.path) {
                        CallKind::Check => f.observe(),
                        CallKind::Diverges => return Flow::unreachable(),
                        CallKind::Aware | CallKind::Other => {
                            if let Some(last) = p.path.segments.last() {
                                f.call(&last.ident);
                            }
                        }
                    }
                }
                f
            }
            Expr::MethodCall(m) => {
                let f = self.expr(&m.receiver, f);
                let mut f = self.exprs(&m.args, f);
                match self.ctx.observers.classify_method(&m.method, &m.receiver) {
                    CallKind::Check => f.observe(),
                    CallKind::Diverges => return Flow::unreachable(),
                    CallKind::Aware | CallKind::Other => f.call(&m.method),
                }
                f
            }
            Expr::If(i) => {
                let c = self.expr(&i.cond, f);
                let then_head = if is_success_cond(&i.cond) {
                    c.clone().progress()
                } else {
                    c.clone()
                };
                let mut then = self.block(&i.then_branch, then_head);
                let mut other = match &i.else_branch {
                    Some((_, e)) => self.expr(e, c.clone()),
                    None => c,
                };
                if other.is_checked() && then.is_unchecked() {
                    then.tag(
                        self.ctx.range(i.then_branch.brace_token.span.join()),
                        LABEL_BRANCH,
                    );
                } else if then.is_checked() && other.is_unchecked() {
                    match &i.else_branch {
                        Some((_, e)) => other.tag(self.ctx.range(e.span()), LABEL_BRANCH),
                        None => other.tag(self.ctx.range(i.cond.span()), LABEL_COND_FALSE),
                    }
                }
                then.join(other);
                then
            }
            Expr::Match(m) => {
                let s = self.expr(&m.expr, f);
                let consuming = is_consuming(&m.expr);
                let mut arms: Vec<Flow> = Vec::with_capacity(m.arms.len());
                for arm in &m.arms {
                    let mut a = s.clone();
                    if consuming && is_success_pat(&arm.pat) {
                        a = a.progress();
                    }
                    if let syn::Pat::Guard(g) = &arm.pat {
                        a = self.expr(&g.guard, a);
                    }
                    a = self.expr(&arm.body, a);
                    arms.push(a);
                }
                let any_checked = arms.iter().any(Flow::is_checked);
                let mut out = Flow::unreachable();
                for (mut a, arm) in arms.into_iter().zip(&m.arms) {
                    if any_checked && a.is_unchecked() {
                        // Spans are computed only when needed: `Spanned::span` prints tokens.
                        a.tag(self.ctx.range(arm.pat.span()), LABEL_ARM);
                    }
                    out.join(a);
                }
                out
            }
            Expr::Binary(b) => {
                let l = self.expr(&b.left, f);
                if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
                    // Short circuit: the right side may not run.
                    let r = self.expr(&b.right, l.clone());
                    let mut out = l;
                    out.join(r);
                    out
                } else {
                    self.expr(&b.right, l)
                }
            }
            Expr::Let(l) => self.expr(&l.expr, f),
            Expr::Loop(l) => {
                self.push_loop(l.label.as_ref());
                self.block(&l.body, f);
                self.pop_target().break_flow
            }
            Expr::While(l) => {
                self.push_loop(l.label.as_ref());
                let c = self.expr(&l.cond, f);
                self.block(&l.body, c.clone());
                let mut out = c;
                out.join(self.pop_target().break_flow);
                out
            }
            Expr::ForLoop(l) => {
                let it = self.expr(&l.expr, f);
                self.push_loop(l.label.as_ref());
                self.block(&l.body, it.clone());
                let mut out = it;
                out.join(self.pop_target().break_flow);
                out
            }
            Expr::Block(b) => match &b.label {
                Some(label) => {
                    self.targets.push(Target {
                        label: Some(label.name.ident.to_string()),
                        kind: TargetKind::Block,
                        continue_flow: Flow::unreachable(),
                        break_flow: Flow::unreachable(),
                    });
                    let mut out = self.block(&b.block, f);
                    out.join(self.pop_target().break_flow);
                    out
                }
                None => self.block(&b.block, f),
            },
            Expr::Unsafe(u) => self.block(&u.block, f),
            Expr::TryBlock(t) => self.block(&t.block, f),
            Expr::Break(b) => {
                let f = match &b.expr {
                    Some(e) => self.expr(e, f),
                    None => f,
                };
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                if let Some(idx) = self.find_target(label.as_deref(), false) {
                    self.targets[idx].break_flow.join(f);
                }
                Flow::unreachable()
            }
            Expr::Continue(c) => {
                let label = c.label.as_ref().map(|l| l.ident.to_string());
                if let Some(idx) = self.find_target(label.as_deref(), true) {
                    let mut f = f;
                    if idx == 0 && self.returns.is_none() {
                        f.tag(self.ctx.range(c.span()), LABEL_CONTINUE);
                    }
                    self.targets[idx].continue_flow.join(f);
                }
                Flow::unreachable()
            }
            Expr::Return(r) => {
                let f = match &r.expr {
                    Some(e) => self.expr(e, f),
                    None => f,
                };
                if let Some(returns) = &mut self.returns {
                    returns.join(f);
                }
                Flow::unreachable()
            }
            Expr::Try(t) => self.expr(&t.expr, f),
            Expr::Macro(m) => self.mac(&m.mac, f),
            // Closures and async blocks run elsewhere, later or never; const blocks at compile
            // time. None of them is part of this path.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => f,
            Expr::Array(a) => self.exprs(&a.elems, f),
            Expr::Tuple(t) => self.exprs(&t.elems, f),
            Expr::Assign(a) => {
                let f = self.expr(&a.right, f);
                self.expr(&a.left, f)
            }
            Expr::Cast(c) => self.expr(&c.expr, f),
            Expr::Field(x) => self.expr(&x.base, f),
            Expr::Group(g) => self.expr(&g.expr, f),
            Expr::Paren(p) => self.expr(&p.expr, f),
            Expr::Index(i) => {
                let f = self.expr(&i.expr, f);
                self.expr(&i.index, f)
            }
            Expr::Range(r) => {
                let f = match &r.start {
                    Some(s) => self.expr(s, f),
                    None => f,
                };
                match &r.end {
                    Some(e) => self.expr(e, f),
                    None => f,
                }
            }
            Expr::Reference(r) => self.expr(&r.expr, f),
            Expr::RawAddr(r) => self.expr(&r.expr, f),
            Expr::Repeat(r) => self.expr(&r.expr, f),
            Expr::Struct(s) => {
                let f = self.exprs(s.fields.iter().map(|fv| &fv.expr), f);
                match &s.rest {
                    Some(rest) => self.expr(rest, f),
                    None => f,
                }
            }
            Expr::Unary(u) => self.expr(&u.expr, f),
            Expr::Yield(y) => match &y.expr {
                Some(e) => self.expr(e, f),
                None => f,
            },
            _ => f,
        }
    }

    /// Macros are opaque; their tokens are scanned best-effort for awaits and checks, and a few
    /// well-known ones are understood by name (`select!`/`join!` await, `panic!` diverges).
    fn mac(&mut self, mac: &Macro, mut f: Flow) -> Flow {
        match self.ctx.observers.classify_macro(&mac.path) {
            MacroKind::Diverges => return Flow::unreachable(),
            MacroKind::Awaiting => {
                let scan = scan_tokens(self.ctx.observers, mac.tokens.clone());
                if self.ctx.awaits_observe() || scan.aware || scan.check {
                    f.observe();
                }
            }
            MacroKind::Other => {
                let scan = scan_tokens(self.ctx.observers, mac.tokens.clone());
                if scan.check || (scan.await_ && (self.ctx.awaits_observe() || scan.aware)) {
                    f.observe();
                }
            }
        }
        f
    }

    /// Whether awaiting `base` observes: any await in the default mode. In strict mode, a
    /// cancellation-aware one, or one that `#[cancellable]` checks and interrupts: every await
    /// of an instrumented function except `shield(..).await`, which the macro leaves alone.
    fn await_observes(&self, base: &Expr) -> bool {
        if !self.ctx.strict {
            return true;
        }
        self.is_aware(base) || (self.ctx.instrumented_awaits && !is_shield_call(base))
    }

    /// Strict mode: whether awaiting `base` observes cancellation.
    fn is_aware(&self, base: &Expr) -> bool {
        match base {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => matches!(
                    self.ctx.observers.classify_path(&p.path),
                    CallKind::Aware | CallKind::Check
                ),
                _ => false,
            },
            Expr::MethodCall(m) => matches!(
                self.ctx.observers.classify_method(&m.method, &m.receiver),
                CallKind::Aware | CallKind::Check
            ),
            Expr::Paren(p) => self.is_aware(&p.expr),
            Expr::Group(g) => self.is_aware(&g.expr),
            Expr::Macro(m) => {
                let scan = scan_tokens(self.ctx.observers, m.mac.tokens.clone());
                scan.aware || scan.check
            }
            _ => false,
        }
    }

    fn push_loop(&mut self, label: Option<&syn::Label>) {
        self.targets.push(Target {
            label: label.map(|l| l.name.ident.to_string()),
            kind: TargetKind::Loop,
            continue_flow: Flow::unreachable(),
            break_flow: Flow::unreachable(),
        });
    }

    fn pop_target(&mut self) -> Target {
        self.targets.pop().unwrap_or(Target {
            label: None,
            kind: TargetKind::Block,
            continue_flow: Flow::unreachable(),
            break_flow: Flow::unreachable(),
        })
    }

    /// The target a `break`/`continue` refers to: by label, or the innermost loop.
    fn find_target(&self, label: Option<&str>, is_continue: bool) -> Option<usize> {
        match label {
            Some(l) => self
                .targets
                .iter()
                .rposition(|t| t.label.as_deref() == Some(l)),
            None => self
                .targets
                .iter()
                .rposition(|t| t.kind == TargetKind::Loop),
        }
        .filter(|&i| !is_continue || self.targets[i].kind == TargetKind::Loop)
    }
}

const LABEL_BRANCH: &str = "this branch does not observe cancellation";
const LABEL_ARM: &str = "this arm does not observe cancellation";
const LABEL_COND_FALSE: &str = "when this condition is false, nothing observes cancellation";
const LABEL_CONTINUE: &str =
    "this `continue` goes back to the loop head without observing cancellation";

/// What a macro's tokens contain.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TokenScan {
    pub(crate) await_: bool,
    pub(crate) check: bool,
    pub(crate) aware: bool,
}

/// Scans tokens for `.await`, calls to checks and mentions of cancellation-aware futures.
pub(crate) fn scan_tokens(observers: &Observers, tokens: TokenStream) -> TokenScan {
    let mut scan = TokenScan::default();
    scan_into(observers, tokens, &mut scan, 0);
    scan
}

fn scan_into(observers: &Observers, tokens: TokenStream, scan: &mut TokenScan, depth: u32) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut prev_dot = false;
    let mut pending_ident: Option<proc_macro2::Ident> = None;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                if prev_dot && i == "await" {
                    scan.await_ = true;
                }
                if observers.is_aware_name(&i) {
                    scan.aware = true;
                }
                pending_ident = Some(i);
                prev_dot = false;
            }
            TokenTree::Punct(p) => {
                prev_dot = p.as_char() == '.';
                pending_ident = None;
            }
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis
                    && pending_ident
                        .as_ref()
                        .is_some_and(|i| observers.is_check_name(i))
                {
                    scan.check = true;
                }
                scan_into(observers, g.stream(), scan, depth + 1);
                prev_dot = false;
                pending_ident = None;
            }
            TokenTree::Literal(_) => {
                prev_dot = false;
                pending_ident = None;
            }
        }
    }
}
