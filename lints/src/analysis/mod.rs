//! Parse → analyse. Each file is parsed once and analysed on its own (in parallel); what depends
//! on other files (does the function `f` of this crate observe on every path?) is kept
//! symbolic and resolved at the end by [`resolve`].

pub(crate) mod flow;
pub(crate) mod observers;
pub(crate) mod suppress;

use std::collections::HashMap;

use syn::visit::{self, Visit};

use crate::config::{Config, Level};
use crate::finding::{Annotation, Finding};
use crate::rules::{Rule, swallowed_cancellation, uncancellable_loop};
use crate::source::SourceFile;
use flow::{Ctx, LoopRef, Sym};
use observers::Observers;
use suppress::Suppressions;

/// A loop finding that holds unless a called function turns out to observe.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) finding: Finding,
    /// Each unchecked path: the functions of the checked code it calls, and where it was decided.
    pub(crate) paths: Vec<(Vec<Sym>, Option<Annotation>)>,
}

/// Everything one file contributes.
#[derive(Debug, Default)]
pub(crate) struct FileResult {
    pub(crate) findings: Vec<Finding>,
    pub(crate) pending: Vec<Pending>,
    /// Function summaries: name → the calls of each unchecked path from entry to exit
    /// (empty: the function observes on every path by itself).
    pub(crate) summaries: Vec<(Sym, Vec<Vec<Sym>>)>,
}

