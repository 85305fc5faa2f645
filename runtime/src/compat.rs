//! Interop with `tokio_util::sync::CancellationToken` (feature `tokio-util`), so a codebase
//! already on tokio-util can adopt cancelkit one piece at a time.
//!
//! - cancelkit → tokio-util: [`CancelToken::to_tokio_util`] gives a tokio-util token that is
//!   cancelled whenever the cancelkit token is; hand it to code that expects one.
//! - tokio-util → cancelkit: [`run_with_tokio_util`] runs a future under a child of the
//!   current task that is cancelled when the tokio-util token is, so `checkpoint()` and friends
//!   inside it see a tokio-util cancel.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::context::Scoped;
use crate::error::CancelReason;
use crate::meta::{Kind, Meta};
use crate::time::{CancelWhen, cancel_when};
use crate::token::CancelToken;

impl CancelToken {
    /// A tokio-util token cancelled whenever this token is (at once, if it already is).
    /// Cancelling the tokio-util token does not cancel this one.
    ///
    /// The first call makes one tokio-util token that follows this one (one handler on this
    /// token, for its whole life); every call, from any clone, returns a *child* of it. So
    /// calling it often (once per request) holds nothing beyond the tokens still alive, and
    /// cancelling one returned token affects no other.
    ///
    /// ```
    /// let token = cancelkit::CancelToken::new();
    /// let tokio_token = token.to_tokio_util();
    /// token.cancel();
    /// assert!(tokio_token.is_cancelled());
    /// ```
    #[must_use]
    pub fn to_tokio_util(&self) -> CancellationToken {
        let node = self.node();
        node.tokio_util
            .get_or_init(|| {
                let tokio_token = CancellationToken::new();
                let linked = tokio_token.clone();
                node.register_permanent(Box::new(move || linked.cancel()));
                tokio_token
            })
            .child_token()
    }
}

impl From<&CancelToken> for CancellationToken {
    fn from(token: &CancelToken) -> Self {
        token.to_tokio_util()
    }
}

/// Runs `fut` under a child of the current task's token that is also cancelled (reason
/// [`Explicit`](CancelReason::Explicit)) when `token` is.
///
/// ```
/// # futures::executor::block_on(async {
/// let tokio_token = tokio_util::sync::CancellationToken::new();
/// tokio_token.cancel();
/// let seen = cancelkit::run_with_tokio_util(tokio_token, async {
///     cancelkit::checkpoint()
/// })
/// .await;
/// assert!(seen.is_err());
/// # });
/// ```
pub fn run_with_tokio_util<F: IntoFuture>(
    token: CancellationToken,
    fut: F,
) -> RunWithTokioUtil<F::IntoFuture> {
    RunWithTokioUtil {
        state: State::Start {
            fut: Some(fut.into_future()),
            token: Some(token),
        },
    }
}

pin_project! {
    /// Future returned by [`run_with_tokio_util`].
    ///
    /// A tokio-util token already cancelled is seen at the first check. Otherwise, on a
    /// runtime (tokio, or smol with the `smol` feature) the token is watched by a small task
    /// of its own, so its cancel lands even while the future is busy inside one long poll;
    /// without a runtime it is polled alongside the future.
    #[must_use = "futures do nothing unless polled"]
    pub struct RunWithTokioUtil<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The child token is made on the first poll, under whichever task polls.
        Start { fut: Option<F>, token: Option<CancellationToken> },
        Running {
            #[pin]
            fut: Scoped<F>,
            // Polled here only when no runtime could watch it.
            #[pin]
            trigger: Option<WaitForCancellationFutureOwned>,
            watcher: Option<CancelWhen>,
        },
    }
}

impl<F: Future> Future for RunWithTokioUtil<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        if let StateProj::Start { fut, token } = this.state.as_mut().project() {
            let fut = fut
                .take()
                .expect("`RunWithTokioUtil` polled after completion");
            let token = token.take().expect("taken once");
            let own = CancelToken::under_current(Meta::here(Kind::Token));
            let (trigger, watcher) = if token.is_cancelled() {
                // Seen at the body's first check, whatever the runtime.
                own.cancel_with(CancelReason::Explicit);
                (None, None)
            } else {
                let trigger = token.cancelled_owned();
                match crate::rt::Backend::current() {
                    Some(_) => (None, cancel_when(&own, trigger, CancelReason::Explicit)),
                    None => (Some(trigger), None),
                }
            };
            this.state.set(State::Running {
                fut: Scoped::new(own, fut),
                trigger,
                watcher,
            });
        }
        let StateProj::Running {
            fut,
            mut trigger,
            watcher,
        } = this.state.project()
        else {
            unreachable!("set to Running above")
        };
        if let Some(pending) = trigger.as_mut().as_pin_mut()
            && pending.poll(cx).is_ready()
        {
            trigger.set(None);
            fut.token().cancel_with(CancelReason::Explicit);
        }
        let output = fut.poll(cx);
        if output.is_ready() {
            watcher.take();
        }
        output
    }
}

impl<F> fmt::Debug for RunWithTokioUtil<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunWithTokioUtil").finish_non_exhaustive()
    }
}
