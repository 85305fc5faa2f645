//! Which buffers outlive a pass of the loops around a `select!`. `read_until` and
//! `write_all_buf` keep what they did in the buffer the caller hands them (tokio's "Cancel
//! safety" of each), so dropping one loses nothing, unless that buffer is made anew on each
//! pass or reset on every pass.

use syn::visit::{self, Visit};

use super::leaving::select_start;
use crate::analysis::{macros, roots};

/// For each `select!` of the file inside a loop, by where it starts: the places the loop's pass
/// makes or resets. A pass makes the variables bound inside it that are in scope at the
/// `select!` (its `let`s before it, the patterns of the `if let`s and `match` arms around it,
/// the pattern of a `for` or `while let`), and resets a place with a statement of its own
/// block that runs on every pass (`buf.clear()`, `buf = Vec::new()`, `let line =
/// mem::take(&mut buf);`). Where the loop is a `for` or a `while`, which can end on its own,
/// the pass of the loop around it counts too: when the inner loop ends, the buffer the outer
/// pass made goes with it. (An inner `loop` ends only where the code says, often when the read
/// is done.)
pub(crate) fn pass_made(file: &syn::File) -> Vec<(usize, Vec<String>)> {
    /// A loop being walked.
    struct Pass {
        /// How many bindings were in scope where it starts.
        outer: usize,
        /// What its body resets on every pass.
        resets: Vec<String>,
        /// A `for` or a `while`: it can end on its own.
        ends_by_itself: bool,
    }
    #[derive(Default)]
    struct Loops {
        /// The bindings in scope, innermost last.
        bound: Vec<String>,
        /// The loops around this point, up to the function, closure or async block.
        passes: Vec<Pass>,
        out: Vec<(usize, Vec<String>)>,
    }
    impl Loops {
        fn pass(
            &mut self,
            head: &[&syn::Pat],
            body: &syn::Block,
            ends_by_itself: bool,
            walk: impl FnOnce(&mut Self),
        ) {
            let outer = self.bound.len();
            for p in head {
                bindings(p, &mut self.bound);
            }
            self.passes.push(Pass {
                outer,
                resets: body.stmts.iter().flat_map(reset).collect(),
                ends_by_itself,
            });
            walk(self);
            self.passes.pop();
            self.bound.truncate(outer);
        }

        /// Runs `walk` with `pats`' bindings in scope.
        fn scoped(&mut self, pats: &[&syn::Pat], walk: impl FnOnce(&mut Self)) {
            let len = self.bound.len();
            for p in pats {
                bindings(p, &mut self.bound);
            }
            walk(self);
            self.bound.truncate(len);
        }

        /// Runs `walk` outside every loop (a closure or an async block is polled elsewhere).
        fn detached(&mut self, walk: impl FnOnce(&mut Self)) {
            let passes = std::mem::take(&mut self.passes);
            walk(self);
            self.passes = passes;
        }
    }
    impl<'ast> Visit<'ast> for Loops {
        fn visit_block(&mut self, b: &'ast syn::Block) {
            let len = self.bound.len();
            for stmt in &b.stmts {
                self.visit_stmt(stmt);
                if let syn::Stmt::Local(l) = stmt {
                    bindings(&l.pat, &mut self.bound);
                }
            }
            self.bound.truncate(len);
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.pass(&[], &l.body, false, |s| s.visit_block(&l.body));
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.visit_expr(&w.cond);
            let heads = let_patterns(&w.cond);
            self.pass(&heads, &w.body, true, |s| s.visit_block(&w.body));
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.visit_expr(&f.expr);
            self.pass(&[&f.pat], &f.body, true, |s| s.visit_block(&f.body));
        }
        fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
            self.visit_expr(&i.cond);
            let pats = let_patterns(&i.cond);
            self.scoped(&pats, |s| s.visit_block(&i.then_branch));
            if let Some((_, e)) = &i.else_branch {
                self.visit_expr(e);
            }
        }
        fn visit_arm(&mut self, a: &'ast syn::Arm) {
            self.scoped(&[&a.pat], |s| {
                s.visit_pat(&a.pat);
                s.visit_expr(&a.body);
            });
        }
        fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
            self.detached(|s| visit::visit_expr_closure(s, c));
        }
        fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
            self.detached(|s| visit::visit_expr_async(s, a));
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let Some(inner) = self.passes.last() else {
                return;
            };
            if macros::select_branches(m).is_none() {
                return;
            }
            // The innermost pass, and each one around it while the loop inside can end by
            // itself.
            let mut outer = inner.outer;
            let mut made: Vec<String> = Vec::new();
            for (k, p) in self.passes.iter().enumerate().rev() {
                outer = p.outer;
                made.extend(p.resets.iter().cloned());
                if !p.ends_by_itself || k == 0 {
                    break;
                }
            }
            made.extend(self.bound[outer..].iter().cloned());
            self.out.push((select_start(m), made));
        }
    }
    let mut loops = Loops::default();
    loops.visit_file(file);
    loops.out
}

/// The patterns of the `let`s in a condition (`if let Some(x) = a && let Ok(y) = b`).
fn let_patterns(cond: &syn::Expr) -> Vec<&syn::Pat> {
    match cond {
        syn::Expr::Let(l) => vec![&*l.pat],
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            let mut v = let_patterns(&b.left);
            v.extend(let_patterns(&b.right));
            v
        }
        syn::Expr::Paren(p) => let_patterns(&p.expr),
        _ => Vec::new(),
    }
}

