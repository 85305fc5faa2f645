//! Where each `select!` of a file sits, found in one walk of the file: the statement after it
//! that decides on its value (see [`leaving::decided`]); for one in a loop, what the passes of
//! the loops around it make or reset (which buffers do not outlive them, see [`buffers`]), the
//! variables in scope whose reads lose nothing (see [`safe_reads`]), and the conditions it runs
//! under inside its loop (see [`Guard`]).

use syn::visit::{self, Visit};

use super::buffers;
use super::leaving::{self, Guard, select_start};
use super::safe_reads::{self, Safe};
use crate::analysis::imports::Imports;
use crate::analysis::macros;

/// What [`sites`] finds, by where each `select!` starts.
#[derive(Debug, Default)]
pub(crate) struct Sites(Vec<(usize, Site)>);

impl Sites {
    /// The `select!` that starts at `start`, if the walk found something about it.
    pub(super) fn at(&self, start: usize) -> Option<&Site> {
        self.0.iter().find(|(at, _)| *at == start).map(|(_, s)| s)
    }

    fn entry(&mut self, start: usize) -> &mut Site {
        let i = match self.0.iter().position(|(at, _)| *at == start) {
            Some(i) => i,
            None => {
                self.0.push((start, Site::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }
}

/// Where one `select!` sits.
#[derive(Debug, Default)]
pub(super) struct Site {
    /// When the statement after it decides on its value: whether each branch's value leaves
    /// the loop there.
    pub(super) decided: Option<Vec<bool>>,
    /// In a loop: the places the loops' passes make or reset (`None` for a `select!` the walk
    /// did not see in a loop, such as one in an item macro: then no buffer is known to outlive
    /// them).
    pub(super) made: Option<Vec<String>>,
    /// In a loop: the variables in scope whose reads lose nothing.
    pub(super) safe: Vec<(String, Safe)>,
    /// In a loop: the conditions it runs under inside the innermost loop (the loop's `while`
    /// condition and the `if`s around it), but for flags the pass makes or resets.
    pub(super) guards: Vec<Guard>,
}

/// Walks the file once. For each `select!` whose value the next statement decides on, whether
/// each branch's value leaves the loop ([`leaving::decided`]). For each `select!` inside a
/// loop, by where it starts: the places the loop's pass makes or resets. A pass makes the
/// variables bound inside it that are in scope at the `select!` (its `let`s before it, the
/// patterns of the `if let`s and `match` arms around it, the pattern of a `for` or `while
/// let`), and resets a place with a statement of its own block that runs on every pass
/// (`buf.clear()`, `buf = Vec::new()`, `let line = mem::take(&mut buf);`). Where the loop is a
/// `for` or a `while`, which can end on its own, the pass of the loop around it counts too: when
/// the inner loop ends, the buffer the outer pass made goes with it. (An inner `loop` ends only
/// where the code says, often when the read is done.) Each variable in scope comes with what it is,
/// if its reads lose nothing ([`safe_reads::safe_binding`]); a name bound anew hides what it was
/// until that scope ends.
pub(crate) fn sites(file: &syn::File, imports: &Imports) -> Sites {
    /// A loop being walked.
    struct Pass {
        /// How many bindings were in scope where it starts.
        outer: usize,
        /// What its body resets on every pass.
        resets: Vec<String>,
        /// A `for` or a `while`: it can end on its own.
        ends_by_itself: bool,
    }
    struct Loops<'i> {
        imports: &'i Imports,
        /// The bindings in scope, innermost last.
        bound: Vec<String>,
        /// What each of them is, if its reads lose nothing (as long as `bound`).
        safe: Vec<Option<Safe>>,
        /// The conditions this point runs under, inside the innermost loop.
        guards: Vec<Guard>,
        /// The loops around this point, up to the function, closure or async block.
        passes: Vec<Pass>,
        out: Sites,
    }
    impl Loops<'_> {
        /// Brings `p`'s bindings into scope; a `let` of a single name says what it is.
        fn bind(&mut self, p: &syn::Pat, safe: Option<Safe>) {
            let before = self.bound.len();
            buffers::bindings(p, &mut self.bound);
            self.safe.resize(self.bound.len(), None);
            if self.bound.len() == before + 1 {
                self.safe[before] = safe;
            }
        }

        fn pass(
            &mut self,
            head: &[&syn::Pat],
            body: &syn::Block,
            ends_by_itself: bool,
            cond: Option<&syn::Expr>,
            walk: impl FnOnce(&mut Self),
        ) {
            let guards = std::mem::take(&mut self.guards);
            if let Some(c) = cond {
                leaving::guards_of(c, &mut self.guards);
            }
            let outer = self.bound.len();
            for p in head {
                self.bind(p, None);
            }
            self.passes.push(Pass {
                outer,
                resets: body.stmts.iter().flat_map(buffers::reset).collect(),
                ends_by_itself,
            });
            walk(self);
            self.passes.pop();
            self.unbind(outer);
            self.guards = guards;
        }

        /// Takes the bindings from `len` on out of scope.
        fn unbind(&mut self, len: usize) {
            self.bound.truncate(len);
            self.safe.truncate(len);
        }

        /// Runs `walk` with `pats`' bindings in scope.
        fn scoped(&mut self, pats: &[&syn::Pat], walk: impl FnOnce(&mut Self)) {
            let len = self.bound.len();
            for p in pats {
                self.bind(p, None);
            }
            walk(self);
            self.unbind(len);
        }

        /// Runs `walk` outside every loop (a closure or an async block is polled elsewhere).
        fn detached(&mut self, walk: impl FnOnce(&mut Self)) {
            let passes = std::mem::take(&mut self.passes);
            let guards = std::mem::take(&mut self.guards);
            walk(self);
            self.passes = passes;
            self.guards = guards;
        }
    }
    impl<'ast> Visit<'ast> for Loops<'_> {
        fn visit_block(&mut self, b: &'ast syn::Block) {
            for (start, leave) in b
                .stmts
                .windows(2)
                .filter_map(|p| leaving::decided(&p[0], &p[1]))
            {
                self.out.entry(start).decided = Some(leave);
            }
            let len = self.bound.len();
            for stmt in &b.stmts {
                self.visit_stmt(stmt);
                if let syn::Stmt::Local(l) = stmt {
                    let safe = safe_reads::safe_binding(l, self.imports);
                    self.bind(&l.pat, safe);
                }
            }
            self.unbind(len);
        }
        fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
            self.pass(&[], &l.body, false, None, |s| s.visit_block(&l.body));
        }
        fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
            self.visit_expr(&w.cond);
            let heads = let_patterns(&w.cond);
            self.pass(&heads, &w.body, true, Some(&w.cond), |s| {
                s.visit_block(&w.body)
            });
        }
        fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
            self.visit_expr(&f.expr);
            self.pass(&[&f.pat], &f.body, true, None, |s| s.visit_block(&f.body));
        }
        fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
            self.visit_expr(&i.cond);
            let pats = let_patterns(&i.cond);
            let len = self.guards.len();
            leaving::guards_of(&i.cond, &mut self.guards);
            self.scoped(&pats, |s| s.visit_block(&i.then_branch));
            self.guards.truncate(len);
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
            let params: Vec<&syn::Pat> = c.inputs.iter().collect();
            self.detached(|s| s.scoped(&params, |s| visit::visit_expr_closure(s, c)));
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
            // The innermost binding of each name says what it is. async-std's `Stdin` keeps
            // the line only while it lives: one the pass makes goes with the pass.
            let mut safe: Vec<(String, Safe)> = Vec::new();
            let mut seen: Vec<&String> = Vec::new();
            for (name, kind) in self.bound.iter().zip(&self.safe).rev() {
                if seen.contains(&name) {
                    continue;
                }
                seen.push(name);
                match kind {
                    Some(Safe::AsyncStdStdin) if made.contains(name) => {}
                    Some(k) => safe.push((name.clone(), *k)),
                    None => {}
                }
            }
            // A flag the pass makes or resets holds again on the next pass.
            let guards = self
                .guards
                .iter()
                .filter(|g| !matches!(g, Guard::Flag { name, .. } if made.contains(name)))
                .cloned()
                .collect();
            let site = self.out.entry(select_start(m));
            site.made = Some(made);
            site.safe = safe;
            site.guards = guards;
        }
    }
    let mut loops = Loops {
        imports,
        bound: Vec::new(),
        safe: Vec::new(),
        guards: Vec::new(),
        passes: Vec::new(),
        out: Sites::default(),
    };
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
