//! ## What it does
//! Flags a `select!` (tokio's or futures') inside a loop where a branch's future is created
//! anew on each iteration and is documented as not cancel-safe: when another branch wins, that
//! future is dropped, and whatever it had already done is lost. It also flags, in a function
//! under `#[cancellable]`, an `.await` of such a future that the macro interrupts on
//! cancellation (S25).
//!
//! The list below comes from tokio's "Cancel safety" sections, one entry per line; the
//! configuration's `cancel_unsafe` adds names. A future created outside the loop and polled
//! as `&mut fut` keeps its progress and is not flagged.
//!
//! ## Why is this bad
//! `select!` drops the futures of the branches that lose. For a cancel-safe future
//! (`recv()`, `read()`, `sleep()`), nothing is lost: the next iteration starts a new one. For
//! `read_exact`, the bytes it already read vanish and the stream is out of step; for
//! `write_all`, nobody knows how much was written; for `send`, the message moved into the
//! future is gone. These bugs show up only under load, when the other branch (a timer, a
//! shutdown signal) happens to win in the middle of an operation.
//!
//! ## Known problems
//! - Methods are known by name, without types: a `send` or `lock` of a type whose future is
//!   cancel-safe is flagged too.
//! - A message `send` to an unbounded channel finishes on its first poll and loses nothing,
//!   but the checker cannot see which channel a `send` goes to. So a `send` on something
//!   named like a channel's sender (`tx`, `self.event_sender`) is not flagged in a crate whose
//!   every channel constructor is unbounded (`unbounded()`, `unbounded_channel()`), and it is
//!   flagged in a crate that makes a bounded one (`channel(8)`, `bounded(8)`), or none.
//!   Constructors in test code, `tests/`, `examples/` and `benches/` do not count; one
//!   renamed by `use … as`, or called in another crate, is not seen. A sink's or a
//!   connection's `send` (`framed.send(frame)`) is flagged either way.
//! - A future created anew and wrapped (`timeout(d, reader.read_exact(..))`) is flagged, and so
//!   is a call to an async function of the same file that awaits one; a helper in another file
//!   is not followed.
//! - `Mutex::lock` and `Semaphore::acquire` lose only their place in the queue (fairness), not
//!   data. They are flagged only where `cancel_unsafe = ["lock", "acquire"]` asks for it: on
//!   real code their losses never mattered (a `Semaphore::new(0)` used as a close signal, a
//!   lock raced against shutdown), and no reported bug came from one.
//! - `Sender::reserve` is not flagged: its usual uses (a wake-up on free capacity,
//!   `PollSender`) lose nothing.
//! - A loss only matters when the loop goes on: when every other branch leaves the loop
//!   (`_ = token.cancelled() => break`), or yields a value that the `match` right after the
//!   `select!` leaves on (`let r = select! { _ = &mut gone => None, .. }; match r { None =>
//!   break, .. }`), nothing is flagged, nor is a timeout wrapped around the
//!   future whose handler first applies `?` to its result (`let n = res??;`) or matches on it
//!   and leaves in the timer's `Err` arm.
//! - A message send raced only against a deadline (`sleep(d)`, a `timeout` around it) is
//!   `Sender::send_timeout` by hand: dropping the message when the deadline passes is its
//!   point, and it is not flagged. A `send()` that takes no message (reqwest's) is not flagged.
//!
//! ## Example
//! ```rust,ignore
//! loop {
//!     tokio::select! {
//!         r = reader.read_exact(&mut header) => handle(r?, &header).await,
//!         _ = tick.tick() => send_ping().await,
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```rust,ignore
//! // A cancel-safe read into a buffer that lives across iterations (or a framed codec).
//! let mut framed = FramedRead::new(reader, HeaderCodec);
//! loop {
//!     tokio::select! {
//!         header = framed.next() => handle(header).await,
//!         _ = tick.tick() => send_ping().await,
//!     }
//! }
//! ```

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::{Cx, Emit, Node, Rule};
use crate::analysis::macros;
use crate::analysis::summaries::{Pending, Unless};
use crate::finding::Finding;

/// Not cancel-safe futures: (method or function name, what is lost, whether data is lost). The
/// entries that lose only a place in a queue are reported where `cancel_unsafe` names them.
const NOT_CANCEL_SAFE: &[(&str, &str, bool)] = &[
    (
        "read_exact",
        "the bytes it already read are lost and the stream is out of step",
        true,
    ),
    ("read_to_end", "the bytes it already read are lost", true),
    ("read_to_string", "the text it already read is lost", true),
    (
        "read_line",
        "the part of the line it already read is lost",
        true,
    ),
    ("read_until", "the bytes it already read are lost", true),
    (
        "read_u16",
        "a partly read integer is lost and the stream is out of step",
        true,
    ),
    (
        "read_u32",
        "a partly read integer is lost and the stream is out of step",
        true,
    ),
    (
        "read_u64",
        "a partly read integer is lost and the stream is out of step",
        true,
    ),
    (
        "read_i32",
        "a partly read integer is lost and the stream is out of step",
        true,
    ),
    (
        "read_i64",
        "a partly read integer is lost and the stream is out of step",
        true,
    ),
    (
        "write_all",
        "nobody knows how much of the buffer was written",
        true,
    ),
    (
        "write_all_buf",
        "nobody knows how much of the buffer was written",
        true,
    ),
    ("copy", "bytes read but not yet written are lost", true),
    ("copy_buf", "bytes read but not yet written are lost", true),
    (
        "copy_bidirectional",
        "bytes read but not yet written are lost",
        true,
    ),
    (
        "send",
        "the message moved into the future is lost (unless it is a copy)",
        true,
    ),
    (
        "send_all",
        "the items already taken from the stream are lost",
        true,
    ),
    ("feed", "the item moved into the future is lost", true),
    (
        "lock",
        "its place in the lock's queue is lost, so a busy loop can starve it",
        false,
    ),
    (
        "acquire",
        "its place in the semaphore's queue is lost",
        false,
    ),
];

