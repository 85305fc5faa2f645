//! What a value says about the loop that got it: the outcome a pattern matches (`Some`/`Ok` is
//! success, `None`/`Err`/`Pending` is failure), the call that produced the value (looking
//! through `.map_err(..)` and `?`), and what the call's name says: a poll that can answer
//! "nothing yet", a call that hands out an item, a read that changes nothing.

use syn::{Expr, Ident, Pat};

use super::names;

/// What a pattern says about the value it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `Some(..)`, `Ok(..)`, `Poll::Ready(..)`: there was something.
    Success,
    /// `None`, `Err(..)`, `Poll::Pending`, `Ok(None)`: there was nothing (yet).
    Failure,
    /// A binding or `_`, or a mix.
    Unknown,
}

pub(crate) fn outcome_of(p: &Pat) -> Outcome {
    let last = |path: &syn::Path| path.segments.last().map(|s| s.ident.to_string());
    match p {
        Pat::TupleStruct(t) => match last(&t.path).as_deref() {
            Some("Some" | "Ok" | "Ready") => match t.elems.first() {
                Some(inner) if t.elems.len() == 1 && outcome_of(inner) == Outcome::Failure => {
                    Outcome::Failure
                }
                _ => Outcome::Success,
            },
            // A broadcast receiver that fell behind (`Err(TryRecvError::Lagged(n))`, async-broadcast's
            // `Overflowed`) skipped to the oldest message it can still get: the next call has
            // one, so this is not "nothing yet".
            Some("Err") if err_skipped_ahead(t) => Outcome::Success,
            Some("Err") => Outcome::Failure,
            _ => Outcome::Unknown,
        },
        Pat::Ident(i) if i.subpat.is_none() && (i.ident == "None" || i.ident == "Pending") => {
            Outcome::Failure
        }
        Pat::Path(p) => match last(&p.path).as_deref() {
            Some("None" | "Pending") => Outcome::Failure,
            _ => Outcome::Unknown,
        },
        Pat::Or(o) => {
            let mut cases = o.cases.iter().map(outcome_of);
            let first = cases.next().unwrap_or(Outcome::Unknown);
            if cases.all(|c| c == first) {
                first
            } else {
                Outcome::Unknown
            }
        }
        Pat::Paren(p) => outcome_of(&p.pat),
        Pat::Guard(g) => outcome_of(&g.pat),
        _ => Outcome::Unknown,
    }
}

/// `Lagged(n)`, `TryRecvError::Lagged(n)`, `TryRecvError::Overflowed(_)`: a broadcast receiver
/// that was moved past messages it missed. A variant of another error type (`PushError::
/// Overflowed`, a full queue) is not one.
fn skipped_ahead(p: &Pat) -> bool {
    let path = match p {
        Pat::TupleStruct(t) => &t.path,
        Pat::Path(p) => &p.path,
        _ => return false,
    };
    let mut segs = path.segments.iter().rev();
    let (Some(last), parent) = (segs.next(), segs.next()) else {
        return false;
    };
    match parent {
        None => last.ident == "Lagged",
        Some(ty) => {
            ty.ident.to_string().ends_with("RecvError")
                && (last.ident == "Lagged" || last.ident == "Overflowed")
        }
    }
}

/// `Err(TryRecvError::Lagged(_))`.
fn err_skipped_ahead(t: &syn::PatTupleStruct) -> bool {
    names::path_ends_in(&t.path, &["Err"])
        && t.elems.len() == 1
        && t.elems.first().is_some_and(skipped_ahead)
}

/// Whether a pattern takes only a lagging receiver's error (`Err(TryRecvError::Lagged(_))`):
/// then a catch-all after it still takes `Ok`.
pub(crate) fn only_skips_ahead(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(t) => err_skipped_ahead(t),
        Pat::Or(o) => o.cases.iter().all(only_skips_ahead),
        Pat::Paren(p) => only_skips_ahead(&p.pat),
        Pat::Guard(g) => only_skips_ahead(&g.pat),
        _ => false,
    }
}

