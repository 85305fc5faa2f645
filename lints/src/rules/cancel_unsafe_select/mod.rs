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
//! `write_all`, nobody knows how much was written; for `read_line`, the part of the line it
//! already read is gone. These bugs show up only under load, when the other branch (a timer, a
//! shutdown signal) happens to win in the middle of an operation.
//!
//! ## Known problems
//! - Methods are known by name, without types: a method of another type whose future is
//!   cancel-safe is flagged too, and so is a configured `send` or `lock` of such a type. One is
//!   known: async-std's `Stdin` keeps the line its `read_line` read in itself, so a
//!   `read_line` on a variable bound, outside the loop's pass, to `async_std::io::stdin()` (or
//!   to `io::stdin()` or `stdin()` that the file's `use` items make async-std's) is not
//!   flagged.
//! - A message `send` (`Sender::send`, a sink's `send`, `feed` and `send_all`) is flagged only
//!   where `cancel_unsafe = ["send"]` (and `"feed"`, `"send_all"`) asks for it. The message it
//!   moved in is lost, as tokio documents, but on real code that loss almost never mattered:
//!   the message was a copy, the channel was unbounded (its `send` finishes on its first
//!   poll), the sink took the item on its first poll, or the branch that won meant the
//!   consumer was gone. 1 of 4 such findings on crates.io and 0 of 3 in a sample of GitHub
//!   code were real (see `lints/study/RESULTS.md`).
//! - Where sends are flagged: the checker cannot see which channel a `send` goes to. So a
//!   `send` on something named like a channel's sender (`tx`, `self.event_sender`) is not
//!   flagged in a crate whose every channel constructor is unbounded (`unbounded()`,
//!   `unbounded_channel()`), and it is flagged in a crate that makes a bounded one
//!   (`channel(8)`, `bounded(8)`), or none. Constructors in test code, `tests/`, `examples/`
//!   and `benches/` do not count; one renamed by `use … as`, or called in another crate, is
//!   not seen. A sink's or a connection's `send` (`framed.send(frame)`) is flagged either way.
//! - A future created anew and wrapped (`timeout(d, reader.read_exact(..))`) is flagged, and so
//!   is a call to an async function of the same file that awaits one; a helper in another file
//!   is not followed.
//! - `Mutex::lock` and `Semaphore::acquire` lose only their place in the queue (fairness), not
//!   data. They are flagged only where `cancel_unsafe = ["lock", "acquire"]` asks for it: on
//!   real code their losses never mattered (a `Semaphore::new(0)` used as a close signal, a
//!   lock raced against shutdown), and no reported bug came from one.
//! - `Sender::reserve` is not flagged: its usual uses (a wake-up on free capacity,
//!   `PollSender`) lose nothing.
//! - A `read_exact` into a one-byte buffer (`let mut b = [0u8; 1];`, `&mut [0u8; 1]`) reads
//!   its byte in the poll that sees it, like `read_u8`, which tokio documents as cancel-safe,
//!   so it is not flagged. A buffer of another length, or one whose length the `let` does not
//!   show, is.
//! - `read_until` and `write_all_buf` keep what they did in the buffer the caller hands them
//!   (tokio documents both), and so does `read_to_end`, which appends each read to the `Vec` it
//!   is handed (tokio does not document it, but its code does so); they are flagged only when
//!   that buffer does not outlive the passes of the loops around the `select!`:
//!   - it is made on a pass and in scope at the `select!` (a `let` before it, the pattern of
//!     an `if let` or a `match` arm around it, of a `for` or a `while let`, `&mut
//!     Vec::new()`); when that loop is a `for` or a `while`, which can end by itself, a
//!     buffer the outer loop's pass made counts too;
//!   - or a statement of the body that runs on every pass empties it, or a place it is part
//!     of (`buf.clear()`, `buf = ..`, `let line = mem::take(&mut buf);`, `buf.drain(..)`,
//!     `mem::swap`); taking a prefix (`buf.drain(..k)`, `split_to(n)`) leaves the partial
//!     line, and is not a reset;
//!   - or the branch's own future empties it before the read (`async { buf.clear();
//!     r.read_until(b'\n', &mut buf).await }`).
//!
//!   Through a helper of the file, a buffer that is the helper's parameter is the caller's
//!   argument, unless the helper empties it before the read or binds the name anew with a
//!   `let`. Emptying after the read takes a whole line, and is fine. A reset inside another
//!   branch's handler, or under an `if` in the loop's body, is taken to follow a whole read,
//!   and is not seen. Under `#[cancellable]`, where the function itself is interrupted, they
//!   are always flagged: where the buffer lives is not followed there.
//! - A loss only matters when the loop goes on: when every other branch leaves the loop
//!   (`_ = token.cancelled() => break`), or yields a value that the statement right after the
//!   `select!` leaves on (`let r = select! { _ = &mut gone => None, .. }; match r { None =>
//!   break, .. }`, `if !sent { return }`, `let Some(x) = r else { break }`), nothing is
//!   flagged, nor is a timeout wrapped around the
//!   future whose handler first applies `?` to its result (`let n = res??;`) or matches on it
//!   and leaves in the timer's `Err` arm. A branch on a watch that leaves when the flag it
//!   watches is set (`_ = stop.changed() => if *stop.borrow() { break }`) counts as leaving:
//!   a stop flag is taken to be only ever set, so one that is cleared and set again is missed.
//!   Nor is anything flagged when the branch that wins makes a condition the `select!` runs
//!   under, inside its loop, false for good: it sets the flag (`done = true` in its handler,
//!   under `while !done`), or it is `token.cancelled()` under `if !token.is_cancelled()` (a
//!   token stays cancelled). A flag the rest of the pass sets back is missed.
//!   A value the loop leaves on further down (`let failed = r.is_err(); reply(r); if failed {
//!   break }`), or that a branch stores in a variable (`result = w.ok()`) instead of yielding
//!   it, is not followed, and the `select!` is flagged.
//! - A helper handed by value something the loop's pass made (`serve(&tls, stream, &reply)`
//!   after `let (stream, _) = listener.accept().await?`), and nothing by `&mut`, owns the
//!   connection it reads and writes: when its future is dropped the connection goes with it,
//!   and nothing is left out of step, so it is not flagged.
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
use crate::analysis::summaries::{Pending, Unless};
use crate::analysis::{macros, names, roots};
use crate::finding::Finding;
use leaving::{
    ends_guard, leaves, leaves_on_flag, propagates_error_of, select_start, timeout_arm_leaves,
    under_timeout,
};
use safe_reads::Safe;
pub(crate) use sites::{Sites, sites};