/// The rule's entry point: `select!` invocations in loops, and interrupted awaits.
pub(crate) fn check(cx: &Cx<'_>, node: Node<'_>) -> Option<Emit> {
    if !cx.scope.is_async {
        return None;
    }
    let (op, finding) = match node {
        Node::Macro(m) if cx.scope.loop_depth > 0 => in_select(cx, m),
        Node::Await(a) if cx.scope.interrupting && !cx.scope.opted_out => interrupted(cx, a),
        _ => None,
    }?;
    // A channel's `send` loses its message only if it can wait for room: resolution drops the
    // finding when every channel the crate makes is unbounded.
    Some(if op.channel_send {
        Emit::Pending(Pending {
            finding,
            unless: Unless::OnlyUnboundedChannels,
        })
    } else {
        Emit::Finding(finding)
    })
}

/// A branch of a `select!` in a loop that drops a future that is not cancel-safe: that future
/// (through a helper: the one the helper awaits), and the finding. The first branch that
/// loses data for sure is taken, else the first whose loss is a channel `send`'s.
fn in_select(cx: &Cx<'_>, m: &syn::Macro) -> Option<(Op, Finding)> {
    let branches = macros::select_branches(m)?;
    // A channel `send` may yet be ruled out by resolution.
    let mut a_send = None;
    for (i, b) in branches.iter().enumerate() {
        if created_outside(&b.future) {
            continue;
        }
        let Some(Unsafe { call, op, lost }) = first_unsafe_call(cx, &b.future) else {
            continue;
        };
        // A message send raced only against a deadline is a send with a deadline
        // (`Sender::send_timeout` by hand): dropping the message when it passes is the point.
        let send = SENDS.contains(&call.as_str());
        // Lost only if something can win over it and the loop then goes round again: another
        // branch, or a timeout wrapped around it in its own branch whose handler carries on
        // when the timer fires (not `let n = res??;`, which leaves with the timeout's error).
        let decided = cx
            .facts
            .select_values
            .iter()
            .find(|(at, _)| *at == select_start(m))
            .map(|(_, leave)| leave.as_slice());
        // Another branch that wins ends the loop when its handler leaves, or when the value it
        // yields makes the `match` after the `select!` leave.
        let ends_loop = |j: usize, o: &macros::SelectBranch| {
            leaves(&o.handler) || decided.is_some_and(|d| d.get(j) == Some(&true))
        };
        let others_continue = branches
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && !ends_loop(j, o) && !(send && is_deadline(&o.future)));
        let timer_continues = under_timeout(&b.future)
            && !send
            && !leaves(&b.handler)
            && !propagates_error_of(&b.pat, &b.handler)
            && !timeout_arm_leaves(&b.pat, &b.handler);
        if !(others_continue || timer_continues) {
            continue;
        }
        let select = cx.file.span(cx.ctx.range(m.path.span()));
        let finding = Finding::new(
                Rule::CancelUnsafeSelect,
                &cx.file.path,
                format!("`{call}` is not cancel-safe, and this `select!` drops it when another branch wins"),
                cx.file.span(cx.ctx.range(b.future.span())),
            )
            .label(format!("created anew on every iteration: when it loses, {lost}"))
            .secondary(select, "in a loop, this `select!` races it against the other branches")
            .help(format!(
                "create the future once before the loop (`let fut = ...; tokio::pin!(fut);`) and poll `&mut fut` in the branch, or use a cancel-safe alternative{}",
                alternative(&call)
            ));
        if !op.channel_send {
            return Some((op, finding));
        }
        a_send.get_or_insert((op, finding));
    }
    a_send
}

fn interrupted(cx: &Cx<'_>, a: &syn::ExprAwait) -> Option<(Op, Finding)> {
    if is_shield(&a.base) {
        return None;
    }
    let Unsafe { call, op, lost } = first_unsafe_call(cx, &a.base)?;
    let finding = Finding::new(
            Rule::CancelUnsafeSelect,
            &cx.file.path,
            format!("`#[cancellable]` interrupts this `{call}`, which is not cancel-safe"),
            cx.file.span(cx.ctx.range(a.span())),
        )
        .label(format!("if the task is cancelled while it is pending, {lost}"))
        .help("mark the statement `#[uninterruptible]` so it runs to the end (its checkpoint before it stays), or use a cancel-safe alternative")
        .note("see `cancelkit::cancel_safety` for what can be interrupted safely");
    Some((op, finding))
}

