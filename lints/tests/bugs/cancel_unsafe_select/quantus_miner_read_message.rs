// Source: https://github.com/Quantus-Network/chain/issues/674 (Quantus-Network/chain#674)
// What happened: `read_message` (two `read_exact` calls: a length prefix, then the body) was a
// `tokio::select!` branch racing `job_rx.recv()` in connection_handler. When a job broadcast won
// while a frame was half-read, the bytes already consumed were dropped, and the miner's QUIC stream
// desynced for good. In-flight seals were lost.
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::broadcast;

pub async fn connection_handler<R, W>(mut recv: R, _send: W, mut job_rx: broadcast::Receiver<Vec<u8>>)
where R: AsyncRead + Unpin, W: AsyncWrite + Unpin {
    loop {
        tokio::select! {
            biased; // does not help: the read future is still dropped when the other branch wins
            msg_result = read_message(&mut recv) => {   // new read_exact future every iteration
                let _msg = msg_result.unwrap();
            }
            job = job_rx.recv() => {
                let _ = job;
            }
        }
    }
}

pub async fn read_message<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut len_buf = [0u8; 4];
    reader.read_exact(&mut len_buf).await?;          // not cancel-safe
    let len = u32::from_be_bytes(len_buf);
    let mut buf = vec![0u8; len as usize];
    reader.read_exact(&mut buf).await?;              // not cancel-safe
    Ok(buf)
}
