//! Whether the race goes on after a `select!` branch wins: only if the loop runs the `select!`
//! again is what the other branches dropped lost. A branch's handler leaves (`break`,
//! `return`), or the value it yields makes the statement right after the `select!` leave
//! (`match r { None => break, .. }`), or a timer wrapped around the future ends the loop with
//! its error (`let n = res??;`), or the branch makes a condition the `select!` runs under false
//! for good (`done = true` under `while !done`).

use syn::visit::Visit;

use crate::analysis::{literals, macros, names, roots};

/// A condition a `select!` in a loop runs under: a conjunct of the loop's `while` condition or
/// of an `if` around the `select!` inside the loop.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Guard {
    /// `!done` (holds while `done` is false) or `running` (while it is true).
    Flag { name: String, holds_when: bool },
    /// `!token.is_cancelled()`, by the token's place (`token`, `self.token`): a token stays
    /// cancelled, so once it is, the guard never holds again.
    NotCancelled(String),
}

/// The guards of a condition: its `&&` conjuncts of the forms [`Guard`] knows.
pub(super) fn guards_of(cond: &syn::Expr, out: &mut Vec<Guard>) {
    let flag = |e: &syn::Expr| match e {
        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    };
    match cond {
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            guards_of(&b.left, out);
            guards_of(&b.right, out);
        }
        syn::Expr::Paren(p) => guards_of(&p.expr, out),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => match &*u.expr {
            syn::Expr::MethodCall(m) if m.method == "is_cancelled" && m.args.is_empty() => {
                out.extend(roots::place_of(&m.receiver).map(Guard::NotCancelled));
            }
            e => out.extend(flag(e).map(|name| Guard::Flag {
                name,
                holds_when: false,
            })),
        },
        e => out.extend(flag(e).map(|name| Guard::Flag {
            name,
            holds_when: true,
        })),
    }
}

/// Whether a branch that wins makes one of its `select!`'s `guards` false for good, so that
/// the `select!` does not run again and what the other futures had done is not wanted: its
/// handler sets the flag (`done = true` under `while !done`), or it is the token's
/// `cancelled()` under `!token.is_cancelled()`.
pub(super) fn ends_guard(future: &syn::Expr, handler: &syn::Expr, guards: &[Guard]) -> bool {
    guards.iter().any(|g| match g {
        Guard::Flag { name, holds_when } => sets(handler, name, !holds_when),
        Guard::NotCancelled(token) => cancelled_of(future).is_some_and(|t| t == *token),
    })
}

/// The token `token.cancelled()` (also `.fuse()`d, for `futures::select!`) waits on.
fn cancelled_of(future: &syn::Expr) -> Option<String> {
    match future {
        syn::Expr::MethodCall(m) if m.method == "fuse" && m.args.is_empty() => {
            cancelled_of(&m.receiver)
        }
        syn::Expr::MethodCall(m) if m.method == "cancelled" && m.args.is_empty() => {
            roots::place_of(&m.receiver)
        }
        _ => None,
    }
}

/// Whether a handler sets `name` to `value` on every path: it is `name = value`, or a
/// statement of its block is, and no statement before it can `continue` (which would skip it).
fn sets(handler: &syn::Expr, name: &str, value: bool) -> bool {
    let assigns = |e: &syn::Expr| match e {
        syn::Expr::Assign(a) => {
            matches!(&*a.left, syn::Expr::Path(p) if p.path.is_ident(name))
                && literals::bool_lit(&a.right) == Some(value)
        }
        _ => false,
    };
    let syn::Expr::Block(b) = handler else {
        return assigns(handler);
    };
    for s in &b.block.stmts {
        match s {
            syn::Stmt::Expr(e, _) if assigns(e) => return true,
            s if may_continue(s) => return false,
            _ => {}
        }
    }
    false
}

/// Whether a statement can `continue` the loop around the `select!` (a `continue` in a loop,
/// closure or async block of its own does not).
fn may_continue(s: &syn::Stmt) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    }
    let mut f = Finder(false);
    f.visit_stmt(s);
    f.0
}

/// Whether the handler's first statement applies `?` to the branch's binding (`res?`,
/// `res.map_err(..)??`): when the timer wrapped around the future fires, the handler leaves
/// with the timeout's error before anything else.
pub(super) fn propagates_error_of(pat: &syn::Pat, handler: &syn::Expr) -> bool {
    let syn::Pat::Ident(binding) = pat else {
        return false;
    };
    let mut e = first_expr(handler);
    // The outermost `?` must sit on a chain rooted at the binding.
    while let Some(x) = e {
        match x {
            syn::Expr::Try(t) => {
                return roots::root_of(&t.expr).is_some_and(|r| binding.ident == r);
            }
            syn::Expr::MethodCall(m) => e = Some(&m.receiver),
            syn::Expr::Paren(p) => e = Some(&p.expr),
            _ => return false,
        }
    }
    false
}

