//! The rules. Each rule has its own module with clippy-style documentation, owns its
//! heuristics, and has one entry point of the same shape, `CheckFn`: the driver walks each
//! file and hands every rule each `Node` together with what it knows there (`Cx`). Rules
//! use the analysis (`crate::analysis`) and never the driver, as clippy's lint passes use
//! rustc's queries: the module graph runs driver → rules → analysis.

use crate::analysis::flow::{Ctx, LoopRef};
use crate::analysis::summaries::Pending;
use crate::analysis::token_vars::TokenVar;
use crate::config::Config;
use crate::finding::Finding;
use crate::source::SourceFile;

pub use crate::rule::Rule;

pub mod blocking_in_async;
pub mod cancel_unsafe_select;
pub mod swallowed_cancellation;
pub mod uncancellable_loop;
pub mod unobserved_token;
pub mod unshielded_cleanup;

/// A place in the syntax tree where rules look.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    /// A `loop`, `while` or `for` loop.
    Loop(LoopRef<'a>),
    /// A statement.
    Stmt(&'a syn::Stmt),
    /// An `if` expression.
    If(&'a syn::ExprIf),
    /// A `match` expression.
    Match(&'a syn::ExprMatch),
    /// A call through a path.
    Call(&'a syn::ExprCall),
    /// A method call; `true` when it is in a future's position: awaited, passed as an
    /// argument, or the receiver of a future adapter (`.timeout(..)`, `.fuse()`).
    MethodCall(&'a syn::ExprMethodCall, bool),
    /// A macro invocation in expression or statement position.
    Macro(&'a syn::Macro),
    /// A block.
    Block(&'a syn::Block),
    /// An `.await`.
    Await(&'a syn::ExprAwait),
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Loop(l) => l.fmt(f),
            Node::Stmt(_) => f.write_str("Node::Stmt"),
            Node::If(_) => f.write_str("Node::If"),
            Node::Match(_) => f.write_str("Node::Match"),
            Node::Call(_) => f.write_str("Node::Call"),
            Node::MethodCall(..) => f.write_str("Node::MethodCall"),
            Node::Macro(_) => f.write_str("Node::Macro"),
            Node::Block(_) => f.write_str("Node::Block"),
            Node::Await(_) => f.write_str("Node::Await"),
        }
    }
}

/// What the driver knows about the code around a node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// Inside an `async fn`, an `async` block or an async closure.
    pub(crate) is_async: bool,
    /// Inside a function whose loops `#[cancellable]` instruments.
    pub(crate) cancellable: bool,
    /// Inside a loop or statement marked `#[uninterruptible]`: `#[cancellable]` leaves the
    /// whole subtree alone.
    pub(crate) opted_out: bool,
    /// `#[cancellable]` made every `.await` of the function observe.
    pub(crate) instrumented_awaits: bool,
    /// ... and interrupts them while pending (it does not say `interrupt = false`).
    pub(crate) interrupting: bool,
    /// Number of enclosing loops within the function.
    pub(crate) loop_depth: u32,
    /// Rules allowed by a comment above the enclosing function.
    pub(crate) allowed: Vec<Rule>,
    /// The cancellation tokens in scope: parameters, `let`s before this point, `self` fields,
    /// and those of enclosing functions (captures).
    pub(crate) tokens: Vec<TokenVar>,
    /// Locals built by handing a received token on (`let stream = browse.token(t.clone()).run()`,
    /// `let stop = t.cancelled()`): what they yield ends when the token fires, so waiting on
    /// one consults the token.
    pub(crate) carriers: Vec<String>,
    /// Methods of `self` that never name a token field (from the enclosing `impl`).
    pub(crate) quiet_self_methods: Vec<String>,
    /// An async block or closure handed to `timeout(..)` or `run_until_cancelled(..)`, or an
    /// async block stored in a local that a `select!` races against a token: it is bounded,
    /// or raced against a token, from outside.
    pub(crate) raced: bool,
    /// Tokens this code cancelled before this point (`token.cancel();` as a statement of an
    /// enclosing block): code after it runs once the token has fired, so it is no stop signal.
    pub(crate) fired: Vec<String>,
    /// Receivers closed before this point (`rx.close();` as a statement of an enclosing
    /// block): receiving from one drains what is already queued, then ends.
    pub(crate) closed: Vec<String>,
    /// Tokens that a later statement of an enclosing block cancels (`token.cancel();` after
    /// this point): the code here waits for the moment to cancel, so the token is not its
    /// stop signal.
    pub(crate) cancelled_after: Vec<String>,
}

/// What a rule gets with each node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) ctx: Ctx<'a>,
    pub(crate) file: &'a SourceFile,
    pub(crate) config: &'a Config,
    pub(crate) scope: &'a Scope,
    pub(crate) facts: &'a FileFacts,
    /// The rule's level where the node sits (in a loop or not). A rule with a level of its
    /// own for timer-paced loops also runs where this is `Allow`, and must then return only
    /// [`Emit::InTimerLoop`].
    pub(crate) level: crate::Level,
}

/// What rules computed over the whole file before the walk (see [`FileFacts::of`]).
#[derive(Debug, Default)]
pub(crate) struct FileFacts {
    /// `cancel_unsafe_select`: async functions of the file that await a future that is not
    /// cancel-safe, with every such future, in order.
    pub(crate) unsafe_helpers: Vec<(String, Vec<cancel_unsafe_select::Op>)>,
    /// `cancel_unsafe_select`: where each `select!` sits (the statement after it that decides
    /// on its value; in a loop, what the passes make or reset, the variables whose reads lose
    /// nothing, the conditions it runs under).
    pub(crate) sites: cancel_unsafe_select::Sites,
}

impl FileFacts {
    /// `text` is the file's text: a file that never says `select` or `cancellable` needs no
    /// helpers (and most files do not).
    pub(crate) fn of(
        file: &syn::File,
        imports: &crate::analysis::imports::Imports,
        text: &str,
        config: &Config,
    ) -> Self {
        let needed = text.contains("select") || text.contains("cancellable");
        FileFacts {
            unsafe_helpers: if needed {
                cancel_unsafe_select::helpers(file, config)
            } else {
                Vec::new()
            },
            sites: if text.contains("select") {
                cancel_unsafe_select::sites(file, imports)
            } else {
                cancel_unsafe_select::Sites::default()
            },
        }
    }
}

/// What a rule reports.
#[derive(Debug)]
pub(crate) enum Emit {
    /// A finding that holds.
    Finding(Finding),
    /// A finding about a loop paced by a timer: it takes the rule's level for such loops
    /// ([`crate::Config::level_in_timer_loops`]).
    InTimerLoop(Finding),
    /// A finding that holds unless what resolution learns about the crate rules it out (calls
    /// on its paths turn out to observe; every channel the crate makes is unbounded).
    Pending(Pending),
}

impl Emit {
    pub(crate) fn finding_mut(&mut self) -> &mut Finding {
        match self {
            Emit::Finding(f) | Emit::InTimerLoop(f) => f,
            Emit::Pending(p) => &mut p.finding,
        }
    }
}

/// A rule's entry point.
pub(crate) type CheckFn = fn(&Cx<'_>, Node<'_>) -> Option<Emit>;

/// The kinds of [`Node`] a rule looks at (a bit set), so the driver hands each node only to
/// the rules that want it.
pub(crate) mod kinds {
    pub(crate) const LOOP: u8 = 1;
    pub(crate) const STMT: u8 = 1 << 1;
    pub(crate) const IF: u8 = 1 << 2;
    pub(crate) const MATCH: u8 = 1 << 3;
    pub(crate) const CALL: u8 = 1 << 4;
    pub(crate) const MACRO: u8 = 1 << 5;
    pub(crate) const BLOCK: u8 = 1 << 6;
    pub(crate) const AWAIT: u8 = 1 << 7;
}

impl Node<'_> {
    /// This node's bit in [`kinds`].
    pub(crate) fn kind(&self) -> u8 {
        match self {
            Node::Loop(_) => kinds::LOOP,
            Node::Stmt(_) => kinds::STMT,
            Node::If(_) => kinds::IF,
            Node::Match(_) => kinds::MATCH,
            Node::Call(_) | Node::MethodCall(..) => kinds::CALL,
            Node::Macro(_) => kinds::MACRO,
            Node::Block(_) => kinds::BLOCK,
            Node::Await(_) => kinds::AWAIT,
        }
    }
}

/// Every rule with its entry point and the node kinds it looks at, in the order they run.
pub(crate) const CHECKS: [(Rule, CheckFn, u8); 6] = {
    use kinds::*;
    [
        (Rule::UncancellableLoop, uncancellable_loop::check, LOOP),
        (
            Rule::SwallowedCancellation,
            swallowed_cancellation::check,
            STMT | IF | MATCH,
        ),
        (Rule::UnobservedToken, unobserved_token::check, LOOP),
        (
            Rule::CancelUnsafeSelect,
            cancel_unsafe_select::check,
            MACRO | AWAIT,
        ),
        (
            Rule::BlockingInAsync,
            blocking_in_async::check,
            CALL | BLOCK,
        ),
        (
            Rule::UnshieldedCleanup,
            unshielded_cleanup::check,
            BLOCK | MATCH | IF | MACRO,
        ),
    ]
};