/// What the arms before this one of a `match` took.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen {
    /// Some success arm.
    pub(crate) success: bool,
    /// Some failure arm.
    pub(crate) failure: bool,
    /// ... and together they take every failure: an `Err(_)`, `None` or `Pending` arm, or
    /// arms for both a channel's "nothing yet" and its "closed" (`Err(TryRecvError::Empty)`
    /// and `Err(TryRecvError::Disconnected)`).
    pub(crate) every_failure: bool,
    nothing_yet: bool,
    closed: bool,
}

impl Seen {
    /// Notes a failure arm's pattern.
    pub(crate) fn failure_arm(&mut self, p: &Pat) {
        self.failure = true;
        match p {
            Pat::Or(o) => o.cases.iter().for_each(|c| self.failure_arm(c)),
            Pat::Paren(p) => self.failure_arm(&p.pat),
            // A guard may let the value through to a later arm.
            Pat::Guard(_) => {}
            Pat::Ident(_) | Pat::Path(_) => self.every_failure = true,
            Pat::TupleStruct(t) if names::path_ends_in(&t.path, &["Err"]) => {
                let last = |p: &syn::Path| p.segments.last().map(|s| s.ident.to_string());
                let v = match t.elems.first() {
                    Some(Pat::Wild(_)) => return self.every_failure = true,
                    // `Err(e)` binds every error; `Err(Empty)` names an imported variant.
                    Some(Pat::Ident(i))
                        if i.subpat.is_none()
                            && !i.ident.to_string().starts_with(char::is_uppercase) =>
                    {
                        return self.every_failure = true;
                    }
                    Some(Pat::Ident(i)) => Some(i.ident.to_string()),
                    Some(Pat::Path(v)) => last(&v.path),
                    Some(Pat::TupleStruct(v)) => last(&v.path),
                    _ => return,
                };
                self.nothing_yet |= matches!(v.as_deref(), Some("Empty" | "WouldBlock"));
                self.closed |= matches!(v.as_deref(), Some("Disconnected" | "Closed"));
                self.every_failure |= self.nothing_yet && self.closed;
            }
            _ => {}
        }
    }
}

/// A match arm's outcome, given what the arms before it took. A catch-all after only success
/// arms is the failure side (and the other way round); after arms that took every failure, it
/// is the success side.
pub(crate) fn arm_outcome(p: &Pat, seen: Seen) -> Outcome {
    match (outcome_of(p), p) {
        (Outcome::Unknown, Pat::Wild(_) | Pat::Ident(_)) => match (seen.success, seen.failure) {
            (true, false) => Outcome::Failure,
            (false, true) => Outcome::Success,
            _ if seen.every_failure => Outcome::Success,
            _ => Outcome::Unknown,
        },
        (o, _) => o,
    }
}

/// `is_ok()`-style tests: `Some(true)` when the method holds on success, `Some(false)` on
/// failure.
pub(crate) fn outcome_test(method: &Ident) -> Option<bool> {
    match method.to_string().as_str() {
        "is_ok" | "is_some" | "is_ready" => Some(true),
        "is_err" | "is_none" | "is_pending" => Some(false),
        _ => None,
    }
}

/// The call that produced a value, looking through adapters and `?`:
/// `rx.try_recv().map_err(E::from)?` → `try_recv`.
pub(crate) struct Source<'e> {
    pub(crate) name: &'e Ident,
    /// The call takes arguments (`write(&buf)` moves data; `lock.write()` does not).
    pub(crate) has_args: bool,
}

impl Source<'_> {
    /// Whether its failure can be "nothing yet". A function of unknown purpose called without
    /// arguments (`op()`, `compute()`) is not taken for a poll: it may as well do the work.
    pub(crate) fn polls(&self) -> bool {
        is_poll_call(&self.name.to_string(), self.has_args)
    }
}

