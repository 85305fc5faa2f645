//! Which buffers outlive a pass of the loop around a `select!`. `read_until` and
//! `write_all_buf` keep what they did in the buffer the caller hands them (tokio's "Cancel
//! safety" of each), so dropping one loses nothing, unless that buffer is made anew on each
//! pass or reset on every pass.

use syn::visit::{self, Visit};

use super::leaving::select_start;
use crate::analysis::{macros, roots};

/// For each `select!` of the file inside a loop, by where it starts: the places the innermost
/// loop's pass makes or resets. A pass makes the variables it binds (its `let`s, the pattern
/// of a `for` or `while let`), and resets a place with a statement of its own block that runs
/// on every pass (`buf.clear()`, `buf.truncate(0)`, `buf = Vec::new()`).
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
            body: &syn::Block,
            walk: impl FnOnce(&mut Self),
        ) {
            let mut made = Vec::new();
            if let Some(p) = head {
                bindings(p, &mut made);
            }
            let mut lets = Lets(&mut made);
            lets.visit_block(body);
            made.extend(body.stmts.iter().filter_map(reset));
            self.stack.push(made);
            walk(self);
            self.stack.pop();
        }
    }
    impl<'ast> Visit<'ast> for Loops {
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.pass(None, &l.body, |s| visit::visit_expr_loop(s, l));
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            let head = match &*w.cond {
                syn::Expr::Let(l) => Some(&*l.pat),
                _ => None,
            };
            self.pass(head, &w.body, |s| visit::visit_expr_while(s, w));
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.pass(Some(&f.pat), &f.body, |s| visit::visit_expr_for_loop(s, f));
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
            if let Some(made) = self.stack.last()
                && macros::select_branches(m).is_some()
            {
                self.out.push((select_start(m), made.clone()));
            }
        }
    }
    /// The variables bound by `let`s of a pass, outside nested loops, closures and async
    /// blocks (they have passes of their own, or run elsewhere).
    struct Lets<'m>(&'m mut Vec<String>);
    impl<'ast> Visit<'ast> for Lets<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            bindings(&l.pat, self.0);
            visit::visit_local(self, l);
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

/// The place a statement resets: `buf.clear()`, `buf.truncate(..)`, `buf = ..`.
fn reset(s: &syn::Stmt) -> Option<String> {
    match s {
        syn::Stmt::Expr(syn::Expr::MethodCall(m), _)
            if m.method == "clear" || m.method == "truncate" =>
        {
            roots::place_of(&m.receiver)
        }
        syn::Stmt::Expr(syn::Expr::Assign(a), _) => roots::place_of(&a.left),
        _ => None,
    }
}

/// Whether a buffer at `place` outlives the pass whose made places are `made`: it is a place
/// (not a value made right there, `&mut Vec::new()`), and neither it nor its variable is made
/// or reset by the pass.
pub(super) fn outlives_pass(place: Option<&str>, made: &[String]) -> bool {
    place.is_some_and(|p| {
        let var = p.split('.').next().unwrap_or(p);
        !made.iter().any(|m| m == p || m == var)
    })
}
