//! Which variables are cancellation tokens: parameters, `let`s and `self` fields whose type is
//! written as tokio-util's `CancellationToken` or cancelkit's `CancelToken` (through `&`, `Arc`,
//! `Rc`, `Box` and `Option`), or a configured type name; and `let`s made by a token's
//! constructor, `child_token()` or `clone()` of a known token.

use super::imports::Imports;

/// A token in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenVar {
    /// `token`, or `self.token` for a field.
    pub(crate) name: String,
    /// cancelkit's `CancelToken` (its cancellation is the task's, which makes cancelkit's own
    /// operations fail); otherwise tokio-util's or a configured type.
    pub(crate) cancelkit: bool,
    /// Made here (`CancellationToken::new()`): the function holds it to cancel others, it is
    /// not its own stop signal. A token captured by a closure or an async block is received.
    pub(crate) own: bool,
    /// The code at hand never names it: a field its method does not mention, or an outer
    /// token a closure or async block does not capture. It may still be the code's stop
    /// signal, but nothing shows it; only strict mode takes it for one.
    pub(crate) unnamed: bool,
}

impl TokenVar {
    /// The identifier it goes by in code: `token`, or `token` for the field `self.token`.
    pub(crate) fn ident(&self) -> &str {
        self.name.strip_prefix("self.").unwrap_or(&self.name)
    }
}

/// What decides whether a type is a token: the configured names, and the file's imports
/// (`tokio_postgres::CancelToken` cancels a query, it is not cancelkit's).
#[derive(Clone, Copy)]
pub(crate) struct Types<'a> {
    pub(crate) extra: &'a [String],
    pub(crate) imports: &'a Imports,
}

/// Whether `ty` is written as a token type; `Some(true)` for cancelkit's.
pub(crate) fn token_type(ty: &syn::Type, types: Types<'_>) -> Option<bool> {
    let extra = types.extra;
    match ty {
        syn::Type::Reference(r) => token_type(&r.elem, types),
        syn::Type::Paren(p) => token_type(&p.elem, types),
        syn::Type::Group(g) => token_type(&g.elem, types),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            let from_elsewhere = || {
                let full = types.imports.resolve_path(&p.path);
                full.len() > 1 && !matches!(full[0].as_str(), "cancelkit" | "tokio_util")
            };
            match name.as_str() {
                "CancelToken" if !from_elsewhere() => Some(true),
                "CancellationToken" if !from_elsewhere() => Some(false),
                "Arc" | "Rc" | "Box" | "Option" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => {
                        a.args.iter().find_map(|arg| match arg {
                            syn::GenericArgument::Type(t) => token_type(t, types),
                            _ => None,
                        })
                    }
                    _ => None,
                },
                _ if extra.iter().any(|e| configured_matches(e, &p.path)) => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A configured type name (`ShutdownSignal`, `watch::Receiver`) matches a written type path
/// when its segments are a suffix of the path's.
fn configured_matches(configured: &str, path: &syn::Path) -> bool {
    let want: Vec<&str> = configured.split("::").filter(|s| !s.is_empty()).collect();
    let have: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    want.len() <= have.len()
        && !want.is_empty()
        && want
            .iter()
            .rev()
            .zip(have.iter().rev())
            .all(|(w, h)| *w == h.as_str())
}

/// The methods of an `impl` that never name one of the struct's token fields: calling one of
/// them on `self` does not consult the token (other `self` calls may).
pub(crate) fn methods_not_consulting(imp: &syn::ItemImpl, fields: &[TokenVar]) -> Vec<String> {
    let names: Vec<String> = fields.iter().map(|f| f.ident().to_string()).collect();
    imp.items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => {
                let tokens = quote::ToTokens::to_token_stream(&f.block);
                (!crate::analysis::roots::mentioned(&tokens, &names))
                    .then(|| f.sig.ident.to_string())
            }
            _ => None,
        })
        .collect()
}

