//! ## What it does
//! Flags a call that blocks the thread inside async code:
//! - `std::thread::sleep`, `park` and `park_timeout`;
//! - a `recv()`, `recv_timeout()` or `wait()` that is not awaited (`std::sync::mpsc`,
//!   crossbeam, `Condvar`, `std::process::Child`; a `recv_timeout` or `wait_timeout` with a
//!   zero timeout only asks), tokio's `blocking_*` methods, `block_on`;
//! - a read (`read`, `read_exact`, `read_line`, `accept`...) that is not awaited on something
//!   named like a socket, a stream or a child's pipe (`std::io::stdin()`), or built in the
//!   same file from one (`let r = BufReader::new(stdout)`), unless its function makes sockets
//!   non-blocking (`set_nonblocking(true)`, and never `false`) or the file builds it only from
//!   a `Cursor` (a decoder over bytes in memory, whatever it is called);
//! - `std::fs::*` (and `std::fs::File::open`/`create`), `std::net::TcpStream::connect`;
//! - `output()` and `status()` of a `std::process::Command`;
//! - `reqwest::blocking::*`;
//! - crossterm's `event::poll(timeout)` with a timeout that is not zero (it waits for a
//!   terminal event), and its `event::read()` in a file that never polls first (also through
//!   `ratatui::crossterm`);
//! - a line editor's prompt that is not awaited (rustyline's `editor.readline(">> ")`), and a
//!   terminal prompt's `interact()`, `interact_opt()` or `interact_text()` (dialoguer's);
//! - a `std::sync::Mutex` (or `RwLock`) guard held across an `.await`;
//! - and the paths configured under `blocking`.
//!
//! Names resolve through the file's `use` items, so `tokio::fs::read` and `tokio::time::sleep`
//! are not flagged. By default the rule warns inside loops and is allowed elsewhere; set the
//! levels per context in the configuration (`levels` for loops, `outside_loops` elsewhere).
//!
//! ## Why is this bad
//! While the call blocks, the task cannot observe cancellation (it is not at an `.await`), and
//! every other task on the same executor thread waits too: timers fire late, a shutdown signal
//! goes unanswered, and on a current-thread runtime the whole program stops. A mutex guard held
//! across an `.await` blocks every other task that wants the lock for as long as this one is
//! suspended, and deadlocks if one of them runs on the same thread.
//!
//! ## Known problems
//! - Methods are known by name, without types: a `recv()` that is not awaited is taken for a
//!   blocking one, and a read counts only when the receiver is named like a socket or stream,
//!   or a `let` of the file builds it from one. A library's blocking read under another name
//!   (a websocket's `receive()`, a line editor's `read_line(&prompt)`) is not seen. An
//!   argument-less `recv()` on something named like a socket (`socket`, `udp_sock`) is taken
//!   for a non-blocking socket's, as smoltcp's is, because std's sockets receive into a
//!   buffer: a library socket whose `recv()` blocks (nng's) is missed. rustls's `read_tls`
//!   counts only by the reader handed to it.
//! - A function that makes a socket non-blocking (`set_nonblocking(true)`) is taken to read
//!   only from non-blocking sockets: a stream it accepts from a non-blocking listener is
//!   blocking again, and its reads are not flagged.
//! - Short blocking calls (reading a small config file at start-up) are flagged like long ones
//!   when they sit in a loop; allow them with a comment where that is the intent.
//! - The guard check looks at the block that takes the guard and the blocks nested in its later
//!   statements, where an `.await` after `drop(guard)` does not count until `guard = m.lock()..`
//!   takes it again. A guard moved elsewhere, dropped by a helper or in a block of its own
//!   (`{ drop(g); } x.await`), or taken again inside a nested statement, is not followed.
//!
//! ## Example
//! ```rust,ignore
//! async fn poll_status(client: &Client) {
//!     loop {
//!         report(client.status().await);
//!         std::thread::sleep(Duration::from_secs(5));
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! async fn poll_status(client: &Client) {
//!     loop {
//!         report(client.status().await);
//!         tokio::time::sleep(Duration::from_secs(5)).await;
//!     }
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::observers::CallKind;
use crate::finding::{Applicability, Edit, Finding, Suggestion};

/// `std::fs` functions that `tokio::fs` has under the same name.
const TOKIO_FS: &[&str] = &[
    "canonicalize",
    "copy",
    "create_dir",
    "create_dir_all",
    "hard_link",
    "metadata",
    "read",
    "read_dir",
    "read_link",
    "read_to_string",
    "remove_dir",
    "remove_dir_all",
    "remove_file",
    "rename",
    "set_permissions",
    "symlink_metadata",
    "try_exists",
    "write",
];

/// The rule's entry point: calls, method calls and blocks in async code.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    if !cx.scope.is_async {
        return None;
    }
    match node {
        Node::Call(c) => call(cx, c),
        Node::MethodCall(m, false) => method_call(cx, m),
        Node::Block(b) => guard_across_await(cx, b),
        _ => None,
    }
    .map(Emit::Finding)
}

