//! The per-file driver: parses a file once, walks its items keeping track of what each rule
//! needs to know there (async or not, `#[cancellable]` options, allow comments, loop depth),
//! hands every [`Node`] to every enabled rule, and collects what the file contributes to
//! cross-file resolution (function summaries, `macro_rules!` that await).

use syn::visit::{self, Visit};

use crate::analysis::blocking;
use crate::analysis::channels;
use crate::analysis::flow::{self, Ctx, LoopRef};
use crate::analysis::has_attr;
use crate::analysis::imports::Imports;
use crate::analysis::macros;
use crate::analysis::names;
use crate::analysis::observers::{FileNames, Observers};
use crate::analysis::outcomes;
use crate::analysis::streams;
use crate::analysis::summaries::{Definition, Symbols};
use crate::analysis::suppress::Suppressions;
use crate::analysis::token_vars::{self, TokenVar};
use crate::analysis::tokens;
use crate::config::{Config, Level};
use crate::finding::Finding;
use crate::rules::{self, Cx, Emit, Node, Rule, Scope};
use crate::source::SourceFile;

/// Everything one file contributes.
#[derive(Debug, Default)]
pub(crate) struct FileResult {
    pub(crate) findings: Vec<Finding>,
    pub(crate) symbols: Symbols,
}

