//! What a call means for cancellation: cancelkit's checks and cancellation-aware futures
//! (from the one list in [`super::names`]), tokio-util's `CancellationToken`, paths the user
//! configures, calls that block the thread, and calls that never return.
//!
//! Names are matched syntactically (there is no type information), after resolving the first
//! segment through the file's `use` items ([`super::imports`]):
//! - a path call is cancelkit's when it resolves to a path under `cancelkit`, or when it is a
//!   bare name the file does not import, of a file that glob-imports cancelkit or mentions it
//!   and glob-imports no other crate;
//! - a configured observer path `a::b::f` matches a resolved call path when the last segments
//!   agree and one is a suffix of the other;
//! - a method call matches by method name alone, for the names that are specific enough.

use syn::{Expr, Ident, Path};

use super::imports::Imports;
use super::literals;
use super::macros;
use super::names;
use super::streams;

/// Methods that block the calling thread unless their result is awaited (`std::sync::mpsc`'s
/// and crossbeam's `recv`, `Condvar::wait`, `Handle::block_on`, ipc-channel's
/// `try_recv_timeout`, which waits out its timeout despite its name).
const BLOCKING_METHODS: &[&str] = &[
    "recv",
    "recv_timeout",
    "try_recv_timeout",
    "recv_deadline",
    "wait",
    "wait_timeout",
    "wait_while",
    "block_on",
];
/// `std::io` reads (and `accept`) that wait for the other end when not awaited: blocking when
/// the receiver, or the stream handed to it (`conn.read_tls(&mut sock)`), is named like a
/// socket or stream. A read from a buffer or a slice is not.
pub(crate) const BLOCKING_READS: &[&str] = &[
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "read_line",
    "read_tls",
    "accept",
    "recv_from",
];
/// tokio's methods for code outside the runtime.
const BLOCKING_TOKIO: &[&str] = &[
    "blocking_recv",
    "blocking_recv_many",
    "blocking_send",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
];
/// Functions of `std::thread` that block the thread. (`yield_now` and `std::hint::spin_loop`
/// return at once: they say nothing about how long a loop around them runs.)
const BLOCKING_THREAD_FNS: &[&str] = &["sleep", "park", "park_timeout"];

/// How a call relates to cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// Observes when called.
    Check,
    /// Returns a future that observes when awaited.
    Aware,
    /// Blocks (or spins) the thread: the executor cannot run anything else meanwhile.
    Blocking,
    /// Never returns.
    Diverges,
    /// Anything else.
    Other,
}

/// How a macro invocation relates to cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacroKind {
    /// Awaits implicitly (`select!`, `join!`, `pending!`).
    Awaiting,
    /// Never returns (`panic!`).
    Diverges,
    /// Anything else: its tokens are scanned.
    Other,
}

/// The observer table for one crate: the runtime names plus the configured ones.
#[derive(Debug, Clone)]
pub(crate) struct Observers {
    check_fns: Vec<Vec<String>>,
    aware_fns: Vec<Vec<String>>,
    /// Configured observer paths (`my_crate::stop::requested`, or a bare name).
    extra_fns: Vec<Vec<String>>,
    extra_methods: Vec<String>,
    /// Last segments of every function above, for a fast "nothing to do with us" answer.
    last_names: Vec<String>,
}

impl Observers {
    pub(crate) fn new(extra: &[String]) -> Self {
        let check_fns: Vec<Vec<String>> = names::CHECK_FNS
            .iter()
            .map(|p| names::segments(p))
            .collect();
        let aware_fns: Vec<Vec<String>> = names::AWARE_FNS
            .iter()
            .map(|p| names::segments(p))
            .collect();
        let extra_fns: Vec<Vec<String>> = extra
            .iter()
            .map(|p| names::segments(p))
            .filter(|s| !s.is_empty())
            .collect();
        let extra_methods = extra_fns.iter().filter_map(|p| p.last().cloned()).collect();
        let mut last_names: Vec<String> = check_fns
            .iter()
            .chain(&aware_fns)
            .chain(&extra_fns)
            .filter_map(|p| p.last().cloned())
            .chain(["exit", "abort", "panic_any", "block_on"].map(String::from))
            .chain(BLOCKING_THREAD_FNS.iter().map(|s| s.to_string()))
            .collect();
        last_names.sort();
        last_names.dedup();
        Observers {
            check_fns,
            aware_fns,
            extra_fns,
            extra_methods,
            last_names,
        }
    }