/// Last segments of the calls `call` looks at (any `std::fs` function, and the rest below):
/// most calls are none of these, and are not resolved at all.
fn may_block(name: &syn::Ident) -> bool {
    TOKIO_FS.iter().any(|n| name == n)
        || [
            "sleep",
            "park",
            "park_timeout",
            "connect",
            "connect_timeout",
            "block_on",
            "poll",
            "read",
            "open",
            "create",
            "create_new",
            "open_buffered",
            "create_buffered",
            "read_dir",
            "exists",
            "get",
            "post",
            "put",
            "delete",
            "patch",
            "head",
            "new",
            "builder",
        ]
        .iter()
        .any(|n| name == n)
}

fn call(cx: &Cx<'_>, c: &syn::ExprCall) -> Option<Finding> {
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let last = p.path.segments.last()?;
    if cx.config.blocking.is_empty() && !may_block(&last.ident) {
        return None;
    }
    let segs = cx.ctx.names.imports.resolve_path(&p.path);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let configured = cx.config.blocking.iter().any(|b| {
        let want: Vec<&str> = b.split("::").filter(|s| !s.is_empty()).collect();
        let n = want.len().min(segs.len());
        n > 0 && want[want.len() - n..] == segs[segs.len() - n..]
    });
    let what = match segs.as_slice() {
        _ if configured => "configured as blocking",
        ["std", "thread", f] if matches!(*f, "sleep" | "park" | "park_timeout") => {
            "sleeps the whole executor thread"
        }
        ["std", "fs", _] => "does file I/O on the executor thread",
        ["std", "fs", "File", f]
            if matches!(
                *f,
                "open" | "create" | "create_new" | "open_buffered" | "create_buffered"
            ) =>
        {
            "does file I/O on the executor thread"
        }
        ["std", "net", "TcpStream", "connect" | "connect_timeout"] => {
            "connects on the executor thread"
        }
        ["reqwest", "blocking", ..] => "makes a blocking HTTP request",
        _ if let Some(what) = crate::analysis::observers::blocks_waiting(
            cx.ctx.names,
            &p.path,
            &c.args.iter().collect::<Vec<_>>(),
        ) =>
        {
            what
        }
        _ if cx.ctx.observers.classify_path(cx.ctx.names, &p.path) == CallKind::Blocking
            && last.ident == "block_on" =>
        {
            "runs a future to completion on the executor thread (and panics inside a runtime)"
        }
        _ => return None,
    };
    let mut f = finding(cx, c.span(), &last.ident.to_string(), what);
    let args = cx
        .file
        .text
        .get(cx.ctx.range(c.paren_token.span.join()))?
        .to_string();
    let uses_tokio = cx
        .config
        .dependencies
        .as_ref()
        .is_none_or(|d| d.iter().any(|n| n == "tokio"));
    let replacement = match segs.as_slice() {
        ["std", "thread", "sleep"] => Some(format!("tokio::time::sleep{args}.await")),
        ["std", "fs", f] if TOKIO_FS.contains(f) => Some(format!("tokio::fs::{f}{args}.await")),
        ["std", "fs", "File", f @ ("open" | "create")] => {
            Some(format!("tokio::fs::File::{f}{args}.await"))
        }
        _ => None,
    };
    if let Some(r) = replacement.filter(|_| uses_tokio) {
        f = f.suggestion(Suggestion {
            message: "use tokio's version, which waits without blocking".into(),
            edits: vec![Edit {
                span: cx.file.span(cx.ctx.range(c.span())),
                replacement: r,
            }],
            applicability: Applicability::MaybeIncorrect,
        });
    }
    Some(f)
}

