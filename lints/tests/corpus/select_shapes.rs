// `select!` in its unusual forms, look-alike macros, and tokens behind aliases: each must get a
// clean pass or a finding, never a panic.
type Shutdown = tokio_util::sync::CancellationToken;

async fn biased(token: Shutdown, mut rx: Rx, mut reader: R) {
    loop {
        tokio::select! {
            biased;
            _ = token.cancelled() => break,
            Some(m) = rx.recv(), if m.ok() => work(m).await,
            r = reader.read_exact(&mut buf) => { r.unwrap(); }
            else => break,
        }
    }
}

async fn futures_select(mut a: A, mut b: B) {
    loop {
        futures::select! {
            x = a.next() => {},
            y = b.send(v).fuse() => {},
            default => {},
            complete => break,
        }
    }
}

macro_rules! select {
    ($($t:tt)*) => {};
}

async fn look_alike() {
    loop {
        select!(this is not tokio's = > , ; biased);
        select! { a b c => d e f }
        x.await;
    }
}

async fn aliased(stop: Shutdown) {
    while let Some(m) = rx.recv().await {
        work(m).await;
    }
}