/// The handler's first expression: itself, or its block's first statement (a `let`'s value).
fn first_expr(handler: &syn::Expr) -> Option<&syn::Expr> {
    match handler {
        syn::Expr::Block(b) => match b.block.stmts.first() {
            Some(syn::Stmt::Local(l)) => l.init.as_ref().map(|i| &*i.expr),
            Some(syn::Stmt::Expr(e, _)) => Some(e),
            _ => None,
        },
        e => Some(e),
    }
}

/// Whether the handler first matches on the branch's binding, and every arm that may take the
/// timer's error leaves the loop: `match res { Ok(frame) => .., Err(_elapsed) => break }`.
/// The arms are tried in order, up to the first one that takes the error whatever its value;
/// a guarded arm (`Err(_) if n < 3 => continue`) may take it, or pass it on.
pub(super) fn timeout_arm_leaves(pat: &syn::Pat, handler: &syn::Expr) -> bool {
    let syn::Pat::Ident(binding) = pat else {
        return false;
    };
    let Some(syn::Expr::Match(m)) = first_expr(handler) else {
        return false;
    };
    matches!(&*m.expr, syn::Expr::Path(p) if p.path.is_ident(&binding.ident))
        && arms_leave(&m.arms, takes_err)
}

/// Whether a `match` leaves the loop for a value: every arm that may take it leaves, up to the
/// first that surely does. `takes` says of a pattern whether it takes the value: `Some(true)`
/// surely, `Some(false)` maybe, `None` never. A guarded arm only ever maybe takes it.
fn arms_leave(arms: &[syn::Arm], takes: impl Fn(&syn::Pat) -> Option<bool>) -> bool {
    for arm in arms {
        let (p, guarded) = match &arm.pat {
            syn::Pat::Guard(g) => (&*g.pat, true),
            p => (p, false),
        };
        let Some(surely) = takes(p) else { continue };
        if !leaves(&arm.body) {
            return false;
        }
        if surely && !guarded {
            return true;
        }
    }
    false
}

/// Whether a pattern on a `timeout`'s result takes its `Err`: `Some(true)` whatever the error
/// (`Err(_)`, `_`, `res`), `Some(false)` only for some (`Err(e) | Ok(Err(e))` counts as the
/// former), `None` never (`Ok(..)`).
fn takes_err(p: &syn::Pat) -> Option<bool> {
    match p {
        syn::Pat::TupleStruct(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Err")
            .then_some(true),
        syn::Pat::Wild(_) => Some(true),
        syn::Pat::Ident(i) => match &i.subpat {
            None => Some(true),
            Some((_, sub)) => takes_err(sub),
        },
        syn::Pat::Paren(p) => takes_err(&p.pat),
        syn::Pat::Or(o) => o.cases.iter().filter_map(takes_err).reduce(|a, b| a || b),
        _ => None,
    }
}

/// `timeout(d, fut)`, `fut.timeout(d)`: a timer that can drop the future inside its branch.
pub(super) fn under_timeout(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if names::path_ends_in(&p.path, &["timeout", "timeout_at"])),
        syn::Expr::MethodCall(m) => m.method == "timeout" || under_timeout(&m.receiver),
        syn::Expr::Paren(p) => under_timeout(&p.expr),
        _ => false,
    }
}

/// Whether a branch's handler always leaves the loop: `break`, `return`, a block ending in
/// one, a `match` whose every arm does, or an `if` whose both branches do.
pub(super) fn leaves(handler: &syn::Expr) -> bool {
    match handler {
        syn::Expr::Break(_) | syn::Expr::Return(_) => true,
        syn::Expr::Block(b) => block_leaves(&b.block),
        // Every arm, or both branches, leave (linebased's control branch: `match msg {
        // Ok(Shutdown) => break, Err(e) => { log(e); break } }`).
        syn::Expr::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| leaves(&a.body)),
        syn::Expr::If(i) => i
            .else_branch
            .as_ref()
            .is_some_and(|(_, e)| block_leaves(&i.then_branch) && leaves(e)),
        syn::Expr::Macro(m) => macros::always_leaves(&m.mac.path),
        _ => false,
    }
}

