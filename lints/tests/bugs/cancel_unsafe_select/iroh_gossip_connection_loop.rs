// Source: https://github.com/n0-computer/iroh/pull/2572 (n0-computer/iroh#2572, backport of #2570: "connection loop misuses tokio::select! leading to read errors")
// What happened: iroh-gossip's connection loop selected over a length-prefixed message read that is
// not cancel-safe. If the send branch won in the middle of a message, the read was dropped. The next
// read took random mid-message bytes as a length, which caused random connection drops.
// Reduction note: the PR does not show the send branch. The mpsc/write_all arm below is a stand-in for "the other branch".
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

pub async fn connection_loop(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    mut send_rx: mpsc::Receiver<Vec<u8>>,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            biased;
            msg = send_rx.recv() => {
                let Some(msg) = msg else { break };
                send.write_all(&(msg.len() as u32).to_be_bytes()).await?;
                send.write_all(&msg).await?;
            }
            msg = read_lp(&mut recv) => {            // new length-prefixed read every iteration
                let _msg = msg?;
            }
        }
    }
    Ok(())
}

async fn read_lp(recv: &mut quinn::RecvStream) -> anyhow::Result<Vec<u8>> {
    let len = recv.read_u32().await?;               // not cancel-safe (partial u32)
    let mut buf = vec![0u8; len as usize];
    recv.read_exact(&mut buf).await?;               // not cancel-safe
    Ok(buf)
}
