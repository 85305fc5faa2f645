//! [`CancelToken`]: a handle on one node of the cancellation tree.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context::Scoped;
use crate::context::current_token;
use crate::error::{CancelReason, CancellationError};
use crate::meta::{Kind, Meta};
use crate::node::{HandlerKey, Node, Registered};
use crate::sync::Arc;

/// A handle on a task's cancellation state: check it, cancel it, wait for it, or register a
/// handler on it, from any thread.
///
/// Inside a task you rarely need one: [`is_cancelled`](crate::is_cancelled),
/// [`checkpoint`](crate::checkpoint) and friends read the current task's state. Take one with
/// [`current_token`](crate::current_token) to hand the task's cancellation to code outside the
/// async world — a worker thread, a callback API (S13) — or create one with
/// [`CancelToken::new`] and [`run`](CancelToken::run) a future under it to adopt cancelkit in
/// code you do not spawn.
///
/// Tokens form a tree: cancelling one cancels every [`child`](CancelToken::child), never the
/// parent (S19). Cloning is one atomic increment; all clones are the same token.
///
/// ```
/// use cancelkit::CancelToken;
///
/// let parent = CancelToken::new();
/// let child = parent.child();
/// let worker = std::thread::spawn({
///     let child = child.clone();
///     move || {
///         let mut spins = 0u64;
///         while !child.is_cancelled() {
///             spins += 1;
///             std::hint::spin_loop();
///         }
///         spins
///     }
/// });
/// parent.cancel();
/// worker.join().unwrap();
/// assert!(child.is_cancelled());
/// ```
pub struct CancelToken {
    node: Arc<Node>,
}

impl CancelToken {
    /// A new root token, not cancelled, with no parent.
    #[must_use]
    #[track_caller]
    pub fn new() -> Self {
        Self::root(Meta::here(Kind::Token))
    }

    /// A new token that is cancelled whenever `self` is (and starts cancelled if `self`
    /// already is). Cancelling the child does not affect `self`.
    #[must_use]
    #[track_caller]
    pub fn child(&self) -> Self {
        self.child_with(Meta::here(Kind::Token))
    }

    pub(crate) fn root(meta: Meta) -> Self {
        CancelToken {
            node: Node::new_root(meta),
        }
    }

    pub(crate) fn child_with(&self, meta: Meta) -> Self {
        CancelToken {
            node: Node::new_child(&self.node, meta),
        }
    }

    /// A scope's token: a child of the current task's, or a root outside any task.
    pub(crate) fn under_current(meta: Meta) -> Self {
        match current_token() {
            Some(parent) => parent.child_with(meta),
            None => Self::root(meta),
        }
    }

    /// A shield's token: listed under the current task's node, if any, never cancelled by it.
    pub(crate) fn shield(meta: Meta) -> Self {
        match current_token() {
            Some(task) => CancelToken {
                node: Node::new_shield(task.node(), meta),
            },
            None => Self::root(meta),
        }
    }

    /// A shield's token under `task`, for the loom models.
    #[cfg(all(test, cancelkit_loom))]
    #[track_caller]
    pub(crate) fn shield_under(task: &CancelToken) -> Self {
        CancelToken {
            node: Node::new_shield(task.node(), Meta::here(Kind::Shield)),
        }
    }

    /// Cancels this token and its whole subtree, with reason [`CancelReason::Explicit`].
    ///
    /// Handlers registered on the subtree run on this thread before `cancel` returns, without
    /// any cancelkit lock held (S10). Cancelling twice is a no-op (S2).
    ///
    /// # Panics
    ///
    /// If a handler panics, the others still run and the subtree is still cancelled; then the
    /// first handler's panic is resumed here. Where that must not happen (a server's shutdown
    /// path), use [`cancel_catching`](Self::cancel_catching).
    #[track_caller]
    pub fn cancel(&self) {
        if let Err(panic) = self.cancel_catching() {
            std::panic::resume_unwind(panic.into_payload());
        }
    }

