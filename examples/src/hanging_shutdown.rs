//! A shutdown that hangs, and the tree dump that says why (issue 14).
//!
//! A server runs three background workers through a [`TaskTracker`] under its [`Shutdown`].
//! Two cooperate; one is a legacy poll loop that waits on tokio's own sleep and never looks at
//! cancellation. The shutdown starts, the grace period passes, everything is cancelled, and
//! the shutdown then hangs on that one worker until the abort. A watchdog takes
//! [`Shutdown::tree`] while it hangs: the dump names the stuck task and the line that spawned
//! it.

use std::panic::Location;
use std::time::Duration;

use cancelkit::dump::{Kind, Tree};
use cancelkit::shutdown::{Ending, Shutdown};
use cancelkit::{CancellationError, TaskTracker};

/// How long in-flight work gets once the shutdown starts.
pub const GRACE: Duration = Duration::from_millis(200);
/// How long cancelled work gets to stop before it is aborted.
pub const ABORT_AFTER: Duration = Duration::from_millis(400);

/// What the run shows.
#[derive(Debug)]
pub struct Outcome {
    /// The dump taken while the shutdown hung.
    pub tree: Tree,
    /// Where the stuck worker was spawned.
    pub stuck_at: &'static Location<'static>,
    /// How the shutdown ended.
    pub ending: Ending,
}

/// A worker that checks: it stops at the cancel.
async fn cooperative() -> Result<(), CancellationError> {
    loop {
        cancelkit::sleep(Duration::from_millis(20)).await?;
    }
}

/// A worker that never checks: tokio's sleep knows nothing of cancelkit.
async fn legacy_poll_loop() {
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the scenario; needs a tokio runtime with time enabled.
pub async fn run() -> Outcome {
    let shutdown = Shutdown::new(GRACE).abort_after(ABORT_AFTER);
    let workers = TaskTracker::under(shutdown.token());
    let mut tasks = Vec::new();
    tasks.extend(workers.spawn(cooperative()).ok().map(|task| task.token()));
    tasks.extend(workers.spawn(cooperative()).ok().map(|task| task.token()));
    // One line, so that `stuck_at` names the spawn's line.
    let (stuck_at, stuck) = (Location::caller(), workers.spawn(legacy_poll_loop()));
    workers.close();

    // The watchdog: once the work is cancelled, give it a moment, then look.
    let watchdog = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown.token().cancelled().await;
            tokio::time::sleep(ABORT_AFTER / 2).await;
            shutdown.tree()
        }
    });
    shutdown.trigger();
    let report = shutdown.run(workers.wait()).await;
    // The abort dropped the server's future (the wait), not the tracker's tasks, which are
    // detached: stop the stuck one the hard way.
    if let Ok(stuck) = stuck {
        stuck.abort();
    }
    drop(tasks);
    Outcome {
        tree: watchdog.await.expect("the watchdog"),
        stuck_at,
        ending: report.ending,
    }
}

/// The tasks in the dump that were cancelled and still run.
pub fn stuck_tasks(tree: &Tree) -> Vec<&'static Location<'static>> {
    tree.still_running()
        .filter(|node| node.kind == Kind::Task)
        .map(|node| node.location)
        .collect()
}
