//! Which buffers outlive a pass of the loops around a `select!`. `read_until`, `read_to_end`
//! and `write_all_buf` keep what they did in the buffer the caller hands them (tokio's "Cancel
//! safety" of the first and last; `read_to_end` appends each read to the caller's `Vec`), so
//! dropping one loses nothing, unless that buffer is made anew on each pass or reset on every
//! pass.

use crate::analysis::{literals, names, roots};

/// The variables a pattern binds (a plain walk: a `Visit` impl for this would add a whole
/// visitor to the binary).
pub(super) fn bindings(p: &syn::Pat, out: &mut Vec<String>) {
    match p {
        syn::Pat::Ident(i) => {
            out.push(i.ident.to_string());
            if let Some((_, sub)) = &i.subpat {
                bindings(sub, out);
            }
        }
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| bindings(&f.pat, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::Or(o) => o.cases.iter().for_each(|p| bindings(p, out)),
        syn::Pat::Reference(r) => bindings(&r.pat, out),
        syn::Pat::Paren(p) => bindings(&p.pat, out),
        syn::Pat::Type(t) => bindings(&t.pat, out),
        syn::Pat::Guard(g) => bindings(&g.pat, out),
        _ => {}
    }
}

/// The place a statement of the pass's own block resets: `buf.clear()`, `buf = ..`, `let line
/// = mem::take(&mut buf);`.
pub(super) fn reset(s: &syn::Stmt) -> Vec<String> {
    let e = match s {
        syn::Stmt::Expr(e, _) => e,
        syn::Stmt::Local(l) => match &l.init {
            Some(i) => &*i.expr,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    emptied_by(e)
}

/// The places `e` empties at its top: [`reset_by`]'s, or both sides of a `mem::swap`.
pub(super) fn emptied_by(e: &syn::Expr) -> Vec<String> {
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
    let zero = || m.args.first().and_then(literals::int_lit) == Some(0);
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
            && names::path_ends_in(&p.path, &["take", "replace", "swap"]))
}

/// The places a `mem::swap(&mut a, &mut b)` empties: both.
fn swapped(e: &syn::Expr) -> Vec<String> {
    match e {
        syn::Expr::Call(c)
            if is_mem_move(&c.func)
                && matches!(&*c.func, syn::Expr::Path(p) if names::path_ends_in(&p.path, &["swap"])) =>
        {
            c.args.iter().filter_map(roots::place_of).collect()
        }
        _ => Vec::new(),
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
