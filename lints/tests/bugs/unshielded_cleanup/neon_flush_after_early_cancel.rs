// Source: https://github.com/neondatabase/neon/pull/8235 (neondatabase/neon#8235, "pageserver: don't try to flush if shutdown during attach")
// What happened: when shutdown arrived before the tenant was fully attached, Tenant::shutdown fired its
// cancellation token early. The timeline's flush loop, which watches that token, had already exited
// by the time the FreezeAndFlush clean-up asked it to flush. The flush failed with "cannot flush
// frozen layers when flush_loop is not running, state is Exited", and the layers were never flushed.
//
// Original tokio shape (simplified):
//   self.cancel.cancel();                        // early cancel
//   timeline.freeze_and_flush().await?;          // asks the flush loop, which has already stopped
//                                                // because it selects on the same `cancel`
//
// cancelkit reduction: once cancellation is observed, the clean-up awaits a cancellation-aware
// operation outside `cancelkit::shield`, so it returns at once and the flush never happens.
use cancelkit::until_cancelled;

pub async fn timeline_shutdown(timeline: &Timeline) {
    cancelkit::cancelled().await;                // tenant shutdown: token fired
    // BUG: the flush request is routed through a cancellation-aware wait, so it resolves to None
    // straight away and the frozen layers are dropped.
    match until_cancelled(timeline.flush_frozen_layers()).await {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::error!("failed to freeze and flush: {e}"),
        None => tracing::error!("failed to freeze and flush: flush_loop is not running"),
    }
    // fixed shape: cancelkit::shield(timeline.flush_frozen_layers()).await
}

pub struct Timeline;
impl Timeline { async fn flush_frozen_layers(&self) -> Result<(), String> { Ok(()) } }
