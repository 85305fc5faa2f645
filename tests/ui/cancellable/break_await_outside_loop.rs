// `on_cancel = break` needs a loop around each await checkpoint; this await has none.
use cancelkit::cancellable;

#[cancellable(on_cancel = break)]
async fn fetch(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> u32 {
    let first = rx.recv().await.unwrap_or(0);
    let mut sum = first;
    while let Some(n) = rx.recv().await {
        sum += n;
    }
    sum
}

fn main() {
    let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
    drop(fetch(&mut rx));
}