    /// Classifies a call through a path, as the file's imports resolve it.
    pub(crate) fn classify_path(&self, file: FileNames<'_>, path: &Path) -> CallKind {
        let Some(last) = path.segments.last().map(|s| &s.ident) else {
            return CallKind::Other;
        };
        // Fast path: most calls have nothing to do with cancellation (a renamed import needs
        // resolving first).
        let known = self.last_names.iter().any(|n| last == n);
        let renamed = path.segments.len() == 1 && file.imports.renames(last);
        if !(known || renamed) {
            return CallKind::Other;
        }
        let segs = file.imports.resolve_path(path);
        let Some(last) = segs.last().map(String::as_str) else {
            return CallKind::Other;
        };
        if self.extra_fns.iter().any(|p| suffix_match(p, &segs)) {
            return CallKind::Check;
        }
        if file.is_cancelkit(path) {
            let named =
                |table: &[Vec<String>]| table.iter().any(|p| p.last().is_some_and(|l| l == last));
            if named(&self.check_fns) {
                return CallKind::Check;
            }
            if named(&self.aware_fns) {
                return CallKind::Aware;
            }
            return CallKind::Other;
        }
        let parent = segs.len().checked_sub(2).map(|i| segs[i].as_str());
        match (parent, last) {
            (Some("thread" | "hint"), l) if BLOCKING_THREAD_FNS.contains(&l) => CallKind::Blocking,
            (_, "block_on") => CallKind::Blocking,
            (Some("process"), "exit" | "abort") | (_, "panic_any") => CallKind::Diverges,
            _ => CallKind::Other,
        }
    }

    /// Classifies a call through a path with its arguments: [`Self::classify_path`], plus the
    /// library calls whose blocking depends on an argument (see [`blocks_waiting`]).
    pub(crate) fn classify_call(
        &self,
        file: FileNames<'_>,
        path: &Path,
        args: &[&Expr],
    ) -> CallKind {
        match self.classify_path(file, path) {
            CallKind::Other if blocks_waiting(file, path, args).is_some() => CallKind::Blocking,
            kind => kind,
        }
    }