/// Parses and analyses one file.
pub(crate) fn analyse_file(
    file: &SourceFile,
    config: &Config,
    observers: &Observers,
) -> FileResult {
    let mut out = FileResult::default();
    let suppressions = Suppressions::scan(file);
    for (range, name) in &suppressions.unknown {
        let level = Rule::UnknownRule.default_level();
        out.findings.push(Finding {
            rule: Rule::UnknownRule,
            level,
            path: file.path.clone(),
            message: crate::config::unknown_rule_message(name),
            primary: Annotation {
                span: file.span(range.clone()),
                label: Some("not a cancelkit rule".into()),
            },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            suggestions: Vec::new(),
        });
    }
    let base = parse_offset(&file.text);
    let parsed = syn::parse_file(&file.text);
    match parsed {
        Ok(ast) => {
            let ctx = Ctx {
                observers,
                strict: config.strict,
                instrumented_awaits: false,
                keep_progress: config.strict || config.report_bounded_loops,
                base,
            };
            let mut v = FileVisitor {
                ctx,
                file,
                config,
                suppressions: &suppressions,
                mentions_cancelkit: file.text.contains("cancelkit"),
                scopes: vec![Scope {
                    is_async: false,
                    cancellable: false,
                    allowed: Vec::new(),
                    loop_depth: 0,
                    opted_out: false,
                    instrumented_awaits: false,
                }],
                out: &mut out,
            };
            v.visit_file(&ast);
            drop(ast);
        }
        Err(e) => {
            let r = e.span().byte_range();
            let range = r.start + base..r.end + base;
            out.findings.push(Finding {
                rule: Rule::ParseError,
                level: Level::Warn,
                path: file.path.clone(),
                message: format!("could not parse this file, so it was not checked: {e}"),
                primary: Annotation { span: file.span(range), label: Some(e.to_string()) },
                secondary: Vec::new(),
                notes: vec![
                    "the rest of the crate was still checked; `cargo check` reports the actual error"
                        .into(),
                ],
                help: Vec::new(),
                suggestions: Vec::new(),
            });
        }
    }
    // Spans live in a thread-local source map that would otherwise grow with every file.
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// The offset at which `syn::parse_file` starts parsing (after a BOM and a shebang line).
fn parse_offset(text: &str) -> usize {
    let mut base = 0;
    let mut content = text;
    if let Some(rest) = content.strip_prefix('\u{feff}') {
        base += 3;
        content = rest;
    }
    if let Some(after) = content.strip_prefix("#!")
        && !after.trim_start().starts_with('[')
        && let Some(idx) = content.find('\n')
    {
        base += idx;
    }
    base
}

/// Every definition of each function name: its unchecked paths (as call lists), and whether it
/// is known to observe on every path yet.
type Defs = HashMap<Sym, Vec<(Vec<Vec<Sym>>, bool)>>;

/// Resolves the symbolic parts: computes which crate functions observe on every path (least
/// fixed point, so recursion alone never counts as observing), then keeps the loop findings
/// that have a path none of whose calls observes.
pub(crate) fn resolve(results: Vec<FileResult>) -> Vec<Finding> {
    let mut defs: Defs = HashMap::new();
    let mut findings = Vec::new();
    let mut pending = Vec::new();
    for r in results {
        for (name, paths) in r.summaries {
            defs.entry(name).or_default().push((paths, false));
        }
        findings.extend(r.findings);
        pending.extend(r.pending);
    }
    // Only functions whose every definition observes count (names are not resolved further).
    let observes = |defs: &Defs, name: &str| {
        defs.get(name)
            .is_some_and(|ds| ds.iter().all(|(_, ok)| *ok))
    };
    loop {
        let mut changed = Vec::new();
        for (name, ds) in &defs {
            for (i, (paths, ok)) in ds.iter().enumerate() {
                if !ok
                    && paths
                        .iter()
                        .all(|calls| calls.iter().any(|c| observes(&defs, c)))
                {
                    changed.push((name.clone(), i));
                }
            }
        }
        if changed.is_empty() {
            break;
        }
        for (name, i) in changed {
            if let Some(ds) = defs.get_mut(&name) {
                ds[i].1 = true;
            }
        }
    }
    for p in pending {
        let unresolved = p
            .paths
            .into_iter()
            .find(|(calls, _)| !calls.iter().any(|c| observes(&defs, c)));
        if let Some((_, witness)) = unresolved {
            let mut f = p.finding;
            if let Some(w) = witness {
                f.secondary.insert(0, w);
            }
            findings.push(f);
        }
    }
    findings
}

#[derive(Debug, Clone)]
struct Scope {
    is_async: bool,
    cancellable: bool,
    /// Rules allowed by a comment above the enclosing function.
    allowed: Vec<Rule>,
    loop_depth: u32,
    /// Inside a loop or statement marked `#[uninterruptible]`: `#[cancellable]` leaves the
    /// whole subtree alone, so its loops are checked.
    opted_out: bool,
    /// `#[cancellable]` put a checkpoint at every `.await` (it has no `awaits = false`).
    instrumented_awaits: bool,
}

struct FileVisitor<'a, 'o> {
    ctx: Ctx<'o>,
    file: &'a SourceFile,
    config: &'a Config,
    suppressions: &'a Suppressions,
    mentions_cancelkit: bool,
    scopes: Vec<Scope>,
    out: &'a mut FileResult,
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
}

impl FileVisitor<'_, '_> {
    fn scope(&self) -> &Scope {
        self.scopes.last().expect("the file scope is never popped")
    }

    /// Runs `f` inside `scope`; the stack is popped however `f` returns.
    fn with_scope(&mut self, scope: Scope, f: impl FnOnce(&mut Self)) {
        self.scopes.push(scope);
        f(self);
        self.scopes.pop();
    }

    fn line(&self, span: proc_macro2::Span) -> usize {
        self.file.line_of(self.ctx.range(span).start)
    }

    fn function(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, body: &syn::Block) {
        let options = cancellable_options(attrs);
        let ctx = Ctx {
            instrumented_awaits: options.is_some_and(|o| o.awaits),
            ..self.ctx
        };
        let summary = flow::analyse_fn(ctx, body);
        let paths: Vec<Vec<Sym>> = summary.paths.into_iter().map(|p| p.calls).collect();
        self.out
            .summaries
            .push((sig.ident.to_string().into(), paths));
        // Not `Spanned::span` of the item: that prints the whole function into tokens.
        let first = attrs
            .first()
            .map_or(sig.fn_token.span, |a| a.pound_token.span);
        let first = self.line(first);
        let head = self.line(sig.fn_token.span);
        let allowed = Rule::CONFIGURABLE
            .into_iter()
            .filter(|&r| self.suppressions.allows(self.file, first, head, r))
            .chain(self.scope().allowed.iter().copied())
            .collect();
        let scope = Scope {
            is_async: sig.asyncness.is_some(),
            cancellable: options.is_some_and(|o| o.loops),
            allowed,
            loop_depth: 0,
            opted_out: false,
            instrumented_awaits: options.is_some_and(|o| o.awaits),
        };
        self.with_scope(scope, |v| v.visit_block(body));
    }

    fn nested_scope(&mut self, is_async: bool) -> Scope {
        Scope {
            is_async,
            cancellable: false,
            allowed: self.scope().allowed.clone(),
            loop_depth: 0,
            opted_out: false,
            instrumented_awaits: false,
        }
    }

    /// Runs `f` for a subtree marked `#[uninterruptible]` (when it is marked).
    fn maybe_opted_out(&mut self, marked: bool, f: impl FnOnce(&mut Self)) {
        if !marked {
            return f(self);
        }
        let scope = Scope {
            cancellable: false,
            opted_out: true,
            ..self.scope().clone()
        };
        self.with_scope(scope, f);
    }

    fn enabled(&self, rule: Rule) -> Option<Level> {
        let level = self.config.level(rule);
        (level != Level::Allow && !self.scope().allowed.contains(&rule)).then_some(level)
    }

    fn a_loop(&mut self, lp: LoopRef<'_>, kw: proc_macro2::Span) {
        let scope = self.scope();
        let marked = has_attr(lp.attrs(), "uninterruptible") || scope.opted_out;
        let checked_kind = match lp {
            LoopRef::Loop(_) => true,
            LoopRef::While(w) => {
                self.config.strict
                    || self.config.report_bounded_loops
                    || !uncancellable_loop::is_data_bounded_while(&w.cond, &w.body)
            }
            LoopRef::For(_) => self.config.strict,
        };
        if scope.is_async
            && checked_kind
            && (!scope.cancellable || marked)
            && let Some(level) = self.enabled(Rule::UncancellableLoop)
        {
            let line = self.line(kw);
            let first = lp
                .attrs()
                .first()
                .map_or(line, |a| self.line(a.pound_token.span));
            if !self
                .suppressions
                .allows(self.file, first, line, Rule::UncancellableLoop)
            {
                let ctx = Ctx {
                    instrumented_awaits: self.scope().instrumented_awaits,
                    ..self.ctx
                };
                let outcome = flow::analyse_loop(ctx, lp);
                if outcome.back_edge.is_unchecked() {
                    let mut pending = uncancellable_loop::finding(
                        self.ctx,
                        self.file,
                        lp,
                        &outcome,
                        self.config.strict,
                        marked,
                    );
                    pending.finding.level = level;
                    self.out.pending.push(pending);
                }
            }
        }
    }

    fn in_loop<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        if let Some(s) = self.scopes.last_mut() {
            s.loop_depth += 1;
        }
        let r = f(self);
        if let Some(s) = self.scopes.last_mut() {
            s.loop_depth -= 1;
        }
        r
    }

    fn swallowed(&mut self, f: Option<Finding>) {
        if let Some(mut f) = f
            && let Some(level) = self.enabled(Rule::SwallowedCancellation)
        {
            let line = self.file.line_of(f.primary.span.byte_start);
            if !self
                .suppressions
                .allows(self.file, line, line, Rule::SwallowedCancellation)
            {
                f.level = level;
                self.out.findings.push(f);
            }
        }
    }

    fn swallow_cx(&self) -> Option<swallowed_cancellation::Cx<'_>> {
        (self.scope().loop_depth > 0).then_some(swallowed_cancellation::Cx {
            ctx: self.ctx,
            file: self.file,
            mentions_cancelkit: self.mentions_cancelkit,
        })
    }
}

