//! The variables and `self` fields that a loop's conditions read: changing one of them is
//! progress for the loop rule.

use syn::visit::{self, Visit};
use syn::{Expr, Pat};

use super::flow::LoopRef;
use super::names;

/// `x`, `self.queue`, or `self` (a method called on `self` may change any field).
pub(crate) fn root_of(e: &Expr) -> Option<String> {
    let mut e = e;
    loop {
        match e {
            Expr::Field(f) => {
                if let Expr::Path(p) = &*f.base
                    && p.path.is_ident("self")
                    && let syn::Member::Named(m) = &f.member
                {
                    return Some(format!("self.{m}"));
                }
                e = &f.base;
            }
            Expr::MethodCall(m) => e = &m.receiver,
            Expr::Index(i) => e = &i.expr,
            Expr::Unary(u) => e = &u.expr,
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            Expr::Reference(r) => e = &r.expr,
            Expr::Try(t) => e = &t.expr,
            Expr::Path(p) => return p.path.get_ident().map(ToString::to_string),
            _ => return None,
        }
    }
}

/// The whole place a variable or a chain of fields names (`self.inner.state`, `lock`), as
/// [`overlap`] compares places.
pub(crate) fn place_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(m) => place_of(&f.base).map(|b| format!("{b}.{m}")),
            syn::Member::Unnamed(i) => place_of(&f.base).map(|b| format!("{b}.{}", i.index)),
        },
        Expr::Paren(p) => place_of(&p.expr),
        Expr::Reference(r) => place_of(&r.expr),
        Expr::Unary(u) => place_of(&u.expr),
        _ => None,
    }
}

/// [`root_of`], unless it is a unit variant or a unit struct (`SeqCst`, `Acquire`, `Empty`):
/// by Rust's naming conventions a `CamelCase` name is a type's, and never changes. (A
/// `SCREAMING_CASE` name may be a `static`, which does.)
pub(crate) fn changeable_root(e: &Expr) -> Option<String> {
    root_of(e).filter(|name| {
        !(name.starts_with(|c: char| c.is_uppercase()) && name.contains(|c: char| c.is_lowercase()))
    })
}

/// Whether macro tokens mention one of `roots` (by its first name: `self` or a variable).
pub(crate) fn mentioned(tokens: &proc_macro2::TokenStream, roots: &[String]) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => roots
            .iter()
            .any(|r| r.split('.').next().is_some_and(|first| i == first)),
        proc_macro2::TokenTree::Group(g) => mentioned(&g.stream(), roots),
        _ => false,
    })
}

/// Whether `tokens` name the variable `name`: as an identifier of its own, not as a field or
/// a method after a `.` (`cancel_c.cancel()` does not name a variable `cancel`).
pub(crate) fn names_variable(tokens: &proc_macro2::TokenStream, name: &str) -> bool {
    let mut after_dot = false;
    tokens.clone().into_iter().any(|tt| {
        let named = match &tt {
            proc_macro2::TokenTree::Ident(i) => !after_dot && i == name,
            proc_macro2::TokenTree::Group(g) => names_variable(&g.stream(), name),
            proc_macro2::TokenTree::Punct(_) | proc_macro2::TokenTree::Literal(_) => false,
        };
        after_dot = matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == '.');
        named
    })
}

/// Whether changing `changed` may change what `read` names.
pub(crate) fn overlap(read: &str, changed: &str) -> bool {
    let nested = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|r| r.starts_with('.'));
    read == changed || nested(read, changed) || nested(changed, read)
}

/// The roots read by the conditions of `lp` (its own and those inside its body: `if`,
/// `match`, guards, `let ... else`, `assert!`). A local that the body binds afresh each pass
/// reads what its initializer reads: `let buf = self.write_buf(); if buf.is_empty() { .. }`
/// reads `self`, which `self.clear()` changes.
pub(crate) fn of_conditions(lp: LoopRef<'_>) -> Vec<String> {
    let mut c = Conditions::default();
    if let LoopRef::While(w) = lp {
        c.read(&w.cond);
    }
    c.visit_block(lp.body());
    // One step through the body's `let`s in reverse order covers a chain of them
    // (`let a = self.x(); let b = a.y();`), since a later one can only use an earlier one.
    for (name, reads) in c.lets.iter().rev() {
        if c.roots.iter().any(|r| overlap(r, name)) {
            c.roots.extend(reads.iter().cloned());
        }
    }
    c.roots.sort();
    c.roots.dedup();
    c.roots
}

