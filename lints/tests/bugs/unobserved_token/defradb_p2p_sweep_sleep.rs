// Source: https://github.com/sourcenetwork/defradb.rs/issues/1356 (sourcenetwork/defradb.rs#1356, "Background loops block on uninterruptible sleeps ...")
// What happened: background loops in crates/p2p wait on tokio::time::sleep that nothing can
// interrupt, and the work they drive takes no cancellation parameter. Shutdown therefore aborts
// the handles instead of signalling them, and a sweep can hold the coordinator and storage Arc for
// up to one full interval after shutdown() returns. (The Go original selects on ctx.Done() in every loop.)
// Reduction note: the issue does not say exactly where the token lives. Here it is a field on `self`,
// which matches the "field via self" case.
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct Coordinator { shutdown: CancellationToken, store: Arc<Store> }
struct Store;

impl Coordinator {
    pub async fn replicator_retry_loop(self: Arc<Self>) {
        loop {
            // BUG: no select! on self.shutdown.cancelled(); the sleep cannot be interrupted.
            tokio::time::sleep(Duration::from_secs(60)).await;
            // ...and the work itself does not get the token.
            self.retry_replicators().await;
        }
    }

    async fn retry_replicators(&self) { let _ = &self.store; }
}