    /// Like [`cancel`](Self::cancel), but a panicking handler's panic is returned instead of
    /// resumed: the handler-panic policy for code that must not crash. (The panic hook has
    /// already reported the panic where it happened.)
    ///
    /// ```
    /// let token = cancelkit::CancelToken::new();
    /// let _guard = token.on_cancel(|| panic!("a buggy handler"));
    /// # let hook = std::panic::take_hook();
    /// # std::panic::set_hook(Box::new(|_| {}));
    /// let err = token.cancel_catching().unwrap_err();
    /// # std::panic::set_hook(hook);
    /// assert!(token.is_cancelled());
    /// assert_eq!(err.message(), Some("a buggy handler"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`HandlerPanic`] with the first handler's panic; the subtree is cancelled and every
    /// other handler has run.
    #[track_caller]
    pub fn cancel_catching(&self) -> Result<(), HandlerPanic> {
        self.node
            .cancel(
                CancellationError::new(CancelReason::Explicit),
                Location::caller(),
            )
            .map(drop)
            .map_err(|payload| HandlerPanic { payload })
    }

    /// Cancels with a given reason on cancelkit's own behalf (deadlines, groups, bridges);
    /// returns `false` if the token was already cancelled. A handler's panic is not resumed:
    /// it would surface in whatever cancelkit code happened to cancel (a timer task, a
    /// group's drop), and the panic hook has already reported it.
    #[track_caller]
    pub(crate) fn cancel_with(&self, reason: CancelReason) -> bool {
        self.node
            .cancel(CancellationError::new(reason), Location::caller())
            .unwrap_or(true)
    }

    /// Cancels this token when the returned guard is dropped (tokio-util's `drop_guard`),
    /// unless it is [disarmed](DropGuard::disarm) first: ties a scope's lifetime to a token.
    ///
    /// ```
    /// let token = cancelkit::CancelToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// } // dropped here: cancels
    /// assert!(token.is_cancelled());
    ///
    /// let kept = cancelkit::CancelToken::new();
    /// let guard = kept.clone().drop_guard();
    /// let _kept: cancelkit::CancelToken = guard.disarm();
    /// assert!(!kept.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Whether this token has been cancelled. One atomic load.
    #[inline]
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// `Err` with the reason if this token has been cancelled, `Ok(())` otherwise.
    ///
    /// # Errors
    ///
    /// [`CancellationError`] once the token is cancelled.
    #[inline]
    pub fn check(&self) -> Result<(), CancellationError> {
        self.node.check()
    }