    /// Classifies a method call by name (and, for the generic names, by receiver). `awaited`:
    /// the call is the operand of an `.await` (then `recv()` is an async receive, not a blocking
    /// one).
    pub(crate) fn classify_method(
        &self,
        names: FileNames<'_>,
        method: &Ident,
        receiver: &Expr,
        args: &[&Expr],
        awaited: bool,
    ) -> CallKind {
        if names::CHECK_METHODS.iter().any(|m| method == m)
            || self.extra_methods.iter().any(|m| method == m)
        {
            return CallKind::Check;
        }
        if names::AWARE_METHODS.iter().any(|m| method == m) {
            return CallKind::Aware;
        }
        // `token.check()` and `group.next()`: only when the receiver's name says what it is,
        // because `check` and `next` are common names.
        if method == "check" && receiver_name_contains(receiver, &["token", "cancel"]) {
            return CallKind::Check;
        }
        if method == "next" && receiver_name_contains(receiver, &["group"]) {
            return CallKind::Aware;
        }
        if !awaited {
            // std's and crossbeam's `recv()` take nothing (quiche's `recv(&mut buf, info)`
            // processes a packet in memory); `wait()` is a condvar's, a barrier's or a child
            // process's (zenoh's builders have a `wait()` that resolves at once).
            let blocking = match () {
                // A socket's argument-less `recv()` is not std's (whose sockets receive into a
                // buffer): smoltcp's returns at once, with `Err` when nothing is there.
                _ if method == "recv" => args.is_empty() && !names_a_socket(receiver),
                // With a zero timeout it only asks (a `try_recv` by another name); the
                // duration comes last (`Condvar::wait_timeout(guard, d)`).
                _ if ["recv_timeout", "try_recv_timeout", "wait_timeout"]
                    .iter()
                    .any(|m| method == m)
                    && args.last().is_some_and(|d| is_zero_duration(names, d)) =>
                {
                    false
                }
                _ if method == "wait" => {
                    !args.is_empty()
                        || receiver_name_contains(
                            receiver,
                            &["child", "barrier", "cond", "cvar", "proc"],
                        )
                }
                // The next line of a reader's `lines()` (`let mut lines =
                // stdin.lock().lines();`) waits for it; a stream's `next()` is awaited.
                _ if method == "next" => {
                    args.is_empty()
                        && local_name(receiver).is_some_and(|n| names.streams.is_line_iter(&n))
                }
                // A line editor's prompt (rustyline's `editor.readline(">> ")`) waits for the
                // user; an async editor's is awaited.
                _ if method == "readline" => args.len() == 1,
                // A terminal prompt (dialoguer's `Input::new().interact_text()`) waits for
                // the user too; deadpool's `conn.interact(closure)` takes an argument.
                _ if method == "interact"
                    || method == "interact_opt"
                    || method == "interact_text" =>
                {
                    args.is_empty()
                }
                _ => BLOCKING_METHODS.iter().any(|m| method == m),
            } || BLOCKING_TOKIO.iter().any(|m| method == m);
            // `accept()` takes nothing, a read takes the buffer to fill (a lock's `read()` does
            // not); quinn's `Incoming::accept()` only hands out a `Connecting`.
            let read = if method == "accept" {
                receiver_name_contains(receiver, &["listener"])
            } else {
                let stream = |e: &Expr| {
                    // `stdin.lock()` reads from what it locks.
                    let e = match e {
                        Expr::MethodCall(m) if m.method == "lock" && m.args.is_empty() => {
                            &*m.receiver
                        }
                        e => e,
                    };
                    let local = local_name(e);
                    // A decoder over a `Cursor` reads memory, whatever it is called.
                    !local.as_ref().is_some_and(|n| names.streams.in_memory(n))
                        && (receiver_name_contains(e, streams::STREAM_NAMES)
                            || local.is_some_and(|n| names.streams.contains(&n)))
                };
                // rustls's `conn.read_tls(&mut rd)` reads from `rd`: the connection itself is
                // a state machine in memory, whatever its name (`guest_tls`).
                let receiver_reads = method != "read_tls";
                BLOCKING_READS.iter().any(|m| method == m)
                    && !args.is_empty()
                    && ((receiver_reads && stream(receiver)) || args.iter().any(|a| stream(a)))
            };
            if blocking || (read && !names.in_nonblocking_fn(method)) {
                return CallKind::Blocking;
            }
        }
        CallKind::Other
    }

    /// Classifies a macro by its last path segment.
    pub(crate) fn classify_macro(&self, path: &Path) -> MacroKind {
        let Some(last) = path.segments.last() else {
            return MacroKind::Other;
        };
        if macros::AWAITING.iter().any(|m| last.ident == m) {
            MacroKind::Awaiting
        } else if macros::always_leaves(path) {
            MacroKind::Diverges
        } else {
            MacroKind::Other
        }
    }

    /// Whether `name` (an identifier seen in macro tokens followed by `(`) is a check.
    pub(crate) fn is_check_name(&self, name: &Ident) -> bool {
        names::CHECK_METHODS.iter().any(|m| name == m)
            || self.extra_methods.iter().any(|m| name == m)
            || self
                .check_fns
                .iter()
                .any(|p| p.last().is_some_and(|l| name == l))
    }

    /// Whether `name` (seen in macro tokens) names a cancellation-aware future.
    pub(crate) fn is_aware_name(&self, name: &Ident) -> bool {
        names::AWARE_METHODS.iter().any(|m| name == m)
            || self
                .aware_fns
                .iter()
                .any(|p| p.last().is_some_and(|l| name == l))
    }
}

