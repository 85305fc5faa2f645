//! The path-sensitive core: which paths through a loop iteration (or a function body) reach the
//! end without observing cancellation, and what each of them did on the way.
//!
//! Modelled on flake8-async's checkpoint visitor. The state at a program point is a [`Flow`]:
//! whether the point is reachable at all, and the set of *unchecked paths* that reach it (paths
//! from the loop head, or the function entry, on which nothing observed cancellation yet). The
//! walker carries that state through the syntax tree in evaluation order:
//!
//! - an observation (a check call, an `.await` in the default mode, ...) empties the set;
//! - branches copy the state, walk each arm and merge (union) the results. Conditions are split
//!   into the state where they hold and the state where they do not ([`Walker::cond`]): `&&`
//!   and `||` short-circuit, `!` swaps, `if let`/`while let`/`let ... else` and `match` arms
//!   take the success or the failure side of the value they destructure;
//! - `continue`, `break` and `return` record the state at their loop (or function) and make the
//!   rest of the block unreachable; `?` is transparent (its error path leaves the loop);
//! - nested loops are entered with the current state and left with the merge of their exits.
//!   For which paths are unchecked no fixed point is needed: nothing turns a checked path into
//!   an unchecked one, so the state at a nested loop's head is the state on entry;
//! - a path remembers the local booleans it set to a constant (`let mut popped = false;`,
//!   `popped = true;`), and a condition on one (`if !popped { break }`) sends it down one side
//!   only; anything else that writes the variable forgets it. A nested loop whose going-round
//!   paths change one is walked again with it forgotten on entry, since its next iteration
//!   starts from another value (this is the one place the walk iterates).
//!
//! A call to a function of the checked code is not decided here: it is recorded, by name, on every
//! unchecked path that passes it. A path then reads "unchecked unless one of `f`, `g` observes",
//! and the driver resolves that once every function's summary is known (see
//! [`super::summaries`]). So one parse of each file is enough.
//!
//! Besides its calls, each unchecked path carries [`Facts`]: what it did that tells a busy
//! loop from a bounded one. The walker only records them; the `uncancellable_loop` rule decides
//! what they mean.

use std::ops::Range;

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Block, Expr, Ident, Macro, Pat, Stmt};

use super::literals;
use super::macros;
use super::names;
use super::observers::{self, CallKind, FileNames, MacroKind, Observers};
use super::outcomes::{
    self, Outcome, Seen, Source, arm_outcome, only_skips_ahead, outcome_of, outcome_test, source,
};
use super::roots;
use super::token_vars::TokenVar;
use super::tokens::scan_tokens;

/// A function name that a path calls (the last segment), or a macro's name followed by `!`.
pub(crate) type Sym = Box<str>;

/// At most this many classes of unchecked paths are kept at a program point. A further class
/// that no kept class dominates is dropped. The analysis then under-reports (a loop may go
/// unreported, a function may be taken to observe on every path); it never over-reports.
const MAX_PATHS: usize = 16;
/// At most this many walks of a nested loop settle the booleans its paths know (see
/// [`Walker::nested`]); then they are all forgotten on its entry.
const MAX_REWALKS: usize = 3;
/// Nested loops below this many levels of loops that know a boolean forget them all on entry,
/// so that the walks do not multiply.
const MAX_REWALK_DEPTH: u32 = 2;
/// At most this many calls are remembered per path; later calls on a longer path are not
/// recorded. Such a path cannot be excused by them, so the loop may be reported although one of
/// the forgotten calls observes.
const MAX_CALLS: usize = 16;
/// Expressions (and macro token groups) nested deeper than this are not walked: the state goes
/// through them unchanged, as if they did nothing. Generated code can nest thousands deep and
/// the walk recurses. An await or a check beyond that depth is missed (the loop may be
/// reported), and so is a `continue` (a path may be missed).
const MAX_DEPTH: u32 = 256;

/// A labelled place in the file: where a path was decided, or where its evidence is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Witness {
    pub(crate) range: Range<usize>,
    pub(crate) label: String,
}

/// What a path did, besides calls: the facts the loop rule weighs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// It took the "nothing yet" side of a poll-style call (`try_recv` failed, `poll_decode`
    /// gave `None`), or tested state that only something else changes (an atomic, the clock).
    pub(crate) nothing_yet: bool,
    /// It called something that blocks or spins the thread (`std::thread::sleep`, a blocking
    /// `recv()`).
    pub(crate) blocking: bool,
    /// It advanced the loop: took an item out of a source (`Some(x) = q.pop()`), or changed
    /// something a condition of the loop reads (`i += 1`, `queue.pop_front()`).
    pub(crate) progress: bool,
    /// Token mode: it awaited an event (a message, a connection, a tick): without consulting
    /// the token there, the loop can wait forever after the cancel.
    pub(crate) waited: bool,
    /// It drew a random number: a branch on the draw can go the other way next time, so the
    /// loop's shape alone does not show that the path repeats (a poll or an atomic still does).
    pub(crate) drew: bool,
}

impl Facts {
    /// Whether a path with `self` is reported whenever one with `other` is (the facts only
    /// ever get set, and the rule reports on `blocking`, and on `nothing_yet` without
    /// `progress`).
    fn at_least_as_bad(self, other: Facts) -> bool {
        self.nothing_yet >= other.nothing_yet
            && self.blocking >= other.blocking
            && self.progress <= other.progress
            && self.waited >= other.waited
            && self.drew <= other.drew
    }
}

/// One class of unchecked paths: unchecked unless one of `calls` observes on every path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UncheckedPath {
    pub(crate) calls: Vec<Sym>,
    /// Where the path left the checked ones (a branch, an arm, a `continue`).
    pub(crate) witness: Option<Witness>,
    /// The first place that set `nothing_yet` or `blocking`.
    pub(crate) evidence: Option<Witness>,
    pub(crate) facts: Facts,
    /// Local booleans this path set to a constant (`let mut popped = false;`), by name: a
    /// condition on one of them sends the path down one side only.
    pub(crate) known: Vec<(Box<str>, bool)>,
}

/// The analysis state at a program point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flow {
    pub(crate) reachable: bool,
    pub(crate) paths: Vec<UncheckedPath>,
    /// Some path that reaches this point observed on the way (at a loop's back edge: the loop
    /// has a path round that observes, so an unchecked one is a branch among others).
    pub(crate) observed: bool,
}

impl Flow {
    pub(crate) fn unreachable() -> Self {
        // Invariant: an unreachable flow has no paths.
        Flow {
            reachable: false,
            paths: Vec::new(),
            observed: false,
        }
    }