/// `x.clone()`, `x.to_vec()`, `x.to_owned()`, `Clone::clone(&x)`: a copy, whose loss leaves
/// the original with the caller.
fn is_copy(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::MethodCall(m) => ["clone", "to_vec", "to_owned", "to_string"]
            .iter()
            .any(|n| m.method == n),
        syn::Expr::Paren(p) => is_copy(&p.expr),
        _ => false,
    }
}

/// The calls whose future holds a message moved into it.
const SENDS: &[&str] = &["send", "feed", "send_all"];

/// `sleep(d)`, `sleep_until(t)`, `tokio::time::sleep(d)`: a deadline, made anew each time.
fn is_deadline(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "sleep" || s.ident == "sleep_until")),
        syn::Expr::Paren(p) => is_deadline(&p.expr),
        _ => false,
    }
}

/// Whether the handler's first statement applies `?` to the branch's binding (`res?`,
/// `res.map_err(..)??`): when the timer wrapped around the future fires, the handler leaves
/// with the timeout's error before anything else.
fn propagates_error_of(pat: &syn::Pat, handler: &syn::Expr) -> bool {
    let syn::Pat::Ident(binding) = pat else {
        return false;
    };
    let mut e = first_expr(handler);
    // The outermost `?` must sit on a chain rooted at the binding.
    while let Some(x) = e {
        match x {
            syn::Expr::Try(t) => {
                return crate::analysis::roots::root_of(&t.expr)
                    .is_some_and(|r| binding.ident == r);
            }
            syn::Expr::MethodCall(m) => e = Some(&m.receiver),
            syn::Expr::Paren(p) => e = Some(&p.expr),
            _ => return false,
        }
    }
    false
}

/// The handler's first expression: itself, or its block's first statement (a `let`'s value).
fn first_expr(handler: &syn::Expr) -> Option<&syn::Expr> {
    match handler {
        syn::Expr::Block(b) => match b.block.stmts.first() {
            Some(syn::Stmt::Local(l)) => l.init.as_ref().map(|i| &*i.expr),
            Some(syn::Stmt::Expr(e, _)) => Some(e),
            _ => None,
        },
        e => Some(e),
    }
}

/// Whether the handler first matches on the branch's binding, and every arm that may take the
/// timer's error leaves the loop: `match res { Ok(frame) => .., Err(_elapsed) => break }`.
/// The arms are tried in order, up to the first one that takes the error whatever its value;
/// a guarded arm (`Err(_) if n < 3 => continue`) may take it, or pass it on.
fn timeout_arm_leaves(pat: &syn::Pat, handler: &syn::Expr) -> bool {
    let syn::Pat::Ident(binding) = pat else {
        return false;
    };
    let Some(syn::Expr::Match(m)) = first_expr(handler) else {
        return false;
    };
    matches!(&*m.expr, syn::Expr::Path(p) if p.path.is_ident(&binding.ident))
        && arms_leave(&m.arms, takes_err)
}

/// Whether a `match` leaves the loop for a value: every arm that may take it leaves, up to the
/// first that surely does. `takes` says of a pattern whether it takes the value: `Some(true)`
/// surely, `Some(false)` maybe, `None` never. A guarded arm only ever maybe takes it.
fn arms_leave(arms: &[syn::Arm], takes: impl Fn(&syn::Pat) -> Option<bool>) -> bool {
    for arm in arms {
        let (p, guarded) = match &arm.pat {
            syn::Pat::Guard(g) => (&*g.pat, true),
            p => (p, false),
        };
        let Some(surely) = takes(p) else { continue };
        if !leaves(&arm.body) {
            return false;
        }
        if surely && !guarded {
            return true;
        }
    }
    false
}

/// Whether a pattern on a `timeout`'s result takes its `Err`: `Some(true)` whatever the error
/// (`Err(_)`, `_`, `res`), `Some(false)` only for some (`Err(e) | Ok(Err(e))` counts as the
/// former), `None` never (`Ok(..)`).
fn takes_err(p: &syn::Pat) -> Option<bool> {
    match p {
        syn::Pat::TupleStruct(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Err")
            .then_some(true),
        syn::Pat::Wild(_) => Some(true),
        syn::Pat::Ident(i) => match &i.subpat {
            None => Some(true),
            Some((_, sub)) => takes_err(sub),
        },
        syn::Pat::Paren(p) => takes_err(&p.pat),
        syn::Pat::Or(o) => o.cases.iter().filter_map(takes_err).reduce(|a, b| a || b),
        _ => None,
    }
}

/// `timeout(d, fut)`, `fut.timeout(d)`: a timer that can drop the future inside its branch.
fn under_timeout(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "timeout" || s.ident == "timeout_at")),
        syn::Expr::MethodCall(m) => m.method == "timeout" || under_timeout(&m.receiver),
        syn::Expr::Paren(p) => under_timeout(&p.expr),
        _ => false,
    }
}