impl Observers {
    /// Whether `e` is one of cancelkit's fallible checks, whose `Err` is a
    /// `CancellationError`: `checkpoint()`, `sleep(..).await`, `yield_now().await`,
    /// `until_cancelled(..).await` (also as a method), `token.check()`.
    pub(crate) fn is_fallible_check(&self, file: FileNames<'_>, e: &Expr) -> bool {
        let cancelkit_fn = |func: &Expr, names: &[&str]| {
            matches!(func, Expr::Path(p)
                if p.path.segments.last().is_some_and(|l| names.iter().any(|n| l.ident == n))
                    && file.is_cancelkit(&p.path))
        };
        match e {
            Expr::Paren(p) => self.is_fallible_check(file, &p.expr),
            Expr::Group(g) => self.is_fallible_check(file, &g.expr),
            Expr::Await(a) => match &*a.base {
                Expr::Call(c) => cancelkit_fn(
                    &c.func,
                    &["sleep", "yield_now", "until_cancelled", "sleep_until"],
                ),
                Expr::MethodCall(m) => m.method == "until_cancelled",
                _ => false,
            },
            Expr::Call(c) => cancelkit_fn(&c.func, &["checkpoint"]),
            // cancelkit's `token.check()` takes nothing: a rate limiter's `check(key)` or a
            // validator's `check(input)` answers something else.
            Expr::MethodCall(m) => {
                m.method == "check"
                    && m.args.is_empty()
                    && self.classify_method(file, &m.method, &m.receiver, &[], false)
                        == CallKind::Check
            }
            _ => false,
        }
    }
}

/// What name resolution knows about the file being analysed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileNames<'a> {
    pub(crate) imports: &'a Imports,
    /// The file's text mentions `cancelkit`.
    pub(crate) mentions_cancelkit: bool,
    /// Its locals that read like streams ([`streams::Streams`]).
    pub(crate) streams: &'a streams::Streams<'a>,
    /// The file's constants that hold a zero duration (`const POLL: Duration = Duration::ZERO;`).
    pub(crate) zero_consts: &'a [String],
    /// The spans of the functions that call a `poll(..)`: a terminal read there may follow a
    /// poll that said an event is ready ([`blocks_waiting`], [`polling_fns`]).
    pub(crate) polls: &'a FnMarks,
    /// The spans of the functions that put a socket in non-blocking mode
    /// ([`nonblocking_fns`]): their reads and accepts answer `WouldBlock` instead of waiting.
    pub(crate) nonblocking: &'a FnMarks,
}

impl FileNames<'_> {
    /// Whether `at` is in a function that puts its sockets in non-blocking mode.
    pub(crate) fn in_nonblocking_fn(&self, at: &Ident) -> bool {
        self.nonblocking.at(at.span().byte_range().start)
    }

    /// Whether `path` names one of cancelkit's items.
    pub(crate) fn is_cancelkit(&self, path: &Path) -> bool {
        let segs = self.imports.resolve_path(path);
        match segs.first().map(String::as_str) {
            Some("cancelkit") => true,
            _ => segs.len() == 1 && self.bare_names_are_cancelkit(),
        }
    }

    /// Whether a bare name that the file does not import is taken for cancelkit's: the file
    /// glob-imports cancelkit, or mentions it and glob-imports no other crate.
    fn bare_names_are_cancelkit(&self) -> bool {
        self.imports.glob_from("cancelkit")
            || (self.mentions_cancelkit && !self.imports.glob_from_other_crate("cancelkit"))
    }
}

/// A configured path and a call path match when the last segments agree and one is a suffix
/// of the other.
fn suffix_match(observer: &[String], call: &[String]) -> bool {
    let n = observer.len().min(call.len());
    n > 0 && observer[observer.len() - n..] == call[call.len() - n..]
}

/// `x` or `&mut x`: the local a plain path names.
pub(crate) fn local_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) if p.path.segments.len() == 1 => Some(p.path.segments[0].ident.to_string()),
        Expr::Reference(r) => local_name(&r.expr),
        Expr::Paren(p) => local_name(&p.expr),
        _ => None,
    }
}

/// A receiver whose name ends like a socket's (`socket`, `udp_sock`), not a channel of socket
/// events (`socket_rx`).
fn names_a_socket(receiver: &Expr) -> bool {
    value_name(receiver).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with("socket") || n.ends_with("sock")
    })
}

