// Source: https://github.com/cyberfabric/cyberfabric-core/pull/807 (review mirrored at https://github.com/constructorfabric/gears-rust/pull/3782)
// What happened: CodeRabbit's review of the modkit-db outbox dispatcher said `poll_once` awaits
// `publish_fn(msg).await` for every claimed message without looking at the shutdown token, so a
// stuck publisher blocks graceful shutdown. It suggested passing `run`'s CancellationToken into
// `poll_once` and racing each publish against `cancel.cancelled()`.
// Reduction note: `poll_once` is inlined into `run`, so its per-message loop has the token in scope.
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct ClaimedMessage;
struct OutboxDispatcher { poll_interval: Duration }

impl OutboxDispatcher {
    pub async fn run<F, Fut>(&self, cancel: CancellationToken, publish_fn: F)
    where F: Fn(&ClaimedMessage) -> Fut, Fut: std::future::Future<Output = Result<(), ()>> {
        let mut interval = tokio::time::interval(self.poll_interval);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            // --- inlined poll_once() ---
            let batch: Vec<ClaimedMessage> = claim_batch().await;
            // BUG: a per-message loop with `cancel` in scope but never checked. One blocked publish
            // holds up shutdown indefinitely.
            for msg in &batch {
                let _ = publish_fn(msg).await;
                ack(msg).await;
            }
        }
    }
}

async fn claim_batch() -> Vec<ClaimedMessage> { vec![] }
async fn ack(_m: &ClaimedMessage) {}
