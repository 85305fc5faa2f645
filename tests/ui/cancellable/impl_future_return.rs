// `-> impl Future` hides the output type, and the `async` block holding the body would not be
// instrumented: the error says to write an `async fn`.
use std::future::Future;

use cancelkit::{CancellationError, cancellable};

#[cancellable]
fn later(n: u32) -> impl Future<Output = Result<u32, CancellationError>> {
    async move { Ok(n) }
}

fn main() {
    let _ = later(1);
}