impl<'ast> Visit<'ast> for FileVisitor<'_, '_> {
    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        self.function(&i.attrs, &i.sig, &i.block);
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        self.function(&i.attrs, &i.sig, &i.block);
    }

    fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
        if let Some(body) = &i.default {
            self.function(&i.attrs, &i.sig, body);
        }
    }

    fn visit_expr_closure(&mut self, i: &'ast syn::ExprClosure) {
        let scope = self.nested_scope(i.asyncness.is_some());
        self.with_scope(scope, |v| visit::visit_expr_closure(v, i));
    }

    fn visit_expr_async(&mut self, i: &'ast syn::ExprAsync) {
        let scope = self.nested_scope(true);
        self.with_scope(scope, |v| visit::visit_expr_async(v, i));
    }

    /// Item macros such as tokio's `cfg_rt! { ... }` wrap ordinary items: when the tokens
    /// parse as items, they are checked like any other (best-effort; spans stay valid because
    /// the tokens keep their original spans).
    fn visit_item_macro(&mut self, i: &'ast syn::ItemMacro) {
        let braced = matches!(i.mac.delimiter, syn::MacroDelimiter::Brace(_));
        // Parsing again costs time: only when the tokens mention something that matters here.
        if braced
            && i.ident.is_none()
            && !i.mac.path.is_ident("macro_rules")
            && mentions(
                &i.mac.tokens,
                &["async", "cancelkit", "checkpoint", "is_cancelled"],
            )
            && let Ok(file) = syn::parse2::<syn::File>(i.mac.tokens.clone())
        {
            self.visit_file(&file);
        }
    }

    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        let scope = self.nested_scope(false);
        self.with_scope(scope, |v| visit::visit_item_const(v, i));
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        let scope = self.nested_scope(false);
        self.with_scope(scope, |v| visit::visit_item_static(v, i));
    }

    fn visit_expr_loop(&mut self, i: &'ast syn::ExprLoop) {
        self.a_loop(LoopRef::Loop(i), i.loop_token.span);
        let marked = has_attr(&i.attrs, "uninterruptible");
        self.maybe_opted_out(marked, |v| v.in_loop(|v| visit::visit_expr_loop(v, i)));
    }

    fn visit_expr_while(&mut self, i: &'ast syn::ExprWhile) {
        self.a_loop(LoopRef::While(i), i.while_token.span);
        let marked = has_attr(&i.attrs, "uninterruptible");
        self.maybe_opted_out(marked, |v| v.in_loop(|v| visit::visit_expr_while(v, i)));
    }

    fn visit_expr_for_loop(&mut self, i: &'ast syn::ExprForLoop) {
        self.a_loop(LoopRef::For(i), i.for_token.span);
        let marked = has_attr(&i.attrs, "uninterruptible");
        self.maybe_opted_out(marked, |v| v.in_loop(|v| visit::visit_expr_for_loop(v, i)));
    }

    fn visit_stmt(&mut self, i: &'ast syn::Stmt) {
        let f = self
            .swallow_cx()
            .and_then(|cx| swallowed_cancellation::check_stmt(&cx, i));
        self.swallowed(f);
        self.maybe_opted_out(stmt_marked(i), |v| visit::visit_stmt(v, i));
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        let f = self
            .swallow_cx()
            .and_then(|cx| swallowed_cancellation::check_if(&cx, i));
        self.swallowed(f);
        visit::visit_expr_if(self, i);
    }

    fn visit_expr_match(&mut self, i: &'ast syn::ExprMatch) {
        let f = self
            .swallow_cx()
            .and_then(|cx| swallowed_cancellation::check_match(&cx, i));
        self.swallowed(f);
        visit::visit_expr_match(self, i);
    }
}

