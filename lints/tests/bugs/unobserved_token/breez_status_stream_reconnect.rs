// Source: https://github.com/breez/breez-sdk-liquid/pull/935 (breez/breez-sdk-liquid#935)
// What happened: the Boltz status-stream task spawned by SwapperStatusStream::start captured the shutdown
// signal but watched it only inside the connected websocket loop. If the stream could not be connected, the
// task kept cycling through connect attempts and 2s reconnect sleeps, and the SDK's disconnect() never stopped it.
// Reduction note: the original signal is a `tokio::sync::watch::Receiver<()>` (the fix checks
// `shutdown.has_changed()` at the top of each iteration); here it is a CancellationToken. In the original the
// connect-retry path and the connected session share one outer `loop`; here the retry path is its own loop.
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct BoltzSwapper;
struct BoltzClient;
struct WsStream;
struct Error;

impl BoltzSwapper {
    async fn get_boltz_client(&self) -> Result<BoltzClient, Error> { Ok(BoltzClient) }
    async fn run_session(&self, _ws: WsStream) {}
}
impl BoltzClient {
    async fn connect_ws(&self) -> Result<WsStream, Error> { Err(Error) }
}

pub fn start(swapper: Arc<BoltzSwapper>, shutdown: CancellationToken) {
    let reconnect_delay = Duration::from_secs(2);
    tokio::spawn(async move {
        // BUG: `shutdown` is captured but this connect/retry loop never looks at it. While the
        // status stream is unreachable, the task loops forever after disconnect().
        let ws = loop {
            let client = match swapper.get_boltz_client().await {
                Ok(client) => client,
                Err(_e) => {
                    tokio::time::sleep(reconnect_delay).await;
                    continue;
                }
            };
            match client.connect_ws().await {
                Ok(ws) => break ws,
                Err(_e) => tokio::time::sleep(reconnect_delay).await,
            }
        };
        // Only the connected session observes shutdown.
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = swapper.run_session(ws) => {}
        }
    });
}
