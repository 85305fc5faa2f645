//! Which free functions of the checked code block the thread whenever they are called.
//!
//! A helper such as `fn readline() -> io::Result<String> { stdin().read_line(..)?; .. }`
//! blocks every caller, and an async loop that calls it holds its executor thread as surely as
//! one that calls `read_line` itself. The flow walk cannot say "every path blocks" (its path
//! classes keep the *least* a path needs to be excused, so a blocking class may stand for a
//! quiet one), so this is a separate, straight-line judgement:
//!
//! - a function **blocks by itself** when one of its body's top-level statements makes a
//!   blocking call ([`CallKind::Blocking`]) outside any branch, `while`/`for` loop, closure,
//!   nested item or right side of `&&`/`||` (a `loop`'s body counts up to where its first
//!   pass may end: it always runs once), and nothing before it can leave (a `return`, a
//!   `break` out of a labelled block, a macro that may hide one): every call that gets past
//!   the `?`s reaches it. Statements under `#[cfg(..)]` are skipped, and crossterm's `event::read()` does not
//!   count (whether it waits depends on the caller having polled);
//! - it **blocks through** the free functions its top-level statements call the same way,
//!   which resolution ([`super::summaries`]) settles once every file is read.
//!
//! Only free functions (`fn` items outside `impl` and `trait` blocks, and outside test code)
//! and only sync ones are summarised, and only calls by a plain path (`readline()`,
//! `utils::input()`, not `Type::read()`) are resolved to them: a method's name is too common to stand for one definition (`read`, `next`),
//! and an `async fn` runs only where it is awaited. Anything conditional is left out, so the
//! judgement under-reports: a helper that blocks on one branch only is not taken to block.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Stmt};

use super::flow::{Ctx, Sym};
use super::observers::CallKind;

/// What one sync free function's body says about blocking (nothing, for most functions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blocks<C = Sym> {
    /// A blocking call on the straight-line part of the body: the function blocks by itself.
    Direct,
    /// The free functions called on the straight-line part: the function blocks if one does
    /// (by name, or interned once resolution knows every name).
    Through(Box<[C]>),
}

/// Summarises `body` (of a sync free function).
pub(crate) fn summarise(ctx: Ctx<'_>, body: &Block) -> Option<Blocks> {
    let mut s = Straight::new(ctx, false);
    s.stmts(&body.stmts);
    if s.direct {
        return Some(Blocks::Direct);
    }
    (!s.through.is_empty()).then(|| Blocks::Through(s.through.into_boxed_slice()))
}

/// A statement under `#[cfg(..)]`, which may not be compiled at all.
fn under_cfg(stmt: &Stmt) -> bool {
    super::stmt_attrs(stmt)
        .iter()
        .any(|a| a.path().is_ident("cfg"))
}

/// Walks the straight-line part of a statement: not into branches, `while`/`for` loops,
/// closures, async blocks or items, and into a `loop`'s body only up to where its first pass
/// may end.
struct Straight<'a> {
    ctx: Ctx<'a>,
    direct: bool,
    through: Vec<Sym>,
    /// What follows may not run: a `return` (or, in a `loop`'s first pass, a `break` or
    /// `continue`) may have been taken.
    leaves: bool,
    /// Walking a `loop`'s first pass, which an unlabelled `break` or `continue` also ends.
    in_loop: bool,
}

impl<'a> Straight<'a> {
    fn new(ctx: Ctx<'a>, in_loop: bool) -> Self {
        Straight {
            ctx,
            direct: false,
            through: Vec::new(),
            leaves: false,
            in_loop,
        }
    }

    /// Walks `stmts` in order, up to a blocking call or a way out. The walk follows evaluation
    /// order and records nothing once a way out may have been taken: what it did record runs
    /// on every call that gets this far.
    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            if self.direct || self.leaves {
                return;
            }
            // A statement under `#[cfg(..)]` may not be compiled: its calls do not count, but
            // a build that has it may leave there.
            if under_cfg(stmt) {
                self.leaves |= self.skipped_leaves(std::slice::from_ref(stmt));
            } else {
                self.visit_stmt(stmt);
            }
        }
    }

    /// Whether code the walk skips (a branch) may end what it is walking.
    fn skipped_leaves(&self, stmts: &[Stmt]) -> bool {
        LeaveFinder::stmts(stmts, self.in_loop)
    }

    fn skipped_expr_leaves(&self, e: &Expr) -> bool {
        LeaveFinder::expr(e, self.in_loop)
    }
}