/// Parses and checks one file.
pub(crate) fn check_file(file: &SourceFile, config: &Config, observers: &Observers) -> FileResult {
    let mut out = FileResult::default();
    let suppressions = Suppressions::scan(file);
    for (range, name) in &suppressions.unknown {
        out.findings.push(
            Finding::new(
                Rule::UnknownRule,
                &file.path,
                crate::config::unknown_rule_message(name),
                file.span(range.clone()),
            )
            .label("not a cancelkit rule"),
        );
    }
    let base = parse_offset(&file.text);
    // The parser and the walk recurse once per level: a file nested deeper than any real code
    // would overflow the stack and abort the whole run.
    if let Some(at) = nested_deeper_than(&file.text, MAX_NESTING) {
        out.findings.push(
            Finding::new(
                Rule::ParseError,
                &file.path,
                format!(
                    "this file nests brackets more than {MAX_NESTING} levels deep, so it was not checked"
                ),
                file.span(at..at + 1),
            )
            .label(format!("level {}", MAX_NESTING + 1))
            .note("the rest of the crate was still checked"),
        );
        return out;
    }
    match syn::parse_file(&file.text) {
        Ok(ast) => {
            let imports = Imports::of(&ast);
            let streams = streams::Streams::new(&ast);
            let calls_poll = file.text.contains("poll(");
            let polls = if calls_poll {
                crate::analysis::observers::polling_fns(&ast)
            } else {
                Default::default()
            };
            let zero_consts = if calls_poll || file.text.contains("_timeout(") {
                crate::analysis::observers::zero_duration_consts(&ast)
            } else {
                Vec::new()
            };
            let nonblocking = if file.text.contains("set_nonblocking(true)") {
                crate::analysis::observers::nonblocking_fns(&ast)
            } else {
                Default::default()
            };
            let ctx = Ctx {
                observers,
                names: FileNames {
                    imports: &imports,
                    mentions_cancelkit: file.text.contains("cancelkit"),
                    streams: &streams,
                    polls: &polls,
                    zero_consts: &zero_consts,
                    nonblocking: &nonblocking,
                },
                strict: config.strict,
                instrumented_awaits: false,
                facts: false,
                base,
                consults: None,
            };
            let test_path = channels::is_test_path(&file.path);
            let mut v = FileVisitor {
                ctx,
                file,
                config,
                suppressions: &suppressions,
                scopes: vec![Scope::default()],
                impl_options: None,
                in_test: false,
                counts_channels: !test_path,
                channel_macros: !test_path && channels::calls_bounded_by_name(&file.text),
                struct_tokens: if file.text.contains("Token") || !config.token_types.is_empty() {
                    token_vars::struct_fields(
                        &ast,
                        token_vars::Types {
                            extra: &config.token_types,
                            imports: &imports,
                        },
                    )
                } else {
                    Default::default()
                },
                self_tokens: Vec::new(),
                quiet_self_methods: Vec::new(),
                future_position: false,
                spawning: false,
                racing: false,
                raced_locals: Vec::new(),
                macro_rules: Vec::new(),
                facts: rules::FileFacts::of(&ast, &imports, &file.text, config),
                levels: [
                    rules::CHECKS.map(|(rule, ..)| config.level_in(rule, false)),
                    rules::CHECKS.map(|(rule, ..)| config.level_in(rule, true)),
                    rules::CHECKS.map(|(rule, ..)| config.level_in_timer_loops(rule)),
                ],
                wanted: rules::CHECKS
                    .iter()
                    .filter(|(rule, ..)| {
                        config.level_in(*rule, true) != Level::Allow
                            || config.level_in(*rule, false) != Level::Allow
                            || config.level_in_timer_loops(*rule) != Level::Allow
                    })
                    .fold(0, |m, (.., kinds)| m | kinds),
                out: &mut out,
            };
            v.visit_file(&ast);
            v.finish();
        }
        Err(e) => {
            let r = e.span().byte_range();
            out.findings.push(
                Finding::new(
                    Rule::ParseError,
                    &file.path,
                    format!("could not parse this file, so it was not checked: {e}"),
                    file.span(r.start + base..r.end + base),
                )
                .label(e.to_string())
                .note("the rest of the crate was still checked; `cargo check` reports the actual error"),
            );
        }
    }
    // Spans live in a thread-local source map that would otherwise grow with every file.
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// How deep brackets may nest in a checked file. The deepest of the 2,121 crates of the study
/// (about 40 million lines) nests 34 levels. The parser and the walk recurse once per level:
/// 256 levels of any kind of nesting fit in the command line's 16 MB stacks, in a debug build
/// too (`tests/robustness.rs`), and a file nested deeper would overflow them and abort the
/// run.
const MAX_NESTING: usize = 256;

/// Where the text first opens a bracket (`(`, `[`, `{`) deeper than `limit` levels, outside
/// comments, strings and character literals (a rough lexer: it only has to be right about
/// real code, which never comes near the limit).
fn nested_deeper_than(text: &str, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let ident = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    // The end of a string whose opening quote is at `i`: a plain one ends at a quote that no
    // backslash escapes; a raw one (`raw`) at a quote followed by `hashes` `#`s.
    let string_end = |mut i: usize, raw: bool, hashes: usize| {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' if !raw => i += 1,
                b'"' if b[i + 1..]
                    .iter()
                    .take(hashes)
                    .take_while(|&&c| c == b'#')
                    .count()
                    == hashes =>
                {
                    return i + hashes;
                }
                _ => {}
            }
            i += 1;
        }
        i
    };
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut open = 1;
                i += 2;
                while i < b.len() && open > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        open += 1;
                        i += 1;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        open -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            // `r"..."`, `r#"..."#`, `br##"..."##`: no escapes, and a quote ends one only with
            // as many `#`s as opened it.
            b'r' if !ident(i) || (i >= 1 && matches!(b[i - 1], b'b' | b'c') && !ident(i - 1)) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    i = string_end(i + 1 + hashes, true, hashes);
                }
            }
            b'"' => i = string_end(i, false, 0),
            // `'\''`, `'\u{28}'`: past the escaped character, to the closing quote.
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 3;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            // `'('`, `'"'`, `'é'`; a lifetime (`'a`, `'static`) has no closing quote after
            // its first character.
            b'\'' => {
                let width = text
                    .get(i + 1..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                if b.get(i + 1 + width) == Some(&b'\'') {
                    i += 1 + width;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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

struct FileVisitor<'a, 'o> {
    ctx: Ctx<'o>,
    file: &'a SourceFile,
    config: &'a Config,
    suppressions: &'a Suppressions,
    scopes: Vec<Scope>,
    /// Inside a `#[cancellable] impl` block: its options, which its methods inherit.
    impl_options: Option<CancellableOptions>,
    /// The token fields of the file's structs, by struct name.
    struct_tokens: std::collections::HashMap<String, Vec<TokenVar>>,
    /// Inside an `impl` of such a struct: its token fields (`self.token`).
    self_tokens: Vec<TokenVar>,
    /// ... and the methods of that `impl` that never name one.
    quiet_self_methods: Vec<String>,
    /// The expression about to be visited is in a future's position (see `visit_expr`).
    future_position: bool,
    /// The expression about to be visited is handed to a `spawn` (a task of its own).
    spawning: bool,
    /// ... or to something that bounds it from outside (`timeout`, `run_until_cancelled`).
    racing: bool,
    /// Locals that a `select!` of an enclosing block races against a token (see
    /// [`tokens::raced_against_a_token`]): an async block stored in one is raced from outside.
    raced_locals: Vec<String>,
    /// The file's `macro_rules!`: name, whether its body observes by itself, and the macros it
    /// invokes.
    macro_rules: Vec<(String, bool, Vec<String>)>,
    /// Inside a `#[cfg(test)]` module or a test function.
    in_test: bool,
    /// The file's channel constructors count for its crate: it is not a test, example or
    /// benchmark file (see [`channels`]).
    counts_channels: bool,
    /// Its text calls a constructor by a name that can make a bounded channel (`channel(`), so
    /// macros' tokens are worth scanning for one.
    channel_macros: bool,
    /// What the rules computed over the whole file.
    facts: rules::FileFacts,
    /// Each rule's level outside loops (`[0]`), inside them (`[1]`) and for a loop paced by
    /// a timer (`[2]`), in `rules::CHECKS` order.
    levels: [[Level; rules::CHECKS.len()]; 3],
    /// The node kinds some enabled rule looks at.
    wanted: u8,
    out: &'a mut FileResult,
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

    fn token_types(&self) -> token_vars::Types<'_> {
        token_vars::Types {
            extra: &self.config.token_types,
            imports: self.ctx.names.imports,
        }
    }

    /// The arguments of a call to `callee`: futures' positions, handed to a `spawn` or raced
    /// from outside when the callee says so.
    fn visit_args(
        &mut self,
        args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
        callee: &syn::Ident,
    ) {
        let (spawn, raced) = (is_spawn(callee), is_race(callee));
        for a in args {
            self.future_position = true;
            self.spawning = spawn;
            self.racing = raced;
            self.visit_expr(a);
        }
        self.spawning = false;
        self.racing = false;
    }

    fn line(&self, span: proc_macro2::Span) -> usize {
        self.file.line_of(self.ctx.range(span).start)
    }

    fn function(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        body: &syn::Block,
        kind: FnKind,
    ) {
        let options = match cancellable_options(attrs) {
            Some(own) => Some(own),
            // `#[cancellable] impl`: every method, except marked and `const` ones.
            None if kind == FnKind::Method
                && !has_attr(attrs, "uninterruptible")
                && sig.constness.is_none() =>
            {
                self.impl_options
            }
            None => None,
        };
        let ctx = Ctx {
            instrumented_awaits: options.is_some_and(|o| o.awaits),
            ..self.ctx
        };
        let summary = flow::analyse_fn(ctx, body);
        // Only the calls matter here: a path whose calls include another's adds nothing (what
        // excuses the other excuses it), and paths that differed only in what they knew are one.
        let mut paths: Vec<Vec<flow::Sym>> = Vec::new();
        for p in summary.paths {
            if !paths.iter().any(|q| q.iter().all(|c| p.calls.contains(c))) {
                paths.retain(|q| !p.calls.iter().all(|c| q.contains(c)));
                paths.push(p.calls);
            }
        }
        // An `async fn` runs only where its future is awaited (see `Flow::call_named`).
        let name = match sig.asyncness {
            Some(_) => format!("{}.await", sig.ident),
            None => sig.ident.to_string(),
        };
        // A sync free function may block every caller (see `analysis::blocking`); test code
        // is not among the functions a call of the library resolves to.
        let blocks =
            (kind == FnKind::Free && sig.asyncness.is_none() && !self.in_test && !is_test(attrs))
                .then(|| blocking::summarise(ctx, body))
                .flatten();
        self.out.symbols.definitions.push(Definition {
            name: name.into(),
            paths,
            blocks,
        });
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
        // A function's tokens are its own: an item inside another function captures nothing.
        let mut tokens = token_vars::params(sig, self.token_types());
        // A struct's token may stop any one of its tasks: a method that never names it gives
        // no sign that it is among them.
        if sig.receiver().is_some() {
            let unnamed = self.quiet_self_methods.contains(&sig.ident.to_string());
            tokens.extend(self.self_tokens.iter().map(|t| TokenVar {
                unnamed,
                ..t.clone()
            }));
        }
        let scope = Scope {
            is_async: sig.asyncness.is_some(),
            cancellable: options.is_some_and(|o| o.loops),
            instrumented_awaits: options.is_some_and(|o| o.awaits),
            interrupting: options.is_some_and(|o| o.awaits && o.interrupt),
            allowed,
            tokens,
            quiet_self_methods: if sig.receiver().is_some() {
                self.quiet_self_methods.clone()
            } else {
                Vec::new()
            },
            ..Scope::default()
        };
        let outer = self.in_test;
        self.in_test |= is_test(attrs);
        self.with_scope(scope, |v| v.visit_block(body));
        self.in_test = outer;
    }

    /// The scope of a closure or an async block (`body`). An outer token it does not name is
    /// not captured: it cannot consult it, and whoever polls or spawns it decides when it
    /// stops (see [`TokenVar::unnamed`]). `spawned`: it is handed to a `spawn` and runs as a
    /// task of its own, so a token the function made (to cancel others) and the task captures
    /// is what stops the task; one it does not capture is not its concern at all.
    fn nested_scope(&self, is_async: bool, spawned: bool, body: &dyn quote::ToTokens) -> Scope {
        let outer = &self.scope().tokens;
        let tokens = if outer.is_empty() {
            Vec::new()
        } else {
            let body = body.to_token_stream();
            outer
                .iter()
                .filter_map(|t| {
                    // A field is reached through `self` or a clone named like it; a local
                    // only by its own name (`cancel_c.cancel()` does not capture `cancel`).
                    let captured = if t.name.starts_with("self.") {
                        crate::analysis::roots::mentioned(&body, &[t.ident().to_string()])
                    } else {
                        crate::analysis::roots::names_variable(&body, &t.name)
                    };
                    (captured || !(spawned && t.own)).then(|| TokenVar {
                        own: t.own && !spawned,
                        unnamed: t.unnamed || !captured,
                        ..t.clone()
                    })
                })
                .collect()
        };
        Scope {
            is_async,
            allowed: self.scope().allowed.clone(),
            tokens,
            carriers: self.scope().carriers.clone(),
            quiet_self_methods: self.scope().quiet_self_methods.clone(),
            ..Scope::default()
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

    /// Whether the channels made here count for the crate: a test's stand in for nothing the
    /// library sends on.
    fn counts_channels(&self) -> bool {
        self.counts_channels && !self.in_test
    }

    /// Notes the channel constructors in a macro's tokens (see [`channels`]).
    fn channels_in(&mut self, tokens: &proc_macro2::TokenStream) {
        if self.channel_macros && self.counts_channels() {
            self.out.symbols.channels.note_tokens(tokens);
        }
    }

    /// Hands `node` to every enabled rule. `lines`: the node's first and head lines for allow
    /// comments, when cheap to know (loops); otherwise the finding's own line is used.
    fn rules(&mut self, node: Node<'_>, lines: Option<(usize, usize)>) {
        let kind = node.kind();
        if self.wanted & kind == 0 {
            return;
        }
        let in_loop = self.scope().loop_depth > 0;
        for (i, (rule, check, kinds)) in rules::CHECKS.into_iter().enumerate() {
            if kinds & kind == 0 {
                continue;
            }
            let level = self.levels[usize::from(in_loop)][i];
            let timer_level = self.levels[2][i];
            let may_report = level != Level::Allow
                || (kind == rules::kinds::LOOP && timer_level != Level::Allow);
            if !may_report || self.scope().allowed.contains(&rule) {
                continue;
            }
            if let Some((first, head)) = lines
                && self.suppressions.allows(self.file, first, head, rule)
            {
                continue;
            }
            let cx = Cx {
                ctx: self.ctx,
                file: self.file,
                config: self.config,
                scope: self.scope(),
                facts: &self.facts,
                level,
            };
            let Some(mut emit) = check(&cx, node) else {
                continue;
            };
            let finding = emit.finding_mut();
            if lines.is_none() {
                let line = self.file.line_of(finding.primary.span.byte_start);
                if self.suppressions.allows(self.file, line, line, rule) {
                    continue;
                }
            }
            let level = match emit {
                Emit::InTimerLoop(_) => timer_level,
                _ => level,
            };
            if level == Level::Allow {
                continue;
            }
            emit.finding_mut().level = level;
            match emit {
                Emit::Finding(f) | Emit::InTimerLoop(f) => self.out.findings.push(f),
                Emit::Pending(p) => self.out.symbols.pending.push(p),
            }
        }
    }

    fn a_loop(
        &mut self,
        lp: LoopRef<'_>,
        kw: proc_macro2::Span,
        visit_body: impl FnOnce(&mut Self),
    ) {
        let line = self.line(kw);
        let first = lp
            .attrs()
            .first()
            .map_or(line, |a| self.line(a.pound_token.span));
        self.rules(Node::Loop(lp), Some((first, line)));
        let marked = has_attr(lp.attrs(), "uninterruptible");
        self.maybe_opted_out(marked, |v| {
            if let Some(s) = v.scopes.last_mut() {
                s.loop_depth += 1;
            }
            visit_body(v);
            if let Some(s) = v.scopes.last_mut() {
                s.loop_depth -= 1;
            }
        });
    }

    /// A `macro_rules!` definition: it observes when its body awaits or checks, or (once the
    /// whole file is walked, see [`Self::finish`]) invokes a macro of the file that does.
    fn macro_rules(&mut self, name: &syn::Ident, tokens: &proc_macro2::TokenStream) {
        let scan = tokens::scan_tokens(self.ctx.observers, tokens.clone());
        // A macro that always leaves ends the path it is on: no path goes on past it.
        let observes = scan.check
            || (scan.await_ && (!self.config.strict || scan.aware))
            || macros::rules_always_leave(tokens);
        let nested = if observes {
            Vec::new()
        } else {
            macros::invoked(tokens)
        };
        self.macro_rules.push((name.to_string(), observes, nested));
    }

    /// The file's `macro_rules!` summaries, each named `name!` (then invocations elsewhere in
    /// the crate observe when it does). A macro that invokes another of the same file that
    /// observes observes too (framez's `next!` loops on `$crate::maybe_next!`, which awaits);
    /// one defined elsewhere is not followed from a macro's body.
    fn finish(&mut self) {
        let mut observes: Vec<bool> = self.macro_rules.iter().map(|m| m.1).collect();
        loop {
            let changed: Vec<usize> = (0..observes.len())
                .filter(|&i| {
                    !observes[i]
                        && self.macro_rules[i].2.iter().any(|n| {
                            self.macro_rules
                                .iter()
                                .zip(&observes)
                                .any(|(m, &o)| o && &m.0 == n)
                        })
                })
                .collect();
            if changed.is_empty() {
                break;
            }
            changed.into_iter().for_each(|i| observes[i] = true);
        }
        for ((name, ..), observes) in std::mem::take(&mut self.macro_rules)
            .into_iter()
            .zip(observes)
        {
            self.out.symbols.definitions.push(Definition {
                name: format!("{name}!").into(),
                paths: if observes {
                    Vec::new()
                } else {
                    vec![Vec::new()]
                },
                blocks: None,
            });
        }
    }
}

impl<'ast> Visit<'ast> for FileVisitor<'_, '_> {
    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        let outer = self.in_test;
        self.in_test |= is_test(&i.attrs);
        visit::visit_item_mod(self, i);
        self.in_test = outer;
    }

    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        self.function(&i.attrs, &i.sig, &i.block, FnKind::Free);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let outer = self.impl_options.take();
        self.impl_options = cancellable_options(&i.attrs);
        let self_ty = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let fields = self_ty
            .and_then(|t| self.struct_tokens.get(&t).cloned())
            .unwrap_or_default();
        let quiet = if fields.is_empty() {
            Vec::new()
        } else {
            token_vars::methods_not_consulting(i, &fields)
        };
        let outer_tokens = std::mem::replace(&mut self.self_tokens, fields);
        let outer_quiet = std::mem::replace(&mut self.quiet_self_methods, quiet);
        visit::visit_item_impl(self, i);
        self.self_tokens = outer_tokens;
        self.quiet_self_methods = outer_quiet;
        self.impl_options = outer;
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        self.function(&i.attrs, &i.sig, &i.block, FnKind::Method);
    }

    fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
        if let Some(body) = &i.default {
            self.function(&i.attrs, &i.sig, body, FnKind::TraitDefault);
        }
    }

    fn visit_expr_closure(&mut self, i: &'ast syn::ExprClosure) {
        let spawned = std::mem::take(&mut self.spawning);
        let raced = std::mem::take(&mut self.racing);
        let mut scope = self.nested_scope(i.asyncness.is_some(), spawned, &i.body);
        scope.raced = raced;
        self.with_scope(scope, |v| visit::visit_expr_closure(v, i));
    }

    fn visit_expr_async(&mut self, i: &'ast syn::ExprAsync) {
        let spawned = std::mem::take(&mut self.spawning);
        let raced = std::mem::take(&mut self.racing);
        let mut scope = self.nested_scope(true, spawned, &i.block);
        scope.raced = raced;
        self.with_scope(scope, |v| visit::visit_expr_async(v, i));
    }

    /// Item macros such as tokio's `cfg_rt! { ... }` wrap ordinary items: when the tokens
    /// parse as items, they are checked like any other (best-effort; spans stay valid because
    /// the tokens keep their original spans). `macro_rules!` definitions are summarised.
    fn visit_item_macro(&mut self, i: &'ast syn::ItemMacro) {
        if i.mac.path.is_ident("macro_rules") {
            if let Some(name) = &i.ident {
                self.macro_rules(name, &i.mac.tokens);
            }
            return;
        }
        self.channels_in(&i.mac.tokens);
        let braced = matches!(i.mac.delimiter, syn::MacroDelimiter::Brace(_));
        // Parsing again costs time: only when the tokens mention something that matters here.
        if braced
            && i.ident.is_none()
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
        let scope = self.nested_scope(false, false, &i.expr);
        self.with_scope(scope, |v| visit::visit_item_const(v, i));
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        let scope = self.nested_scope(false, false, &i.expr);
        self.with_scope(scope, |v| visit::visit_item_static(v, i));
    }

    fn visit_expr_loop(&mut self, i: &'ast syn::ExprLoop) {
        self.a_loop(LoopRef::Loop(i), i.loop_token.span, |v| {
            visit::visit_expr_loop(v, i)
        });
    }

    fn visit_expr_while(&mut self, i: &'ast syn::ExprWhile) {
        self.a_loop(LoopRef::While(i), i.while_token.span, |v| {
            visit::visit_expr_while(v, i)
        });
    }

    fn visit_expr_for_loop(&mut self, i: &'ast syn::ExprForLoop) {
        self.a_loop(LoopRef::For(i), i.for_token.span, |v| {
            visit::visit_expr_for_loop(v, i)
        });
    }

    fn visit_stmt(&mut self, i: &'ast syn::Stmt) {
        self.rules(Node::Stmt(i), None);
        // `let recv = rx.recv();` keeps what the call returns for later: a future to race or
        // await (a blocking `recv()`'s result is matched or unwrapped on the spot).
        if let syn::Stmt::Local(l) = i
            && matches!(l.pat, syn::Pat::Ident(_))
            && let Some(init) = &l.init
            && init.diverge.is_none()
            && matches!(&*init.expr, syn::Expr::MethodCall(m) if !unwraps(&m.method))
        {
            self.maybe_opted_out(stmt_marked(i), |v| {
                v.visit_pat(&l.pat);
                v.future_position = true;
                v.visit_expr(&init.expr);
            });
        } else {
            // `let writer = async move { .. };` raced against a token further down.
            if let syn::Stmt::Local(l) = i
                && let syn::Pat::Ident(p) = &l.pat
                && let Some(init) = &l.init
                && matches!(&*init.expr, syn::Expr::Async(_))
                && self.raced_locals.iter().any(|r| p.ident == r)
            {
                self.racing = true;
            }
            self.maybe_opted_out(stmt_marked(i), |v| visit::visit_stmt(v, i));
            self.racing = false;
        }
        // A token declared here is in scope for what follows, and so is a carrier of one.
        if let syn::Stmt::Local(l) = i {
            if let Some(t) = token_vars::local(l, &self.scope().tokens, self.token_types()) {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.tokens.push(t);
                }
            } else if !self.scope().tokens.is_empty()
                && let Some(c) = token_vars::carrier(l, &self.scope().tokens)
                && let Some(scope) = self.scopes.last_mut()
            {
                scope.carriers.push(c);
            }
        }
        // `token.cancel();` and `rx.close();` hold for the rest of the block.
        if let Some((method, root)) = closes(i)
            && let Some(scope) = self.scopes.last_mut()
        {
            if method == "cancel" {
                scope.fired.push(root);
            } else {
                scope.closed.push(root);
            }
        }
    }

    fn visit_block(&mut self, i: &'ast syn::Block) {
        self.rules(Node::Block(i), None);
        let (fired, closed) = (self.scope().fired.len(), self.scope().closed.len());
        let raced = self.raced_locals.len();
        for stmt in &i.stmts {
            let mac = match stmt {
                syn::Stmt::Macro(m) => &m.mac,
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => &m.mac,
                syn::Stmt::Local(syn::Local {
                    init: Some(init), ..
                }) if let syn::Expr::Macro(m) = &*init.expr => &m.mac,
                _ => continue,
            };
            self.raced_locals.extend(tokens::raced_against_a_token(mac));
        }
        // Each statement sees the tokens that the block's later statements cancel.
        let cancels: Vec<(usize, String)> = i
            .stmts
            .iter()
            .enumerate()
            .filter_map(|(n, s)| match closes(s) {
                Some(("cancel", root)) => Some((n, root)),
                _ => None,
            })
            .collect();
        let cancelled_after = self.scope().cancelled_after.len();
        for (n, stmt) in i.stmts.iter().enumerate() {
            if !cancels.is_empty()
                && let Some(scope) = self.scopes.last_mut()
            {
                scope.cancelled_after.truncate(cancelled_after);
                let later = cancels.iter().filter(|(at, _)| *at > n);
                scope
                    .cancelled_after
                    .extend(later.map(|(_, root)| root.clone()));
            }
            self.visit_stmt(stmt);
        }
        self.raced_locals.truncate(raced);
        if let Some(scope) = self.scopes.last_mut() {
            scope.fired.truncate(fired);
            scope.closed.truncate(closed);
            scope.cancelled_after.truncate(cancelled_after);
        }
    }

    /// Calls, method calls and awaits are walked here, to know which method calls are in a
    /// future's position (awaited, passed as an argument, or under a future adapter such as
    /// `.timeout(..)`): there `recv()` makes a future rather than blocking.
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        let as_future = std::mem::take(&mut self.future_position);
        let (spawning, racing) = (
            std::mem::take(&mut self.spawning),
            std::mem::take(&mut self.racing),
        );
        match e {
            // `spawn(async move { .. })`, `run_until_cancelled_owned({ let x = ..; async move
            // { .. } })`: what is handed over is the closure, the async block, or a block's tail.
            syn::Expr::Async(_) | syn::Expr::Closure(_) => {
                self.spawning = spawning;
                self.racing = racing;
                visit::visit_expr(self, e);
            }
            syn::Expr::Block(b) if spawning || racing => {
                self.rules(Node::Block(&b.block), None);
                let n = b.block.stmts.len();
                for (k, stmt) in b.block.stmts.iter().enumerate() {
                    if k + 1 == n
                        && let syn::Stmt::Expr(tail, None) = stmt
                    {
                        self.spawning = spawning;
                        self.racing = racing;
                        self.visit_expr(tail);
                    } else {
                        self.visit_stmt(stmt);
                    }
                }
            }
            syn::Expr::Call(c) => {
                if self.counts_channels() {
                    self.out.symbols.channels.note(c, self.ctx.names.imports);
                }
                self.rules(Node::Call(c), None);
                self.visit_expr(&c.func);
                match &*c.func {
                    syn::Expr::Path(p) if let Some(last) = p.path.segments.last() => {
                        self.visit_args(&c.args, &last.ident);
                    }
                    _ => c.args.iter().for_each(|a| {
                        self.future_position = true;
                        self.visit_expr(a);
                    }),
                }
            }
            syn::Expr::MethodCall(m) => {
                self.rules(Node::MethodCall(m, as_future), None);
                // `x.accept().cancel_on_shutdown(s).await`: a chain that ends awaited is
                // futures all the way down.
                if let Some(futures) = outcomes::futures_combined(m) {
                    for el in futures {
                        self.future_position = true;
                        self.visit_expr(el);
                    }
                } else {
                    // `handle(rx.recv().unwrap()).await`: what is unwrapped is a result, not a
                    // future, whatever position the unwrapped value is in.
                    self.future_position = !takes_a_result(&m.method)
                        && (as_future || outcomes::is_future_adapter(&m.method));
                    self.visit_expr(&m.receiver);
                }
                self.visit_args(&m.args, &m.method);
            }
            syn::Expr::Await(a) => {
                self.rules(Node::Await(a), None);
                self.future_position = true;
                self.visit_expr(&a.base);
            }
            _ => visit::visit_expr(self, e),
        }
        self.future_position = false;
    }

    fn visit_macro(&mut self, i: &'ast syn::Macro) {
        self.rules(Node::Macro(i), None);
        self.channels_in(&i.tokens);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.rules(Node::If(i), None);
        visit::visit_expr_if(self, i);
    }

    fn visit_expr_match(&mut self, i: &'ast syn::ExprMatch) {
        self.rules(Node::Match(i), None);
        visit::visit_expr_match(self, i);
    }
}