#[derive(Default)]
struct Conditions {
    roots: Vec<String>,
    /// The body's `let x = init`: `x` and what `init` reads.
    lets: Vec<(String, Vec<String>)>,
}

impl Conditions {
    fn read(&mut self, e: &Expr) {
        let mut r = Reads(Vec::new());
        r.visit_expr(e);
        self.roots.extend(r.0);
    }
}

impl<'ast> Visit<'ast> for Conditions {
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.read(&i.cond);
        visit::visit_expr_if(self, i);
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.read(&w.cond);
        visit::visit_expr_while(self, w);
    }
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.read(&m.expr);
        visit::visit_expr_match(self, m);
    }
    fn visit_pat_guard(&mut self, g: &'ast syn::PatGuard) {
        self.read(&g.guard);
        visit::visit_pat_guard(self, g);
    }
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            if init.diverge.is_some() {
                self.read(&init.expr);
            }
            if let Pat::Ident(i) = &l.pat {
                let mut r = Reads(Vec::new());
                r.visit_expr(&init.expr);
                self.lets.push((i.ident.to_string(), r.0));
            }
        }
        visit::visit_local(self, l);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let name = m.path.segments.last().map(|s| s.ident.to_string());
        if name.is_some_and(|n| n.starts_with("assert") || n.starts_with("debug_assert"))
            && let Ok(args) = m.parse_body_with(
                syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
            )
        {
            for a in &args {
                self.read(a);
            }
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Every variable and `self` field an expression reads.
pub(crate) fn reads(e: &Expr) -> Vec<String> {
    let mut r = Reads(Vec::new());
    r.visit_expr(e);
    r.0
}

/// The visitor behind [`reads`].
struct Reads(Vec<String>);

impl<'ast> Visit<'ast> for Reads {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Path(_) | Expr::Field(_) => {
                if let Some(r) = changeable_root(e) {
                    self.0.push(r);
                }
                if let Expr::Field(f) = e {
                    self.visit_expr(&f.base);
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }
    // A closure in a condition runs there (`values().any(|p| *p == port)`): what it reads, the
    // condition reads, so closures are walked.
    /// `matches!(line.last(), Some(b'\n'))` reads what its scrutinee reads.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if names::path_ends_in(&m.path, &["matches"])
            && let Some((l, _)) = super::macros::matches_as_let(m)
        {
            let mut inner = Reads(Vec::new());
            inner.visit_expr(&l.expr);
            self.0.extend(inner.0);
        }
    }
}

/// Whether a condition does work itself: it calls a function or a method with arguments that is
/// neither a read nor a poll (`libc::write(fd, b, n) >= 0`, `reader.read_line(&mut s)? > 0`), or
/// a method whose name says it changes its receiver (`query.increment()`, `it.advance()`). A
/// conversion (`Duration::from_micros(2)`, `u64::from(x)`) builds a value and does no work, by
/// Rust's naming conventions for `from` constructors.
pub(crate) fn does_work(cond: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if !c.args.is_empty()
                && let Expr::Path(p) = &*c.func
                && p.path.segments.last().is_some_and(|s| {
                    let name = s.ident.to_string();
                    !super::outcomes::is_poll_style(&name)
                        && !super::outcomes::is_read_only(&name)
                        && !is_conversion(&name)
                        && name.starts_with(|c: char| c.is_lowercase())
                })
            {
                self.0 = true;
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let name = m.method.to_string();
            if (!m.args.is_empty()
                && !super::outcomes::is_poll_style(&name)
                && !super::outcomes::is_read_only(&name)
                && !super::outcomes::is_outside_read(&name, true))
                || super::outcomes::is_mutator(&name)
            {
                self.0 = true;
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Finder(false);
    f.visit_expr(cond);
    f.0
}

/// A `from` conversion: `from`, `from_micros`, `from_str_radix`.
fn is_conversion(name: &str) -> bool {
    name == "from" || name.starts_with("from_")
}