fn method_call(cx: &Cx<'_>, m: &syn::ExprMethodCall) -> Option<Finding> {
    let method = &m.method;
    let maybe = ["output", "status", "open"].iter().any(|n| method == n);
    let args: Vec<&syn::Expr> = m.args.iter().collect();
    let blocking =
        cx.ctx
            .observers
            .classify_method(cx.ctx.names, method, &m.receiver, &args, false)
            == CallKind::Blocking;
    if !blocking && !maybe {
        return None;
    }
    let name = method.to_string();
    let what = if blocking {
        match name.as_str() {
            "recv" | "recv_timeout" | "recv_deadline" => {
                "waits for a message on the executor thread"
            }
            "wait" | "wait_timeout" | "wait_while" => "waits on the executor thread",
            "readline" | "interact" | "interact_opt" | "interact_text" => {
                "waits for the user to answer on the executor thread"
            }
            "block_on" => {
                "runs a future to completion on the executor thread (and panics inside a runtime)"
            }
            _ if name.starts_with("blocking_") => {
                "is the blocking form, meant for code outside the runtime"
            }
            _ => "waits for the other end on the executor thread",
        }
    } else if matches!(name.as_str(), "output" | "status") && is_std_command(cx, &m.receiver) {
        "runs a process to the end on the executor thread"
    } else if name == "open" && built_by(cx, &m.receiver, &["std", "fs", "OpenOptions", "new"]) {
        "does file I/O on the executor thread"
    } else {
        return None;
    };
    let span = m
        .method
        .span()
        .join(m.paren_token.span.close())
        .unwrap_or(m.method.span());
    Some(finding(cx, span, &name, what))
}

fn finding(cx: &Cx<'_>, span: proc_macro2::Span, name: &str, what: &str) -> Finding {
    Finding::new(
        Rule::BlockingInAsync,
        &cx.file.path,
        format!("`{name}` blocks the thread inside async code"),
        cx.file.span(cx.ctx.range(span)),
    )
    .label(format!("this {what}"))
    .note("while it blocks, the task cannot observe cancellation, and every other task on this executor thread waits")
    .help("use the async equivalent, or move the call to `tokio::task::spawn_blocking` and await its handle (under `cancelkit::until_cancelled` if the task should stop waiting)")
}

/// Where a method chain starts: `std::fs::OpenOptions::new().write(true)` → the call
/// `OpenOptions::new()`; `cmd.arg(x)` → the variable `cmd`.
fn chain_start(receiver: &syn::Expr) -> &syn::Expr {
    let mut e = receiver;
    loop {
        match e {
            syn::Expr::MethodCall(m) => e = &m.receiver,
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            _ => return e,
        }
    }
}

