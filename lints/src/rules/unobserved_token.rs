//! ## What it does
//! Flags a loop in async code that has a cancellation token in scope and, on some path through
//! an iteration, never consults it. The token can be a parameter, a `let`, a field reached
//! through `self`, or one captured from the enclosing function; it is recognised by the type
//! written for it (tokio-util's `CancellationToken`, cancelkit's `CancelToken`, through `&`,
//! `Arc`, `Rc`, `Box` or `Option`, and the names configured under `token_types`), or by how
//! it was made (`CancellationToken::new()`, `token.child_token()`, `token.clone()`).
//!
//! The token must be one the code names: outside strict mode, a field counts only in a method
//! that names it somewhere, and an outer token only in a closure or async block that captures
//! it. A struct's token may stop any one of its tasks, and a spawned block that does not
//! capture a token is stopped by whoever holds its handle; in neither case does anything show
//! that the token is this loop's stop signal. A parameter named `_token` is not used, by its
//! own say-so. Strict mode takes every token in scope.
//!
//! Consulting means naming the token on the path: `token.is_cancelled()`,
//! `token.cancelled()` (also as a `select!` branch), `run_until_cancelled`, passing it on to a
//! callee, cloning it into a child, or waiting on something built by handing it on (`let s =
//! browse.token(token.clone()).run()`; then `s.next().await` ends when the token fires).
//! Calling one of those methods on another token counts too (`parent.is_cancelled()`, a
//! `select!` branch on `conn.cancel.cancelled()`): a loop that looks at some token has a stop
//! signal, and which token is the right one is the design's choice. An error's
//! `is_cancelled()` (`e`, `err`: a `JoinError`'s) is not one: it says how a task ended. A
//! method called on `self` counts when the token is a field (the callee may consult it),
//! unless it is a method of the same `impl` that never names the field. Only loops that await
//! somewhere are looked at: a loop that never awaits is `uncancellable_loop`'s. A loop that
//! cancels the token itself (a signal watcher, a supervisor) holds it to stop others, and is
//! not looked at for that token; nor is a loop after the code's own `token.cancel();` (a
//! shutdown that cancels, then waits for the work to drain), one before it (`while !ready() {
//! sleep(d).await } token.cancel();`: it waits for the moment to cancel), or one that drains
//! a receiver closed before it (`rx.close(); while let Some(m) = rx.recv().await { .. }`).
//! `while let Some(x) = it.next()` with no await in its condition is a `for` loop written by
//! hand, and is not looked at either. A loop in an
//! async block raced against a token from outside is not looked at either: one handed to
//! `run_until_cancelled(..)`, or one stored in a local that a `select!` of the same block races
//! against a branch on a token (`let writer = async { .. }; select! { r = writer => r, _ =
//! token.cancelled() => .. }`): the token's firing drops it wherever it waits.
//!
//! ## Why is this bad
//! The token is how the caller asks this code to stop: graceful shutdown cancels it and waits.
//! A loop that awaits a channel, a socket or a timer but never looks at the token keeps going
//! after the cancel, so the shutdown waits until its grace period runs out, or forever. This
//! is the shape behind most "graceful shutdown hangs" reports.
//!
//! By default the rule warns only about loops paced by a timer: a retry with a pause
//! (`loop { match connect().await { Ok(c) => break c, Err(_) => sleep(d).await } }`), a
//! periodic task (`loop { tick.tick().await; .. }`), a poll for a condition. Time never ends,
//! so nothing but the loop's own code, or the token, stops such a loop: a retry against a peer
//! that is gone goes on for ever after the cancel. A loop that waits only for messages or
//! connections usually ends when its source closes, and on real code that source was mostly
//! closed by the same shutdown, or the caller raced the whole loop against the token (see
//! `lints/study/RESULTS.md`), so there the rule is allowed by default. Turn it on for every
//! loop with `levels = { unobserved_token = "warn" }` where tokens are how your tasks stop;
//! `timer_loops = { unobserved_token = ".." }` sets its level for timer-paced loops alone.
//!
//! ## Known problems
//! - Timers are known by name (`sleep`, `sleep_until`, `tick`, `delay_for`): a loop paced by a
//!   helper of your own that sleeps, or by a `timeout` that ends each pass, is taken for one
//!   that waits for events, and is allowed by default.
//! - A timer-paced loop whose caller races the whole function against the token, or whose
//!   pass calls something that cancels the token (a retry of a stop), is reported.
//! - Tokens are recognised by the type written in the code; a token behind a type alias or
//!   returned by a function without an annotated `let` is not seen (add the type name to
//!   `token_types`).
//! - A loop that ends on its own when the token fires, because its channel's sender is dropped
//!   by the same shutdown, is reported; if that is the design, allow the rule on that loop with
//!   a comment saying so.
//! - Any mention of the token counts as consulting it, even one that does not (`drop(token)`).
//! - A token meant for something else (one that only stops a reload, or a child task) is
//!   taken for the loop's stop signal when the code names it.
//! - Outside strict mode, a method that ignores its struct's token altogether is not reported
//!   (`async fn serve(&self) { loop { self.sock.recv_from(..).await } }` with a `cancel` field
//!   it never names): on real code most such loops belong to another of the struct's tasks.
//!   Strict mode reports them. Likewise a spawned block that does not capture the token.
//! - A loop whose caller races the whole function against the token (`spawn_with_cancel(fut)`,
//!   `token.run_until_cancelled(f())` in another function) is reported.
//! - Event waits are known by name: an await of your own function that waits for a message is
//!   not seen as one, and a `for` loop over slow work (probing every host of a list) is not
//!   looked at.
//!
//! ## Example
//! ```rust,ignore
//! async fn worker(token: CancellationToken, mut rx: Receiver<Job>) {
//!     while let Some(job) = rx.recv().await {
//!         run(job).await;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! async fn worker(token: CancellationToken, mut rx: Receiver<Job>) {
//!     while let Some(Some(job)) = token.run_until_cancelled(rx.recv()).await {
//!         run(job).await;
//!     }
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::{Cx, Emit, Node, Rule};
use crate::analysis::flow::{self, Consults, Ctx, LoopRef};
use crate::analysis::token_vars::TokenVar;
use crate::finding::{Applicability, Edit, Finding, Suggestion};