/// The name a value goes by: a variable's (the last segment of a path) or a named field's,
/// through `&` and parentheses.
fn value_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        Expr::Reference(r) => value_name(&r.expr),
        Expr::Paren(p) => value_name(&p.expr),
        _ => None,
    }
}

/// Whether the name of a receiver expression (`self.token` → `token`, `group` → `group`,
/// `stdin()` → `stdin`), lowercased, contains one of `needles`.
fn receiver_name_contains(receiver: &Expr, needles: &[&str]) -> bool {
    let name = match receiver {
        Expr::Path(_) | Expr::Field(_) => value_name(receiver),
        Expr::MethodCall(m) => Some(m.method.to_string()),
        // What a function returns is named by the function: `std::io::stdin().read_line(..)`.
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        Expr::Reference(r) => return receiver_name_contains(&r.expr, needles),
        Expr::Paren(p) => return receiver_name_contains(&p.expr, needles),
        _ => None,
    };
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        needles.iter().any(|needle| n.contains(needle))
    })
}

/// A library call that waits for an outside event on the calling thread, with what it waits
/// for. crossterm's (also as re-exported, `ratatui::crossterm`):
/// - `event::poll(timeout)` waits up to `timeout` for a terminal event (a zero timeout only
///   asks whether one is there);
/// - `event::read()` waits until there is one, unless its function polls (`if
///   event::poll(..)? { event::read()? }` reads an event that is already there).
pub(crate) fn blocks_waiting(
    file: FileNames<'_>,
    path: &Path,
    args: &[&Expr],
) -> Option<&'static str> {
    let last = path.segments.last()?;
    let waits = match () {
        _ if last.ident == "poll" => args.len() == 1 && !is_zero_duration(file, args[0]),
        _ if last.ident == "read" => {
            let at = last.ident.span().byte_range().start;
            args.is_empty() && !file.polls.at(at)
        }
        _ => false,
    };
    (waits && is_crossterm_event(file, path))
        .then_some("waits for a terminal event on the executor thread")
}

/// crossterm's `event::poll(timeout)` with a zero timeout: it only asks whether a terminal
/// event is there, and can keep answering "no".
pub(crate) fn asks_terminal(file: FileNames<'_>, path: &Path, args: &[&Expr]) -> bool {
    names::path_ends_in(path, &["poll"])
        && args.len() == 1
        && is_zero_duration(file, args[0])
        && is_crossterm_event(file, path)
}

/// Whether `path` names a function of crossterm's `event` module (also as re-exported,
/// `ratatui::crossterm`).
fn is_crossterm_event(file: FileNames<'_>, path: &Path) -> bool {
    let segs = file.imports.resolve_path(path);
    let n = segs.len();
    n >= 3 && segs[n - 3] == "crossterm" && segs[n - 2] == "event"
}

/// The file's top-level (and module-level) constants whose value is a zero duration.
pub(crate) fn zero_duration_consts(ast: &syn::File) -> Vec<String> {
    fn walk(items: &[syn::Item], out: &mut Vec<String>) {
        for item in items {
            match item {
                syn::Item::Const(c) if is_literal_zero(&c.expr) => out.push(c.ident.to_string()),
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(items, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&ast.items, &mut out);
    out
}

/// The spans (as `syn` reports them) of the functions of `ast` whose bodies call a function
/// named `poll`, outside nested items.
pub(crate) fn polling_fns(ast: &syn::File) -> FnMarks {
    fns_where(ast, |e| match e {
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p)
            if names::path_ends_in(&p.path, &["poll"]))
        .then_some(true),
        _ => None,
    })
}

/// The spans of the functions that put a socket in non-blocking mode
/// (`sock.set_nonblocking(true)`) and never back (`set_nonblocking(false)`): a read there
/// answers `WouldBlock` instead of waiting.
pub(crate) fn nonblocking_fns(ast: &syn::File) -> FnMarks {
    fns_where(ast, |e| match e {
        Expr::MethodCall(m) if m.method == "set_nonblocking" => match m.args.first() {
            Some(Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(b),
                ..
            })) => Some(b.value),
            _ => Some(false),
        },
        _ => None,
    })
}