/// Whether a branch on a watch leaves when the value it watches is set: `_ = stop.changed() =>
/// if *stop.borrow() { break }`. Such a watch is a stop flag, only ever set, so the branch
/// leaves whenever it wins; the loop goes on only if the flag is cleared.
pub(super) fn leaves_on_flag(future: &syn::Expr, handler: &syn::Expr) -> bool {
    let syn::Expr::MethodCall(m) = future else {
        return false;
    };
    let Some(watch) = roots::root_of(&m.receiver) else {
        return false;
    };
    if m.method != "changed" || !m.args.is_empty() {
        return false;
    }
    let stmts = match handler {
        syn::Expr::Block(b) => &b.block.stmts[..],
        syn::Expr::If(i) => return flag_if_leaves(i, &watch),
        _ => return false,
    };
    stmts
        .iter()
        .any(|s| matches!(s, syn::Stmt::Expr(syn::Expr::If(i), _) if flag_if_leaves(i, &watch)))
}

/// `if *watch.borrow() { break }` (the condition may say more: `closed || *watch.borrow()`).
fn flag_if_leaves(i: &syn::ExprIf, watch: &str) -> bool {
    fn reads(e: &syn::Expr, watch: &str) -> bool {
        match e {
            syn::Expr::MethodCall(m) if m.method == "borrow" || m.method == "borrow_and_update" => {
                roots::root_of(&m.receiver).is_some_and(|r| r == watch)
            }
            syn::Expr::Unary(u) => reads(&u.expr, watch),
            syn::Expr::Binary(b) => reads(&b.left, watch) || reads(&b.right, watch),
            syn::Expr::Paren(p) => reads(&p.expr, watch),
            _ => false,
        }
    }
    reads(&i.cond, watch) && block_leaves(&i.then_branch)
}

/// Whether a block always leaves the loop: its last statement does.
fn block_leaves(b: &syn::Block) -> bool {
    b.stmts.last().is_some_and(|s| match s {
        syn::Stmt::Expr(e, _) => leaves(e),
        syn::Stmt::Macro(m) => macros::always_leaves(&m.mac.path),
        _ => false,
    })
}

/// Where a `select!` starts: the key of what [`super::sites()`] finds.
pub(super) fn select_start(m: &syn::Macro) -> usize {
    m.path
        .segments
        .first()
        .map_or(0, |s| s.ident.span().byte_range().start)
}

/// The statement right after `let r = select! { .. };` that decides on `r`.
enum After<'a> {
    /// `match r { None => break, .. }`.
    Match(&'a syn::ExprMatch),
    /// `if !r { break }` (`negated`), or `if r { .. } else { return }`.
    If {
        negated: bool,
        test: &'a syn::ExprIf,
    },
    /// `let Some(x) = r else { break };`.
    LetElse(&'a syn::Pat, &'a syn::Expr),
}

impl<'a> After<'a> {
    /// What `stmt` decides on `name`, if it is one of the forms above.
    fn of(stmt: &'a syn::Stmt, name: &syn::Ident) -> Option<Self> {
        let is_name = |e: &syn::Expr| matches!(e, syn::Expr::Path(p) if p.path.is_ident(name));
        match stmt {
            syn::Stmt::Expr(syn::Expr::Match(m), _) if is_name(&m.expr) => Some(After::Match(m)),
            syn::Stmt::Expr(syn::Expr::If(i), _) => match &*i.cond {
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) && is_name(&u.expr) => {
                    Some(After::If {
                        negated: true,
                        test: i,
                    })
                }
                c if is_name(c) => Some(After::If {
                    negated: false,
                    test: i,
                }),
                _ => None,
            },
            syn::Stmt::Local(l) => {
                let init = l.init.as_ref()?;
                let (_, diverge) = init.diverge.as_ref()?;
                is_name(&init.expr).then_some(After::LetElse(&l.pat, diverge))
            }
            _ => None,
        }
    }
}

/// For a `let r = select! { .. };` followed by a statement that decides on `r` (`match r {
/// None => break, .. }`, `if !sent { return }`, `let Some(x) = r else { break };`): where the
/// `select!` starts, and whether each branch's value leaves the loop there. A branch whose
/// handler is a value (`None`, `Some(res)`, `false`, `State::Stop`) leaves when every arm that
/// may take that value, up to the first that surely does, leaves; when the `if` that tests it
/// takes the branch that leaves; when the `let … else` pattern never takes it and its `else`
/// leaves.
pub(super) fn decided(first: &syn::Stmt, next: &syn::Stmt) -> Option<(usize, Vec<bool>)> {
    let syn::Stmt::Local(l) = first else {
        return None;
    };
    let name = match &l.pat {
        syn::Pat::Ident(i) => &i.ident,
        syn::Pat::Type(t) => match &*t.pat {
            syn::Pat::Ident(i) => &i.ident,
            _ => return None,
        },
        _ => return None,
    };
    let Some(syn::Expr::Macro(m)) = l.init.as_ref().map(|i| &*i.expr) else {
        return None;
    };
    let after = After::of(next, name)?;
    let branches = macros::select_branches(&m.mac)?;
    let leave = branches
        .iter()
        .map(|b| value_leaves(&b.handler, &after))
        .collect();
    Some((select_start(&m.mac), leave))
}