/// The variables a pattern binds.
fn bindings(p: &syn::Pat, out: &mut Vec<String>) {
    struct Idents<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Idents<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.0.push(i.ident.to_string());
            visit::visit_pat_ident(self, i);
        }
    }
    Idents(out).visit_pat(p);
}

/// Whether a block binds `name` anew with a `let` somewhere (`let mut buf = Vec::new();` in a
/// helper whose parameter is `buf`).
pub(super) fn rebinds(body: &syn::Block, name: &str) -> bool {
    struct Lets<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Lets<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            let mut bound = Vec::new();
            bindings(&l.pat, &mut bound);
            self.found |= bound.iter().any(|b| b == self.name);
            visit::visit_local(self, l);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut b = Lets { name, found: false };
    b.visit_block(body);
    b.found
}

/// The place a statement of the pass's own block resets: `buf.clear()`, `buf = ..`, `let line
/// = mem::take(&mut buf);`.
fn reset(s: &syn::Stmt) -> Vec<String> {
    let e = match s {
        syn::Stmt::Expr(e, _) => e,
        syn::Stmt::Local(l) => match &l.init {
            Some(i) => &*i.expr,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut out: Vec<String> = reset_by(e).into_iter().collect();
    out.extend(swapped(e));
    out
}

/// The place `e` empties, at its top (through a chain of calls: `buf.drain(..).collect()`):
/// `clear()`, `truncate(0)`, `drain(..)`, `split()`, `split_off(0)`, an assignment,
/// `mem::take`, `mem::replace`, `mem::swap`. Taking a prefix (`buf.drain(..k)`,
/// `buf.split_to(n)`) takes a whole line or frame and leaves a partial one where it was.
fn reset_by(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::MethodCall(m) if empties(m) => {
            roots::place_of(&m.receiver).or_else(|| reset_by(&m.receiver))
        }
        syn::Expr::MethodCall(m) => reset_by(&m.receiver),
        syn::Expr::Assign(a) => roots::place_of(&a.left),
        syn::Expr::Call(c) if is_mem_move(&c.func) => c.args.first().and_then(roots::place_of),
        syn::Expr::Try(t) => reset_by(&t.expr),
        _ => None,
    }
}

/// Whether a method call empties its receiver: `clear()`, `split()`, `truncate(0)`,
/// `split_off(0)`, `drain(..)`.
fn empties(m: &syn::ExprMethodCall) -> bool {
    let zero = || matches!(m.args.first(), Some(syn::Expr::Lit(l)) if matches!(&l.lit, syn::Lit::Int(i) if i.base10_digits() == "0"));
    let whole = || matches!(m.args.first(), Some(syn::Expr::Range(r)) if r.start.is_none() && r.end.is_none());
    match m.method.to_string().as_str() {
        "clear" | "split" => m.args.is_empty(),
        "truncate" | "split_off" => zero(),
        "drain" => whole(),
        _ => false,
    }
}

/// `mem::take`, `std::mem::replace`, `mem::swap`.
fn is_mem_move(func: &syn::Expr) -> bool {
    matches!(func, syn::Expr::Path(p)
        if p.path.segments.len() >= 2
            && p.path.segments.last().is_some_and(|s| s.ident == "take" || s.ident == "replace" || s.ident == "swap"))
}

/// The places a `mem::swap(&mut a, &mut b)` empties: both.
fn swapped(e: &syn::Expr) -> Vec<String> {
    match e {
        syn::Expr::Call(c)
            if is_mem_move(&c.func)
                && matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "swap")) =>
        {
            c.args.iter().filter_map(roots::place_of).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether code (a helper's body, a branch's async block) empties `place`, or a place it is
/// part of, before `at` (where the read that keeps its progress there starts): `async fn
/// read_line(r: &mut R, buf: &mut Vec<u8>) { buf.clear(); r.read_until(b'\n', buf).await }`
/// loses the partial line of the pass before. Emptying it after the read (`Ok(mem::take(buf))`)
/// takes a whole line.
pub(super) fn resets(code: &syn::Expr, place: &str, at: usize) -> bool {
    let mut r = Resets {
        place,
        at,
        found: false,
    };
    r.visit_expr(code);
    r.found
}

/// [`resets`] over a helper's body.
pub(super) fn resets_block(body: &syn::Block, place: &str, at: usize) -> bool {
    let mut r = Resets {
        place,
        at,
        found: false,
    };
    r.visit_block(body);
    r.found
}

struct Resets<'p> {
    place: &'p str,
    at: usize,
    found: bool,
}

impl<'ast> Visit<'ast> for Resets<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        use syn::spanned::Spanned;
        if e.span().byte_range().start < self.at {
            let mut emptied: Vec<String> = reset_by(e).into_iter().collect();
            emptied.extend(swapped(e));
            if emptied.iter().any(|r| roots::overlap(self.place, r)) {
                self.found = true;
            }
        }
        visit::visit_expr(self, e);
    }
}

/// Whether a buffer at `place` outlives the pass whose made places are `made`: it is a place
/// (not a value made right there, `&mut Vec::new()`), and neither it nor a place it is part
/// of is made or reset by the pass (`self.conn = ..` resets `self.conn.buf`).
pub(super) fn outlives_pass(place: Option<&str>, made: &[String]) -> bool {
    place.is_some_and(|p| {
        !made.iter().any(|m| {
            p == m
                || p.strip_prefix(m.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}