    /// The state at a loop head or function entry: one path, nothing observed yet.
    pub(crate) fn fresh() -> Self {
        Flow {
            reachable: true,
            paths: vec![UncheckedPath {
                calls: Vec::new(),
                witness: None,
                evidence: None,
                facts: Facts::default(),
                known: Vec::new(),
            }],
            observed: false,
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
        self.observed = true;
    }

    fn call(&mut self, sym: &str) {
        for p in &mut self.paths {
            if p.calls.len() < MAX_CALLS && !p.calls.iter().any(|c| **c == *sym) {
                p.calls.push(sym.into());
            }
        }
    }

    /// A call of `name`; `awaited`: its future runs here (awaited, or handed to a combinator
    /// that polls it), so an `async fn` of that name runs too. An `async fn`'s summary is named
    /// `name.await`: calling one without awaiting it runs none of its body.
    fn call_named(&mut self, name: &str, awaited: bool) {
        self.call(name);
        if awaited && !self.paths.is_empty() {
            self.call(&format!("{name}.await"));
        }
    }

    fn tag(&mut self, range: Range<usize>, label: &str) {
        for p in &mut self.paths {
            if p.witness.is_none() {
                p.witness = Some(Witness {
                    range: range.clone(),
                    label: label.to_string(),
                });
            }
        }
    }

    /// Sets a fact on every path, with the place that shows it.
    fn evidence(mut self, set: impl Fn(&mut Facts), witness: &Witness) -> Self {
        for p in &mut self.paths {
            set(&mut p.facts);
            if p.evidence.is_none() {
                p.evidence = Some(witness.clone());
            }
        }
        self
    }

    fn waited(mut self) -> Self {
        for p in &mut self.paths {
            p.facts.waited = true;
        }
        self
    }

    fn drew(&mut self) {
        for p in &mut self.paths {
            p.facts.drew = true;
        }
    }

    fn progressed(mut self) -> Self {
        for p in &mut self.paths {
            p.facts.progress = true;
        }
        self
    }

    /// From here on `name` holds `value` on every path (`None`: nothing is known of it).
    fn set_known(&mut self, name: &str, value: Option<bool>) {
        for p in &mut self.paths {
            p.known.retain(|(n, _)| **n != *name);
            if let Some(v) = value {
                p.known.push((name.into(), v));
            }
        }
    }

    fn forget_all(&mut self) {
        for p in &mut self.paths {
            p.known.clear();
        }
    }

    fn knows_any(&self) -> bool {
        self.paths.iter().any(|p| !p.known.is_empty())
    }

    /// The paths on which the boolean `name` may be true, and those on which it may be false.
    fn split_known(self, name: &str) -> (Flow, Flow) {
        let side = || Flow {
            reachable: self.reachable,
            paths: Vec::new(),
            observed: self.observed,
        };
        let (mut t, mut f) = (side(), side());
        for p in self.paths {
            match p.known.iter().find(|(n, _)| **n == *name).map(|&(_, v)| v) {
                Some(true) => t.add(p),
                Some(false) => f.add(p),
                None => {
                    t.add(p.clone());
                    f.add(p);
                }
            }
        }
        (t, f)
    }

    pub(crate) fn join(&mut self, other: Flow) {
        self.reachable |= other.reachable;
        self.observed |= other.observed;
        for p in other.paths {
            self.add(p);
        }
    }

    fn add(&mut self, p: UncheckedPath) {
        // `q` dominates `p` when it needs fewer calls to be excused and is at least as bad:
        // then `p` adds nothing.
        // (A path that knows less prunes less, so it stands for one that knows more.)
        let dominates = |q: &UncheckedPath, p: &UncheckedPath| {
            q.calls.iter().all(|c| p.calls.contains(c))
                && q.facts.at_least_as_bad(p.facts)
                && q.known.iter().all(|k| p.known.contains(k))
        };
        if let Some(q) = self.paths.iter_mut().find(|q| dominates(q, &p)) {
            if q.witness.is_none() {
                q.witness = p.witness;
            }
            if q.evidence.is_none() {
                q.evidence = p.evidence;
            }
            return;
        }
        let mut p = p;
        self.paths.retain(|q| {
            let dominated = dominates(&p, q);
            if dominated {
                if p.witness.is_none() {
                    p.witness.clone_from(&q.witness);
                }
                if p.evidence.is_none() {
                    p.evidence.clone_from(&q.evidence);
                }
            }
            !dominated
        });
        if self.paths.len() < MAX_PATHS {
            self.paths.push(p);
        } else if !p.known.is_empty() {
            // Rather than drop it, forget what it knows: then it may stand for paths already
            // kept, which frees their places.
            p.known.clear();
            self.add(p);
        }
    }
}

/// Settings the walk needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) observers: &'a Observers,
    pub(crate) names: FileNames<'a>,
    /// Strict mode: only cancellation-aware awaits observe (unless `#[cancellable]` put a
    /// checkpoint at every await of the function, see [`Ctx::awaits_observe`]).
    pub(crate) strict: bool,
    /// Inside a `#[cancellable]` function whose awaits are instrumented.
    pub(crate) instrumented_awaits: bool,
    /// Record [`Facts`] (the default mode's loop rule needs them; summaries and strict mode
    /// do not, and paths merge better without them).
    pub(crate) facts: bool,
    /// Byte offset of the parsed text within the file (BOM, shebang).
    pub(crate) base: usize,
    /// Token mode (`unobserved_token`): a path "observes" when it consults one of these tokens
    /// (names it: calls a method on it, passes it on, clones it, mentions it in a macro, or
    /// calls a method on `self` when one is a field), or calls a cancellation method on another
    /// token (`parent.is_cancelled()`); other awaits and cancelkit's free checks do not.
    pub(crate) consults: Option<Consults<'a>>,
}

/// What `unobserved_token` looks for on a path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Consults<'a> {
    /// The tokens in scope.
    pub(crate) tokens: &'a [TokenVar],
    /// Methods of `self` known not to name a token field (defined in the same `impl`).
    pub(crate) quiet_self_methods: &'a [String],
}

impl Ctx<'_> {
    /// Whether every `.await` observes.
    fn awaits_observe(&self) -> bool {
        self.consults.is_none() && (!self.strict || self.instrumented_awaits)
    }

    /// Token mode: whether `e` names one of the tokens (`token`, `self.token`).
    fn names_token(&self, e: &Expr) -> bool {
        let Some(Consults { tokens, .. }) = self.consults else {
            return false;
        };
        let name = match e {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            Expr::Field(f) => match (&*f.base, &f.member) {
                (Expr::Path(p), syn::Member::Named(m)) if p.path.is_ident("self") => {
                    Some(format!("self.{m}"))
                }
                _ => None,
            },
            _ => None,
        };
        name.is_some_and(|n| tokens.iter().any(|t| t.name == n))
    }

    /// Token mode: a method called on `self` may consult a token field, unless it is one of
    /// the same `impl` that never names one.
    fn self_call_consults(&self, receiver: &Expr, method: &syn::Ident) -> bool {
        self.consults.is_some_and(|c| {
            c.tokens.iter().any(|t| t.name.starts_with("self."))
                && !c.quiet_self_methods.iter().any(|m| method == m)
        }) && matches!(receiver, Expr::Path(p) if p.path.is_ident("self"))
    }

    /// Token mode: whether macro tokens mention a token (`token`, or `self . token`).
    fn tokens_mention_token(&self, tokens: &TokenStream) -> bool {
        let Some(Consults { tokens: ts, .. }) = self.consults else {
            return false;
        };
        let names: Vec<String> = ts.iter().map(|t| t.ident().to_string()).collect();
        roots::mentioned(tokens, &names)
    }

    pub(crate) fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        let r = span.byte_range();
        r.start + self.base..r.end + self.base
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    Loop,
    Block,
}

#[derive(Debug, Clone)]
struct Target {
    label: Option<String>,
    kind: TargetKind,
    continue_flow: Flow,
    break_flow: Flow,
}

impl Target {
    fn new(label: Option<&syn::Label>, kind: TargetKind) -> Self {
        Target {
            label: label.map(|l| l.name.ident.to_string()),
            kind,
            continue_flow: Flow::unreachable(),
            break_flow: Flow::unreachable(),
        }
    }
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

/// The unchecked paths that get back to the loop head: at the end of an iteration and at
/// every `continue`, starting from a fresh state at the head.
pub(crate) fn analyse_loop<'a>(ctx: Ctx<'a>, lp: LoopRef<'a>) -> Flow {
    let mut w = Walker::new(ctx, false, Root::Loop(lp));
    if ctx.facts {
        w.cond_roots = roots::of_conditions(lp);
        if let LoopRef::While(l) = lp {
            w.root_cond = Some(quote::ToTokens::to_token_stream(&l.cond).to_string());
            w.root_conjuncts = conjuncts(&l.cond)
                .map(|c| quote::ToTokens::to_token_stream(c).to_string())
                .collect();
        }
    }
    w.targets.push(Target::new(lp.label(), TargetKind::Loop));
    let head = match lp {
        // The condition runs at the head of every iteration; the body runs where it holds. A
        // condition that does work itself (`while write(fd, b) >= 0 {}`) advances the loop.
        LoopRef::While(l) if ctx.facts && roots::does_work(&l.cond) => {
            w.cond(&l.cond, Flow::fresh()).0.progressed()
        }
        LoopRef::While(l) => w.cond(&l.cond, Flow::fresh()).0,
        LoopRef::Loop(_) | LoopRef::For(_) => Flow::fresh(),
    };
    let mut end = w.block(lp.body(), head);
    let root = w.targets.pop().expect("root target");
    end.join(root.continue_flow);
    end
}

