// Source: https://github.com/spiceai/spiceai/issues/12125 (spiceai/spiceai#12125)
// What happened: RuntimeStatus::wait_for_component_ready looped on `receiver.changed().await` and never
// looked at `self.shutdown_token`. mark_shutdown() cancels that token but does not close the per-component
// watch channels (their senders stay in `statuses`), so a waiter for a component that never becomes Ready stays parked after shutdown.
// The loop is the one Copilot quoted on spiceai/spiceai#11529; the fix (spiceai/spiceai#12165) selects on
// `self.shutdown_token.cancelled()`.
use std::collections::HashMap;
use std::sync::RwLock;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ComponentStatus { Initializing, Ready, Error }

pub struct RuntimeStatus {
    statuses: RwLock<HashMap<String, watch::Sender<ComponentStatus>>>,
    shutdown_token: CancellationToken,
}

impl RuntimeStatus {
    pub fn mark_shutdown(&self) {
        // Cancels the token only. The watch senders in `statuses` stay alive.
        self.shutdown_token.cancel();
    }

    pub async fn wait_for_component_ready(&self, key: &str) {
        let Some(mut receiver) = self.statuses.read().unwrap().get(key).map(|tx| tx.subscribe()) else {
            return;
        };
        loop {
            // Check current value (handles already-ready case)
            if *receiver.borrow() == ComponentStatus::Ready {
                return;
            }
            // BUG: `self.shutdown_token` is never consulted. The comment in the original said this
            // returns "if channel closed (runtime shutting down)", but shutdown never closes the channel.
            if receiver.changed().await.is_err() {
                return;
            }
        }
    }
}
