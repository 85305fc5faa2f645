//! Interop with `tokio_util::sync::CancellationToken` (feature `tokio-util`), so a codebase
//! already on tokio-util can adopt cancelkit one piece at a time.
//!
//! - cancelkit → tokio-util: [`CancelToken::to_tokio_util`] gives a tokio-util token that is
//!   cancelled whenever the cancelkit token is; hand it to code that expects one.
//! - tokio-util → cancelkit: [`run_with_tokio_util`] runs a future under a child of the
//!   current task that is cancelled when the tokio-util token is, so `checkpoint()` and friends
//!   inside it see a tokio-util cancel.

use std::future::Future;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::error::CancelReason;
use crate::time::Linked;
use crate::token::CancelToken;

impl CancelToken {
    /// A tokio-util token cancelled whenever this token is (at once, if it already is).
    /// Cancelling the tokio-util token does not cancel this one.
    ///
    /// ```
    /// let token = cancelkit::CancelToken::new();
    /// let tokio_token = token.to_tokio_util();
    /// token.cancel();
    /// assert!(tokio_token.is_cancelled());
    /// ```
    #[must_use]
    pub fn to_tokio_util(&self) -> CancellationToken {
        let tokio_token = CancellationToken::new();
        let linked = tokio_token.clone();
        self.node()
            .register_permanent(Box::new(move || linked.cancel()));
        tokio_token
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
pub fn run_with_tokio_util<F: Future>(
    token: CancellationToken,
    fut: F,
) -> Linked<F, WaitForCancellationFutureOwned> {
    Linked::new(fut, token.cancelled_owned(), CancelReason::Explicit)
}
