// Source: https://github.com/vnvo/pgwire-replication/issues/5 (fixed by https://github.com/vnvo/pgwire-replication/pull/6)
// What happened: WorkerState::stream_loop ran `read_backend_message_into` (read_exact for a 5-byte
// header, then read_exact for the payload) inside `tokio::select!`, racing `stop_rx.changed()`, and
// wrapped it in `tokio::time::timeout`. When the idle-wakeup timeout or stop fired mid-message, the
// partly read bytes were dropped. The next iteration misread the stream and got a bogus payload_len,
// then either hung or raised a Protocol error.
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;

pub async fn stream_loop<S: AsyncRead + Unpin>(stream: &mut S, mut stop_rx: watch::Receiver<bool>, idle: Duration) -> std::io::Result<()> {
    let mut read_buf = Vec::new();
    loop {
        tokio::select! {
            _ = stop_rx.changed() => return Ok(()),
            msg_result = tokio::time::timeout(idle, read_backend_message_into(stream, &mut read_buf)) => {
                match msg_result {
                    Ok(res) => { res?; }
                    Err(_elapsed) => { send_feedback().await; continue; } // the partial header/payload is gone
                }
            }
        }
    }
}

async fn read_backend_message_into<S: AsyncRead + Unpin>(rd: &mut S, buf: &mut Vec<u8>) -> std::io::Result<u8> {
    let mut hdr = [0u8; 5];
    rd.read_exact(&mut hdr).await?;                      // not cancel-safe
    let len = i32::from_be_bytes([hdr[1], hdr[2], hdr[3], hdr[4]]);
    buf.clear();
    buf.resize((len - 4) as usize, 0);
    rd.read_exact(&mut buf[..]).await?;                  // not cancel-safe
    Ok(hdr[0])
}

async fn send_feedback() {}
