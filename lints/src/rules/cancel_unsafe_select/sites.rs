//! Where each `select!` of a file sits, found in one walk of the file: the statement after it
//! that decides on its value (see [`leaving::decided`]), and what the passes of the loops
//! around it make or reset (which buffers do not outlive them, see [`buffers`]).

use syn::visit::{self, Visit};

use super::buffers;
use super::leaving::{self, Guard, select_start};
use crate::analysis::macros;

/// What [`sites`] finds, each keyed by where the `select!` starts.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// The `select!`s whose value the statement after them decides on, with whether each
    /// branch's value leaves the loop there.
    pub(crate) decided: Vec<(usize, Vec<bool>)>,
    /// The `select!`s in a loop, with the places the loops' passes make or reset.
    pub(crate) made: Vec<(usize, Vec<String>)>,
    /// The `select!`s in a loop, with the variables in scope there whose reads lose nothing
    /// (see [`Safe`]).
    pub(crate) safe: Vec<(usize, Vec<(String, Safe)>)>,
    /// The `select!`s in a loop, with the conditions they run under inside the innermost loop
    /// (its `while` condition and the `if`s around them).
    pub(crate) guards: Vec<(usize, Vec<Guard>)>,
}

/// A variable whose reads lose nothing when dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safe {
    /// A one-byte buffer (`let mut b = [0u8; 1];`): a `read_exact` into it reads its byte in
    /// the poll that sees it, like `read_u8`, which tokio documents as cancel-safe.
    OneByte,
    /// async-std's `Stdin` (`let input = async_std::io::stdin();`): its `read_line` keeps the
    /// line it read in the `Stdin`, and the next call returns it.
    AsyncStdStdin,
}

/// The variable a `let` binds to something whose reads lose nothing: a one-element array
/// (`let mut b = [0u8; 1];`, `let b: [u8; 1] = ..;`, `let mut b = [0];`), or async-std's
/// stdin (`async_std::io::stdin()`, or `io::stdin()` in a file that uses async-std).
fn safe_binding(l: &syn::Local, async_std: bool) -> Option<(String, Safe)> {
    let one = |e: &syn::Expr| matches!(e, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "1");
    let (pat, typed) = match &l.pat {
        syn::Pat::Type(t) => (
            &*t.pat,
            matches!(&*t.ty, syn::Type::Array(a) if one(&a.len)),
        ),
        p => (p, false),
    };
    let syn::Pat::Ident(name) = pat else {
        return None;
    };
    let init = l.init.as_ref().map(|i| &*i.expr);
    let safe = match init {
        _ if typed => Safe::OneByte,
        Some(syn::Expr::Repeat(r)) if one(&r.len) => Safe::OneByte,
        Some(syn::Expr::Array(a)) if a.elems.len() == 1 => Safe::OneByte,
        Some(syn::Expr::Call(c)) if c.args.is_empty() => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let names: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            match names.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["async_std", "io", "stdin"] => Safe::AsyncStdStdin,
                ["io", "stdin"] | ["stdin"] if async_std => Safe::AsyncStdStdin,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((name.ident.to_string(), safe))
}

/// Whether a file uses async-std (a `use async_std::…` item at its top).
fn uses_async_std(file: &syn::File) -> bool {
    file.items.iter().any(|i| {
        matches!(i, syn::Item::Use(u) if matches!(&u.tree, syn::UseTree::Path(p) if p.ident == "async_std"))
    })
}

/// Walks the file once. For each `select!` whose value the next statement decides on, whether
/// each branch's value leaves the loop ([`leaving::decided`]). For each `select!` inside a
/// loop, by where it starts: the places the loop's pass makes or resets. A pass makes the variables bound inside it that are in scope at the
/// `select!` (its `let`s before it, the patterns of the `if let`s and `match` arms around it,
/// the pattern of a `for` or `while let`), and resets a place with a statement of its own
/// block that runs on every pass (`buf.clear()`, `buf = Vec::new()`, `let line =
/// mem::take(&mut buf);`). Where the loop is a `for` or a `while`, which can end on its own,
/// the pass of the loop around it counts too: when the inner loop ends, the buffer the outer
/// pass made goes with it. (An inner `loop` ends only where the code says, often when the read
/// is done.)
pub(crate) fn sites(file: &syn::File) -> Sites {
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
        /// Those of them whose reads lose nothing, by their index in `bound`.
        safe: Vec<(usize, String, Safe)>,
        /// Whether the file uses async-std.
        async_std: bool,
        /// The conditions this point runs under, inside the innermost loop.
        guards: Vec<Guard>,
        /// The loops around this point, up to the function, closure or async block.
        passes: Vec<Pass>,
        out: Sites,
    }
    impl Loops {
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
                buffers::bindings(p, &mut self.bound);
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
            self.safe.retain(|(i, ..)| *i < len);
        }

        /// Runs `walk` with `pats`' bindings in scope.
        fn scoped(&mut self, pats: &[&syn::Pat], walk: impl FnOnce(&mut Self)) {
            let len = self.bound.len();
            for p in pats {
                buffers::bindings(p, &mut self.bound);
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
    impl<'ast> Visit<'ast> for Loops {
        fn visit_block(&mut self, b: &'ast syn::Block) {
            self.out.decided.extend(
                b.stmts
                    .windows(2)
                    .filter_map(|p| leaving::decided(&p[0], &p[1])),
            );
            let len = self.bound.len();
            for stmt in &b.stmts {
                self.visit_stmt(stmt);
                if let syn::Stmt::Local(l) = stmt {
                    let before = self.bound.len();
                    buffers::bindings(&l.pat, &mut self.bound);
                    // A name bound anew is no longer the one-byte buffer it was.
                    let bound = &self.bound[before..];
                    self.safe.retain(|(_, n, _)| !bound.contains(n));
                    if let Some((name, safe)) = safe_binding(l, self.async_std) {
                        self.safe.push((self.bound.len() - 1, name, safe));
                    }
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
            self.out.made.push((select_start(m), made));
            let safe = self.safe.iter().map(|(_, n, s)| (n.clone(), *s)).collect();
            self.out.safe.push((select_start(m), safe));
            self.out.guards.push((select_start(m), self.guards.clone()));
        }
    }
    let mut loops = Loops {
        async_std: uses_async_std(file),
        ..Loops::default()
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
