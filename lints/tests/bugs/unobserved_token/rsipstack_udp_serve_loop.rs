// Source: https://github.com/restsend/rsipstack/pull/24 (restsend/rsipstack#24)
// What happened: UdpConnection::serve_loop looped on `self.inner.conn.recv_from(&mut buf).await` and
// never checked the connection's own `cancel_token` field, so cancelling the endpoint left the UDP
// socket "listening forever". The fix races recv_from against `cancel_token.cancelled()` in tokio::select!.
// Reduction note: in rsipstack the field is `Option<CancellationToken>`; here it is a plain
// CancellationToken. The loop body is trimmed: the whitelist, keepalive and SIP parsing steps are removed.
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

struct UdpInner { conn: UdpSocket }
struct Incoming(Vec<u8>, std::net::SocketAddr);
struct Error;

pub struct UdpConnection {
    cancel_token: CancellationToken,
    inner: Arc<UdpInner>,
}

impl UdpConnection {
    pub async fn serve_loop(&self, sender: UnboundedSender<Incoming>) -> Result<(), Error> {
        let mut buf = vec![0u8; 65535];
        loop {
            // BUG: `self.cancel_token` is in scope but never consulted. recv_from waits for the
            // next datagram, so after cancellation the loop (and the bound socket) lives on.
            let (len, addr) = match self.inner.conn.recv_from(&mut buf).await {
                Ok((len, addr)) => (len, addr),
                Err(_e) => continue,
            };
            sender.send(Incoming(buf[..len].to_vec(), addr)).map_err(|_| Error)?;
        }
    }
}