mod buffers;
mod leaving;
mod safe_reads;
mod sites;

/// Not cancel-safe futures: (method or function name, what is lost, whether it is reported by
/// default). The entries that lose only a place in a queue, and the message sends, are reported
/// where `cancel_unsafe` names them.
const NOT_CANCEL_SAFE: &[(&str, &str, bool)] = &[
    (
        "read_exact",
        "the bytes it already read are lost and the stream is out of step",
        true,
    ),
    (
        "read_to_end",
        "the bytes it already read are lost with a buffer that does not outlive it",
        true,
    ),
    ("read_to_string", "the text it already read is lost", true),
    (
        "read_line",
        "the part of the line it already read is lost",
        true,
    ),
    (
        "read_until",
        "the bytes it already read are lost with a buffer that does not outlive it",
        true,
    ),
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
        "the part not yet written is lost with a buffer that does not outlive it, and the stream holds part of a message",
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
        false,
    ),
    (
        "send_all",
        "the items already taken from the stream are lost",
        false,
    ),
    ("feed", "the item moved into the future is lost", false),
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

/// Futures that keep what they did in the buffer the caller hands them, their last argument
/// (tokio's "Cancel safety" of `AsyncBufReadExt::read_until` and `AsyncWriteExt::write_all_buf`;
/// `AsyncReadExt::read_to_end` appends each read to the caller's `Vec` as it goes): dropped,
/// they lose nothing, unless that buffer is made anew or reset on each pass.
const KEEP_PROGRESS_IN_BUFFER: &[&str] = &["read_until", "read_to_end", "write_all_buf"];

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
    // Where it sits: what the passes of the loops around it make or reset (unknown for a
    // `select!` the walk of the file did not see in a loop: then no buffer is known to outlive
    // them), the variables whose reads lose nothing, the conditions it runs under, and the
    // statement after it that decides on its value.
    let site = cx.facts.sites.at(select_start(m));
    let made = site.and_then(|s| s.made.as_deref());
    let safe = site.map_or(&[][..], |s| s.safe.as_slice());
    let guards = site.map_or(&[][..], |s| s.guards.as_slice());
    let decided = site.and_then(|s| s.decided.as_deref());
    // Whether each branch, when it wins, ends the race for good: its handler leaves the loop,
    // the value it yields makes the `match` after the `select!` leave, or it makes a condition
    // the `select!` runs under false for good. Worked out once, for the first branch that
    // drops something not cancel-safe.
    let mut ends_the_race: Option<Vec<bool>> = None;
    // A channel `send` may yet be ruled out by resolution.
    let mut a_send = None;
    for (i, b) in branches.iter().enumerate() {
        if created_outside(&b.future) {
            continue;
        }
        let Some(Unsafe { call, op, lost }) = first_unsafe_call(cx, &b.future, made, safe) else {
            continue;
        };
        // A message send raced only against a deadline is a send with a deadline
        // (`Sender::send_timeout` by hand): dropping the message when it passes is the point.
        let send = SENDS.contains(&call.as_str());
        // Lost only if something can win over it and the loop then goes round again: another
        // branch that does not end the race, or a timeout wrapped around it in its own branch
        // whose handler carries on when the timer fires (not `let n = res??;`, which leaves
        // with the timeout's error).
        let ends = ends_the_race.get_or_insert_with(|| {
            branches
                .iter()
                .enumerate()
                .map(|(j, o)| {
                    leaves(&o.handler)
                        || leaves_on_flag(&o.future, &o.handler)
                        || ends_guard(&o.future, &o.handler, guards)
                        || decided.is_some_and(|d| d.get(j) == Some(&true))
                })
                .collect()
        });
        let others_continue = branches
            .iter()
            .zip(ends.iter())
            .enumerate()
            .any(|(j, (o, ends))| j != i && !ends && !(send && is_deadline(&o.future)));
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
    if names::is_shield_call(&a.base) {
        return None;
    }
    let Unsafe { call, op, lost } = first_unsafe_call(cx, &a.base, None, &[])?;
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

/// `tx.send(msg.clone())`: the caller keeps the message, and only a copy is dropped;
/// `request.send()` (reqwest's) moves no message at all.
fn sends_nothing_owned(
    name: &str,
    args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
) -> bool {
    (name == "send" || name == "feed") && args.first().is_none_or(is_copy)
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
            if names::path_ends_in(&p.path, &["sleep", "sleep_until"])),
        syn::Expr::Paren(p) => is_deadline(&p.expr),
        _ => false,
    }
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
/// entries reported by default, and every name configured under `cancel_unsafe` (a table entry
/// keeps its own explanation then).
fn loss(config: &crate::Config, name: &str) -> Option<&'static str> {
    let configured = config
        .cancel_unsafe
        .iter()
        .any(|x| x.rsplit("::").next() == Some(name));
    match NOT_CANCEL_SAFE.iter().find(|(n, ..)| *n == name) {
        Some((_, lost, default)) if *default || configured => Some(lost),
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
    /// For a future that keeps its progress in the caller's buffer (`read_until`), where that
    /// buffer is.
    buffer: Option<Buffer>,
}

