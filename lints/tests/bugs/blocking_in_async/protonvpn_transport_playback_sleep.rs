// Source: https://github.com/ProtonVPN/local-agent-rs/issues/14 (ProtonVPN/local-agent-rs#14, "Async executor blocking in `transport_playback.rs`")
// What happened: the playback transport's `async fn recv` called std::thread::sleep before returning
// each recorded response. That blocks the tokio worker thread completely for that time.
use std::time::Duration;

pub struct Response;
pub struct PlaybackTransport { delays: Vec<u64> }

impl PlaybackTransport {
    pub async fn recv(&self) -> Result<Response, ()> {
        let seconds = self.delays[0];
        // First we wait a bit before we return the response
        std::thread::sleep(Duration::from_secs(seconds)); // blocking call inside async fn
        Ok(Response)
    }
}