/// Whether the value a branch's handler yields makes `after` leave the loop.
fn value_leaves(handler: &syn::Expr, after: &After<'_>) -> bool {
    let value = match handler {
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => e,
            _ => return false,
        },
        e => e,
    };
    // The value's shape: a path's last name, a constructor's, or a literal's text.
    enum Shape {
        Unit(String),
        Ctor(String),
        Lit(String),
    }
    let shape = match value {
        syn::Expr::Path(p) => match last_name(&p.path) {
            Some(n) => Shape::Unit(n),
            None => return false,
        },
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => match last_name(&p.path) {
                Some(n) => Shape::Ctor(n),
                None => return false,
            },
            _ => return false,
        },
        syn::Expr::Lit(l) => Shape::Lit(quote::ToTokens::to_token_stream(&l.lit).to_string()),
        _ => return false,
    };
    // Whether a pattern takes the value: surely, maybe, or never (as `arms_leave` wants).
    fn takes(p: &syn::Pat, shape: &Shape) -> Option<bool> {
        let is = |same: bool| same.then_some(true);
        match p {
            syn::Pat::Wild(_) => Some(true),
            // A lower-case name binds anything; a capitalised one is a unit variant.
            syn::Pat::Ident(i) if i.subpat.is_none() => {
                let n = i.ident.to_string();
                if n.starts_with(|c: char| c.is_uppercase()) {
                    is(matches!(shape, Shape::Unit(u) if *u == n))
                } else {
                    Some(true)
                }
            }
            syn::Pat::Path(pp) => {
                is(matches!(shape, Shape::Unit(u) if Some(u) == last_name(&pp.path).as_ref()))
            }
            syn::Pat::TupleStruct(t) => {
                let same =
                    matches!(shape, Shape::Ctor(c) if Some(c) == last_name(&t.path).as_ref());
                let all_wild = t.elems.iter().all(|e| {
                    matches!(
                        e,
                        syn::Pat::Wild(_) | syn::Pat::Ident(_) | syn::Pat::Rest(_)
                    )
                });
                same.then_some(all_wild)
            }
            syn::Pat::Lit(l) => is(matches!(shape, Shape::Lit(t)
                if *t == quote::ToTokens::to_token_stream(&l.lit).to_string())),
            syn::Pat::Or(o) => o
                .cases
                .iter()
                .filter_map(|c| takes(c, shape))
                .reduce(|a, b| a || b),
            syn::Pat::Paren(p) => takes(&p.pat, shape),
            // Anything else might take it, but not for sure.
            _ => Some(false),
        }
    }
    match after {
        After::Match(m) => arms_leave(&m.arms, |p| takes(p, &shape)),
        After::If { negated, test } => {
            let Shape::Lit(b) = &shape else {
                return false;
            };
            // The branch of the `if` this value takes: `then` when the test holds.
            let holds = (b == "true") != *negated;
            match (b.as_str(), holds) {
                ("true" | "false", true) => block_leaves(&test.then_branch),
                ("true" | "false", false) => {
                    test.else_branch.as_ref().is_some_and(|(_, e)| leaves(e))
                }
                _ => false,
            }
        }
        // Only a variant or a literal is surely not taken: `m` or `parse(m)` may be `Some(..)`.
        After::LetElse(pat, diverge) => {
            let variant = match &shape {
                // `CamelCase`: a variant; a `SCREAMING_CASE` constant may hold anything.
                Shape::Unit(n) | Shape::Ctor(n) => {
                    n.starts_with(|c: char| c.is_uppercase())
                        && n.contains(|c: char| c.is_lowercase())
                }
                Shape::Lit(_) => true,
            };
            variant && takes(pat, &shape).is_none() && leaves(diverge)
        }
    }
}

/// A path's last name.
fn last_name(p: &syn::Path) -> Option<String> {
    p.segments.last().map(|s| s.ident.to_string())
}