/// The full path (as the imports resolve it) of the call a method chain starts with.
fn chain_constructor(cx: &Cx<'_>, receiver: &syn::Expr) -> Option<Vec<String>> {
    match chain_start(receiver) {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => Some(cx.ctx.names.imports.resolve_path(&p.path)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a method chain starts with a call to `path`.
fn built_by(cx: &Cx<'_>, receiver: &syn::Expr, path: &[&str]) -> bool {
    chain_constructor(cx, receiver)
        .is_some_and(|segs| segs.iter().map(String::as_str).eq(path.iter().copied()))
}

/// `Command::new(..)...` (std's, as the imports say) or a receiver named `cmd`/`command`.
fn is_std_command(cx: &Cx<'_>, receiver: &syn::Expr) -> bool {
    if let syn::Expr::Path(p) = chain_start(receiver) {
        return p
            .path
            .get_ident()
            .is_some_and(|i| i == "cmd" || i == "command");
    }
    chain_constructor(cx, receiver).is_some_and(|segs| {
        segs.ends_with(&["Command".to_string(), "new".to_string()])
            && !segs.iter().any(|s| s == "tokio" || s == "async_process")
    })
}

/// `let g = m.lock().unwrap();` followed, in the same block, by a statement that awaits while
/// the guard is held (see [`Held`]).
fn guard_across_await(cx: &Cx<'_>, b: &syn::Block) -> Option<Finding> {
    for (i, stmt) in b.stmts.iter().enumerate() {
        let syn::Stmt::Local(l) = stmt else { continue };
        let syn::Pat::Ident(guard) = &l.pat else {
            continue;
        };
        let Some(lock) = l.init.as_ref().and_then(|init| sync_lock(&init.expr)) else {
            continue;
        };
        let mut held = Held::new(&guard.ident);
        held.stmts(&b.stmts[i + 1..]);
        if let Some(await_span) = held.found {
            return Some(
                Finding::new(
                    Rule::BlockingInAsync,
                    &cx.file.path,
                    format!("the guard `{}` is held across an `.await`", guard.ident),
                    cx.file.span(cx.ctx.range(lock.span())),
                )
                .label("a blocking lock is taken here")
                .secondary(
                    cx.file.span(cx.ctx.range(await_span)),
                    "and still held while the task is suspended here",
                )
                .note("every other task that wants the lock blocks its thread until this one resumes; one on the same thread deadlocks")
                .help(format!(
                    "drop the guard before the `.await` (`drop({})`, or a block around its use), or use `tokio::sync::Mutex`",
                    guard.ident
                )),
            );
        }
    }
    None
}

/// Finds the first `.await` reached while a guard is held, in statements that follow the
/// `let` that took it (not in closures, async blocks or items). In any block, `drop(guard)`
/// releases it for the statements after it, until `guard = m.lock()..` takes it again
/// (`drop(g); notified.await; g = m.lock().unwrap();`). A scope that binds the name afresh
/// (`let g = ..`, a pattern) has another `g`: its `drop(g)` releases nothing.
struct Held<'g> {
    guard: &'g syn::Ident,
    /// Scopes entered that bind the guard's name to something else.
    shadowed: u32,
    found: Option<proc_macro2::Span>,
}

impl<'g> Held<'g> {
    fn new(guard: &'g syn::Ident) -> Self {
        Held {
            guard,
            shadowed: 0,
            found: None,
        }
    }

    fn stmts(&mut self, stmts: &[syn::Stmt]) {
        let outer = self.shadowed;
        let mut released = false;
        for stmt in stmts {
            if self.found.is_some() {
                break;
            }
            if self.shadowed == 0 && drops(stmt, self.guard) {
                released = true;
            } else if released {
                released = !relocks(stmt, self.guard);
            } else {
                self.visit_stmt(stmt);
            }
            if let syn::Stmt::Local(l) = stmt
                && binds(&l.pat, self.guard)
            {
                self.shadowed += 1;
            }
        }
        self.shadowed = outer;
    }

    /// Visits `inner` in a scope whose pattern `pat` may bind the guard's name.
    fn scoped(&mut self, pat: Option<&syn::Pat>, inner: impl FnOnce(&mut Self)) {
        let shadows = pat.is_some_and(|p| binds(p, self.guard));
        self.shadowed += u32::from(shadows);
        inner(self);
        self.shadowed -= u32::from(shadows);
    }
}

impl<'ast> Visit<'ast> for Held<'_> {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        if self.found.is_none() {
            self.found = Some(a.await_token.span);
        }
        visit::visit_expr_await(self, a);
    }
    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.stmts(&b.stmts);
    }
    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scoped(Some(&arm.pat), |h| visit::visit_arm(h, arm));
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.visit_expr(&i.cond);
        self.scoped(let_pat(&i.cond), |h| h.visit_block(&i.then_branch));
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.scoped(let_pat(&w.cond), |h| h.visit_block(&w.body));
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.scoped(Some(&f.pat), |h| h.visit_block(&f.body));
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The pattern an `if let` / `while let` condition binds, which the body sees.
fn let_pat(cond: &syn::Expr) -> Option<&syn::Pat> {
    match cond {
        syn::Expr::Let(l) => Some(&l.pat),
        _ => None,
    }
}

/// Whether a pattern binds `name`.
fn binds(pat: &syn::Pat, name: &syn::Ident) -> bool {
    struct Binds<'n>(&'n syn::Ident, bool);
    impl<'ast> Visit<'ast> for Binds<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.1 |= p.ident == *self.0;
            visit::visit_pat_ident(self, p);
        }
    }
    let mut b = Binds(name, false);
    b.visit_pat(pat);
    b.1
}

/// `guard = m.lock().unwrap();`: the guard is taken again.
fn relocks(stmt: &syn::Stmt, guard: &syn::Ident) -> bool {
    let syn::Stmt::Expr(syn::Expr::Assign(a), _) = stmt else {
        return false;
    };
    matches!(&*a.left, syn::Expr::Path(p) if p.path.is_ident(guard))
        && sync_lock(&a.right).is_some()
}