/// Whether a branch's handler always leaves the loop: `break`, `return`, or a block ending in
/// one.
fn leaves(handler: &syn::Expr) -> bool {
    match handler {
        syn::Expr::Break(_) | syn::Expr::Return(_) => true,
        syn::Expr::Block(b) => b.block.stmts.last().is_some_and(|s| match s {
            syn::Stmt::Expr(e, _) => leaves(e),
            syn::Stmt::Macro(m) => macros::always_leaves(&m.mac.path),
            _ => false,
        }),
        syn::Expr::Macro(m) => macros::always_leaves(&m.mac.path),
        _ => false,
    }
}

/// Where a `select!` starts: the key of [`select_values`].
fn select_start(m: &syn::Macro) -> usize {
    m.path
        .segments
        .first()
        .map_or(0, |s| s.ident.span().byte_range().start)
}

/// The `select!`s of the file whose value the next statement matches on (`let r = select! {
/// _ = &mut stop => None, res = sink.send(x) => Some(res) }; match r { None => break, .. }`),
/// each with whether each branch's value leaves the loop there: a branch whose handler is a
/// value (`None`, `Some(res)`, `false`, `State::Stop`) leaves when every arm that may take that
/// value, up to the first that surely does, leaves.
pub(crate) fn select_values(file: &syn::File) -> Vec<(usize, Vec<bool>)> {
    struct Blocks(Vec<(usize, Vec<bool>)>);
    impl<'ast> Visit<'ast> for Blocks {
        fn visit_block(&mut self, b: &'ast syn::Block) {
            for pair in b.stmts.windows(2) {
                let (syn::Stmt::Local(l), syn::Stmt::Expr(syn::Expr::Match(after), _)) =
                    (&pair[0], &pair[1])
                else {
                    continue;
                };
                let name = match &l.pat {
                    syn::Pat::Ident(i) => &i.ident,
                    syn::Pat::Type(t) => match &*t.pat {
                        syn::Pat::Ident(i) => &i.ident,
                        _ => continue,
                    },
                    _ => continue,
                };
                let Some(syn::Expr::Macro(m)) = l.init.as_ref().map(|i| &*i.expr) else {
                    continue;
                };
                if !matches!(&*after.expr, syn::Expr::Path(p) if p.path.is_ident(name)) {
                    continue;
                }
                let Some(branches) = macros::select_branches(&m.mac) else {
                    continue;
                };
                let leave = branches
                    .iter()
                    .map(|b| value_leaves(&b.handler, after))
                    .collect();
                self.0.push((select_start(&m.mac), leave));
            }
            visit::visit_block(self, b);
        }
    }
    let mut blocks = Blocks(Vec::new());
    blocks.visit_file(file);
    blocks.0
}

/// Whether the value a branch's handler yields makes `after` leave the loop.
fn value_leaves(handler: &syn::Expr, after: &syn::ExprMatch) -> bool {
    let value = match handler {
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => e,
            _ => return false,
        },
        e => e,
    };
    // The value's shape: a path's last name, a constructor's, or a literal's text.
    enum Shape {
        Unit(String),
        Ctor(String),
        Lit(String),
    }
    let shape = match value {
        syn::Expr::Path(p) => match last_name(&p.path) {
            Some(n) => Shape::Unit(n),
            None => return false,
        },
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => match last_name(&p.path) {
                Some(n) => Shape::Ctor(n),
                None => return false,
            },
            _ => return false,
        },
        syn::Expr::Lit(l) => Shape::Lit(quote::ToTokens::to_token_stream(&l.lit).to_string()),
        _ => return false,
    };
    // Whether a pattern takes the value: surely, maybe, or never (as `arms_leave` wants).
    fn takes(p: &syn::Pat, shape: &Shape) -> Option<bool> {
        let is = |same: bool| same.then_some(true);
        match p {
            syn::Pat::Wild(_) => Some(true),
            // A lower-case name binds anything; a capitalised one is a unit variant.
            syn::Pat::Ident(i) if i.subpat.is_none() => {
                let n = i.ident.to_string();
                if n.starts_with(|c: char| c.is_uppercase()) {
                    is(matches!(shape, Shape::Unit(u) if *u == n))
                } else {
                    Some(true)
                }
            }
            syn::Pat::Path(pp) => {
                is(matches!(shape, Shape::Unit(u) if Some(u) == last_name(&pp.path).as_ref()))
            }
            syn::Pat::TupleStruct(t) => {
                let same =
                    matches!(shape, Shape::Ctor(c) if Some(c) == last_name(&t.path).as_ref());
                let all_wild = t.elems.iter().all(|e| {
                    matches!(
                        e,
                        syn::Pat::Wild(_) | syn::Pat::Ident(_) | syn::Pat::Rest(_)
                    )
                });
                same.then_some(all_wild)
            }
            syn::Pat::Lit(l) => is(matches!(shape, Shape::Lit(t)
                if *t == quote::ToTokens::to_token_stream(&l.lit).to_string())),
            syn::Pat::Or(o) => o
                .cases
                .iter()
                .filter_map(|c| takes(c, shape))
                .reduce(|a, b| a || b),
            syn::Pat::Paren(p) => takes(&p.pat, shape),
            // Anything else might take it, but not for sure.
            _ => Some(false),
        }
    }
    arms_leave(&after.arms, |p| takes(p, &shape))
}

