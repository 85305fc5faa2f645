// A function that returns a future but does not end in an `async` block: the code that runs
// when the future is awaited is out of the macro's sight, so it is an error, not a function
// that silently has no checkpoints.
use std::future::Future;

use cancelkit::{CancellationError, cancellable};

#[cancellable]
fn later(n: u32) -> impl Future<Output = Result<u32, CancellationError>> {
    std::future::ready(Ok(n))
}

fn main() {
    let _ = later(1);
}