/// `m.lock()`, `rw.read()`, `rw.write()` that are not awaited (with `.unwrap()`/`.expect(..)`).
fn sync_lock(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    match e {
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "unwrap" | "expect") =>
        {
            sync_lock(&m.receiver)
        }
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "lock" | "read" | "write") =>
        {
            Some(m)
        }
        _ => None,
    }
}

fn drops(stmt: &syn::Stmt, guard: &syn::Ident) -> bool {
    let syn::Stmt::Expr(syn::Expr::Call(c), _) = stmt else {
        return false;
    };
    matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("drop"))
        && c.args
            .iter()
            .any(|a| matches!(a, syn::Expr::Path(p) if p.path.is_ident(guard)))
}

#[cfg(test)]
mod tests {
    use crate::{Config, Level, Rule, check_source};

    fn lines(src: &str, config: &Config) -> Vec<usize> {
        check_source("t.rs", src, config)
            .into_iter()
            .filter(|f| f.rule == Rule::BlockingInAsync)
            .map(|f| f.primary.span.line_start)
            .collect()
    }

    #[test]
    fn blocking_calls_in_loops_warn_and_are_allowed_elsewhere_by_default() {
        let src = "async fn f() {\n    std::thread::sleep(D);\n    loop {\n        std::thread::sleep(D);\n        x.await;\n    }\n}";
        assert_eq!(lines(src, &Config::default()), [4]);
        let mut everywhere = Config::default();
        everywhere
            .outside_loops
            .insert(Rule::BlockingInAsync, Level::Warn);
        assert_eq!(lines(src, &everywhere), [2, 4]);
    }