    /// Completes (with the reason) once this token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        self.clone().cancelled_owned()
    }

    /// Like [`cancelled`](Self::cancelled), consuming the token: no extra clone.
    pub fn cancelled_owned(self) -> Cancelled {
        Cancelled {
            source: Source::Token(self),
            key: None,
        }
    }

    /// Registers `handler` to run when this token is cancelled — at once, on this thread, if it
    /// already is. Dropping the returned guard deregisters it; if the handler is running at
    /// that moment, the drop waits for it to finish (S9).
    ///
    /// This is the building block for tying blocking or callback-based work to a task:
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
    /// let token = cancelkit::CancelToken::new();
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let guard = token.on_cancel({
    ///     let stop = stop.clone();
    ///     move || stop.store(true, Ordering::Relaxed)
    /// });
    /// token.cancel();
    /// assert!(stop.load(Ordering::Relaxed));
    /// drop(guard);
    /// ```
    pub fn on_cancel(&self, handler: impl FnOnce() + Send + 'static) -> OnCancel {
        OnCancel {
            key: self.node.register_handler(Box::new(handler)),
            token: self.clone(),
        }
    }

    /// Runs `fut` with this token as the current task's cancellation, so that
    /// [`is_cancelled`](crate::is_cancelled), [`checkpoint`](crate::checkpoint) and friends
    /// inside it read this token. Works on any executor.
    ///
    /// ```
    /// let token = cancelkit::CancelToken::new();
    /// token.cancel();
    /// let seen = futures::executor::block_on(token.run(async { cancelkit::is_cancelled() }));
    /// assert!(seen);
    /// ```
    pub fn run<F: Future>(&self, fut: F) -> Scoped<F> {
        Scoped::new(self.clone(), fut)
    }

    /// Why this token was cancelled, if it was (the same name as on groups).
    #[must_use]
    pub fn cancellation(&self) -> Option<CancellationError> {
        self.check().err()
    }

    pub(crate) fn node(&self) -> &Arc<Node> {
        &self.node
    }
}

impl Default for CancelToken {
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for CancelToken {
    fn clone(&self) -> Self {
        self.node.acquire_handle();
        CancelToken {
            node: Arc::clone(&self.node),
        }
    }
}

impl Drop for CancelToken {
    fn drop(&mut self) {
        self.node.release_handle();
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.cancellation())
            .finish()
    }
}

/// Future returned by [`CancelToken::cancelled`] and [`cancelled`](crate::cancelled).
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled {
    source: Source,
    key: Option<usize>,
}

/// Whose cancellation a [`Cancelled`] waits for.
enum Source {
    /// The task that first polls it ([`cancelled`](crate::cancelled)).
    Current,
    /// That task's node, once known. The task's own token keeps it linked while the task
    /// runs; this only keeps it alive (one reference count, where a token handle is two).
    Task(Arc<Node>),
    Token(CancelToken),
    /// It was first polled outside any task: nothing can cancel it.
    NoTask,
}

impl Source {
    fn node(&self) -> Option<&Arc<Node>> {
        match self {
            Source::Task(node) => Some(node),
            Source::Token(token) => Some(token.node()),
            Source::Current | Source::NoTask => None,
        }
    }
}

impl Cancelled {
    /// Waits for the cancellation of whichever task first polls it.
    pub(crate) fn current() -> Self {
        Cancelled {
            source: Source::Current,
            key: None,
        }
    }

    /// The cancellation this waits for, if it has already happened: what a first poll would
    /// return, without registering anything.
    pub(crate) fn check(&self) -> Result<(), CancellationError> {
        match self.source.node() {
            Some(node) => node.check(),
            None if matches!(self.source, Source::Current) => crate::context::checkpoint(),
            None => Ok(()),
        }
    }
}

impl Future for Cancelled {
    type Output = CancellationError;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CancellationError> {
        let this = &mut *self;
        if let Source::Current = this.source {
            this.source = crate::context::current_node().map_or(Source::NoTask, Source::Task);
        }
        let Some(node) = this.source.node() else {
            return Poll::Pending;
        };
        if let Err(err) = node.check() {
            // The state flips before the canceller takes the node's entries, and it takes
            // them all: our waker entry, if any, is gone or about to go without our help.
            this.key = None;
            return Poll::Ready(err);
        }
        match this.key {
            Some(key) if node.update_waker(key, cx.waker()) => Poll::Pending,
            Some(_) => {
                // The entry was taken, so the node was cancelled.
                this.key = None;
                Poll::Ready(
                    node.check()
                        .expect_err("entries are only taken by a cancel"),
                )
            }
            None => match node.register_waker(cx.waker()) {
                Registered::Key(key) => {
                    this.key = Some(key);
                    Poll::Pending
                }
                Registered::AlreadyCancelled(err) => Poll::Ready(err),
            },
        }
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        if let (Some(key), Some(node)) = (self.key, self.source.node()) {
            node.remove_waker(key);
        }
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cancelled = self.source.node().map(|node| node.check().err());
        f.debug_struct("Cancelled")
            .field("cancelled", &cancelled)
            .finish_non_exhaustive()
    }
}

/// A panic raised by a cancellation handler, returned by [`CancelToken::cancel_catching`].
pub struct HandlerPanic {
    payload: Box<dyn std::any::Any + Send>,
}

impl HandlerPanic {
    /// The panic's message, when it was a string (as `panic!` with a message makes).
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        crate::error::panic_message(self.payload.as_ref())
    }

    /// The panic's payload, to resume it with [`std::panic::resume_unwind`].
    #[must_use]
    pub fn into_payload(self) -> Box<dyn std::any::Any + Send> {
        self.payload
    }
}

impl fmt::Debug for HandlerPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerPanic")
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for HandlerPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(message) => write!(f, "a cancellation handler panicked: {message}"),
            None => f.write_str("a cancellation handler panicked"),
        }
    }
}

impl std::error::Error for HandlerPanic {}

/// Guard returned by [`CancelToken::drop_guard`]: cancels the token when dropped.
#[must_use = "dropping the guard cancels the token at once"]
pub struct DropGuard {
    token: Option<CancelToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    #[must_use]
    pub fn disarm(mut self) -> CancelToken {
        self.token.take().expect("taken only here or on drop")
    }
}

impl Drop for DropGuard {
    /// Cancels the token. A handler's panic is not resumed here, where it could abort a
    /// process that is already unwinding; the panic hook has reported it.
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            let _ = token.cancel_catching();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}

/// Guard returned by [`CancelToken::on_cancel`]: deregisters the handler when dropped.
#[must_use = "dropping the guard deregisters the handler at once"]
pub struct OnCancel {
    token: CancelToken,
    key: Option<HandlerKey>,
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.token.node().remove_handler(key);
        }
    }
}

impl fmt::Debug for OnCancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnCancel")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}