/// Analyses a function body: the unchecked paths from entry to every exit (`return` and the
/// end of the body; the error path of `?` is not counted, see the crate docs).
pub(crate) fn analyse_fn<'a>(ctx: Ctx<'a>, body: &'a Block) -> Flow {
    let mut w = Walker::new(
        Ctx {
            facts: false,
            ..ctx
        },
        true,
        Root::Body(body),
    );
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
    /// What the root loop's conditions read (`i`, `self.queue`): changing one is progress.
    cond_roots: Vec<String>,
    /// The root `while` loop's condition, as tokens: an inner `while` that tests the same
    /// condition leaves only when it is false, and then so is the root's.
    root_cond: Option<String>,
    /// The operands of the root `while`'s `&&`s, as tokens: where the body finds one false,
    /// the head fails next.
    root_conjuncts: Vec<String>,
    /// Inside a condition or a scrutinee: method calls there read (`e.kind() == WouldBlock`);
    /// what they consume, the outcome says.
    reading: u32,
    /// What is walked: the root loop or the function body.
    root: Root<'a>,
    /// How many nested loops that know a boolean are being walked.
    rewalk_depth: u32,
    /// The names a boolean of which cannot be tracked ([`Walker::trackable`]), found the
    /// first time one is set.
    rebound: std::cell::OnceCell<std::collections::HashSet<String>>,
    /// Names the root compares with zero (`progressed == 0`): only those integers are tracked.
    zero_tested: std::cell::OnceCell<std::collections::HashSet<String>>,
    /// Locals bound from a read of outside state (`let now = Instant::now();`) in the blocks
    /// being walked: a condition that tests one reads the state itself.
    outside_locals: Vec<OutsideLocal>,
}

/// A local bound from a read of outside state.
struct OutsideLocal {
    name: String,
    read: Witness,
    /// For an atomic's `load`, the variable or field it was loaded from (`self.state`).
    loaded_from: Option<String>,
}