/// A path's last name.
fn last_name(p: &syn::Path) -> Option<String> {
    p.segments.last().map(|s| s.ident.to_string())
}

/// `&mut fut`, `fut`, `fut.as_mut()`: a future made before the loop, which keeps its progress.
fn created_outside(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Reference(r) => r.mutability.is_some() || created_outside(&r.expr),
        syn::Expr::Path(_) | syn::Expr::Field(_) => true,
        syn::Expr::MethodCall(m) if m.method == "as_mut" || m.method == "fuse" => {
            created_outside(&m.receiver)
        }
        syn::Expr::Paren(p) => created_outside(&p.expr),
        _ => false,
    }
}

/// What is lost when a future made by a call of `name` is dropped, if the rule reports it: the
/// entries that lose data, and every name configured under `cancel_unsafe` (an entry that loses
/// only a place in a queue keeps its own explanation then).
fn loss(config: &crate::Config, name: &str) -> Option<&'static str> {
    let configured = config
        .cancel_unsafe
        .iter()
        .any(|x| x.rsplit("::").next() == Some(name));
    match NOT_CANCEL_SAFE.iter().find(|(n, ..)| *n == name) {
        Some((_, lost, data)) if *data || configured => Some(lost),
        _ if configured => Some("what it had done is lost"),
        _ => None,
    }
}

/// A future that is not cancel-safe.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    /// Its method or function (`read_exact`, `send`).
    name: String,
    /// What is lost when it is dropped (see [`loss`]).
    lost: &'static str,
    /// A message `send` on something named like a channel's sender (`tx`, `event_sender`): it
    /// loses the message only if the channel is bounded. A sink's or a connection's `send`
    /// (`framed.send(frame)`) loses it whatever channels the crate makes.
    channel_send: bool,
}

impl Op {
    /// The operation `name` with `receiver` (none for a function call), if it is not
    /// cancel-safe.
    fn of(config: &crate::Config, name: String, receiver: Option<&syn::Expr>) -> Option<Self> {
        let lost = loss(config, &name)?;
        let channel_send = name == "send" && receiver.is_some_and(is_channel_sender);
        Some(Op {
            name,
            lost,
            channel_send,
        })
    }

    /// Whether this one should stand for its future rather than `other`, found earlier: one
    /// that loses data for sure wins over a channel `send`.
    fn outranks(&self, other: Option<&Self>) -> bool {
        other.is_none_or(|o| o.channel_send && !self.channel_send)
    }
}

/// `tx`, `self.event_sender`, `out_chan`, `tx.clone()`: named like a channel's sending half.
fn is_channel_sender(e: &syn::Expr) -> bool {
    let name = match e {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(m) if m.method == "clone" || m.method == "as_ref" => {
            return is_channel_sender(&m.receiver);
        }
        syn::Expr::Reference(r) => return is_channel_sender(&r.expr),
        syn::Expr::Paren(p) => return is_channel_sender(&p.expr),
        _ => None,
    };
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n == "tx"
            || n.starts_with("tx_")
            || n.ends_with("_tx")
            || n.contains("sender")
            || n.contains("chan")
    })
}

/// A future in `e` that is not cancel-safe, as written, or through a helper of the file
/// (inside async blocks too: they are dropped with the branch).
struct Unsafe {
    /// The call as written (`read_exact`, or the helper `read_frame`).
    call: String,
    /// The future that is not cancel-safe (`read_exact`, also when a helper awaits it).
    op: Op,
    /// What is lost when it is dropped.
    lost: String,
}