pub(crate) fn source(e: &Expr) -> Option<Source<'_>> {
    match e {
        Expr::Try(t) => source(&t.expr),
        Expr::Paren(p) => source(&p.expr),
        Expr::Group(g) => source(&g.expr),
        Expr::Await(a) => source(&a.base),
        Expr::Reference(r) => source(&r.expr),
        Expr::MethodCall(m) if is_adapter(&m.method.to_string()) => source(&m.receiver),
        Expr::MethodCall(m) => Some(Source {
            name: &m.method,
            has_args: !m.args.is_empty(),
        }),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p.path.segments.last().map(|s| Source {
                name: &s.ident,
                has_args: !c.args.is_empty(),
            }),
            _ => None,
        },
        _ => None,
    }
}

// What call names mean.

/// `try_` names that convert or borrow rather than poll something that may not be ready.
const TRY_CONVERSIONS: &[&str] = &[
    "try_into",
    "try_from",
    "try_clone",
    "try_borrow",
    "try_borrow_mut",
    "try_unwrap",
    "try_new",
    "try_with",
    "try_map",
    "try_for_each",
    "try_fold",
    "try_collect",
    "try_insert",
    "try_reserve_exact",
    "try_init",
];

/// A call that can answer "nothing yet" and be asked again: `try_recv`, `try_lock`,
/// `poll_next`, `peek`, `now_or_never`.
pub(crate) fn is_poll_style(name: &str) -> bool {
    (name.starts_with("try_") && !TRY_CONVERSIONS.contains(&name))
        || name.starts_with("poll_")
        || (name.starts_with("peek") && name != "peekable")
        || name == "now_or_never"
}

/// [`is_poll_style`], with the call's arguments known: a `peek` that takes none looks at a
/// collection or an iterator (`heap.peek_mut()`, `it.peek()`), which only the code changes; a
/// socket's `peek(&mut buf)` asks the OS.
pub(crate) fn is_poll_call(name: &str, has_args: bool) -> bool {
    is_poll_style(name) && (has_args || !name.starts_with("peek"))
}

/// A random draw through a path: `rand::random()`, `fastrand::u32(..)`, the crate's
/// `rand_data(n)` (a last segment `random` or `rand_*`, or a `rand`/`fastrand` segment).
pub(crate) fn is_random_call(path: &syn::Path) -> bool {
    path.segments
        .iter()
        .any(|s| s.ident == "rand" || s.ident == "fastrand")
        || path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name == "random" || name.starts_with("rand_")
        })
}

/// A random draw through a method of a generator: `rng.gen_range(..)`, `rng.r#gen()`,
/// `rand::rng().random()` (the receiver must read like one: `rng`, `rand`).
pub(crate) fn is_random_method(method: &syn::Ident, receiver: &Expr) -> bool {
    let name = method.to_string();
    let draws = matches!(
        name.trim_start_matches("r#"),
        "gen" | "gen_range" | "gen_bool" | "random" | "random_range" | "random_bool" | "sample"
    );
    draws && {
        let text = quote::ToTokens::to_token_stream(receiver)
            .to_string()
            .to_lowercase();
        text.contains("rng") || text.contains("rand")
    }
}

/// A read of state that only something else changes (`has_args`: the call takes arguments).
pub(crate) fn is_outside_read(name: &str, has_args: bool) -> bool {
    matches!(name, "load" | "elapsed" | "is_finished") || is_poll_call(name, has_args)
}

/// A call whose success hands out an item, so that taking the success side again and
/// again drains something: anything but the lookups below. `read(&mut buf)` and
/// `write(&buf)` move data; a lock's `read()` and `write()` do not.
pub(crate) fn is_consuming(name: &str, has_args: bool) -> bool {
    if has_args && matches!(name, "read" | "write") {
        return true;
    }
    !(name.starts_with("peek")
        || name.starts_with("get")
        || name.starts_with("try_lock")
        || name.starts_with("as_")
        || name.starts_with("borrow")
        || name.starts_with("is_")
        || matches!(
            name,
            "lock"
                | "read"
                | "write"
                | "load"
                | "first"
                | "last"
                | "upgrade"
                | "find"
                | "contains"
                | "contains_key"
                | "iter"
                | "clone"
                | "elapsed"
        ))
}