/// The rule's entry point: loops in async code with a token in scope.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    let Node::Loop(lp) = node else { return None };
    // A token made here is for cancelling others; the loop's stop signal is one it received,
    // and, outside strict mode, one the code names.
    let received = |t: &&TokenVar| !t.own && (cx.config.strict || !t.unnamed);
    if !cx.scope.is_async
        || cx.scope.raced
        || !cx.scope.tokens.iter().any(|t| received(&t))
        || matches!(lp, LoopRef::For(_))
        || walks_an_iterator(lp)
        || drains_closed(lp, &cx.scope.closed)
        || !waits_for_events(lp)
    {
        return None;
    }
    // Outside loops paced by a timer the rule is allowed by default (see the module's doc).
    let paced = paced_by_a_timer(lp);
    if !paced && cx.level == crate::Level::Allow {
        return None;
    }
    // A loop that cancels the token (a signal watcher, a supervisor) holds it to stop others;
    // one after the code's own `token.cancel()` runs once the token has fired.
    let cancelled_here = cancels(lp);
    let tokens: Vec<TokenVar> = cx
        .scope
        .tokens
        .iter()
        .filter(received)
        .filter(|t| {
            !cancelled_here.contains(&t.name)
                && !cx.scope.fired.contains(&t.name)
                && !cx.scope.cancelled_after.contains(&t.name)
        })
        .cloned()
        .collect();
    if tokens.is_empty() {
        return None;
    }
    let tokens = &tokens;
    // Waiting on what a token was handed to consults the token too.
    let consulted: Vec<TokenVar> = tokens
        .iter()
        .cloned()
        .chain(cx.scope.carriers.iter().map(|c| TokenVar {
            name: c.clone(),
            cancelkit: false,
            own: false,
            unnamed: false,
        }))
        .collect();
    let ctx = Ctx {
        consults: Some(Consults {
            tokens: &consulted,
            quiet_self_methods: &cx.scope.quiet_self_methods,
        }),
        facts: false,
        ..cx.ctx
    };
    let mut back_edge = flow::analyse_loop(ctx, lp);
    // A path that waits for an event without consulting the token is what hangs a shutdown;
    // one that only drains what is already there ends by itself.
    back_edge.paths.retain(|p| p.facts.waited);
    if !back_edge.is_unchecked() {
        return None;
    }
    let token = &tokens[tokens.len() - 1].name;
    let (kind, head) = match lp {
        LoopRef::Loop(l) => ("loop", cx.ctx.range(l.loop_token.span)),
        LoopRef::While(l) => (
            "while",
            cx.ctx.range(l.while_token.span).start..cx.ctx.range(l.cond.span()).end,
        ),
        LoopRef::For(l) => (
            "for",
            cx.ctx.range(l.for_token.span).start..cx.ctx.range(l.expr.span()).end,
        ),
    };
    let never = back_edge.paths.iter().all(|p| p.witness.is_none());
    let mut f = Finding::new(
        Rule::UnobservedToken,
        &cx.file.path,
        format!("this `{kind}` does not consult `{token}`, so cancelling it does not stop the loop"),
        cx.file.span(head),
    )
    .label(if never {
        format!("nothing in this loop looks at `{token}`")
    } else {
        format!("this loop can repeat without looking at `{token}`")
    })
    .note(format!(
        "`{token}` is how the caller asks this code to stop; a loop that only awaits other things keeps going after the cancel, and a graceful shutdown waits for it"
    ));
    for p in &back_edge.paths {
        if let Some(w) = &p.witness {
            f = f.secondary(
                cx.file.span(w.range.clone()),
                w.label
                    .replace("observe cancellation", &format!("consult `{token}`")),
            );
            break;
        }
    }
    match run_until_cancelled(cx, lp, token) {
        Some(s) => f = f.suggestion(s),
        None => {
            f = f.help(format!(
                "race the loop's await against the token: `tokio::select! {{ _ = {token}.cancelled() => break, x = ... => ... }}`, or wrap it: `{token}.run_until_cancelled(fut).await` (`None` when cancelled)"
            ));
        }
    }
    Some(if paced {
        Emit::InTimerLoop(f)
    } else {
        Emit::Finding(f)
    })
}