/// The root of a walk.
#[derive(Clone, Copy)]
enum Root<'a> {
    Loop(LoopRef<'a>),
    Body(&'a Block),
}

impl<'a> Walker<'a> {
    fn new(ctx: Ctx<'a>, function: bool, root: Root<'a>) -> Self {
        Walker {
            ctx,
            targets: Vec::new(),
            returns: function.then(Flow::unreachable),
            depth: 0,
            cond_roots: Vec::new(),
            root_cond: None,
            root_conjuncts: Vec::new(),
            reading: 0,
            root,
            rewalk_depth: 0,
            outside_locals: Vec::new(),
            rebound: std::cell::OnceCell::new(),
            zero_tested: std::cell::OnceCell::new(),
        }
    }

    /// What `name` is known to hold after it is set to `e`: a boolean literal's value, or
    /// whether an integer literal is not zero, for a name the root compares with zero (other
    /// integers are not worth the walk's time). Rust never compares one kind as the other, so
    /// one flag serves both: `if popped` reads the first, `if progressed == 0` the second.
    fn known_value(&self, name: &str, e: &Expr) -> Option<bool> {
        let v = literals::bool_lit(e).or_else(|| {
            literals::int_lit(e)
                .map(|v| v != 0)
                .filter(|_| self.compared_with_zero(name))
        })?;
        self.trackable(name).then_some(v)
    }

    /// Hands `v` the whole root: a loop's pattern, its condition and its body, or a body.
    fn visit_root<'ast>(&self, v: &mut impl syn::visit::Visit<'ast>)
    where
        'a: 'ast,
    {
        match self.root {
            Root::Loop(lp) => {
                if let LoopRef::For(l) = lp {
                    v.visit_pat(&l.pat);
                }
                if let LoopRef::While(l) = lp {
                    v.visit_expr(&l.cond);
                }
                v.visit_block(lp.body());
            }
            Root::Body(b) => v.visit_block(b),
        }
    }

    fn compared_with_zero(&self, name: &str) -> bool {
        self.zero_tested
            .get_or_init(|| {
                #[derive(Default)]
                struct Zero(std::collections::HashSet<String>);
                impl<'ast> syn::visit::Visit<'ast> for Zero {
                    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
                        if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) {
                            for (x, y) in [(&*b.left, &*b.right), (&*b.right, &*b.left)] {
                                if let Expr::Path(p) = x
                                    && let Some(i) = p.path.get_ident()
                                    && literals::int_lit(y) == Some(0)
                                {
                                    self.0.insert(i.to_string());
                                }
                            }
                        }
                        syn::visit::visit_expr_binary(self, b);
                    }
                }
                let mut z = Zero::default();
                self.visit_root(&mut z);
                z.0
            })
            .contains(name)
    }

    /// Whether a local named `name` can be tracked (a boolean's value, a read of outside state
    /// it was bound from). Every use of the name in the root must
    /// be of the variable set: it is bound at most once in the root, by a `let` (a use outside
    /// that `let`'s block is of an outer variable, and its value is forgotten when the block
    /// ends), and never by another pattern (`if let Some(done) = ..`, a closure parameter).
    fn trackable(&self, name: &str) -> bool {
        let bindings = self.rebound.get_or_init(|| {
            #[derive(Default)]
            struct Count {
                /// Per name: bindings by `let`, bindings by any other pattern.
                names: std::collections::HashMap<String, (u32, u32)>,
                in_let: bool,
            }
            impl<'ast> syn::visit::Visit<'ast> for Count {
                fn visit_local(&mut self, l: &'ast syn::Local) {
                    self.in_let = true;
                    self.visit_pat(&l.pat);
                    self.in_let = false;
                    if let Some(init) = &l.init {
                        self.visit_expr(&init.expr);
                        if let Some((_, e)) = &init.diverge {
                            self.visit_expr(e);
                        }
                    }
                }
                fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                    let n = self.names.entry(p.ident.to_string()).or_default();
                    if self.in_let {
                        n.0 += 1;
                    } else {
                        n.1 += 1;
                    }
                    syn::visit::visit_pat_ident(self, p);
                }
            }
            let mut c = Count::default();
            self.visit_root(&mut c);
            c.names
                .into_iter()
                .filter(|&(_, (lets, others))| lets > 1 || others > 0)
                .map(|(name, _)| name)
                .collect()
        });
        !bindings.contains(name)
    }

    fn block(&mut self, block: &Block, mut f: Flow) -> Flow {
        let outer_locals = self.outside_locals.len();
        for stmt in &block.stmts {
            // Nothing turns a checked path unchecked again: once every path observed (or none
            // is left), the rest of the block matters only if it leaves (a path that observed
            // and then returns does not go round the loop).
            if !f.is_unchecked() {
                if !f.reachable {
                    break;
                }
                if let Stmt::Expr(e @ (Expr::Return(_) | Expr::Break(_)), _) = stmt {
                    f = self.expr(e, f);
                }
                continue;
            }
            f = self.stmt(stmt, f);
        }
        // A `let` of the block ends with it: what was known of that name (perhaps another
        // variable it shadowed) is forgotten.
        self.outside_locals.truncate(outer_locals);
        if f.knows_any() {
            for stmt in &block.stmts {
                if let Stmt::Local(l) = stmt
                    && let Some(name) = bound_name(&l.pat)
                {
                    f.set_known(&name, None);
                }
            }
        }
        f
    }

    /// Forgets the known booleans that `tokens` (a macro's, a closure's) mention: they may
    /// assign them where the walk cannot see.
    fn forget_mentioned(f: &mut Flow, tokens: &TokenStream) {
        if !f.knows_any() {
            return;
        }
        let mut known: Vec<String> = f
            .paths
            .iter()
            .flat_map(|p| p.known.iter().map(|(n, _)| n.to_string()))
            .collect();
        known.sort();
        known.dedup();
        for name in &known {
            if roots::mentioned(tokens, std::slice::from_ref(name)) {
                f.set_known(name, None);
            }
        }
    }

    fn stmt(&mut self, stmt: &Stmt, f: Flow) -> Flow {
        match stmt {
            Stmt::Local(local) => self.local(local, f),
            Stmt::Item(_) => f,
            Stmt::Expr(e, _) => self.expr(e, f),
            Stmt::Macro(m) => self.mac(&m.mac, f),
        }
    }

    /// `let p = e;`, and `let p = e else { .. };`, whose else block runs on the failure side.
    fn local(&mut self, local: &syn::Local, f: Flow) -> Flow {
        let Some(init) = &local.init else { return f };
        let Some((_, diverge)) = &init.diverge else {
            let mut f = self.expr(&init.expr, f);
            // `let mut popped = false;` is known on every path; any other `let` of that name
            // shadows what was known.
            if let Some(name) = bound_name(&local.pat) {
                if self.ctx.facts {
                    self.outside_locals.retain(|l| l.name != name);
                    // A poll's answer is weighed where it is matched (an item taken is
                    // progress), not read as state; a value computed from such a local (`let d
                    // = now - last;`) carries its read too. A name bound more than once, or by
                    // another pattern, may be another variable where it is tested.
                    if let Some(read) = outside_read(self.ctx, &init.expr, false)
                        .or_else(|| self.local_evidence(&init.expr))
                        && self.trackable(&name)
                    {
                        self.outside_locals.push(OutsideLocal {
                            name: name.clone(),
                            read,
                            loaded_from: loaded_from(&init.expr),
                        });
                    }
                }
                let value = self.known_value(&name, &init.expr);
                if value.is_some() || f.knows_any() {
                    f.set_known(&name, value);
                }
            }
            return f;
        };
        let f = self.scrutinee(&init.expr, f);
        let (matched, unmatched) = match outcome_of(&local.pat) {
            Outcome::Success => self.split_outcome(&init.expr, f),
            Outcome::Failure => {
                let (s, fl) = self.split_outcome(&init.expr, f);
                (fl, s)
            }
            Outcome::Unknown => (f.clone(), f),
        };
        // The else block must diverge, so what it records (`continue`!) is what matters, and
        // its end state is dropped.
        self.expr(diverge, unmatched);
        matched
    }

    fn exprs<'e>(&mut self, es: impl IntoIterator<Item = &'e Expr>, mut f: Flow) -> Flow {
        for e in es {
            f = self.expr(e, f);
        }
        f
    }

    fn expr(&mut self, e: &Expr, f: Flow) -> Flow {
        // Once every path has observed, the rest is not walked, except a `return` or `break`:
        // a path that observed and then leaves does not go round the loop.
        let leaves = f.reachable && matches!(e, Expr::Return(_) | Expr::Break(_));
        if (!f.is_unchecked() && !leaves) || self.depth > MAX_DEPTH {
            return f;
        }
        if self.ctx.names_token(e) {
            return Flow {
                reachable: f.reachable,
                paths: Vec::new(),
                observed: true,
            };
        }
        self.depth += 1;
        let out = match e {
            Expr::Await(a) => self.await_expr(a, f),
            Expr::Call(c) => self.call(c, f, false),
            Expr::MethodCall(m) => self.method_call(m, f, false),
            Expr::If(i) => self.if_expr(i, f),
            Expr::Match(m) => self.match_expr(m, f),
            Expr::Binary(b) => self.binary(b, f),
            Expr::Let(_) => {
                let (mut t, fl) = self.cond(e, f);
                t.join(fl);
                t
            }
            Expr::Loop(l) => self.loop_expr(l, f),
            Expr::While(l) => self.while_expr(l, f),
            Expr::ForLoop(l) => self.for_expr(l, f),
            Expr::Block(b) => self.block_expr(b, f),
            Expr::Unsafe(u) => self.block(&u.block, f),
            Expr::TryBlock(t) => self.block(&t.block, f),
            Expr::Break(b) => self.break_expr(b, f),
            Expr::Continue(c) => self.continue_expr(c, f),
            Expr::Return(r) => self.return_expr(r, f),
            Expr::Try(t) => self.try_expr(t, f),
            Expr::Macro(m) => self.mac(&m.mac, f),
            Expr::Assign(a) => {
                let f = self.expr(&a.right, f);
                let f = self.expr(&a.left, f);
                let mut f = self.mutated(&a.left, f, None);
                if f.knows_any() && !matches!(&*a.left, Expr::Path(_)) {
                    // `(idle, n) = (true, 1)`: whatever it names may change.
                    Self::forget_mentioned(&mut f, &quote::ToTokens::to_token_stream(&a.left));
                }
                if let Expr::Path(p) = &*a.left
                    && let Some(name) = p.path.get_ident().map(ToString::to_string)
                    && let Some(v) = self.known_value(&name, &a.right)
                {
                    f.set_known(&name, Some(v));
                }
                f
            }
            Expr::Reference(r) => {
                let f = self.expr(&r.expr, f);
                if r.mutability.is_some() {
                    self.mutated(&r.expr, f, None)
                } else {
                    f
                }
            }
            // Closures and async blocks run elsewhere, later or never; const blocks at compile
            // time. None of them is part of this path, but a closure may assign a boolean the
            // path knows when it is called.
            Expr::Closure(_) | Expr::Async(_) => {
                let mut f = f;
                if f.knows_any() {
                    Self::forget_mentioned(&mut f, &quote::ToTokens::to_token_stream(e));
                }
                f
            }
            Expr::Const(_) => f,
            other => self.exprs(operands(other), f),
        };
        self.depth -= 1;
        out
    }

    fn await_expr(&mut self, a: &syn::ExprAwait, f: Flow) -> Flow {
        let mut f = match &*a.base {
            Expr::MethodCall(m) => self.method_call(m, f, true),
            Expr::Call(c) => self.call(c, f, true),
            base => self.expr(base, f),
        };
        if self.ctx.consults.is_some() && outcomes::awaits_event(&a.base) {
            f = f.waited();
        }
        if self.await_observes(&a.base) {
            f.observe();
        }
        f
    }

    /// An expression in a future's position: a method call there makes a future (`recv()`
    /// handed to `select(..)`, `timeout(..)` or `.now_or_never()`), it does not block.
    fn future_operand(&mut self, e: &Expr, f: Flow) -> Flow {
        match e {
            Expr::MethodCall(m) => self.method_call(m, f, true),
            Expr::Call(c) => self.call(c, f, true),
            _ => self.expr(e, f),
        }
    }

    fn call(&mut self, c: &syn::ExprCall, f: Flow, awaited: bool) -> Flow {
        let mut f = self.expr(&c.func, f);
        for a in &c.args {
            f = self.future_operand(a, f);
            f = self.handed(a, f);
        }
        let Expr::Path(p) = &*c.func else { return f };
        let Some(last) = p.path.segments.last() else {
            return f;
        };
        // `std::thread::yield_now()` is std's, never a function of the checked code that
        // happens to have the same name.
        let std_path = p.path.segments.len() > 1
            && ["std", "core", "alloc"]
                .iter()
                .any(|r| p.path.segments[0].ident == r);
        let args: Vec<&Expr> = c.args.iter().collect();
        match self
            .ctx
            .observers
            .classify_call(self.ctx.names, &p.path, &args)
        {
            CallKind::Check => {
                if self.ctx.consults.is_none() {
                    f.observe();
                }
            }
            CallKind::Diverges => return Flow::unreachable(),
            CallKind::Blocking => {
                f.call_named(&last.ident.to_string(), awaited);
                return self.blocking(f, &last.ident);
            }
            CallKind::Aware | CallKind::Other if std_path => {}
            CallKind::Aware | CallKind::Other => f.call_named(&last.ident.to_string(), awaited),
        }
        if outcomes::is_random_call(&p.path) {
            f.drew();
        }
        f
    }

    fn method_call(&mut self, m: &syn::ExprMethodCall, f: Flow, awaited: bool) -> Flow {
        let f = if let Some(futures) = outcomes::futures_combined(m) {
            futures.fold(f, |f, e| self.future_operand(e, f))
        } else if awaited || outcomes::is_future_adapter(&m.method) {
            self.future_operand(&m.receiver, f)
        } else {
            self.expr(&m.receiver, f)
        };
        let name = m.method.to_string();
        // A poll's `&mut buf` is where an answer would go, not progress.
        let polls = outcomes::is_poll_style(&name);
        let roots = if polls {
            std::mem::take(&mut self.cond_roots)
        } else {
            Vec::new()
        };
        let mut f = f;
        for a in &m.args {
            f = self.future_operand(a, f);
            f = self.handed(a, f);
        }
        if polls {
            self.cond_roots = roots;
        }
        // Token mode: a loop that consults some token (a parent, a per-connection child) has
        // a stop signal, whichever token the design meant.
        if self.ctx.self_call_consults(&m.receiver, &m.method)
            || (self.ctx.consults.is_some()
                && names::consults_a_token(&m.method)
                && !(m.method == "is_cancelled"
                    && observers::local_name(&m.receiver)
                        .is_some_and(|n| names::names_an_error(&n))))
        {
            f.observe();
            return f;
        }
        match self.ctx.observers.classify_method(
            self.ctx.names,
            &m.method,
            &m.receiver,
            &m.args.iter().collect::<Vec<_>>(),
            awaited,
        ) {
            CallKind::Check => {
                if self.ctx.consults.is_none() {
                    f.observe();
                }
            }
            CallKind::Diverges => return Flow::unreachable(),
            CallKind::Blocking => {
                f.call_named(&name, awaited);
                f = self.blocking(f, &m.method);
            }
            CallKind::Aware | CallKind::Other => f.call_named(&name, awaited),
        }
        if outcomes::is_random_method(&m.method, &m.receiver) {
            f.drew();
        }
        if self.acts_on_outside(m, &name) {
            f = f.progressed();
        }
        // A poll's effect depends on its answer, which `split_outcome` weighs.
        if outcomes::is_read_only(&name) || polls {
            f
        } else {
            self.mutated(&m.receiver, f, Some(&name))
        }
    }

    /// Whether a method call settles a read of an atomic, so that going round again follows
    /// progress elsewhere:
    /// - a compare-and-swap that expects a variable (`x.compare_exchange(seen, new, ..)`,
    ///   `seen` read before), or that swaps the atomic a local of the pass was loaded from
    ///   (`let s = self.state.load(..)` .. `self.state.compare_exchange(UNINIT, BUSY, ..)`): it
    ///   fails only when another thread has just moved the value. A compare-and-swap from a
    ///   constant with nothing loaded from it is a try-lock, which waits for another thread;
    /// - a call on the object a local was loaded from, handed that local (`s.claim(current,
    ///   ..)` after `let current = s.state.load(..)`: a compare-and-swap behind a helper).
    fn acts_on_outside(&self, m: &syn::ExprMethodCall, name: &str) -> bool {
        let cas = name.starts_with("compare_exchange") || name == "compare_and_swap";
        if cas
            && m.args.first().is_some_and(|a| {
                matches!(a, Expr::Path(p) if p.path.get_ident().is_some_and(|i| {
                    i.to_string().starts_with(|c: char| c.is_lowercase() || c == '_')
                }))
            })
        {
            return true;
        }
        // Most method calls of a walk get here with no local read from outside state.
        if self.outside_locals.is_empty()
            || (!cas && (outcomes::is_read_only(name) || outcomes::is_poll_style(name)))
        {
            return false;
        }
        let Some(receiver) = roots::place_of(&m.receiver) else {
            return false;
        };
        let loaded_here = |l: &OutsideLocal| {
            l.loaded_from
                .as_ref()
                .is_some_and(|from| roots::overlap(from, &receiver))
        };
        if cas {
            return self.outside_locals.iter().any(loaded_here);
        }
        m.args.iter().any(|a| {
            roots::changeable_root(a).is_some_and(|r| {
                self.outside_locals
                    .iter()
                    .any(|l| l.name == r && loaded_here(l))
            })
        })
    }

    fn if_expr(&mut self, i: &syn::ExprIf, f: Flow) -> Flow {
        let (t, mut fl) = self.cond(&i.cond, f);
        // Where a test of one of the root `while`'s `&&` conditions fails, the head fails
        // next (or something changes what it reads, which is progress too): rustfs' brace
        // matcher, `while end < len && depth > 0 { .. if depth > 0 { end += 1 } }`.
        if !self.root_conjuncts.is_empty()
            && self
                .root_conjuncts
                .contains(&quote::ToTokens::to_token_stream(&i.cond).to_string())
        {
            fl = fl.progressed();
        }
        let mut then = self.block(&i.then_branch, t);
        let mut other = match &i.else_branch {
            Some((_, e)) => self.expr(e, fl),
            None => fl,
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

    fn match_expr(&mut self, m: &syn::ExprMatch, f: Flow) -> Flow {
        let mut s = self.scrutinee(&m.expr, f);
        let polls = source(&m.expr).filter(Source::polls);
        if self.ctx.facts
            && polls.is_none()
            && let Some(w) = self.outside_evidence(&m.expr)
        {
            s = s.evidence(|x| x.nothing_yet = true, &w);
        }
        let (success, failure) = self.split_outcome(&m.expr, s.clone());
        // An arm the patterns do not classify (`State::Busy`) may be the "nothing yet" one.
        let unknown = match (&polls, self.ctx.facts) {
            (Some(src), true) => match self.nothing_yet(src) {
                Some(w) => s.clone().evidence(|x| x.nothing_yet = true, &w),
                None => s.clone(),
            },
            _ => s.clone(),
        };
        let mut seen = Seen::default();
        let mut arms: Vec<Flow> = Vec::with_capacity(m.arms.len());
        for arm in &m.arms {
            let mut a = match arm_outcome(&arm.pat, seen) {
                Outcome::Success => {
                    // A lagging receiver's arm leaves `Ok` to the arms after it.
                    seen.success |= !only_skips_ahead(&arm.pat);
                    success.clone()
                }
                Outcome::Failure => {
                    seen.failure_arm(&arm.pat);
                    failure.clone()
                }
                Outcome::Unknown => unknown.clone(),
            };
            if let Pat::Guard(g) = &arm.pat {
                a = self.cond(&g.guard, a).0;
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

    fn binary(&mut self, b: &syn::ExprBinary, f: Flow) -> Flow {
        use syn::BinOp;
        match b.op {
            BinOp::And(_) | BinOp::Or(_) => {
                // As a value: the short circuit still applies, both outcomes go on.
                let (mut t, fl) = self.short_circuit(b, f);
                t.join(fl);
                t
            }
            BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_) => {
                let f = self.expr(&b.right, f);
                let f = self.expr(&b.left, f);
                self.mutated(&b.left, f, None)
            }
            _ => {
                let f = self.expr(&b.left, f);
                self.expr(&b.right, f)
            }
        }
    }

    /// Splits the state at a condition into (holds, does not hold).
    fn cond(&mut self, e: &Expr, f: Flow) -> (Flow, Flow) {
        let (t, fl) = self.cond_sides(e, f);
        // An interrupted system call (`e.kind() == ErrorKind::Interrupted`, EINTR) is retried
        // at once by design: a signal interrupts one call, it does not recur by itself.
        if self.ctx.facts && tests_interrupted(e) {
            (t.progressed(), fl)
        } else {
            (t, fl)
        }
    }

    fn cond_sides(&mut self, e: &Expr, f: Flow) -> (Flow, Flow) {
        use syn::{BinOp, UnOp};
        if !f.is_unchecked() || self.depth > MAX_DEPTH {
            return (f.clone(), f);
        }
        match e {
            Expr::Paren(p) => self.cond(&p.expr, f),
            Expr::Group(g) => self.cond(&g.expr, f),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => {
                let (t, fl) = self.cond(&u.expr, f);
                (fl, t)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) => {
                self.short_circuit(b, f)
            }
            // A terminal asked whether an event is there: "no" can repeat; "yes" is followed by
            // reading the event, which takes it.
            _ if self.ctx.facts
                && let Some(call) = terminal_asked(self.ctx.names, e) =>
            {
                let s = self.read(call, f);
                let w = Witness {
                    range: self.ctx.range(call.span()),
                    label: LABEL_TERMINAL_ASKED.to_string(),
                };
                let no = s.clone().evidence(|x| x.nothing_yet = true, &w);
                (s, no)
            }
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(b),
                ..
            }) => {
                if b.value {
                    (f, Flow::unreachable())
                } else {
                    (Flow::unreachable(), f)
                }
            }
            Expr::Let(l) => {
                let mut s = self.scrutinee(&l.expr, f);
                if let Some(w) = self.local_evidence(&l.expr) {
                    s = s.evidence(|x| x.nothing_yet = true, &w);
                }
                match outcome_of(&l.pat) {
                    Outcome::Success => self.split_outcome(&l.expr, s),
                    Outcome::Failure => {
                        let (ok, fail) = self.split_outcome(&l.expr, s);
                        (fail, ok)
                    }
                    Outcome::Unknown => (s.clone(), s),
                }
            }
            Expr::Macro(m) if let Some((l, guarded)) = macros::matches_as_let(&m.mac) => {
                let (t, mut fl) = self.cond(&Expr::Let(l), f);
                if guarded {
                    // The pattern matched but the guard did not: also the false side.
                    fl.join(t.clone());
                }
                (t, fl)
            }
            // A local boolean this path set (`if !popped { break }`): only its side.
            Expr::Path(p) if let Some(name) = known_name(&f, p) => f.split_known(&name),
            // `if progressed == 0 { break }` on a counter this path set to a constant.
            Expr::Binary(b)
                if matches!(b.op, BinOp::Eq(_) | BinOp::Ne(_))
                    && let Some(name) = zero_test(&f, b) =>
            {
                let (nonzero, zero) = f.split_known(&name);
                if matches!(b.op, BinOp::Eq(_)) {
                    (zero, nonzero)
                } else {
                    (nonzero, zero)
                }
            }
            Expr::MethodCall(m) if outcome_test(&m.method).is_some() => {
                let mut s = self.read(e, f);
                if let Some(w) = self.local_evidence(e) {
                    s = s.evidence(|x| x.nothing_yet = true, &w);
                }
                let (ok, fail) = self.split_outcome(&m.receiver, s);
                match outcome_test(&m.method) {
                    Some(true) => (ok, fail),
                    _ => (fail, ok),
                }
            }
            // A `try_` call asked in a condition (`if m.try_lock()`, `if !self.try_advance() {
            // .. }`) answers `true` when it did what it tried: only `false` can be "nothing
            // yet". (A `peek` or a `poll_` that says `true` did nothing, and can say it again.)
            Expr::MethodCall(_) | Expr::Call(_)
                if self.ctx.facts
                    && source(e).is_some_and(|src| {
                        src.polls() && src.name.to_string().starts_with("try_")
                    }) =>
            {
                let s = self.read(e, f);
                self.split_outcome(e, s)
            }
            _ => {
                let mut s = self.read(e, f);
                if self.ctx.facts
                    && let Some(w) = self.outside_evidence(e)
                {
                    s = s.evidence(|x| x.nothing_yet = true, &w);
                }
                (s.clone(), s)
            }
        }
    }

    /// `a && b`: `b` runs only where `a` holds; `a || b`: only where it does not.
    fn short_circuit(&mut self, b: &syn::ExprBinary, f: Flow) -> (Flow, Flow) {
        let (lt, lf) = self.cond(&b.left, f);
        if matches!(b.op, syn::BinOp::And(_)) {
            let (rt, mut rf) = self.cond(&b.right, lt);
            rf.join(lf);
            (rt, rf)
        } else {
            let (mut rt, rf) = self.cond(&b.right, lf);
            rt.join(lt);
            (rt, rf)
        }
    }

    /// The state after the value of `scrutinee` turned out a success (`Some`, `Ok`, `Ready`)
    /// and after it turned out a failure. Taking an item out of a source is progress; a
    /// poll-style call's failure is "nothing yet".
    fn split_outcome(&self, scrutinee: &Expr, s: Flow) -> (Flow, Flow) {
        let Some(src) = source(scrutinee).filter(|_| self.ctx.facts) else {
            return (s.clone(), s);
        };
        let name = src.name.to_string();
        let success = if outcomes::is_consuming(&name, src.has_args) {
            s.clone().progressed()
        } else {
            s.clone()
        };
        let failure = match self.nothing_yet(&src) {
            Some(w) => s.evidence(|x| x.nothing_yet = true, &w),
            None => s,
        };
        (success, failure)
    }

    /// A read of outside state in a condition or scrutinee: made there, or made where a local
    /// it tests was bound (`let now = Instant::now(); if now >= deadline { break }`).
    fn outside_evidence(&self, e: &Expr) -> Option<Witness> {
        outside_read(self.ctx, e, true).or_else(|| self.local_evidence(e))
    }

    /// The read behind a local that `e` tests, if it was bound from outside state.
    fn local_evidence(&self, e: &Expr) -> Option<Witness> {
        if self.outside_locals.is_empty() {
            return None;
        }
        let read = roots::reads(e);
        self.outside_locals
            .iter()
            .find(|l| read.contains(&l.name))
            .map(|l| l.read.clone())
    }

    /// The evidence that answering "nothing" can repeat, for a source that polls.
    fn nothing_yet(&self, src: &Source<'_>) -> Option<Witness> {
        let name = src.name.to_string();
        // In a function that makes its sockets non-blocking, a read that fails may be
        // `WouldBlock`.
        let nonblocking_read = super::observers::BLOCKING_READS.contains(&name.as_str())
            && self.ctx.names.in_nonblocking_fn(src.name);
        // A timed receive that came back empty (with a zero timeout it only asked).
        let timed = name == "recv_timeout" || name == "wait_timeout";
        if !src.polls() && !nonblocking_read && !timed {
            return None;
        }
        Some(Witness {
            range: self.ctx.range(src.name.span()),
            label: format!("`{name}` can keep answering \"nothing yet\""),
        })
    }

    fn blocking(&self, f: Flow, call: &Ident) -> Flow {
        if !self.ctx.facts {
            return f;
        }
        let w = Witness {
            range: self.ctx.range(call.span()),
            label: format!("`{call}` blocks the thread: the executor cannot run anything else"),
        };
        f.evidence(|x| x.blocking = true, &w)
    }

    /// `place` was assigned, borrowed mutably or had a method called on it: progress when a
    /// condition of the root loop reads it. In a condition only what plainly changes its
    /// receiver counts (`servers.pop_front()`, not `e.kind()`).
    fn mutated(&self, place: &Expr, f: Flow, method: Option<&str>) -> Flow {
        let mut f = f;
        if f.knows_any()
            && let Some(root) = roots::root_of(place)
        {
            f.set_known(&root, None);
        }
        if self.cond_roots.is_empty()
            || (self.reading > 0 && !method.is_some_and(outcomes::is_mutator))
        {
            return f;
        }
        match roots::changeable_root(place) {
            // A local read from outside state is a copy of it, bound afresh on each pass:
            // changing it or handing it on moves nothing the next pass reads.
            Some(root) if self.outside_locals.iter().any(|l| l.name == root) => f,
            Some(root) if self.cond_roots.iter().any(|c| roots::overlap(c, &root)) => {
                f.progressed()
            }
            _ => f,
        }
    }

    /// `arg` was handed to a call. A call handed what a condition reads may change it: through
    /// a `&mut`, or through a shared `&` with interior mutability (`process(&store)` while
    /// `store.pending() < 48`), or as a reference it already is (`deserialize_row(slice)` with
    /// `slice: &mut &[u8]`).
    fn handed(&self, arg: &Expr, f: Flow) -> Flow {
        match arg {
            Expr::Path(_) => self.mutated(arg, f, None),
            Expr::Reference(r) => self.mutated(&r.expr, f, None),
            _ => f,
        }
    }

    /// A value about to be destructured: its `?` is only the way out, the patterns say what
    /// its success side is (`Some(r) = dec.poll_decode()?` is progress only when `Some`).
    fn scrutinee(&mut self, e: &Expr, f: Flow) -> Flow {
        match e {
            Expr::Try(t) => self.scrutinee(&t.expr, f),
            _ => self.read(e, f),
        }
    }

    /// Walks a condition's or scrutinee's expression.
    fn read(&mut self, e: &Expr, f: Flow) -> Flow {
        self.reading += 1;
        let f = self.expr(e, f);
        self.reading -= 1;
        f
    }

    fn try_expr(&mut self, t: &syn::ExprTry, f: Flow) -> Flow {
        let f = self.expr(&t.expr, f);
        // Only the success side goes on (the error leaves): a consumed item is progress.
        self.split_outcome(&t.expr, f).0
    }

    fn loop_expr(&mut self, l: &syn::ExprLoop, f: Flow) -> Flow {
        self.nested(f, |w, f, want_round| {
            w.targets
                .push(Target::new(l.label.as_ref(), TargetKind::Loop));
            let end = w.block(&l.body, f);
            let target = w.pop_target();
            let round = want_round.then(|| back_edge(&end, &target.continue_flow));
            let out = carry_progress(target.break_flow, &end, &target.continue_flow, false);
            (out, round)
        })
    }

    fn while_expr(&mut self, l: &syn::ExprWhile, f: Flow) -> Flow {
        self.nested(f, |w, f, want_round| {
            w.targets
                .push(Target::new(l.label.as_ref(), TargetKind::Loop));
            let (t, mut out) = w.cond(&l.cond, f);
            // Leaving an inner loop on the root loop's own condition: the root loop leaves next
            // (or something changes what it reads, which is progress too).
            if w.root_cond
                .as_ref()
                .is_some_and(|c| *c == quote::ToTokens::to_token_stream(&l.cond).to_string())
            {
                out = out.progressed();
            }
            let end = w.block(&l.body, t);
            let target = w.pop_target();
            let round = want_round.then(|| back_edge(&end, &target.continue_flow));
            out.join(target.break_flow);
            (
                carry_progress(out, &end, &target.continue_flow, false),
                round,
            )
        })
    }

    fn for_expr(&mut self, l: &syn::ExprForLoop, f: Flow) -> Flow {
        let it = self.expr(&l.expr, f);
        // Running out of a poll-style iterator (`rx.try_iter()`) is its "nothing yet": an
        // outer loop that comes round to it again waits on whatever has not arrived.
        let none_yet = outcomes::iterable_source(&l.expr)
            .filter(|_| self.ctx.facts)
            .and_then(|src| self.nothing_yet(&src));
        let before = none_yet.as_ref().map(|_| it.clone());
        self.nested(it, |w, it, want_round| {
            w.targets
                .push(Target::new(l.label.as_ref(), TargetKind::Loop));
            // An item taken out of a poll-style iterator is progress, as `Ok(m) = rx.try_recv()`
            // is.
            let entry = if none_yet.is_some() {
                it.clone().progressed()
            } else {
                it.clone()
            };
            let end = w.block(&l.body, entry);
            let target = w.pop_target();
            let round = back_edge(&end, &target.continue_flow);
            let (Some(witness), Some(before)) = (&none_yet, &before) else {
                let mut out = it;
                out.join(target.break_flow);
                return (
                    carry_progress(out, &end, &target.continue_flow, true),
                    want_round.then_some(round),
                );
            };
            // It runs out either at once, in the state before the loop (that path made no
            // progress, whatever the body does with items), or after an item, in the state
            // an iteration ends in.
            let mut out = before.clone();
            out.join(round.clone());
            let mut out = out.evidence(|x| x.nothing_yet = true, witness);
            out.join(target.break_flow);
            (out, want_round.then_some(round))
        })
    }

    /// Walks a nested loop from the state on entry. Once is enough for which paths are checked
    /// (nothing turns a checked path into an unchecked one), but not for the booleans a path
    /// knows: if a path that goes round changed one, the next iteration starts from another
    /// value. Then the loop is walked again with those forgotten on entry, until no path going
    /// round changes what is still known. Past [`MAX_REWALKS`] walks, or below
    /// [`MAX_REWALK_DEPTH`] nested loops that know something (each level could double the
    /// work), everything known is forgotten on entry and the loop is walked once. `walk` takes
    /// whether to return the state going round, and returns the loop's exit state with it.
    fn nested(
        &mut self,
        f: Flow,
        walk: impl Fn(&mut Self, Flow, bool) -> (Flow, Option<Flow>),
    ) -> Flow {
        if !f.knows_any() {
            return walk(self, f, false).0;
        }
        let mut f = f;
        if self.rewalk_depth >= MAX_REWALK_DEPTH {
            f.forget_all();
            return walk(self, f, false).0;
        }
        let saved = (self.targets.clone(), self.returns.clone());
        self.rewalk_depth += 1;
        let mut out = None;
        for _ in 0..MAX_REWALKS {
            let (exit, round) = walk(self, f.clone(), true);
            let changed = round.map(|r| changed_known(&f, &r)).unwrap_or_default();
            if changed.is_empty() {
                out = Some(exit);
                break;
            }
            (self.targets, self.returns) = saved.clone();
            for name in &changed {
                f.set_known(name, None);
            }
        }
        self.rewalk_depth -= 1;
        out.unwrap_or_else(|| {
            f.forget_all();
            walk(self, f, false).0
        })
    }

    fn block_expr(&mut self, b: &syn::ExprBlock, f: Flow) -> Flow {
        let Some(label) = &b.label else {
            return self.block(&b.block, f);
        };
        self.targets
            .push(Target::new(Some(label), TargetKind::Block));
        let mut out = self.block(&b.block, f);
        out.join(self.pop_target().break_flow);
        out
    }

    fn break_expr(&mut self, b: &syn::ExprBreak, f: Flow) -> Flow {
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

    fn continue_expr(&mut self, c: &syn::ExprContinue, mut f: Flow) -> Flow {
        let label = c.label.as_ref().map(|l| l.ident.to_string());
        if let Some(idx) = self.find_target(label.as_deref(), true) {
            if idx == 0 && self.returns.is_none() {
                f.tag(self.ctx.range(c.span()), LABEL_CONTINUE);
            }
            self.targets[idx].continue_flow.join(f);
        }
        Flow::unreachable()
    }

    fn return_expr(&mut self, r: &syn::ExprReturn, f: Flow) -> Flow {
        let f = match &r.expr {
            Some(e) => self.expr(e, f),
            None => f,
        };
        if let Some(returns) = &mut self.returns {
            returns.join(f);
        }
        Flow::unreachable()
    }

    /// Macros are opaque; their tokens are scanned best-effort for awaits and checks, and a few
    /// well-known ones are understood by name (`select!`/`join!` await, `panic!` diverges).
    /// Another macro is also recorded as a call (`name!`): a `macro_rules!` of the checked code
    /// whose body awaits makes its invocations observe (see [`super::summaries`]).
    fn mac(&mut self, mac: &Macro, mut f: Flow) -> Flow {
        Self::forget_mentioned(&mut f, &mac.tokens);
        if self.ctx.consults.is_some() {
            if self.ctx.tokens_mention_token(&mac.tokens) || super::tokens::call_a_token_method(mac)
            {
                f.observe();
            } else if self.ctx.observers.classify_macro(&mac.path) == MacroKind::Awaiting
                && outcomes::tokens_name_event(&mac.tokens)
            {
                f = f.waited();
            }
            return if self.ctx.observers.classify_macro(&mac.path) == MacroKind::Diverges {
                Flow::unreachable()
            } else {
                f
            };
        }
        // std's expression macros evaluate their operands as code: walk them (`assert!(n < max)`
        // only reads `n`; `assert!(v.pop().is_some())` changes `v`). That matters only where
        // progress is weighed, and parsing them costs: elsewhere their tokens are scanned.
        if !self.cond_roots.is_empty()
            && let Some(args) = macros::operands(mac)
        {
            return self.exprs(&args, f);
        }
        // An opaque macro that mentions what a condition reads (`map_err!(decode(&mut r))`)
        // may change it.
        if !self.cond_roots.is_empty() && roots::mentioned(&mac.tokens, &self.cond_roots) {
            f = f.progressed();
        }
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
                } else if let Some(last) = mac.path.segments.last()
                    && self.ctx.awaits_observe()
                {
                    f.call(&format!("{}!", last.ident));
                }
            }
        }
        f
    }

    /// Whether awaiting `base` observes: any await in the default mode. In strict mode, a
    /// cancellation-aware one, or one that `#[cancellable]` checks and interrupts: every await
    /// of an instrumented function except `shield(..).await`, which the macro leaves alone.
    fn await_observes(&self, base: &Expr) -> bool {
        if self.ctx.consults.is_some() {
            return false;
        }
        if !self.ctx.strict {
            return true;
        }
        self.is_aware(base) || (self.ctx.instrumented_awaits && !names::is_shield_call(base))
    }

    /// Strict mode: whether awaiting `base` observes cancellation.
    fn is_aware(&self, base: &Expr) -> bool {
        match base {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => matches!(
                    self.ctx.observers.classify_path(self.ctx.names, &p.path),
                    CallKind::Aware | CallKind::Check
                ),
                _ => false,
            },
            Expr::MethodCall(m) => matches!(
                self.ctx.observers.classify_method(
                    self.ctx.names,
                    &m.method,
                    &m.receiver,
                    &[],
                    true
                ),
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

    fn pop_target(&mut self) -> Target {
        self.targets
            .pop()
            .unwrap_or_else(|| Target::new(None, TargetKind::Block))
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

/// The state at a loop's back edge: the end of its body and its `continue`s.
fn back_edge(end: &Flow, continued: &Flow) -> Flow {
    let mut again = end.clone();
    again.join(continued.clone());
    again
}

/// The booleans known on entry (`entry`) that a path going round again (`again`) does not know
/// to hold the same value on every path.
fn changed_known(entry: &Flow, again: &Flow) -> Vec<Box<str>> {
    let mut names: Vec<&Box<str>> = entry
        .paths
        .iter()
        .flat_map(|p| p.known.iter().map(|(n, _)| n))
        .collect();
    names.sort();
    names.dedup();
    let value_on =
        |p: &UncheckedPath, name: &str| p.known.iter().find(|(n, _)| **n == *name).map(|&(_, v)| v);
    names
        .into_iter()
        .filter(|name| {
            let first = entry.paths.first().and_then(|p| value_on(p, name));
            first.is_none()
                || entry
                    .paths
                    .iter()
                    .chain(&again.paths)
                    .any(|p| value_on(p, name) != first)
        })
        .cloned()
        .collect()
}

/// `x` in `let x`, `let mut x` or `let x: bool`.
fn bound_name(p: &Pat) -> Option<String> {
    match p {
        Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        Pat::Type(t) => bound_name(&t.pat),
        _ => None,
    }
}

/// `x == 0`, `0 != x`: the local compared with zero, if some path knows whether it is.
fn zero_test(f: &Flow, b: &syn::ExprBinary) -> Option<String> {
    match (&*b.left, &*b.right) {
        (Expr::Path(p), z) | (z, Expr::Path(p)) if literals::int_lit(z) == Some(0) => {
            known_name(f, p)
        }
        _ => None,
    }
}

/// The name of a local some path of `f` knows the value of, if `p` is one.
fn known_name(f: &Flow, p: &syn::ExprPath) -> Option<String> {
    let name = p.path.get_ident()?.to_string();
    f.paths
        .iter()
        .any(|q| q.known.iter().any(|(n, _)| **n == *name))
        .then_some(name)
}

/// A nested loop whose body makes progress (`results.push(..)` in a `for` inside a
/// `while results.len() < n`) counts as making it for the path that leaves it, and one whose
/// body observes on a path round counts as observed there: the walk does not iterate, so this
/// is the optimistic reading of "the body ran at least once".
fn carry_progress(out: Flow, end: &Flow, continued: &Flow, over_items: bool) -> Flow {
    // A `for` body that observes whenever it runs (`for size in sizes { w.write(..).await; }`)
    // leaves only the path over no items unchecked; reading the loop as run at least once,
    // that path is not a spin either. (A `while` that may not run is read as written: its
    // condition is where a spin waits.)
    let observed =
        over_items && end.reachable && end.paths.is_empty() && continued.paths.is_empty();
    let progressed = end
        .paths
        .iter()
        .chain(&continued.paths)
        .any(|p| p.facts.progress);
    let mut out = if observed || progressed {
        out.progressed()
    } else {
        out
    };
    out.observed |= end.observed || continued.observed;
    out
}

/// The operands of the expressions that only evaluate their operands in order.
fn operands(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Array(a) => a.elems.iter().collect(),
        Expr::Tuple(t) => t.elems.iter().collect(),
        Expr::Cast(c) => vec![&c.expr],
        Expr::Field(x) => vec![&x.base],
        Expr::Group(g) => vec![&g.expr],
        Expr::Paren(p) => vec![&p.expr],
        Expr::Index(i) => vec![&i.expr, &i.index],
        Expr::Range(r) => r.start.iter().chain(&r.end).map(|b| &**b).collect(),
        Expr::RawAddr(r) => vec![&r.expr],
        Expr::Repeat(r) => vec![&r.expr],
        Expr::Struct(s) => s
            .fields
            .iter()
            .map(|fv| &fv.expr)
            .chain(s.rest.as_deref())
            .collect(),
        Expr::Unary(u) => vec![&u.expr],
        Expr::Yield(y) => y.expr.as_deref().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// crossterm's `event::poll(Duration::ZERO)` as a condition, also as `..?`, `..unwrap()` or
/// `..expect(..)`: the call, if `e` is one.
fn terminal_asked<'e>(names: FileNames<'_>, e: &'e Expr) -> Option<&'e Expr> {
    match e {
        Expr::Try(t) => terminal_asked(names, &t.expr),
        Expr::Paren(p) => terminal_asked(names, &p.expr),
        Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
            terminal_asked(names, &m.receiver)
        }
        Expr::Call(c) => match &*c.func {
            Expr::Path(p)
                if observers::asks_terminal(names, &p.path, &c.args.iter().collect::<Vec<_>>()) =>
            {
                Some(e)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The operands of a condition's `&&`s (`a && (b && c)` → `a`, `b`, `c`).
fn conjuncts(e: &Expr) -> Box<dyn Iterator<Item = &Expr> + '_> {
    match e {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            Box::new(conjuncts(&b.left).chain(conjuncts(&b.right)))
        }
        Expr::Paren(p) => conjuncts(&p.expr),
        e => Box::new(std::iter::once(e)),
    }
}

/// The variable or field an atomic was loaded from, when `e` loads one (`self.state.load(..)`
/// → `self.state`).
fn loaded_from(e: &Expr) -> Option<String> {
    match e {
        Expr::MethodCall(m) if m.method == "load" => roots::place_of(&m.receiver),
        Expr::MethodCall(m) => loaded_from(&m.receiver),
        Expr::Paren(p) => loaded_from(&p.expr),
        Expr::Try(t) => loaded_from(&t.expr),
        _ => None,
    }
}

/// A read of state that only something else changes, in a condition: an atomic `load`, the
/// clock (`Instant::now()`, `elapsed()`), `is_finished()`, and with `polls` a poll-style call.
/// A function of unknown purpose called without arguments (`op()`) is not one: it may do the
/// work itself.
fn outside_read(ctx: Ctx<'_>, e: &Expr, polls: bool) -> Option<Witness> {
    use syn::visit::{self, Visit};
    struct Finder {
        polls: bool,
        found: Option<(proc_macro2::Span, String)>,
    }
    impl Finder {
        /// Whether a call of `name` reads outside state.
        fn reads(&self, name: &str, has_args: bool) -> bool {
            outcomes::is_outside_read(name, has_args)
                && (self.polls || !outcomes::is_poll_style(name))
        }
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let name = m.method.to_string();
            if self.found.is_none() && self.reads(&name, !m.args.is_empty()) {
                self.found = Some((m.method.span(), name));
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
                && self.found.is_none()
                && (last.ident == "now" || self.reads(&last.ident.to_string(), !c.args.is_empty()))
            {
                self.found = Some((last.ident.span(), last.ident.to_string()));
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {}
        fn visit_macro(&mut self, _: &'ast syn::Macro) {}
    }
    let mut finder = Finder { polls, found: None };
    finder.visit_expr(e);
    let (span, name) = finder.found?;
    let label = match name.as_str() {
        "load" => "this reads an atomic that only another thread changes".to_string(),
        "now" | "elapsed" => {
            "this reads the clock, which moves whether the loop does or not".to_string()
        }
        n if outcomes::is_poll_style(n) => format!("`{name}` can keep answering \"nothing yet\""),
        _ => format!("`{name}()` reads state that nothing in this loop changes"),
    };
    Some(Witness {
        range: ctx.range(span),
        label,
    })
}

const LABEL_BRANCH: &str = "this branch does not observe cancellation";
const LABEL_ARM: &str = "this arm does not observe cancellation";
const LABEL_COND_FALSE: &str = "when this condition is false, nothing observes cancellation";
const LABEL_CONTINUE: &str =
    "this `continue` goes back to the loop head without observing cancellation";
const LABEL_TERMINAL_ASKED: &str =
    "this asks whether a terminal event is there, and can keep answering \"no\"";

/// `x.kind() == ErrorKind::Interrupted` (either way round) or `matches!(.., ErrorKind::Interrupted)`.
fn tests_interrupted(e: &Expr) -> bool {
    let interrupted =
        |e: &Expr| matches!(e, Expr::Path(p) if names::path_ends_in(&p.path, &["Interrupted"]));
    match e {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
            interrupted(&b.left) || interrupted(&b.right)
        }
        Expr::Macro(m) if m.mac.path.is_ident("matches") => m
            .mac
            .tokens
            .clone()
            .into_iter()
            .any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "Interrupted")),
        _ => false,
    }
}