/// `bytes::Buf`'s typed getters (`get_u16`, `get_i64_le`, `get_f32_ne`, `get_uint`): each
/// reads a value and advances the buffer past it.
fn is_buf_get(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("get_") else {
        return false;
    };
    let rest = rest
        .strip_suffix("_le")
        .or_else(|| rest.strip_suffix("_ne"))
        .unwrap_or(rest);
    matches!(rest, "uint" | "int")
        || rest
            .strip_prefix(['u', 'i', 'f'])
            .is_some_and(|bits| matches!(bits, "8" | "16" | "32" | "64" | "128"))
}

/// Methods that leave their receiver as it was (calling one is not progress).
pub(crate) fn is_read_only(name: &str) -> bool {
    name.starts_with("is_")
        || name.starts_with("as_")
        || name.starts_with("to_")
        || (name.starts_with("get") && !is_buf_get(name))
        || name.starts_with("peek")
        || name.starts_with("contains")
        || matches!(
            name,
            "len"
                | "load"
                | "iter"
                | "clone"
                | "borrow"
                | "lock"
                | "read"
                | "elapsed"
                | "first"
                | "last"
                | "capacity"
                | "keys"
                | "values"
                | "eq"
                | "ne"
                | "cmp"
                | "unwrap"
                | "expect"
                | "deref"
                | "starts_with"
                | "ends_with"
                | "try_lock"
        )
}

/// Methods that plainly change their receiver: in a condition, calling one on what the
/// condition reads is progress (`while let Some(s) = servers.pop_front()`).
pub(crate) fn is_mutator(name: &str) -> bool {
    [
        "pop",
        "push",
        "take",
        "next",
        "remove",
        "drain",
        "insert",
        "advance",
        "split_",
        "truncate",
        "clear",
        "consume",
        "extend",
        "increment",
        "decrement",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Methods that pass a value through (`.map_err(..)`, `.ok()`): the call that produced it
/// is further in.
pub(crate) fn is_adapter(name: &str) -> bool {
    matches!(
        name,
        "map"
            | "map_err"
            | "ok"
            | "err"
            | "as_ref"
            | "as_mut"
            | "as_deref"
            | "as_deref_mut"
            | "transpose"
            | "copied"
            | "cloned"
            | "flatten"
            | "and_then"
            | "ok_or"
            | "ok_or_else"
            | "context"
            | "with_context"
            | "filter"
            | "into"
    )
}

/// The call that makes what a `for` loop iterates, looking through iterator adapters:
/// `rx.try_iter().take(8).enumerate()` → `try_iter`.
pub(crate) fn iterable_source(e: &Expr) -> Option<Source<'_>> {
    match e {
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "take"
                    | "skip"
                    | "enumerate"
                    | "take_while"
                    | "skip_while"
                    | "filter_map"
                    | "map_while"
                    | "peekable"
                    | "by_ref"
                    | "fuse"
                    | "inspect"
            ) =>
        {
            iterable_source(&m.receiver)
        }
        Expr::Paren(p) => iterable_source(&p.expr),
        e => source(e),
    }
}

/// The futures of a tuple or an array combined as one (futures-concurrency's `(tick,
/// rx.recv()).race()`, `[a, b].join()`, `try_join`, `race_ok`, `merge`), each in a future's
/// position. A slice's `join(",")` takes an argument; a tuple handed to a call is a value.
pub(crate) fn futures_combined(m: &syn::ExprMethodCall) -> Option<impl Iterator<Item = &Expr>> {
    let combines = m.args.is_empty()
        && matches!(
            m.method.to_string().as_str(),
            "race" | "race_ok" | "join" | "try_join" | "merge"
        );
    let elems = match &*m.receiver {
        Expr::Tuple(t) if combines => &t.elems,
        Expr::Array(a) if combines => &a.elems,
        _ => return None,
    };
    Some(elems.iter())
}