impl<'ast> Visit<'ast> for Straight<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        visit::visit_expr_call(self, c);
        let Expr::Path(p) = &*c.func else { return };
        let Some(last) = p.path.segments.last() else {
            return;
        };
        let args: Vec<&Expr> = c.args.iter().collect();
        match self
            .ctx
            .observers
            .classify_call(self.ctx.names, &p.path, &args)
        {
            _ if self.leaves => {}
            // Whether crossterm's `event::read()` waits depends on the caller having polled,
            // which a helper cannot know.
            CallKind::Blocking if last.ident != "read" => {
                self.direct = true;
            }
            CallKind::Other if plain_call(p) => {
                self.through.push(last.ident.to_string().into());
            }
            _ => {}
        }
    }
    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        // The right side of `&&` and `||` runs only sometimes: walk the left side alone.
        if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
            self.visit_expr(&b.left);
            self.leaves |= self.skipped_expr_leaves(&b.right);
        } else {
            visit::visit_expr_binary(self, b);
        }
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        visit::visit_expr_method_call(self, m);
        let args: Vec<&Expr> = m.args.iter().collect();
        if !self.leaves
            && self.ctx.observers.classify_method(
                self.ctx.names,
                &m.method,
                &m.receiver,
                &args,
                false,
            ) == CallKind::Blocking
        {
            self.direct = true;
        }
    }
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.leaves = true;
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        visit::visit_expr_break(self, b);
        self.leaves |= self.in_loop || b.label.is_some();
    }
    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.leaves |= self.in_loop;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.leaves |= !quiet_macro(m);
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.visit_expr(&i.cond);
        self.leaves |= self.skipped_leaves(&i.then_branch.stmts)
            || i.else_branch
                .as_ref()
                .is_some_and(|(_, e)| self.skipped_expr_leaves(e));
    }
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        self.leaves |= m.arms.iter().any(|a| self.skipped_expr_leaves(&a.body));
    }
    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        self.visit_expr(&l.expr);
    }
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.leaves |= self.skipped_expr_leaves(diverge);
            }
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        // A `loop` runs its body at least once: what comes before its first pass may end
        // (`read_line` at the top of a prompt loop) runs on every call that gets here.
        if !self.leaves {
            let mut first = Straight::new(self.ctx, true);
            first.stmts(&l.body.stmts);
            self.direct |= first.direct;
            self.through.extend(first.through);
        }
        // Leaving the function from inside it, or through a label, skips what follows.
        self.leaves |= LeaveFinder::stmts(&l.body.stmts, false);
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.leaves |= LeaveFinder::stmts(&w.body.stmts, false);
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.leaves |= LeaveFinder::stmts(&f.body.stmts, false);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `helper()` or `utils::helper()`: a call that may be of a free function of the checked code
/// (`Self::f()` and `Type::f()` are associated functions, which are not summarised).
pub(crate) fn plain_call(p: &syn::ExprPath) -> bool {
    p.qself.is_none()
        && !p.path.segments.iter().any(|s| {
            s.ident == "Self"
                || s.ident
                    .to_string()
                    .starts_with(|ch: char| ch.is_uppercase())
        })
}

/// Finds a way out of the straight-line part in code it skips: a `return`, a labelled `break`,
/// a macro that may hide one, and in a `loop`'s first pass any `break` or `continue` (one of
/// a nested loop too, which only makes it under-report).
struct LeaveFinder {
    found: bool,
    in_loop: bool,
}

impl LeaveFinder {
    /// Whether `stmts` may leave; `in_loop`: in a `loop`'s first pass.
    fn stmts(stmts: &[Stmt], in_loop: bool) -> bool {
        let mut f = LeaveFinder {
            found: false,
            in_loop,
        };
        stmts.iter().for_each(|s| f.visit_stmt(s));
        f.found
    }

    fn expr(e: &Expr, in_loop: bool) -> bool {
        let mut f = LeaveFinder {
            found: false,
            in_loop,
        };
        f.visit_expr(e);
        f.found
    }
}

impl<'ast> Visit<'ast> for LeaveFinder {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.found = true;
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        // `break 'block` leaves a labelled block, and what follows it in that block.
        self.found |= self.in_loop || b.label.is_some();
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.found |= self.in_loop;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.found |= !quiet_macro(m);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// A macro known not to leave the function (`println!`, `info!`); any other may hide a
/// `return` (`bail!`, `ensure!`, one of the crate's own).
fn quiet_macro(m: &syn::Macro) -> bool {
    m.path
        .segments
        .last()
        .is_some_and(|s| super::macros::is_quiet(&s.ident.to_string()))
        && !super::macros::may_leave(m)
}