/// The first future in `e` that is not cancel-safe, preferring one that loses data for sure
/// to a channel `send` (see [`Op::outranks`]).
fn first_unsafe_call(cx: &Cx<'_>, e: &syn::Expr) -> Option<Unsafe> {
    struct Finder<'c> {
        config: &'c crate::Config,
        helpers: &'c [(String, Op)],
        found: Option<Unsafe>,
    }
    impl Finder<'_> {
        fn name_or_helper(
            &mut self,
            name: &syn::Ident,
            receiver: Option<&syn::Expr>,
            helper: bool,
        ) {
            let name = name.to_string();
            let found = if let Some(op) = Op::of(self.config, name.clone(), receiver) {
                let lost = op.lost.to_string();
                Unsafe {
                    call: name,
                    op,
                    lost,
                }
            } else if let Some((_, op)) = self.helpers.iter().find(|(h, _)| helper && *h == name) {
                let lost = format!("it awaits `{}`, and {}", op.name, op.lost);
                Unsafe {
                    call: name,
                    op: op.clone(),
                    lost,
                }
            } else {
                return;
            };
            if found.op.outranks(self.found.as_ref().map(|u| &u.op)) {
                self.found = Some(found);
            }
        }
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            // `tx.send(msg.clone())`: the caller keeps the message; only a copy is dropped.
            // `request.send()` (reqwest's) moves no message at all.
            let sends = m.method == "send" || m.method == "feed";
            let sends_nothing_owned = sends && m.args.first().is_none_or(is_copy);
            if !sends_nothing_owned {
                // A helper of the same file is known by name: only through `self` is a method
                // call known to be one of them (`endpoint.accept()` is another type's).
                let on_self = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
                self.name_or_helper(&m.method, Some(&m.receiver), on_self);
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
            {
                self.name_or_helper(&last.ident, None, true);
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Finder {
        config: cx.config,
        helpers: &cx.facts.unsafe_helpers,
        found: None,
    };
    f.visit_expr(e);
    f.found
}

/// The async functions and methods of a file that await a future that is not cancel-safe
/// (outside `shield`): calling one in a `select!` branch loses what it had done, just the same.
/// Each comes with the first such future it awaits, preferring one that loses data for sure to
/// a channel `send`.
pub(crate) fn helpers(file: &syn::File, config: &crate::Config) -> Vec<(String, Op)> {
    struct Fns<'c> {
        config: &'c crate::Config,
        out: Vec<(String, Op)>,
    }
    impl Fns<'_> {
        fn function(&mut self, sig: &syn::Signature, body: &syn::Block) {
            if sig.asyncness.is_none() {
                return;
            }
            struct Awaits<'c> {
                config: &'c crate::Config,
                found: Option<Op>,
            }
            impl<'ast> Visit<'ast> for Awaits<'_> {
                fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
                    if !is_shield(&a.base) {
                        let (name, receiver) = match &*a.base {
                            syn::Expr::MethodCall(m) => {
                                (Some(m.method.to_string()), Some(&*m.receiver))
                            }
                            syn::Expr::Call(c) => match &*c.func {
                                syn::Expr::Path(p) => {
                                    (p.path.segments.last().map(|s| s.ident.to_string()), None)
                                }
                                _ => (None, None),
                            },
                            _ => (None, None),
                        };
                        if let Some(op) = name.and_then(|n| Op::of(self.config, n, receiver))
                            && op.outranks(self.found.as_ref())
                        {
                            self.found = Some(op);
                        }
                    }
                    visit::visit_expr_await(self, a);
                }
                fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
                fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
                fn visit_item(&mut self, _: &'ast syn::Item) {}
            }
            let mut a = Awaits {
                config: self.config,
                found: None,
            };
            a.visit_block(body);
            if let Some(op) = a.found {
                self.out.push((sig.ident.to_string(), op));
            }
        }
    }
    impl<'ast> Visit<'ast> for Fns<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.function(&f.sig, &f.block);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.function(&f.sig, &f.block);
        }
    }
    let mut f = Fns {
        config,
        out: Vec::new(),
    };
    f.visit_file(file);
    f.out
}

fn is_shield(e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "shield")))
}