/// What `#[cancellable(...)]` instruments.
#[derive(Debug, Clone, Copy)]
struct CancellableOptions {
    loops: bool,
    awaits: bool,
    interrupt: bool,
}

/// Where a function is defined.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FnKind {
    /// A `fn` item of a module.
    Free,
    /// A method of an `impl` block (it inherits a `#[cancellable] impl`'s options).
    Method,
    /// A trait's default method.
    TraitDefault,
}

/// `#[test]`, `#[tokio::test]` and the like, or `#[cfg(test)]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        names::path_ends_in(a.path(), &["test"])
            || (a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test"))
    })
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
        interrupt: true,
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
                } else if name == "interrupt" {
                    options.interrupt = false;
                }
            }
        }
    }
    Some(options)
}

/// Whether a statement carries `#[uninterruptible]` (on the statement or its expression).
fn stmt_marked(stmt: &syn::Stmt) -> bool {
    has_attr(crate::analysis::stmt_attrs(stmt), "uninterruptible")
}

/// `unwrap()`, `expect(..)`, `ok()`...: what they are called on is a result, used on the spot.
const UNWRAPS: &[&str] = &[
    "unwrap",
    "expect",
    "ok",
    "err",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "map_err",
    "is_ok",
    "is_err",
    "context",
    "with_context",
];