/// What `#[cancellable(...)]` instruments.
#[derive(Debug, Clone, Copy)]
struct CancellableOptions {
    loops: bool,
    awaits: bool,
}

/// The `#[cancellable]` attribute's options, if there is one: `loops = false` and
/// `awaits = false` turn the checkpoints off.
fn cancellable_options(attrs: &[syn::Attribute]) -> Option<CancellableOptions> {
    let attr = attrs.iter().find(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "cancellable")
    })?;
    let mut options = CancellableOptions {
        loops: true,
        awaits: true,
    };
    if let syn::Meta::List(list) = &attr.meta {
        let tokens: Vec<proc_macro2::TokenTree> = list.tokens.clone().into_iter().collect();
        for w in tokens.windows(3) {
            if let [
                proc_macro2::TokenTree::Ident(name),
                proc_macro2::TokenTree::Punct(eq),
                proc_macro2::TokenTree::Ident(value),
            ] = w
                && eq.as_char() == '='
                && value == "false"
            {
                if name == "loops" {
                    options.loops = false;
                } else if name == "awaits" {
                    options.awaits = false;
                }
            }
        }
    }
    Some(options)
}

/// Whether a statement carries `#[uninterruptible]` (on the statement or its expression).
fn stmt_marked(stmt: &syn::Stmt) -> bool {
    use syn::{Expr, Stmt};
    let attrs: &[syn::Attribute] = match stmt {
        Stmt::Local(l) => &l.attrs,
        Stmt::Macro(m) => &m.attrs,
        Stmt::Item(_) => &[],
        Stmt::Expr(e, _) => match e {
            Expr::If(x) => &x.attrs,
            Expr::Match(x) => &x.attrs,
            Expr::Block(x) => &x.attrs,
            Expr::Unsafe(x) => &x.attrs,
            Expr::Call(x) => &x.attrs,
            Expr::MethodCall(x) => &x.attrs,
            Expr::Await(x) => &x.attrs,
            Expr::Macro(x) => &x.attrs,
            Expr::Assign(x) => &x.attrs,
            Expr::Try(x) => &x.attrs,
            _ => &[],
        },
    };
    has_attr(attrs, "uninterruptible")
}

/// Whether any identifier in `tokens` is one of `names`.
fn mentions(tokens: &proc_macro2::TokenStream, names: &[&str]) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => names.iter().any(|n| i == n),
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), names),
        _ => false,
    })
}

#[cfg(test)]
mod tests;
