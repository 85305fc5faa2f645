// The new `interrupt` option: a misspelling gets "did you mean", a non-bool value says what the
// option does.
use cancelkit::{CancellationError, cancellable};

#[cancellable(interupt = false)]
async fn a(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Result<Option<u32>, CancellationError> {
    Ok(rx.recv().await)
}

#[cancellable(interrupt = "never")]
async fn b(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Result<Option<u32>, CancellationError> {
    Ok(rx.recv().await)
}

fn main() {
    let _ = (a, b);
}
