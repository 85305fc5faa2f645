//! Which buffers outlive a pass of the loops around a `select!`. `read_until` and
//! `write_all_buf` keep what they did in the buffer the caller hands them (tokio's "Cancel
//! safety" of each), so dropping one loses nothing, unless that buffer is made anew on each
//! pass or reset on every pass.

use syn::visit::{self, Visit};

use super::leaving::select_start;
use crate::analysis::{macros, roots};

/// For each `select!` of the file inside a loop, by where it starts: the places the passes of
/// the loops around it (up to the function, the closure or the async block) make or reset. A
/// pass makes the variables it binds (its `let`s, the patterns of its `if let`s and `match`
/// arms, the pattern of a `for` or `while let`), and resets a place with a statement of its
/// own block that runs on every pass (`buf.clear()`, `buf = Vec::new()`, `let line =
/// mem::take(&mut buf);`). An outer loop's pass counts too: when the inner loop ends, the
/// buffer the outer pass made goes with it.
pub(crate) fn pass_made(file: &syn::File) -> Vec<(usize, Vec<String>)> {
    #[derive(Default)]
    struct Loops {
        /// The places made or reset by each enclosing loop's pass, innermost last.
        stack: Vec<Vec<String>>,
        out: Vec<(usize, Vec<String>)>,
    }
    impl Loops {
        fn pass(
            &mut self,
            head: Option<&syn::Pat>,
            cond: Option<&syn::Expr>,
            body: &syn::Block,
            walk: impl FnOnce(&mut Self),
        ) {
            let mut made = Vec::new();
            if let Some(p) = head {
                bindings(p, &mut made);
            }
            let mut lets = Lets(&mut made);
            if let Some(cond) = cond {
                lets.visit_expr(cond);
            }
            lets.visit_block(body);
            made.extend(body.stmts.iter().filter_map(reset));
            self.stack.push(made);
            walk(self);
            self.stack.pop();
        }
    }
    impl<'ast> Visit<'ast> for Loops {
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.pass(None, None, &l.body, |s| visit::visit_expr_loop(s, l));
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.pass(None, Some(&w.cond), &w.body, |s| {
                visit::visit_expr_while(s, w);
            });
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.pass(Some(&f.pat), None, &f.body, |s| {
                visit::visit_expr_for_loop(s, f);
            });
        }
        // A closure or an async block is polled elsewhere, maybe outside the loop.
        fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
            let outer = std::mem::take(&mut self.stack);
            visit::visit_expr_closure(self, c);
            self.stack = outer;
        }
        fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
            let outer = std::mem::take(&mut self.stack);
            visit::visit_expr_async(self, a);
            self.stack = outer;
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if !self.stack.is_empty() && macros::select_branches(m).is_some() {
                self.out.push((select_start(m), self.stack.concat()));
            }
        }
    }
    /// The variables bound by `let`s, `if let`s and `match` arms of a pass, outside nested
    /// loops, closures and async blocks (they have passes of their own, or run elsewhere).
    struct Lets<'m>(&'m mut Vec<String>);
    impl<'ast> Visit<'ast> for Lets<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            bindings(&l.pat, self.0);
            visit::visit_local(self, l);
        }
        fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
            bindings(&l.pat, self.0);
            visit::visit_expr_let(self, l);
        }
        fn visit_arm(&mut self, a: &'ast syn::Arm) {
            bindings(&a.pat, self.0);
            visit::visit_arm(self, a);
        }
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut loops = Loops::default();
    loops.visit_file(file);
    loops.out
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

/// Whether a block binds `name` anew somewhere (`let mut buf = Vec::new();` in a helper whose
/// parameter is `buf`).
pub(super) fn rebinds(body: &syn::Block, name: &str) -> bool {
    struct Binds<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Binds<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.found |= i.ident == self.name;
            visit::visit_pat_ident(self, i);
        }
    }
    let mut b = Binds { name, found: false };
    b.visit_block(body);
    b.found
}

/// Methods that empty a buffer or take its contents away.
const RESETS: &[&str] = &[
    "clear",
    "truncate",
    "drain",
    "split_to",
    "split_off",
    "take",
];

/// The place a statement of the pass's own block resets: `buf.clear()`, `buf = ..`, `let line
/// = buf.split_to(n);`, `let line = mem::take(&mut buf);`.
fn reset(s: &syn::Stmt) -> Option<String> {
    match s {
        syn::Stmt::Expr(e, _) => reset_by(e),
        syn::Stmt::Local(l) => l.init.as_ref().and_then(|i| reset_by(&i.expr)),
        _ => None,
    }
}

/// The place `e` resets, at its top (through a chain of calls: `buf.drain(..).collect()`).
fn reset_by(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::MethodCall(m) if RESETS.iter().any(|r| m.method == r) => {
            roots::place_of(&m.receiver).or_else(|| reset_by(&m.receiver))
        }
        syn::Expr::MethodCall(m) => reset_by(&m.receiver),
        syn::Expr::Assign(a) => roots::place_of(&a.left),
        syn::Expr::Call(c) if is_mem_move(&c.func) => c.args.first().and_then(roots::place_of),
        syn::Expr::Try(t) => reset_by(&t.expr),
        _ => None,
    }
}

/// `mem::take`, `std::mem::replace`, `mem::swap`.
fn is_mem_move(func: &syn::Expr) -> bool {
    matches!(func, syn::Expr::Path(p)
        if p.path.segments.len() >= 2
            && p.path.segments.last().is_some_and(|s| s.ident == "take" || s.ident == "replace" || s.ident == "swap"))
}

/// Whether code (a helper's body, a branch's async block) resets `place`, or a place it is
/// part of, anywhere: `async fn read_line(r: &mut R, buf: &mut Vec<u8>) { buf.clear();
/// r.read_until(b'\n', buf).await }` loses the partial line of the pass before.
pub(super) fn resets(code: &syn::Expr, place: &str) -> bool {
    let mut r = Resets {
        place,
        found: false,
    };
    r.visit_expr(code);
    r.found
}

/// [`resets`] over a helper's body.
pub(super) fn resets_block(body: &syn::Block, place: &str) -> bool {
    let mut r = Resets {
        place,
        found: false,
    };
    r.visit_block(body);
    r.found
}

struct Resets<'p> {
    place: &'p str,
    found: bool,
}

impl<'ast> Visit<'ast> for Resets<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if reset_by(e).is_some_and(|r| roots::overlap(self.place, &r)) {
            self.found = true;
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