/// Methods whose receiver is a future (futures' and tokio's adapters).
pub(crate) fn is_future_adapter(method: &syn::Ident) -> bool {
    [
        "timeout",
        "fuse",
        "boxed",
        "boxed_local",
        "then",
        "left_future",
        "right_future",
        "catch_unwind",
        "instrument",
        "in_current_span",
        "until_cancelled",
        "race",
        "or",
        "shared",
        "now_or_never",
        "into_future",
    ]
    .iter()
    .any(|a| method == a)
}

/// Awaits that wait for something from outside: a message, a connection, a tick, a timer, a
/// stream's next item, a change.
const EVENT_WAITS: &[&str] = &[
    "recv",
    "recv_many",
    "recv_async",
    "recv_from",
    "accept",
    "tick",
    "sleep",
    "sleep_until",
    "next",
    "try_next",
    "changed",
    "notified",
    "wait_for",
    "readable",
    "writable",
    "read",
    "read_buf",
    "read_line",
    "listen",
    "subscribe",
    "delay_for",
];

/// Awaits that wait for time to pass: a pause, an interval's tick. A subset of
/// [`EVENT_WAITS`]: time never ends, so a loop paced by a timer stops only when its own code
/// says so.
const TIMER_WAITS: &[&str] = &["tick", "sleep", "sleep_until", "delay_for"];

/// Whether `name` is one of [`EVENT_WAITS`].
pub(crate) fn is_event_wait(name: &Ident) -> bool {
    EVENT_WAITS.iter().any(|w| name == w)
}

/// Whether `name` is one of [`TIMER_WAITS`].
fn is_timer_wait(name: &Ident) -> bool {
    TIMER_WAITS.iter().any(|w| name == w)
}

/// Whether awaiting `e` waits for an event: an event-wait call, or one wrapped
/// (`timeout(d, rx.recv())`, `rx.recv().fuse()`).
pub(crate) fn awaits_event(e: &Expr) -> bool {
    awaits(e, is_event_wait)
}

/// Whether awaiting `e` waits for a timer (`sleep(d)`, `interval.tick()`), wrapped or not.
pub(crate) fn awaits_timer(e: &Expr) -> bool {
    awaits(e, is_timer_wait)
}

/// Whether awaiting `e` waits on a call that `wait` names, or on one wrapped in a call or an
/// adapter.
fn awaits(e: &Expr, wait: fn(&Ident) -> bool) -> bool {
    match e {
        Expr::MethodCall(m) => wait(&m.method) || awaits(&m.receiver, wait),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| wait(&s.ident)))
                || c.args.iter().any(|a| awaits(a, wait))
        }
        Expr::Paren(p) => awaits(&p.expr, wait),
        Expr::Reference(r) => awaits(&r.expr, wait),
        _ => false,
    }
}

/// Whether macro tokens name an event wait (a `select!` racing `rx.recv()`).
pub(crate) fn tokens_name_event(tokens: &proc_macro2::TokenStream) -> bool {
    tokens_name(tokens, is_event_wait)
}

/// Whether macro tokens name a timer wait (a `select!` with an `interval.tick()` branch).
pub(crate) fn tokens_name_timer(tokens: &proc_macro2::TokenStream) -> bool {
    tokens_name(tokens, is_timer_wait)
}

fn tokens_name(tokens: &proc_macro2::TokenStream, wait: fn(&Ident) -> bool) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => wait(&i),
        proc_macro2::TokenTree::Group(g) => tokens_name(&g.stream(), wait),
        _ => false,
    })
}
