//! Name resolution through a file's `use` items: what `sleep` means at a given place.
//!
//! Without type information the checker still knows which crate a bare name comes from when
//! the file imports it: `use tokio::time::sleep;` makes `sleep(d)` tokio's, not cancelkit's.
//! A `use` applies where Rust applies it: in its block or inline module, or, at the top of the
//! file, everywhere (so a test function's `use std::thread::sleep;` says nothing about
//! `sleep` elsewhere). A bare name nothing imports is left unresolved;
//! [`Imports::resolve_path`] then answers with the name alone.

use std::collections::HashMap;
use std::ops::Range;

use syn::visit::{self, Visit};

/// An imported path and the byte range of the block or module where the `use` applies.
type Scoped = (Range<usize>, Vec<String>);

/// The file's imports: local name → (scope, full path).
#[derive(Debug, Default)]
pub(crate) struct Imports {
    names: HashMap<String, Vec<Scoped>>,
    /// `use a::b::*;` prefixes, with their scopes.
    globs: Vec<Scoped>,
}

impl Imports {
    /// Collects every `use` item of a parsed file.
    pub(crate) fn of(file: &syn::File) -> Self {
        let mut c = Collector {
            imports: Imports::default(),
            scopes: Vec::new(),
        };
        c.visit_file(file);
        c.imports
    }

    /// The full path of `path` as the imports in scope where it is written tell: the first
    /// segment is replaced by what it was imported as. `crate`/`self`/`super` are dropped (they
    /// name this crate).
    pub(crate) fn resolve_path(&self, path: &syn::Path) -> Vec<String> {
        let at = path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().byte_range().start);
        let mut segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        while segs.len() > 1 && matches!(segs[0].as_str(), "crate" | "self" | "super") {
            segs.remove(0);
        }
        if let Some(full) = segs.first().and_then(|first| self.lookup(first, at)) {
            let mut out = full.clone();
            out.extend(segs.into_iter().skip(1));
            return out;
        }
        segs
    }

    /// The innermost import of `name` whose scope contains `at`.
    fn lookup(&self, name: &str, at: usize) -> Option<&Vec<String>> {
        self.names
            .get(name)?
            .iter()
            .filter(|(scope, _)| scope.contains(&at))
            .min_by_key(|(scope, _)| scope.len())
            .map(|(_, full)| full)
    }

    /// Whether `name` is imported under another name (`use a::b as name;`) anywhere.
    pub(crate) fn renames(&self, name: &syn::Ident) -> bool {
        self.names.iter().any(|(local, entries)| {
            name == local
                && entries
                    .iter()
                    .any(|(_, full)| full.last().is_some_and(|l| l != local))
        })
    }

    /// Whether a glob import brings in the items of a path starting with `root`
    /// (`use cancelkit::*`, `use cancelkit::prelude::*`).
    pub(crate) fn glob_from(&self, root: &str) -> bool {
        self.globs
            .iter()
            .any(|(_, g)| g.first().is_some_and(|f| f == root))
    }

    /// Whether a glob import brings in the items of another crate than `except`
    /// (`use tokio::time::*;`; `use super::*;` does not count).
    pub(crate) fn glob_from_other_crate(&self, except: &str) -> bool {
        self.globs.iter().any(|(_, g)| {
            g.first()
                .is_some_and(|f| !matches!(f.as_str(), "crate" | "self" | "super") && f != except)
        })
    }
}

struct Collector {
    imports: Imports,
    /// The spans of the enclosing blocks and inline modules. Turning a span into a byte range
    /// counts characters, so it is done only for the few that hold a `use`.
    scopes: Vec<proc_macro2::Span>,
}

impl Collector {
    fn scope(&self) -> Range<usize> {
        self.scopes
            .last()
            .map_or(0..usize::MAX, proc_macro2::Span::byte_range)
    }

    fn name(&mut self, local: String, full: Vec<String>) {
        let scope = self.scope();
        self.imports
            .names
            .entry(local)
            .or_default()
            .push((scope, full));
    }

    fn tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                if n.ident == "self" {
                    if let Some(last) = prefix.last() {
                        self.name(last.clone(), prefix.clone());
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(n.ident.to_string());
                    self.name(n.ident.to_string(), full);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                if r.rename != "_" {
                    self.name(r.rename.to_string(), full);
                }
            }
            syn::UseTree::Glob(_) => {
                let scope = self.scope();
                self.imports.globs.push((scope, prefix.clone()));
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.tree(&mut prefix, &u.tree);
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.scopes.push(b.brace_token.span.join());
        visit::visit_block(self, b);
        self.scopes.pop();
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        match &m.content {
            Some((brace, _)) => {
                self.scopes.push(brace.span.join());
                visit::visit_item_mod(self, m);
                self.scopes.pop();
            }
            None => visit::visit_item_mod(self, m),
        }
    }

    // Macro bodies are not parsed.
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}

    // What cannot hold a block with a `use` in it is not walked: this pass runs on every file,
    // and types, patterns, paths and attributes are much of a file's syntax tree.
    fn visit_type(&mut self, _: &'ast syn::Type) {}
    fn visit_pat(&mut self, _: &'ast syn::Pat) {}
    fn visit_path(&mut self, _: &'ast syn::Path) {}
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
    fn visit_generics(&mut self, _: &'ast syn::Generics) {}
    fn visit_lit(&mut self, _: &'ast syn::Lit) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves the last path written in `src` (as `p!(PATH)`'s argument is not a path, the
    /// path is given as the body of a function `probe`).
    fn resolve(src: &str, path: &str) -> Vec<String> {
        let text = format!("{src}\nfn probe() {{ {path}; }}");
        let file = syn::parse_file(&text).unwrap();
        let imports = Imports::of(&file);
        let syn::Item::Fn(probe) = file.items.last().unwrap() else {
            unreachable!()
        };
        let syn::Stmt::Expr(syn::Expr::Path(p), _) = &probe.block.stmts[0] else {
            unreachable!()
        };
        imports.resolve_path(&p.path)
    }

    #[test]
    fn names_resolve_through_use_items() {
        assert_eq!(
            resolve("use tokio::time::sleep;", "sleep"),
            ["tokio", "time", "sleep"]
        );
        assert_eq!(
            resolve("use tokio::time::{self, sleep as nap};", "nap"),
            ["tokio", "time", "sleep"]
        );
        assert_eq!(
            resolve("use tokio::time::{self};", "time::sleep"),
            ["tokio", "time", "sleep"]
        );
        assert_eq!(resolve("", "crate::a::f"), ["a", "f"]);
        assert_eq!(resolve("", "sleep"), ["sleep"]);
    }

    #[test]
    fn a_use_in_a_block_or_module_applies_there_only() {
        let src = "use actix_rt::time::sleep;\nfn other() { use std::thread::sleep; sleep(d); }\nmod m { use std::thread::sleep; }";
        assert_eq!(resolve(src, "sleep"), ["actix_rt", "time", "sleep"]);
    }
}