/// The body spans of a file's functions, each with whether `mark` said `true` of some
/// expression in it and never `false`. A function nested in another is one of its own: a
/// place belongs to the innermost function around it.
#[derive(Debug, Default)]
pub(crate) struct FnMarks(Vec<(std::ops::Range<usize>, bool)>);

impl FnMarks {
    /// Whether the innermost function around byte `at` is marked.
    pub(crate) fn at(&self, at: usize) -> bool {
        self.0
            .iter()
            .filter(|(r, _)| r.contains(&at))
            .min_by_key(|(r, _)| r.len())
            .is_some_and(|&(_, marked)| marked)
    }
}

fn fns_where(ast: &syn::File, mark: impl Fn(&Expr) -> Option<bool>) -> FnMarks {
    use syn::visit::{self, Visit};
    struct Fns<M> {
        mark: M,
        /// The functions being visited, innermost last, and what was seen in each.
        open: Vec<(proc_macro2::Span, Option<bool>)>,
        found: Vec<(proc_macro2::Span, bool)>,
    }
    impl<M: Fn(&Expr) -> Option<bool>> Fns<M> {
        fn body(&mut self, block: &syn::Block) {
            self.open.push((block.brace_token.span.join(), None));
            self.visit_block(block);
            if let Some((r, seen)) = self.open.pop() {
                self.found.push((r, seen == Some(true)));
            }
        }
    }
    impl<'ast, M: Fn(&Expr) -> Option<bool>> Visit<'ast> for Fns<M> {
        fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
            self.body(&i.block);
        }
        fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
            self.body(&i.block);
        }
        fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
            if let Some(b) = &i.default {
                self.body(b);
            }
        }
        fn visit_expr(&mut self, e: &'ast Expr) {
            if let Some(seen) = (self.mark)(e)
                && let Some(f) = self.open.last_mut()
            {
                // A `false` anywhere in the function wins.
                f.1 = Some(f.1.unwrap_or(true) && seen);
            }
            visit::visit_expr(self, e);
        }
        // No call is made in these.
        fn visit_type(&mut self, _: &'ast syn::Type) {}
        fn visit_pat(&mut self, _: &'ast syn::Pat) {}
        fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
        fn visit_generics(&mut self, _: &'ast syn::Generics) {}
    }
    let mut fns = Fns {
        mark,
        open: Vec::new(),
        found: Vec::new(),
    };
    fns.visit_file(ast);
    // Byte ranges cost a count of characters each: most files mark no function, and then
    // none is needed.
    if !fns.found.iter().any(|&(_, marked)| marked) {
        return FnMarks::default();
    }
    FnMarks(
        fns.found
            .into_iter()
            .map(|(span, marked)| (span.byte_range(), marked))
            .collect(),
    )
}

/// A zero duration: written as one (`Duration::ZERO`, `Duration::from_millis(0)` in any unit,
/// `Duration::default()`), or a constant of the file that holds one.
pub(crate) fn is_zero_duration(file: FileNames<'_>, e: &Expr) -> bool {
    is_literal_zero(e)
        || matches!(e, Expr::Path(p)
            if p.path.get_ident().is_some_and(|i| file.zero_consts.iter().any(|c| i == c)))
}

/// `Duration::ZERO`, `Duration::from_millis(0)` (any unit), `Duration::default()`.
fn is_literal_zero(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => names::path_ends_in(&p.path, &["ZERO"]),
        Expr::Call(c) => {
            let Expr::Path(f) = &*c.func else {
                return false;
            };
            let Some(name) = f.path.segments.last().map(|s| s.ident.to_string()) else {
                return false;
            };
            (name == "default" && c.args.is_empty())
                || (name.starts_with("from_")
                    && c.args.len() == 1
                    && literals::int_lit(&c.args[0]) == Some(0))
        }
        Expr::Paren(p) => is_literal_zero(&p.expr),
        Expr::Reference(r) => is_literal_zero(&r.expr),
        _ => false,
    }
}