/// Where the buffer of a `read_until`, `read_to_end` or `write_all_buf` is.
#[derive(Debug, Clone)]
enum Buffer {
    /// A place written where the future is made (`buf`, `self.line`), or `None` for a value
    /// made right there (`&mut Vec::new()`).
    Place(Option<String>),
    /// A helper's parameter, by its index among the arguments of a method call to it;
    /// `receiver` when the helper takes `self`, which a path call (`Self::read(self, ..)`)
    /// passes first.
    Param { index: usize, receiver: bool },
}

impl Op {
    /// The operation `name` with `receiver` (none for a function call) and `args`, if it is
    /// not cancel-safe.
    fn of<'e>(
        config: &crate::Config,
        name: String,
        receiver: Option<&syn::Expr>,
        args: impl IntoIterator<Item = &'e syn::Expr>,
    ) -> Option<Self> {
        let lost = loss(config, &name)?;
        let args: Vec<&syn::Expr> = args.into_iter().collect();
        if safe_reads::reads_a_literal_byte(&name, args.first().copied()) {
            return None;
        }
        let channel_send = name == "send" && receiver.is_some_and(is_channel_sender);
        let buffer = KEEP_PROGRESS_IN_BUFFER
            .contains(&name.as_str())
            .then(|| Buffer::Place(args.last().copied().and_then(roots::place_of)));
        Some(Op {
            name,
            lost,
            channel_send,
            buffer,
        })
    }

    /// Whether the buffer this future keeps its progress in outlives the passes, whose made
    /// or reset places are `made`, when the future is made by a call with `args` (a helper's
    /// parameter is the caller's argument; `path_call` for `Self::read(self, ..)`), after the
    /// branch's own future emptied the places `emptied`.
    fn buffer_outlives_pass(
        &self,
        args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
        path_call: bool,
        emptied: &[String],
        made: &[String],
    ) -> bool {
        let place = match &self.buffer {
            None => return false,
            Some(Buffer::Place(p)) => p.clone(),
            Some(Buffer::Param { index, receiver }) => args
                .iter()
                .nth(index + usize::from(*receiver && path_call))
                .and_then(crate::analysis::roots::place_of),
        };
        buffers::outlives_pass(place.as_deref(), made)
            && place.is_some_and(|p| !emptied.iter().any(|e| roots::overlap(&p, e)))
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
/// to a channel `send` (see [`Op::outranks`]). In a loop whose pass makes or resets the places
/// `made`, a future that keeps its progress in a buffer that outlives the pass is safe, and so
/// is a read of one of the variables `safe` whose reads lose nothing.
fn first_unsafe_call(
    cx: &Cx<'_>,
    e: &syn::Expr,
    made: Option<&[String]>,
    safe: &[(String, Safe)],
) -> Option<Unsafe> {
    struct Finder<'c> {
        config: &'c crate::Config,
        helpers: &'c [(String, Vec<Op>)],
        made: Option<&'c [String]>,
        safe: &'c [(String, Safe)],
        /// The places the branch's future emptied so far (`async { buf.clear(); .. }`).
        emptied: Vec<String>,
        found: Option<Unsafe>,
    }
    impl Finder<'_> {
        fn name_or_helper(
            &mut self,
            name: &syn::Ident,
            receiver: Option<&syn::Expr>,
            args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
            helper: bool,
        ) {
            let name = name.to_string();
            if safe_reads::reads_a_safe_variable(&name, receiver, args.first(), self.safe) {
                return;
            }
            // A future that keeps its progress in a buffer that outlives the passes is safe.
            let kept = |op: &Op| {
                self.made.is_some_and(|made| {
                    op.buffer_outlives_pass(args, receiver.is_none(), &self.emptied, made)
                })
            };
            let found = if let Some(op) = Op::of(self.config, name.clone(), receiver, args) {
                if kept(&op) {
                    return;
                }
                let lost = op.lost.to_string();
                Unsafe {
                    call: name,
                    op,
                    lost,
                }
            } else if let Some((_, ops)) = self.helpers.iter().find(|(h, _)| helper && *h == name) {
                // A helper handed by value something this pass made (a connection it just
                // accepted), and nothing by `&mut`, owns what it reads and writes: dropped,
                // it takes them with it, and the next pass makes new ones.
                if receiver.is_none() && self.made.is_some_and(|made| owns_its_io(args, made)) {
                    return;
                }
                // The helper's first future that loses data here for sure, else its first
                // channel `send`.
                let Some(op) =
                    ops.iter()
                        .filter(|op| !kept(op))
                        .fold(
                            None,
                            |best: Option<&Op>, op| {
                                if op.outranks(best) { Some(op) } else { best }
                            },
                        )
                else {
                    return;
                };
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
        // The future runs in order: what it empties before a read is gone when the read starts.
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            self.emptied.extend(buffers::emptied_by(e));
            visit::visit_expr(self, e);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if !sends_nothing_owned(&m.method.to_string(), &m.args) {
                // A helper of the same file is known by name: only through `self` is a method
                // call known to be one of them (`endpoint.accept()` is another type's).
                let on_self = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
                self.name_or_helper(&m.method, Some(&m.receiver), &m.args, on_self);
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
            {
                self.name_or_helper(&last.ident, None, &c.args, true);
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Finder {
        config: cx.config,
        helpers: &cx.facts.unsafe_helpers,
        made,
        safe,
        emptied: Vec::new(),
        found: None,
    };
    f.visit_expr(e);
    f.found
}

/// `serve(&acceptor, stream, &reply)` where this pass made `stream`: a call handed something
/// the pass made by value, and nothing by `&mut`.
fn owns_its_io(
    args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
    made: &[String],
) -> bool {
    let lends_mut = |a: &syn::Expr| matches!(a, syn::Expr::Reference(r) if r.mutability.is_some());
    let moves_made = |a: &syn::Expr| matches!(a, syn::Expr::Path(p) if p.path.get_ident().is_some_and(|i| made.iter().any(|m| i == m)));
    !args.iter().any(lends_mut) && args.iter().any(moves_made)
}

/// The async functions and methods of a file that await a future that is not cancel-safe
/// (outside `shield`): calling one in a `select!` branch loses what it had done, just the same.
/// Each comes with every such future it awaits, in order. A `read_until` into the helper's
/// parameter reads into its caller's buffer (unless the helper binds the name anew or resets
/// it); into anything else of the helper's, the buffer goes with the helper.
pub(crate) fn helpers(file: &syn::File, config: &crate::Config) -> Vec<(String, Vec<Op>)> {
    struct Fns<'c> {
        config: &'c crate::Config,
        out: Vec<(String, Vec<Op>)>,
    }
    impl Fns<'_> {
        fn function(&mut self, sig: &syn::Signature, body: &syn::Block) {
            if sig.asyncness.is_none() {
                return;
            }
            struct Awaits<'c> {
                config: &'c crate::Config,
                /// The helper's parameters, but `self`.
                params: Vec<String>,
                receiver: bool,
                /// The names its `let`s bound so far, and the places it emptied so far.
                lets: Vec<String>,
                emptied: Vec<String>,
                found: Vec<Op>,
            }
            impl<'ast> Visit<'ast> for Awaits<'_> {
                fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
                    if !names::is_shield_call(&a.base) {
                        let (name, receiver, args) = match &*a.base {
                            syn::Expr::MethodCall(m) => (
                                Some(m.method.to_string()),
                                Some(&*m.receiver),
                                Some(&m.args),
                            ),
                            syn::Expr::Call(c) => match &*c.func {
                                syn::Expr::Path(p) => (
                                    p.path.segments.last().map(|s| s.ident.to_string()),
                                    None,
                                    Some(&c.args),
                                ),
                                _ => (None, None, None),
                            },
                            _ => (None, None, None),
                        };
                        let copy_sent = name
                            .as_deref()
                            .zip(args)
                            .is_some_and(|(n, a)| sends_nothing_owned(n, a));
                        if let Some(mut op) = name.filter(|_| !copy_sent).and_then(|n| {
                            Op::of(self.config, n, receiver, args.into_iter().flatten())
                        }) {
                            // The helper's buffer, seen from its callers: a parameter is the
                            // caller's argument; a local of the helper goes with it.
                            if let Some(Buffer::Place(Some(place))) = &op.buffer {
                                let var = place.split('.').next().unwrap_or(place);
                                let reset = self.emptied.iter().any(|e| roots::overlap(place, e));
                                let rebound = self.lets.iter().any(|l| l == var);
                                op.buffer = Some(match self.params.iter().position(|p| p == var) {
                                    Some(index) if !reset && !rebound => Buffer::Param {
                                        index,
                                        receiver: self.receiver,
                                    },
                                    None if var == "self" && !reset => {
                                        Buffer::Place(Some(place.clone()))
                                    }
                                    _ => Buffer::Place(None),
                                });
                            }
                            self.found.push(op);
                        }
                    }
                    visit::visit_expr_await(self, a);
                }
                // In order: a reset or a `let` before a read is in force when it starts.
                fn visit_expr(&mut self, e: &'ast syn::Expr) {
                    self.emptied.extend(buffers::emptied_by(e));
                    visit::visit_expr(self, e);
                }
                fn visit_local(&mut self, l: &'ast syn::Local) {
                    visit::visit_local(self, l);
                    buffers::bindings(&l.pat, &mut self.lets);
                }
                fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
                fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
                fn visit_item(&mut self, _: &'ast syn::Item) {}
            }
            let params = sig
                .inputs
                .iter()
                .filter_map(|i| match i {
                    syn::FnArg::Typed(t) => match &*t.pat {
                        syn::Pat::Ident(p) => Some(p.ident.to_string()),
                        _ => Some(String::new()),
                    },
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let mut a = Awaits {
                config: self.config,
                params,
                receiver: sig.receiver().is_some(),
                lets: Vec::new(),
                emptied: Vec::new(),
                found: Vec::new(),
            };
            a.visit_block(body);
            if !a.found.is_empty() {
                self.out.push((sig.ident.to_string(), a.found));
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
mod tests;
