//! Where timers and tasks come from: tokio, today. Every use of tokio's timers and spawning goes
//! through here, for two reasons:
//!
//! - outside a tokio runtime, the panic names the cancelkit API that needs one and says what to
//!   do, instead of tokio's "there is no reactor running";
//! - it is the one seam another runtime would plug into.
//!
//! What needs no runtime at all (tokens, checks, handlers, `shield`, local groups, deadlines
//! seen when polled) never comes here.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::time::Instant;

/// The current tokio runtime, or a panic that says `what` needs one.
#[track_caller]
fn handle(what: &'static str) -> Handle {
    match Handle::try_current() {
        Ok(handle) => handle,
        Err(_) => panic!(
            "`{what}` needs a tokio runtime, and it was called outside one (under another \
             executor, or in plain synchronous code). Run it inside `#[tokio::main]`, \
             `#[tokio::test]` or `Runtime::block_on`. Tokens, checks, handlers, `shield` and \
             local groups work without a runtime."
        ),
    }
}

/// Spawns `fut` on the current tokio runtime, on behalf of `what`.
#[track_caller]
pub(crate) fn spawn<F>(what: &'static str, fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    handle(what).spawn(fut)
}

/// A timer on the current tokio runtime, on behalf of `what`.
#[track_caller]
pub(crate) fn sleep(what: &'static str, duration: Duration) -> tokio::time::Sleep {
    let _runtime = handle(what);
    tokio::time::sleep(duration)
}

/// A timer until `deadline` on the current tokio runtime, on behalf of `what`.
#[track_caller]
pub(crate) fn sleep_until(what: &'static str, deadline: Instant) -> tokio::time::Sleep {
    let _runtime = handle(what);
    tokio::time::sleep_until(deadline)
}