/// `timeout`, `run_until_cancelled`...: the argument is bounded, or raced against a token,
/// from outside.
const RACES: &[&str] = &[
    "timeout",
    "timeout_at",
    "run_until_cancelled",
    "run_until_cancelled_owned",
    "until_cancelled",
    "with_cancellation_token",
    "with_cancellation_token_owned",
    "cancel_on_shutdown",
    "with_timeout",
    "with_deadline",
];

/// `spawn`, `spawn_local`, `spawn_blocking`, `spawn_on`...: the argument runs as a task.
const SPAWNS: &[&str] = &[
    "spawn",
    "spawn_local",
    "spawn_blocking",
    "spawn_on",
    "spawn_local_on",
    "spawn_pinned",
    "spawn_with_handle",
    "spawn_detached",
];

fn is_one_of(name: &syn::Ident, names: &[&str]) -> bool {
    names.iter().any(|n| name == n)
}

fn unwraps(method: &syn::Ident) -> bool {
    is_one_of(method, UNWRAPS)
}

/// `unwrap()`, `expect(..)`, `is_ok()`...: called on a result for sure. (`map_err`,
/// `unwrap_or_else` and `with_context` may be future adapters too: `TryFutureExt::map_err`.)
fn takes_a_result(method: &syn::Ident) -> bool {
    is_one_of(
        method,
        &[
            "unwrap",
            "expect",
            "unwrap_or",
            "unwrap_or_default",
            "is_ok",
            "is_err",
        ],
    )
}

fn is_race(name: &syn::Ident) -> bool {
    is_one_of(name, RACES)
}

fn is_spawn(name: &syn::Ident) -> bool {
    is_one_of(name, SPAWNS)
}

/// Whether any identifier in `tokens` is one of `names`.
fn mentions(tokens: &proc_macro2::TokenStream, names: &[&str]) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => names.iter().any(|n| i == n),
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), names),
        _ => false,
    })
}

/// `token.cancel();` or `rx.close();` as a statement: the method and the receiver's root.
fn closes(stmt: &syn::Stmt) -> Option<(&'static str, String)> {
    let syn::Stmt::Expr(syn::Expr::MethodCall(m), _) = stmt else {
        return None;
    };
    let method = if m.method == "cancel" {
        "cancel"
    } else if m.method == "close" {
        "close"
    } else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    crate::analysis::roots::root_of(&m.receiver).map(|root| (method, root))
}
