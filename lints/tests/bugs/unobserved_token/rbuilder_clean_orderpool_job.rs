// Source: https://github.com/flashbots/rbuilder/pull/349 (flashbots/rbuilder#349, "Stop spawn_clean_orderpool_job on shutdown")
// What happened: rbuilder would not stop on Ctrl-C because shutdown waited for the task spawned by
// spawn_clean_orderpool_job, and that task's loop never looked at the cancellation token it had.
// The fix wraps the header receive in tokio::select! with the token.
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Header { number: u64 }

pub fn spawn_clean_orderpool_job(
    mut header_receiver: mpsc::Receiver<Header>,
    global_cancellation: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // BUG: `global_cancellation` is captured but no iteration ever checks it.
        // The loop only ends when every sender is dropped, so shutdown hangs.
        while let Some(header) = header_receiver.recv().await {
            set_current_block(header.number);
            let state = match latest_state().await {
                Ok(state) => state,
                Err(_err) => continue,
            };
            clean_orderpool(state).await;
        }
    })
}

fn set_current_block(_n: u64) {}
async fn latest_state() -> Result<(), ()> { Ok(()) }
async fn clean_orderpool(_s: ()) {}
