// Source: https://github.com/neondatabase/neon/issues/5697 (neondatabase/neon#5697, "pageserver: Flush op dropped on shutdown due to canceling ListWriter")
// What happened: on `pageserver stop` just after a checkpoint, shutdown sent a Flush op to the
// deletion queue. The deletion queue's ListWriter task was cancelled by the same shutdown, so the
// Flush op was dropped, shutdown_pageserver logged an ERROR, and the pending deletion lists were
// never written out.
//
// cancelkit reduction: the writer's clean-up path (drain and flush pending ops) runs after
// cancellation was observed, but it awaits a cancellation-aware receive (`group.next()` /
// `cancelkit::sleep`) without a shield, so it ends at once and the Flush op is lost.
use std::time::Duration;
use cancelkit::TaskGroup;

pub async fn list_writer(mut group: TaskGroup<FlushOp>, pending: &mut Vec<DeletionList>) {
    loop {
        match cancelkit::sleep(Duration::from_secs(10)).await {   // AUTOFLUSH_INTERVAL
            Ok(()) => write_lists(pending).await,
            Err(_cancelled) => {
                // clean-up after cancellation: pick up the final Flush op and persist.
                // BUG: group.next() is cancellation-aware and the scope is already cancelled, so
                // it yields None right away. The Flush op sent by shutdown is dropped.
                while let Some(op) = group.next().await {
                    write_lists(pending).await;
                    op.ack();
                }
                return;
                // fixed shape: cancelkit::shield(async { while let Some(op) = group.next().await { .. } }).await
            }
        }
    }
}

pub struct FlushOp; impl FlushOp { fn ack(self) {} }
pub struct DeletionList;
async fn write_lists(_p: &mut Vec<DeletionList>) {}