    #[test]
    fn what_blocks_and_what_does_not() {
        let c = Config::default();
        for src in [
            "use std::fs;\nasync fn f() { loop { let t = fs::read_to_string(p).unwrap(); x.await; } }",
            "async fn f(rx: std::sync::mpsc::Receiver<u8>) { loop { let m = rx.recv().unwrap(); x.await; } }",
            "use std::process::Command;\nasync fn f() { loop { Command::new(\"ls\").output().unwrap(); x.await; } }",
            "async fn f() { loop { let b = reqwest::blocking::get(u); x.await; } }",
            "async fn f() { loop { futures::executor::block_on(g()); x.await; } }",
            "async fn f() { loop { sock.read(&mut buf); x.await; } }",
            "async fn f() { loop { std::fs::OpenOptions::new().write(true).open(p).unwrap(); x.await; } }",
            "use crossterm::event;\nasync fn f() { loop { if event::poll(tick)? { key(event::read()?); } x.await; } }",
            // Re-exported by ratatui; a read in a function that never polls waits for a key.
            "use ratatui::crossterm::event;\nasync fn f() { loop { event::poll(tick)?; x.await; } }",
            "use crossterm::event;\nconst TICK: Duration = Duration::from_millis(50);\nasync fn f() { loop { event::poll(TICK)?; x.await; } }",
            "use crossterm::event;\nasync fn f() { loop { key(event::read()?); x.await; } }",
            // A line editor's prompt.
            "async fn f() { loop { let l = editor.readline(\">> \")?; send(l).await; } }",
            // A terminal prompt (dialoguer's), as in cargo-shuttle's and ferium's commands.
            "async fn f() { loop { let n: String = Input::new().with_prompt(\"Name\").interact_text()?; send(n).await; } }",
            "async fn f() { loop { if !Confirm::new().interact()? { break; } x.await; } }",
            // ipc-channel's `try_recv_timeout` waits out its timeout (swarm-discovery's test).
            "async fn f() { loop { let d = rx.try_recv_timeout(Duration::from_secs(5)).unwrap(); x.await; } }",
            // The next line of stdin's `lines()` (adk-runner's console).
            "async fn f() { let stdin = io::stdin(); let mut lines = stdin.lock().lines(); loop { let l = match lines.next() { Some(Ok(l)) => l, _ => break }; send(l).await; } }",
            // A tuple handed to a call is a value, not futures raced together.
            "async fn f() { loop { out.push((1, rx.recv_timeout(T).unwrap())); go().await; } }",
            "async fn f() { loop { tx.send((id, rx.recv_timeout(T))).await; } }",
            "async fn f() { loop { let s = [hdr, rx.recv().unwrap()].concat(); go(s).await; } }",
            // An unwrapped result is not a future, even as an awaited call's argument.
            "async fn f() { loop { handle(rx.recv().unwrap()).await; } }",
            "async fn f() { loop { let e = socket_rx.recv().unwrap(); go(e).await; } }",
            "async fn f() { loop { tx.send(rx.recv_timeout(T).expect(\"gone\")).await; } }",
            // A captured output's text is memory, but stdin's own lines wait.
            "async fn f() { let stdin_lines = std::io::stdin().lines(); loop { match stdin_lines.next() { Some(l) => go(l).await, None => break } } }",
        ] {
            assert_eq!(lines(src, &c).len(), 1, "{src}");
        }
        for src in [
            "use tokio::fs;\nasync fn f() { loop { fs::read_to_string(p).await; } }",
            "use tokio::time::sleep;\nasync fn f() { loop { sleep(D).await; } }",
            "async fn f() { loop { rx.recv().await; } }",
            // An adapter that may be a future's keeps the future position.
            "async fn f() { loop { let s = listener.accept().with_context(ctx.clone()).await; go(s).await; } }",
            "async fn f() { loop { handle(rx.recv().map_err(E::from)).await; } }",
            "async fn f() { loop { let m = rx.recv().unwrap_or_else(|_| stop()).await; go(m).await; } }",
            // A socket's argument-less `recv()` is not std's (smoltcp's, in microsandbox's
            // tests, returns at once); a channel of socket events still blocks (above).
            "async fn f() { loop { let socket = sockets.get_mut::<udp::Socket>(h); if socket.can_recv() { let (b, p) = socket.recv().unwrap(); reply(b, p); } sleep(T).await; } }",
            // A socket its function makes non-blocking answers `WouldBlock` instead of waiting.
            "async fn f(sock: Socket) { sock.set_nonblocking(true).unwrap(); loop { match sock.recv_from(&mut buf) { Ok(p) => handle(p), Err(_) => sleep(T).await } } }",
            // rs-matter's mDNS browse: a zero timeout only asks, also through a constant of the
            // file, and a condvar's duration comes after its guard.
            "const NOW: Duration = Duration::ZERO;\nasync fn f() { loop { match rx.recv_timeout(NOW) { Ok(s) => add(s), Err(_) => sleep(T).await } } }",
            "async fn f() { loop { let _ = cvar.wait_timeout(state.guard(), Duration::ZERO); sleep(T).await; } }",
            "async fn f() { loop { match browser.recv_timeout(Duration::ZERO) { Ok(s) => add(s), Err(_) => Timer::after(T).await } } }",
            "async fn f() { loop { match rx.try_recv_timeout(Duration::ZERO) { Ok(s) => add(s), Err(_) => sleep(T).await } } }",
            // A stream's `next()` is awaited; words of a line are memory.
            "async fn f(stream: TcpStream) { let mut lines = BufReader::new(stream).lines(); loop { match lines.next().await { Some(l) => send(l).await, None => break } } }",
            "async fn f(stdin_line: String) { let mut words = stdin_line.split_whitespace(); loop { match words.next() { Some(w) => send(w).await, None => break } } }",
            "async fn f() { let out = Command::new(\"git\").output().await?; let stdout = String::from_utf8(out.stdout)?; let mut lines = stdout.lines(); while let Some(l) = lines.next() { send(l).await; } }",
            // A tuple of futures raced or joined (futures-concurrency; picomux's pings).
            "async fn f() { loop { let tick = async { sleep(d).await }; if let Ok(i) = (tick, rx.recv()).race().await { go(i).await; } } }",
            "async fn f() { loop { let (a, b) = [rx.recv(), other.recv()].join().await; go(a, b).await; } }",
            // deadpool's `interact` runs a closure on its own thread and is awaited.
            "async fn f() { loop { conn.interact(|c| c.query()).await?; } }",
            // Kept to race in a `select!` later.
            "async fn f() { loop { let recv = rx.recv(); tokio::select! { m = recv => {}, _ = t => {} } } }",
            "use tokio::process::Command;\nasync fn f() { loop { Command::new(\"ls\").output().await; } }",
            "fn f() { loop { std::thread::sleep(D); } }",
            "async fn f() { loop { spawn_blocking(|| std::thread::sleep(D)).await; } }",
            "async fn f() { loop { tokio::fs::OpenOptions::new().write(true).open(p).await; } }",
            // A zero timeout only asks; another crate's `poll` is not crossterm's.
            "use crossterm::event;\nasync fn f() { loop { if event::poll(Duration::ZERO)? { key(event::read()?); } x.await; } }",
            "use crossterm::event;\nconst TICK: Duration = Duration::from_millis(0);\nasync fn f() { loop { if event::poll(TICK)? { key(event::read()?); } x.await; } }",
            "use polling::event;\nasync fn f() { loop { event::poll(tick); x.await; } }",
            // A read in a function that polls follows a poll that said an event is there (in
            // a trait's default method too).
            "use crossterm::event;\ntrait T { async fn f(&self) { loop { if event::poll(Duration::ZERO)? { let e = event::read()?; key(e); } x.await; } } }",
            "use crossterm::event;\nasync fn f() { loop { if event::poll(Duration::ZERO)? { let e = event::read()?; key(e); } x.await; } }",
            // Another crate's `read`; an async line editor's prompt.
            "use std::io;\nasync fn f() { loop { io::read(); x.await; } }",
            "async fn f() { loop { let l = rl.readline(\">> \").await?; send(l).await; } }",
        ] {
            assert!(lines(src, &c).is_empty(), "{src}");
        }
    }