fn alternative(call: &str) -> &'static str {
    match call {
        "read_exact" | "read_to_end" | "read_to_string" | "read_line" | "read_until" => {
            " (`read`/`read_buf` into a buffer that lives across iterations, or a `FramedRead`)"
        }
        "send" => " (`reserve` first, then `permit.send(msg)` in the handler, which cannot fail)",
        "write_all" | "write_all_buf" => {
            " (`write`/`write_buf` and keep track of what was written)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Rule, check_source};

    fn lines(src: &str) -> Vec<usize> {
        check_source("t.rs", src, &Config::default())
            .into_iter()
            .filter(|f| f.rule == Rule::CancelUnsafeSelect)
            .map(|f| f.primary.span.line_start)
            .collect()
    }

    #[test]
    fn a_read_exact_raced_against_a_timer() {
        let src = "async fn f() {\n    loop {\n        tokio::select! {\n            r = reader.read_exact(&mut buf) => handle(r),\n            _ = tick.tick() => ping().await,\n        }\n    }\n}";
        assert_eq!(lines(src), [4]);
    }

    #[test]
    fn cancel_safe_branches_and_futures_made_outside_the_loop() {
        for src in [
            "async fn f() { loop { tokio::select! { m = rx.recv() => work(m), _ = sleep(d) => break } } }",
            "async fn f() { let fut = reader.read_exact(&mut buf); tokio::pin!(fut); loop { tokio::select! { r = &mut fut => break, _ = tick.tick() => {} } } }",
            "async fn f() { tokio::select! { r = reader.read_exact(&mut buf) => {}, _ = sleep(d) => {} } }",
            "async fn f() { loop { tokio::select! { biased; _ = token.cancelled() => break, Some(m) = rx.recv(), if open => work(m), else => break } } }",
            // Not tokio's `select!`: does not parse as one.
            "async fn f() { loop { select!(a, b, c); x.await; } }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
        }
    }

    #[test]
    fn sending_a_copy_loses_nothing() {
        let src = "async fn f() { loop { tokio::select! { r = dc.send(buf.clone()) => {}, _ = tick.tick() => {} } } }";
        assert!(lines(src).is_empty());
        let src = "async fn f() { loop { tokio::select! { r = dc.send(buf) => {}, _ = tick.tick() => {} } } }";
        assert_eq!(lines(src).len(), 1);
    }

    #[test]
    fn a_send_that_moves_nothing_or_has_a_deadline_loses_nothing_by_accident() {
        for src in [
            // reqwest's `RequestBuilder::send()` moves no message.
            "async fn f() { for _ in 0..5 { tokio::select! { r = client.head(u).send() => {}, _ = sleep(d) => {} } } }",
            // `Sender::send_timeout` by hand: the message is dropped when the deadline passes,
            // on purpose.
            "async fn f() { loop { tokio::select! { r = m.send(frame) => {}, _ = tokio::time::sleep(t) => { error!(\"dropped\") } } } }",
            "async fn f() { loop { tokio::select! { r = timeout(t, m.send(frame)) => {} } } }",
        ] {
            assert!(lines(src).is_empty(), "{src}");
        }
        // Another event winning still loses the message.
        let src = "async fn f() { loop { tokio::select! { r = m.send(frame) => {}, x = rx.recv() => {} } } }";
        assert_eq!(lines(src).len(), 1);
    }

    #[test]
    fn a_timeout_whose_error_leaves_the_loop() {
        let quiet = "async fn f() { loop { tokio::select! { res = timeout(d, r.read_exact(&mut b)) => { let n = res.map_err(e)??; use_it(n).await; } _ = token.cancelled() => break } } }";
        assert!(lines(quiet).is_empty());
        // A timeout whose handler carries on loses the partial read and reads on.
        let src = "async fn f() { loop { tokio::select! { res = timeout(d, r.read_exact(&mut b)) => { if let Ok(n) = res { use_it(n).await; } } _ = token.cancelled() => break } } }";
        assert_eq!(lines(src).len(), 1);
    }

    #[test]
    fn a_branch_whose_value_the_next_match_leaves_on() {
        // tari_comms: the disconnect branch yields `None`, and the `match` right after the
        // `select!` breaks on it; a half-written frame goes to a sink that is dropped.
        let src = |none_arm: &str| {
            format!(
                "async fn f() {{ loop {{ let q = rx.recv().await; let r = tokio::select! {{ biased; _ = &mut gone => None, res = w.write_all(&q.body) => Some(res), }}; match r {{ Some(Ok(())) => ack(q), Some(Err(e)) => {{ fail(q); break; }} {none_arm} }} }} }}"
            )
        };
        assert!(lines(&src("None => { requeue(q); break; }")).is_empty());
        assert!(lines(&src("_ => return")).is_empty());
        // The value's arm goes on, or no arm is sure to take it first: reported.
        assert_eq!(lines(&src("None => continue")).len(), 1);
        assert_eq!(lines(&src("None if quiet => break, None => {}")).len(), 1);
        // A `match` on something else, or a statement between, decides nothing.
        let other = "async fn f() { loop { let r = tokio::select! { _ = &mut gone => None, res = w.write_all(&b) => Some(res), }; log(); match r { None => break, _ => {} } } }";
        assert_eq!(lines(other).len(), 1);
    }

    #[test]
    fn a_timeout_whose_err_arm_leaves_the_loop() {
        // voltage_modbus: the other branch breaks, and the timer's `Err` arm breaks too.
        let src = |arm: &str| {
            format!(
                "async fn f() {{ loop {{ tokio::select! {{ _ = stop.recv() => {{ break; }} res = timeout(d, read_frame(&mut s)) => {{ match res {{ Ok(Ok(f)) => work(f).await, Ok(Err(e)) => break, {arm} }} }} }} }} }}\nasync fn read_frame(s: &mut S) -> R {{ s.read_exact(&mut h).await?; Ok(h) }}"
            )
        };
        assert!(lines(&src("Err(_) => { warn!(\"timeout\"); break; }")).is_empty());
        assert!(lines(&src("_ => return")).is_empty());
        assert!(lines(&src("Err(_) if quiet => break, Err(_) => return")).is_empty());
        // The timer's arm goes on, or one that may take it does: a half-read frame is dropped.
        assert_eq!(lines(&src("Err(_) => continue")), [1]);
        assert_eq!(lines(&src("Err(_) if quiet => break, Err(_) => {}")), [1]);
        assert_eq!(
            lines(&src("Err(_) if n < 3 => continue, Err(_) => break")),
            [1]
        );
        assert_eq!(
            lines(&src("e @ Err(_) if n < 3 => continue, _ => break")),
            [1]
        );
        assert_eq!(
            lines(&src(
                "(Err(_) | Ok(Err(_))) if n < 3 => continue, _ => break"
            )),
            [1]
        );
    }

    #[test]
    fn a_lost_place_in_a_queue_is_reported_only_when_configured() {
        let src = "async fn f() { loop { tokio::select! { _ = closed.acquire() => {}, _ = tick.tick() => {} } } }";
        assert!(lines(src).is_empty());
        let config = Config {
            cancel_unsafe: vec!["acquire".into()],
            ..Config::default()
        };
        let found = check_source("t.rs", src, &config);
        assert_eq!(found.len(), 1);
        let label = found[0].primary.label.as_deref().unwrap_or_default();
        assert!(
            label.contains("its place in the semaphore's queue is lost"),
            "{label}"
        );
    }

    #[test]
    fn a_helper_of_the_same_file_that_awaits_read_exact() {
        let src = "async fn read_frame(r: &mut R) -> io::Result<Vec<u8>> { r.read_exact(&mut b).await?; Ok(b) }\nasync fn f() { loop { tokio::select! { m = read_frame(&mut r) => {}, _ = tick.tick() => {} } } }";
        assert_eq!(lines(src), [2]);
    }

    #[test]
    fn a_send_in_a_crate_that_makes_only_unbounded_channels_loses_nothing() {
        // The channels are made in another file of the crate, as translator_sv2 does.
        let made = |ctor: &str| {
            crate::SourceFile::new(
                "a.rs",
                "a.rs",
                format!("fn channels() {{ let (tx, rx) = async_channel::unbounded(); {ctor} }}"),
            )
        };
        let select = crate::SourceFile::new(
            "b.rs",
            "b.rs",
            "async fn f() { loop { tokio::select! { r = tx.send(m) => {}, _ = tick.tick() => {} } } }".to_string(),
        );
        let found = |ctor: &str| {
            crate::check_files(&[made(ctor), select.clone()], &Config::default())
                .into_iter()
                .filter(|f| f.rule == Rule::CancelUnsafeSelect)
                .count()
        };
        assert_eq!(found(""), 0);
        assert_eq!(found("let (a, b) = tokio::sync::mpsc::channel(8);"), 1);
        // `watch` and `oneshot` sends never wait, so they do not make a crate's sends bounded.
        assert_eq!(
            found("let (a, b) = watch::channel(0); let (c, d) = oneshot::channel();"),
            0
        );
        // A test's bounded channel says nothing about the library's sends.
        assert_eq!(
            found(
                "#[cfg(test)] mod t { #[test] fn t() { let (a, b) = async_channel::bounded(1); } }"
            ),
            0
        );
        assert_eq!(
            found("#[tokio::test] async fn t() { let (a, b) = async_channel::bounded(1); }"),
            0
        );
        // A crate that makes no channel at all says nothing about where its sends go.
        let alone = "async fn f() { loop { tokio::select! { r = tx.send(m) => {}, _ = tick.tick() => {} } } }";
        assert_eq!(lines(alone), [1]);
        // The same through a helper of the file that receives, then sends.
        let helper = |ctor: &str| {
            format!(
                "fn c() {{ {ctor} }}\nasync fn pass(&self) {{ let m = self.rx.recv().await; self.tx.send(m).await; }}\nasync fn f() {{ loop {{ tokio::select! {{ _ = pass(&tx, &rx) => {{}}, _ = tick.tick() => {{}} }} }} }}"
            )
        };
        assert!(lines(&helper("let (tx, rx) = unbounded();")).is_empty());
        assert_eq!(lines(&helper("let (tx, rx) = mpsc::channel(1);")), [3]);
        // A sink's or a connection's `send` loses its item whatever channels the crate makes.
        let sink = "fn c() { let (tx, rx) = unbounded(); }\nasync fn f() { loop { tokio::select! { r = framed.send(frame) => {}, _ = tick.tick() => {} } } }";
        assert_eq!(lines(sink), [2]);
        // A `send` first does not hide a later await that loses data for sure.
        for later in [
            "async fn relay(&self, m: M) { self.tx.send(m).await; self.sock.write_all(&b).await; }\nasync fn f() { loop { tokio::select! { _ = relay(&x, m) => {}, _ = tick.tick() => {} } } }",
            "async fn f() { loop { tokio::select! { _ = async { tx.send(m).await; sock.write_all(&b).await } => {}, _ = tick.tick() => {} } } }",
        ] {
            let src = format!("fn c() {{ let (tx, rx) = unbounded(); }}\n{later}");
            assert!(!lines(&src).is_empty(), "{later}");
        }
        // A branch that loses data for sure is reported even if a `send` comes first.
        let both = "fn c() { let (tx, rx) = unbounded(); }\nasync fn f() { loop { tokio::select! { r = tx.send(m) => {}, n = r.read_exact(&mut b) => {}, _ = tick.tick() => {} } } }";
        assert_eq!(lines(both), [2]);
    }

    #[test]
    fn unusual_select_syntax_is_understood() {
        let src = "async fn f() { loop { tokio::select! { biased; Some(x) = stream.next(), if ok => {}, r = tx.send(item) => {}, else => break, } } }";
        assert_eq!(lines(src).len(), 1);
        let src = "async fn f() { loop { futures::select! { x = a.next() => {}, y = b.send(v).fuse() => {}, complete => break, } } }";
        assert_eq!(lines(src).len(), 1);
    }

    #[test]
    fn cancellable_interrupts_an_await_that_is_not_cancel_safe() {
        let src = "#[cancellable]\nasync fn f() -> io::Result<()> {\n    stream.write_all(&buf).await?;\n    Ok(())\n}";
        assert_eq!(lines(src), [3]);
        for quiet in [
            "#[cancellable(interrupt = false)]\nasync fn f() -> io::Result<()> { stream.write_all(&buf).await?; Ok(()) }",
            "#[cancellable]\nasync fn f() -> io::Result<()> { #[uninterruptible] stream.write_all(&buf).await?; Ok(()) }",
            "#[cancellable]\nasync fn f() -> io::Result<()> { cancelkit::shield(stream.write_all(&buf)).await?; Ok(()) }",
            "#[cancellable]\nasync fn f() -> R { m.lock().await.push(1); Ok(()) }",
        ] {
            assert!(lines(quiet).is_empty(), "{quiet}");
        }
    }
}
