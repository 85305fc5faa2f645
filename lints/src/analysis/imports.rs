//! Name resolution through a file's `use` items: what `sleep` means in this file.
//!
//! Without type information the checker still knows which crate a bare name comes from when
//! the file imports it: `use tokio::time::sleep;` makes `sleep(d)` tokio's, not cancelkit's.
//! Every `use` of the file counts, wherever it is (modules and function bodies included): a
//! file rarely imports one name two ways. A bare name the file does not import is left
//! unresolved; [`Imports::resolve`] then answers with the name alone.

use std::collections::HashMap;

use syn::visit::Visit;

/// The file's imports: local name → full path.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    names: HashMap<String, Vec<String>>,
    /// `use a::b::*;` prefixes.
    globs: Vec<Vec<String>>,
}

impl Imports {
    /// Collects every `use` item of a parsed file.
    pub(crate) fn of(file: &syn::File) -> Self {
        let mut c = Collector(Imports::default());
        c.visit_file(file);
        c.0
    }

    /// The full path of `segments` as far as the imports tell: the first segment is replaced
    /// by what it was imported as. `crate`/`self`/`super` are dropped (they name this crate).
    pub(crate) fn resolve<'a>(
        &self,
        segments: impl IntoIterator<Item = &'a syn::Ident>,
    ) -> Vec<String> {
        let mut segs: Vec<String> = segments.into_iter().map(ToString::to_string).collect();
        while segs.len() > 1 && matches!(segs[0].as_str(), "crate" | "self" | "super") {
            segs.remove(0);
        }
        if let Some(first) = segs.first()
            && let Some(full) = self.names.get(first)
        {
            let mut out = full.clone();
            out.extend(segs.into_iter().skip(1));
            return out;
        }
        segs
    }

    /// Whether `name` is imported under another name (`use a::b as name;`).
    pub(crate) fn renames(&self, name: &syn::Ident) -> bool {
        self.names
            .iter()
            .any(|(local, full)| name == local && full.last().is_some_and(|l| l != local))
    }

    /// Whether a glob import brings in the items of a path starting with `root`
    /// (`use cancelkit::*`, `use cancelkit::prelude::*`).
    pub(crate) fn glob_from(&self, root: &str) -> bool {
        self.globs
            .iter()
            .any(|g| g.first().is_some_and(|f| f == root))
    }

    /// Whether a glob import brings in the items of another crate than `except`
    /// (`use tokio::time::*;`; `use super::*;` does not count).
    pub(crate) fn glob_from_other_crate(&self, except: &str) -> bool {
        self.globs.iter().any(|g| {
            g.first()
                .is_some_and(|f| !matches!(f.as_str(), "crate" | "self" | "super") && f != except)
        })
    }
}

struct Collector(Imports);

impl Collector {
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
                        self.0.names.insert(last.clone(), prefix.clone());
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(n.ident.to_string());
                    self.0.names.insert(n.ident.to_string(), full);
                }
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                if r.rename != "_" {
                    self.0.names.insert(r.rename.to_string(), full);
                }
            }
            syn::UseTree::Glob(_) => self.0.globs.push(prefix.clone()),
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

    // Expressions hold no `use` items except inside blocks, which `visit` reaches anyway; the
    // one thing to skip is macro bodies, which are not parsed.
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(src: &str, path: &str) -> Vec<String> {
        let file = syn::parse_file(src).unwrap();
        let imports = Imports::of(&file);
        let path: syn::Path = syn::parse_str(path).unwrap();
        imports.resolve(path.segments.iter().map(|s| &s.ident))
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
        assert_eq!(
            resolve("fn f() { use cancelkit as ck; }", "ck::sleep"),
            ["cancelkit", "sleep"]
        );
        assert_eq!(resolve("", "crate::a::f"), ["a", "f"]);
        assert_eq!(resolve("", "sleep"), ["sleep"]);
    }
}