/// Whether the loop awaits an event (outside closures and async blocks), or races one in a
/// `select!`/`join!`.
fn waits_for_events(lp: LoopRef<'_>) -> bool {
    use crate::analysis::outcomes::{awaits_event, tokens_name_event};
    waits_for(lp, awaits_event, tokens_name_event)
}

/// Whether the loop is paced by a timer: it awaits a pause or an interval's tick, or races
/// one in a `select!`. Time never ends, so such a loop stops only when its own code says so;
/// one that waits only for messages usually ends when their senders go, often on the same
/// shutdown.
fn paced_by_a_timer(lp: LoopRef<'_>) -> bool {
    use crate::analysis::outcomes::{awaits_timer, tokens_name_timer};
    waits_for(lp, awaits_timer, tokens_name_timer)
}

/// Whether the loop's own path (its condition and body, outside closures, async blocks and
/// items) awaits what `awaits` recognises, or names it in a racing or awaiting macro.
fn waits_for(
    lp: LoopRef<'_>,
    awaits: fn(&syn::Expr) -> bool,
    tokens_name: fn(&proc_macro2::TokenStream) -> bool,
) -> bool {
    struct Finder {
        awaits: fn(&syn::Expr) -> bool,
        tokens_name: fn(&proc_macro2::TokenStream) -> bool,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
            if (self.awaits)(&a.base) {
                self.found = true;
            }
            syn::visit::visit_expr_await(self, a);
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let racing = m.path.segments.last().is_some_and(|s| {
                s.ident == "select" || s.ident == "join" || s.ident == "select_biased"
            });
            if (racing || crate::analysis::macros::tokens_await(&m.tokens))
                && (self.tokens_name)(&m.tokens)
            {
                self.found = true;
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder {
        awaits,
        tokens_name,
        found: false,
    };
    if let LoopRef::While(w) = lp {
        f.visit_expr(&w.cond);
    }
    f.visit_block(lp.body());
    f.found
}

/// `while let Some(x) = items.next()`, with no await in the condition: a `for` loop written
/// by hand, bounded by what it iterates.
fn walks_an_iterator(lp: LoopRef<'_>) -> bool {
    let LoopRef::While(w) = lp else { return false };
    matches!(&*w.cond, syn::Expr::Let(l)
        if matches!(&*l.expr, syn::Expr::MethodCall(m) if m.method == "next" && m.args.is_empty()))
}

/// `while let Some(m) = rx.recv().await` (or `while rx.recv().await.is_some()`) after
/// `rx.close()`: it drains what is already queued, then ends by itself.
fn drains_closed(lp: LoopRef<'_>, closed: &[String]) -> bool {
    let LoopRef::While(w) = lp else { return false };
    let mut e = match &*w.cond {
        syn::Expr::Let(l) => &*l.expr,
        cond => cond,
    };
    while let syn::Expr::MethodCall(m) = e {
        e = &m.receiver;
    }
    matches!(e, syn::Expr::Await(a)
        if matches!(&*a.base, syn::Expr::MethodCall(m) if m.method == "recv")
            && crate::analysis::roots::root_of(&a.base).is_some_and(|r| closed.contains(&r)))
}

/// The tokens the loop cancels (`token.cancel()`, `self.token.cancel()`, a clone's `cancel()`),
/// closures and async blocks included: they are the same loop's doing.
fn cancels(lp: LoopRef<'_>) -> Vec<String> {
    struct Finder(Vec<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "cancel"
                && m.args.is_empty()
                && let Some(name) = crate::analysis::roots::root_of(&m.receiver)
            {
                self.0.push(name);
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder(Vec::new());
    f.visit_block(lp.body());
    f.0
}

/// `while let P = E.await` → `while let Some(P) = token.run_until_cancelled(E).await`.
fn run_until_cancelled(cx: &Cx<'_>, lp: LoopRef<'_>, token: &str) -> Option<Suggestion> {
    let LoopRef::While(w) = lp else { return None };
    let syn::Expr::Let(l) = &*w.cond else {
        return None;
    };
    let syn::Expr::Await(a) = &*l.expr else {
        return None;
    };
    let text = &cx.file.text;
    let pat = text.get(cx.ctx.range(l.pat.span()))?;
    let fut = text.get(cx.ctx.range(a.base.span()))?;
    let cond = cx.ctx.range(w.cond.span());
    Some(Suggestion {
        message: format!("stop waiting when `{token}` is cancelled"),
        edits: vec![Edit {
            span: cx.file.span(cond),
            replacement: format!("let Some({pat}) = {token}.run_until_cancelled({fut}).await"),
        }],
        applicability: Applicability::MaybeIncorrect,
    })
}

#[cfg(test)]
mod tests {
    use crate::{Config, Level, Rule, check_source};

    fn on() -> Config {
        let mut c = Config::default();
        c.levels.insert(Rule::UnobservedToken, Level::Warn);
        c
    }

    fn lines(src: &str) -> Vec<usize> {
        check_source("t.rs", src, &on())
            .into_iter()
            .filter(|f| f.rule == Rule::UnobservedToken)
            .map(|f| f.primary.span.line_start)
            .collect()
    }

    #[test]
    fn a_worker_that_ignores_its_token() {
        let src = "async fn worker(token: CancellationToken, mut rx: Receiver<Job>) {\n    while let Some(job) = rx.recv().await {\n        run(job).await;\n    }\n}";
        assert_eq!(lines(src), [2]);
        let f = check_source("t.rs", src, &on());
        let fix = &f
            .iter()
            .find(|f| f.rule == Rule::UnobservedToken)
            .unwrap()
            .suggestions[0];
        assert_eq!(
            fix.edits[0].replacement,
            "let Some(Some(job)) = token.run_until_cancelled(rx.recv()).await"
        );
    }

    #[test]
    fn allowed_by_default_outside_loops_paced_by_a_timer() {
        let src = "async fn worker(token: CancellationToken, mut rx: Receiver<Job>) { while let Some(job) = rx.recv().await { run(job).await; } }";
        assert!(check_source("t.rs", src, &Config::default()).is_empty());
    }

    /// Levels of the rule's findings under `config`, in order.
    fn levels(src: &str, config: &Config) -> Vec<Level> {
        check_source("t.rs", src, config)
            .into_iter()
            .filter(|f| f.rule == Rule::UnobservedToken)
            .map(|f| f.level)
            .collect()
    }

    #[test]
    fn warns_by_default_in_loops_paced_by_a_timer() {
        for src in [
            // A retry with a pause (nym-sdk's connect loop, zenoh's session-open test).
            "async fn start(&self, token: CancellationToken) { let c = loop { match connect().await { Ok(c) => break c, Err(e) => { warn(e); sleep(ms(100)).await; } } }; }",
            // A periodic task (underway's heartbeat).
            "async fn beat(token: CancellationToken) { let mut t = interval(d); loop { t.tick().await; send_heartbeat().await; } }",
            // A join raced against a heartbeat tick (aidaemon's task lead).
            "async fn lead(token: CancellationToken) { loop { tokio::select! { r = &mut join => break r, _ = heartbeat.tick() => renew().await } } }",
            // A poll for a condition.
            "async fn wait(token: CancellationToken) { while !ready() { tokio::time::sleep(d).await; } }",
        ] {
            assert_eq!(levels(src, &Config::default()), [Level::Warn], "{src}");
        }
    }

    #[test]
    fn levels_in_timer_loops_and_elsewhere_are_configurable() {
        let paced = "async fn beat(token: CancellationToken) { loop { interval.tick().await; go().await; } }";
        let events = "async fn worker(token: CancellationToken) { loop { rx.recv().await; } }";
        let with = |levels: &[(Rule, Level)], timer: &[(Rule, Level)]| Config {
            levels: levels.iter().copied().collect(),
            timer_loops: timer.iter().copied().collect(),
            ..Config::default()
        };
        let ut = Rule::UnobservedToken;
        // `levels` sets every loop, timer-paced ones included.
        let c = with(&[(ut, Level::Allow)], &[]);
        assert!(levels(paced, &c).is_empty());
        let c = with(&[(ut, Level::Deny)], &[]);
        assert_eq!(levels(paced, &c), [Level::Deny]);
        assert_eq!(levels(events, &c), [Level::Deny]);
        // `timer_loops` wins for timer-paced loops only.
        let c = with(&[(ut, Level::Warn)], &[(ut, Level::Deny)]);
        assert_eq!(levels(paced, &c), [Level::Deny]);
        assert_eq!(levels(events, &c), [Level::Warn]);
        let c = with(&[], &[(ut, Level::Allow)]);
        assert!(levels(paced, &c).is_empty());
        // And from a manifest.
        let mut c = Config::default();
        let problems = c.apply_metadata(&serde_json::json!({
            "timer_loops": { "unobserved_token": "deny" }
        }));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(levels(paced, &c), [Level::Deny]);
        assert!(levels(events, &c).is_empty());
    }

    #[test]
    fn consulting_the_token_on_every_path() {
        for src in [
            "async fn f(token: CancellationToken) { loop { tokio::select! { _ = token.cancelled() => break, m = rx.recv() => work(m).await } } }",
            "async fn f(token: CancellationToken) { while !token.is_cancelled() { work().await; } }",
            "async fn f(token: &CancellationToken) { loop { child(token.child_token()).await; } }",
            "async fn f(token: Arc<CancelToken>) { loop { step(&token).await; } }",
            "struct W { stop: CancellationToken }\nimpl W { async fn run(&self) { loop { self.step().await; } } }",
            "async fn f(t: CancellationToken) { let c = t.child_token(); loop { if c.is_cancelled() { break } x.await; } }",
            // No await: `uncancellable_loop`'s business.
            "async fn f(token: CancellationToken) { loop { work(); } }",
            // No token in scope.
            "async fn f(token: u32) { loop { rx.recv().await; } }",
            // Finite work, no event waits: ends by itself.
            "async fn f(token: CancellationToken) { loop { let Some(b) = next_batch().await else { break }; store(b).await; } }",
            // A token made here is for cancelling others.
            "async fn f() { let token = CancellationToken::new(); spawn_child(token.clone()); loop { rx.recv().await; } }",
            "async fn f() { let token = CancellationToken::new(); timeout(d, async { loop { sleep(d).await; } }).await; }",
            // A spawned task that does not capture a token the function made is not its concern.
            "async fn f() { let cancel = CancellationToken::new(); spawn(child(cancel.clone())); spawn(async move { loop { rx.recv().await; } }); }",
            // Raced against the token from outside, through a block's tail.
            "async fn f(t: CancellationToken) { spawn(t.run_until_cancelled_owned({ let w = w.clone(); async move { while let Some(v) = w.next().await {} } })); }",
            // A token field is the method's stop signal only if the method names it.
            "struct W { token: CancellationToken }\nimpl W { async fn run(&self, rx: Rx) { loop { rx.recv().await; } } }",
            // A block that does not capture the token cannot consult it: whoever polls or
            // spawns it decides when it stops.
            "fn f(token: CancellationToken) { spawn(async move { loop { rx.recv().await; } }); }",
            "struct W { token: CancellationToken }\nimpl W { async fn run(&self) { let t = self.token.clone(); spawn(async move { loop { rx.recv().await; } }); t.cancelled().await; } }",
            // A loop that cancels the token holds it to stop others (a signal watcher).
            "fn watch(cancel: CancellationToken) { spawn(async move { loop { let code = signals.next().await; if first { cancel.cancel(); } } }); }",
            // After the code's own cancel, the token has fired: the loop waits for the drain
            // (sockudo's and smg-mcp's shutdowns).
            "struct S { stop: CancellationToken }\nimpl S { async fn shutdown(&self) { self.stop.cancel(); while busy() { sleep(d).await; } } }",
            "async fn f(token: CancellationToken) { token.cancel(); if mem { loop { if idle().await { break } sleep(d).await; } } }",
            // A loop that the code's own `token.cancel();` follows waits for the moment to
            // cancel: the token is what it fires, not its stop signal (camel's test drivers,
            // a signal watcher that cancels when the signals end).
            "fn f(cancel: CancellationToken) { spawn(async move { while !ran.load(SeqCst) { sleep(d).await; } cancel.cancel(); }); }",
            "fn f(cancel: CancellationToken) { spawn(async move { while let Some(s) = signals.next().await { log(s); } cancel.cancel(); }); }",
            // `while let Some(x) = it.next()` with no await in its condition is a `for` loop
            // written by hand (dial9's segment walk).
            "async fn f(token: CancellationToken) { let mut it = segs.into_iter(); while let Some(s) = it.next() { wait_live().await; sleep(d).await; } }",
            // A closed receiver drains what is queued, then ends (kcp-rs's stream).
            "async fn f(token: CancellationToken) { rx.close(); while rx.recv().await.is_some() {} while let Some(m) = rx.recv().await { go(m); } }",
            // A watcher that cancels a clone: `cancel()` the method does not capture the
            // token `cancel` (synaps's test driver).
            "async fn f() { let cancel = CancellationToken::new(); let cancel_c = cancel.clone(); tokio::spawn(async move { while let Some(ev) = rx.recv().await { if first { cancel_c.cancel(); } } }); go(&cancel).await; }",
            // An async block stored in a local that a `select!` below races against a token
            // (mavrouter's writer loop).
            "async fn f(token: CancellationToken) { let w = token.clone(); let writer = async move { loop { let m = rx.recv().await; go(m).await; } drop(w); }; tokio::select! { r = writer => r, _ = token.cancelled() => {} } }",
            "async fn f(token: CancellationToken) { let writer = async { loop { rx.recv().await; } drop(&token); }; tokio::pin!(writer); let r = tokio::select! { r = &mut writer => r, _ = token.cancelled() => {} }; }",
            // `_token` says it is not used.
            "async fn f(_token: CancellationToken) { loop { rx.recv().await; } }",
            // Draining what the token was handed to: the stream ends when the token fires.
            "async fn f(token: CancellationToken) { let s = browse().token(token.clone()).run(); while let Some(x) = s.try_next().await? { use_it(x); } }",
            // `for` loops are bounded by what they iterate.
            "async fn f(token: CancellationToken) { for h in hosts { probe(h).await; } }",
            // Another token consulted on every path: the loop has a stop signal (open-net's
            // writer checks its connection's token, vtcode's driver its parent's).
            "async fn f(retire: CancellationToken, conn: Conn) { loop { tokio::select! { biased; _ = conn.cancel.cancelled() => break, m = rx.recv() => work(m).await } } }",
            "struct W { stop: CancellationToken, m: M }\nimpl W { async fn run(&self, rx: Rx) { if self.stop.is_cancelled() { return } loop { if self.m.cancellation.is_cancelled() { break } rx.recv().await; } } }",
            "async fn f(retire: CancellationToken) { loop { tokio::select! { Some(m) = rx.recv(), if !closing => go(m).await, _ = conn.cancel.run_until_cancelled(tick.tick()) => {} } } }",
            "async fn f(retire: CancellationToken) { loop { log_unless!(conn.cancel.is_cancelled()); rx.recv().await; } }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
        }
    }

    #[test]
    fn strict_mode_takes_every_token_in_scope() {
        let strict = Config {
            strict: true,
            ..on()
        };
        for src in [
            "struct W { token: CancellationToken }\nimpl W { async fn run(&self, rx: Rx) { loop { rx.recv().await; } } }",
            "fn f(token: CancellationToken) { spawn(async move { loop { rx.recv().await; } }); }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
            let found = check_source("t.rs", src, &strict);
            assert_eq!(
                found
                    .iter()
                    .filter(|f| f.rule == Rule::UnobservedToken)
                    .count(),
                1,
                "{src}"
            );
        }
    }

    #[test]
    fn tokens_from_lets_fields_and_captures_and_partial_paths() {
        for src in [
            "async fn f(t: CancellationToken) { let token = t.child_token(); loop { interval.tick().await; } }",
            "struct W { token: CancellationToken }\nimpl W { async fn run(&self, rx: Rx) { if self.token.is_cancelled() { return } loop { rx.recv().await; } } }",
            "struct W { token: CancellationToken }\nimpl W { async fn run(&self) { if self.token.is_cancelled() { return } loop { sleep(d).await; self.retry().await; } } async fn retry(&self) {} }",
            "fn f(token: CancellationToken) { spawn(async move { loop { rx.recv().await; } drop(token); }); }",
            // A cancel that may not run after the loop says nothing of the loop.
            "fn f(cancel: CancellationToken) { spawn(async move { while let Some(s) = signals.next().await { log(s); } if last { cancel.cancel(); } }); }",
            "fn f() { let token = CancellationToken::new(); spawn(async move { let _g = token.drop_guard(); loop { listener.accept().await; } }); }",
            "async fn f(token: CancellationToken) { loop { if x { token.cancelled().await; } else { rx.recv().await; } } }",
            // A cancel in a block the loop is not in, or on another token, says nothing of it.
            "async fn f(token: CancellationToken) { if x { token.cancel(); } loop { rx.recv().await; } }",
            "async fn f(token: CancellationToken) { other.cancel(); loop { rx.recv().await; } }",
            // Closing another receiver says nothing of this one.
            "async fn f(token: CancellationToken) { tx.close(); while let Some(m) = rx.recv().await { go(m); } }",
            // Raced against a timer, or against a token in another block, it still runs on.
            "async fn f(token: CancellationToken) { let writer = async move { loop { rx.recv().await; } drop(token); }; tokio::select! { r = writer => r, _ = sleep(d) => {} } }",
            "async fn f(token: CancellationToken) { let writer = async { loop { rx.recv().await; } drop(&token); }; { let writer = 1; tokio::select! { r = writer => r, _ = token.cancelled() => {} } } writer.await; }",
            // Another token consulted on some paths only.
            "async fn f(token: CancellationToken) { loop { if x { other.cancelled().await; } else { rx.recv().await; } } }",
            // Calls that do not run on the loop's own path each pass (a review's cases): a
            // branch's body, a task it spawns, a closure; an error's `is_cancelled()` in a
            // `select!`; cancelkit's `until_cancelled()`, which watches the current task.
            "async fn f(token: CancellationToken) { loop { tokio::select! { r = listener.accept() => { let conn = CancellationToken::new(); tokio::spawn(async move { tokio::select! { _ = conn.cancelled() => {}, _ = serve(r) => {} } }); } m = ctl.recv() => handle(m).await } } }",
            "async fn f(token: CancellationToken) { loop { tokio::select! { m = rx.recv() => { workers.retain(|w| !w.cancel.is_cancelled()); go(m); } _ = tick.tick() => {} } } }",
            "async fn f(token: CancellationToken) { loop { tokio::select! { Some(r) = set.join_next() => { if let Err(e) = r { if !e.is_cancelled() { log(e); } } } Some(j) = rx.recv() => { set.spawn(run(j)); } } } }",
            "async fn f(token: CancellationToken) { loop { let m = rx.recv().until_cancelled().await; go(m).await; } }",
            "async fn f(token: CancellationToken) { loop { watch!(async move { other.cancelled().await }); rx.recv().await; } }",
            // A `JoinError`'s `is_cancelled()` says how a task ended, not whether a token fired.
            "async fn f(token: CancellationToken) { loop { let e = rx.recv().await.unwrap(); if e.is_cancelled() { log(); } } }",
        ] {
            assert_eq!(lines(src).len(), 1, "{src}");
        }
    }
}