    #[test]
    fn a_std_guard_held_across_an_await() {
        let c = Config::default();
        let mut everywhere = Config::default();
        everywhere
            .outside_loops
            .insert(Rule::BlockingInAsync, Level::Warn);
        let src = "async fn f() {\n    let g = m.lock().unwrap();\n    g.push(1);\n    x.await;\n}";
        assert_eq!(lines(src, &everywhere), [2]);
        // A drop on one branch does not free the other, nor a later statement; a guard taken
        // again after its drop is held again; a `drop` of another binding of the same name
        // frees nothing.
        for held in [
            "async fn f() {\n    let g = m.lock();\n    if c { drop(g); } else { x.await; }\n}",
            "async fn f() {\n    let g = m.lock();\n    if c { drop(g); }\n    x.await;\n}",
            "async fn f() {\n    let mut g = m.lock().unwrap();\n    for _ in 0..3 { drop(g); tick().await; g = m.lock().unwrap(); g.push(1); flush().await; }\n}",
            "async fn f() {\n    let mut g = m.lock().unwrap();\n    drop(g);\n    n.notified().await;\n    g = m.lock().unwrap();\n    tx.send(x).await;\n}",
            "async fn f() {\n    let g = m.lock().unwrap();\n    if c { let g = vec![1]; drop(g); flush().await; }\n    g.len();\n}",
            "async fn f() {\n    let g = m.lock().unwrap();\n    match o { Some(g) => { drop(g); flush().await } None => {} }\n}",
            "async fn f() {\n    let g = m.lock().unwrap();\n    if let Some(g) = o { drop(g); flush().await; }\n}",
        ] {
            assert_eq!(lines(held, &everywhere), [2], "{held}");
        }
        assert!(
            lines(src, &c).is_empty(),
            "allowed outside loops by default"
        );
        for quiet in [
            "async fn f() { let g = m.lock().unwrap(); g.push(1); drop(g); x.await; }",
            "async fn f() { let g = m.lock().await; g.push(1); x.await; }",
            "async fn f() { { let g = m.lock().unwrap(); g.push(1); } x.await; }",
            // x8's shape: the branch that awaits drops the guard first; the other leaves.
            "async fn f() { for d in ds { let g = m.lock(); if g.done() { break; } else { drop(g); return next().await; } } }",
        ] {
            assert!(lines(quiet, &everywhere).is_empty(), "{quiet}");
        }
    }

    #[test]
    fn the_fix_is_tokios_equivalent() {
        let f = check_source(
            "t.rs",
            "async fn f() { loop { std::thread::sleep(Duration::from_secs(1)); x.await; } }",
            &Config::default(),
        );
        let fix = &f
            .iter()
            .find(|f| f.rule == Rule::BlockingInAsync)
            .unwrap()
            .suggestions[0];
        assert_eq!(
            fix.edits[0].replacement,
            "tokio::time::sleep(Duration::from_secs(1)).await"
        );
    }
}
