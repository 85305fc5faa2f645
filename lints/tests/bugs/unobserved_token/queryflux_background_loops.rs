// Source: https://github.com/lakeops-org/queryflux/pull/148 (lakeops-org/queryflux#148, "fix: stop background tasks when shutdown is signaled")
// What happened: the background loops (snapshots, heartbeats, sweeps, cache cleanup, retention purge,
// health, reconcile, config reload) ignored the `shutdown_rx` they had, so they kept running while
// the frontends drained after SIGTERM. The fix adds a `tick_or_shutdown` helper to every loop.
// (The project's token is a tokio::sync::watch::Receiver<bool>, "a cancellation token or similar".)
use std::time::Duration;
use tokio::sync::watch;

pub fn spawn_retention_purge(mut shutdown_rx: watch::Receiver<bool>, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        // BUG: `shutdown_rx` is captured but never consulted; no select! on
        // `shutdown_rx.wait_for(|v| *v)`, and no `*shutdown_rx.borrow()` check.
        loop {
            interval.tick().await;
            purge_expired_rows().await;
        }
    });
}

async fn purge_expired_rows() {}