/// The tokens among a function's parameters.
pub(crate) fn params(sig: &syn::Signature, types: Types<'_>) -> Vec<TokenVar> {
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            syn::FnArg::Typed(t) => match &*t.pat {
                // `_token`: the function says it does not use it.
                syn::Pat::Ident(i) if i.ident.to_string().starts_with('_') => None,
                syn::Pat::Ident(i) => token_type(&t.ty, types).map(|cancelkit| TokenVar {
                    name: i.ident.to_string(),
                    cancelkit,
                    own: false,
                    unnamed: false,
                }),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The token a `let` declares, if it does.
pub(crate) fn local(l: &syn::Local, known: &[TokenVar], types: Types<'_>) -> Option<TokenVar> {
    let (pat, ty) = match &l.pat {
        syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
        p => (p, None),
    };
    let syn::Pat::Ident(ident) = pat else {
        return None;
    };
    if ident.ident.to_string().starts_with('_') {
        return None;
    }
    let (cancelkit, own) = match ty.and_then(|t| token_type(t, types)) {
        Some(c) => (c, false),
        None => made_from(&l.init.as_ref()?.expr, known)?,
    };
    Some(TokenVar {
        name: ident.ident.to_string(),
        cancelkit,
        own,
        unnamed: false,
    })
}

/// The local a `let` binds when its initializer hands a received token on
/// (`let stream = browse.token(token.clone()).run()`): see `Scope::carriers`.
pub(crate) fn carrier(l: &syn::Local, known: &[TokenVar]) -> Option<String> {
    let syn::Pat::Ident(ident) = &l.pat else {
        return None;
    };
    let init = quote::ToTokens::to_token_stream(&l.init.as_ref()?.expr);
    let names: Vec<String> = known
        .iter()
        .filter(|t| !t.own)
        .map(|t| t.ident().to_string())
        .collect();
    crate::analysis::roots::mentioned(&init, &names).then(|| ident.ident.to_string())
}

/// `CancellationToken::new()`, `CancelToken::new()` (a token of its own), `t.child_token()`,
/// `t.clone()` of a known token `t` (as `t` is), looking through `?` and `.unwrap()`. Returns
/// (cancelkit's, made here).
fn made_from(e: &syn::Expr, known: &[TokenVar]) -> Option<(bool, bool)> {
    match e {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            match segs.as_slice() {
                [.., ty, f] if ty == "CancelToken" && (f == "new" || f == "default") => {
                    Some((true, true))
                }
                [.., ty, f] if ty == "CancellationToken" && (f == "new" || f == "default") => {
                    Some((false, true))
                }
                _ => None,
            }
        }
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "child_token" | "clone" | "child"
            ) =>
        {
            let root = crate::analysis::roots::root_of(&m.receiver)?;
            known
                .iter()
                .find(|t| t.name == root)
                .map(|t| (t.cancelkit, t.own))
        }
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "unwrap" | "expect") =>
        {
            made_from(&m.receiver, known)
        }
        syn::Expr::Try(t) => made_from(&t.expr, known),
        syn::Expr::Paren(p) => made_from(&p.expr, known),
        _ => None,
    }
}

/// The token fields of each struct of a file (by struct name).
pub(crate) fn struct_fields(
    file: &syn::File,
    types: Types<'_>,
) -> std::collections::HashMap<String, Vec<TokenVar>> {
    use syn::visit::{self, Visit};
    struct Fields<'e> {
        types: Types<'e>,
        out: std::collections::HashMap<String, Vec<TokenVar>>,
    }
    impl<'ast> Visit<'ast> for Fields<'_> {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            let tokens: Vec<TokenVar> = s
                .fields
                .iter()
                .filter_map(|f| {
                    let name = f.ident.as_ref()?;
                    token_type(&f.ty, self.types).map(|cancelkit| TokenVar {
                        name: format!("self.{name}"),
                        cancelkit,
                        own: false,
                        unnamed: false,
                    })
                })
                .collect();
            if !tokens.is_empty() {
                self.out.insert(s.ident.to_string(), tokens);
            }
            visit::visit_item_struct(self, s);
        }
        // Structs declared inside function bodies are rare; not walking bodies keeps this cheap.
        fn visit_block(&mut self, _: &'ast syn::Block) {}
    }
    let mut f = Fields {
        types,
        out: Default::default(),
    };
    f.visit_file(file);
    f.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Option<bool> {
        ty_in(s, "", &["Stop".to_string()])
    }

    fn ty_in(s: &str, file: &str, extra: &[String]) -> Option<bool> {
        let imports = Imports::of(&syn::parse_file(file).unwrap());
        token_type(
            &syn::parse_str(s).unwrap(),
            Types {
                extra,
                imports: &imports,
            },
        )
    }

    #[test]
    fn token_types_through_wrappers() {
        assert_eq!(ty("CancellationToken"), Some(false));
        assert_eq!(ty("&tokio_util::sync::CancellationToken"), Some(false));
        assert_eq!(ty("Arc<CancelToken>"), Some(true));
        assert_eq!(ty("Option<Stop>"), Some(false));
        assert_eq!(ty("Receiver<Job>"), None);
        let watch = ["watch::Receiver".to_string()];
        assert_eq!(ty_in("watch::Receiver<bool>", "", &watch), Some(false));
        assert_eq!(ty_in("mpsc::Receiver<Job>", "", &watch), None);
        // Another crate's type of the same name is not a cancellation token.
        assert_eq!(
            ty_in("CancelToken", "use tokio_postgres::CancelToken;", &[]),
            None
        );
        assert_eq!(
            ty_in("CancelToken", "use cancelkit::CancelToken;", &[]),
            Some(true)
        );
    }
}
