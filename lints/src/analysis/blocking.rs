//! Which free functions of the checked code block the thread whenever they are called.
//!
//! A helper such as `fn readline() -> io::Result<String> { stdin().read_line(..)?; .. }`
//! blocks every caller, and an async loop that calls it holds its executor thread as surely as
//! one that calls `read_line` itself. The flow walk cannot say "every path blocks" (its path
//! classes keep the *least* a path needs to be excused, so a blocking class may stand for a
//! quiet one), so this is a separate, straight-line judgement:
//!
//! - a function **blocks by itself** when one of its body's top-level statements makes a
//!   blocking call ([`CallKind::Blocking`]) outside any branch, loop, closure or nested item,
//!   and no statement before it can `return`: every call that gets past the `?`s reaches it;
//! - it **blocks through** the free functions its top-level statements call the same way,
//!   which resolution ([`super::summaries`]) settles once every file is read.
//!
//! Only free functions (`fn` items outside `impl` and `trait` blocks) and only sync ones are
//! summarised: a method's name is too common to stand for one definition (`read`, `next`),
//! and an `async fn` runs only where it is awaited. Anything conditional is left out, so the
//! judgement under-reports: a helper that blocks on one branch only is not taken to block.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Stmt};

use super::flow::{Ctx, Sym};
use super::observers::CallKind;

/// What one sync free function's body says about blocking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Blocks {
    /// A blocking call on the straight-line part of the body: the function blocks by itself.
    /// The call's name, for the finding's label.
    pub(crate) direct: Option<String>,
    /// The free functions called on the straight-line part: the function blocks if one does.
    pub(crate) through: Vec<Sym>,
}

/// Summarises `body` (of a sync free function).
pub(crate) fn summarise(ctx: Ctx<'_>, body: &Block) -> Blocks {
    let mut out = Blocks::default();
    for stmt in &body.stmts {
        let mut s = Straight {
            ctx,
            direct: None,
            through: Vec::new(),
            returns: false,
        };
        s.visit_stmt(stmt);
        // The walk follows evaluation order, and records nothing once a `return` may have
        // been taken: what it did record runs on every call that gets this far.
        out.through.extend(s.through);
        if let Some(call) = s.direct {
            out.direct = Some(call);
            out.through.clear();
            return out;
        }
        if s.returns {
            break;
        }
    }
    out
}

/// Walks the straight-line part of a statement: not into branches, loops, closures, async
/// blocks or items.
struct Straight<'a> {
    ctx: Ctx<'a>,
    direct: Option<String>,
    through: Vec<Sym>,
    returns: bool,
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
            _ if self.returns => {}
            CallKind::Blocking => {
                self.direct.get_or_insert_with(|| last.ident.to_string());
            }
            // `helper()` or `utils::helper()`: a free function, perhaps of the checked code
            // (`Self::f()` and `Type::f()` are associated functions, not summarised).
            CallKind::Other
                if p.qself.is_none()
                    && !p.path.segments.iter().any(|s| {
                        s.ident == "Self"
                            || s.ident
                                .to_string()
                                .starts_with(|ch: char| ch.is_uppercase())
                    }) =>
            {
                self.through.push(last.ident.to_string().into());
            }
            _ => {}
        }
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        visit::visit_expr_method_call(self, m);
        let args: Vec<&Expr> = m.args.iter().collect();
        if !self.returns
            && self.ctx.observers.classify_method(
                self.ctx.names,
                &m.method,
                &m.receiver,
                &args,
                false,
            ) == CallKind::Blocking
        {
            self.direct.get_or_insert_with(|| m.method.to_string());
        }
    }
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.returns = true;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.returns |= !quiet_macro(m);
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.visit_expr(&i.cond);
        self.returns |= branch_returns(&i.then_branch.stmts)
            || i.else_branch.as_ref().is_some_and(|(_, e)| expr_returns(e));
    }
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        self.returns |= m.arms.iter().any(|a| expr_returns(&a.body));
    }
    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        self.visit_expr(&l.expr);
    }
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.returns |= expr_returns(diverge);
            }
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.returns |= branch_returns(&l.body.stmts);
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.returns |= branch_returns(&w.body.stmts);
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.returns |= branch_returns(&f.body.stmts);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether a branch (or loop body) the straight-line walk skips can `return` (or hides a
/// macro that might).
fn branch_returns(stmts: &[Stmt]) -> bool {
    let mut f = ReturnFinder(false);
    stmts.iter().for_each(|s| f.visit_stmt(s));
    f.0
}

fn expr_returns(e: &Expr) -> bool {
    let mut f = ReturnFinder(false);
    f.visit_expr(e);
    f.0
}

struct ReturnFinder(bool);

impl<'ast> Visit<'ast> for ReturnFinder {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.0 |= !quiet_macro(m);
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
