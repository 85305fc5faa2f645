// A `const fn` cannot read a task's cancellation flag.
use cancelkit::{CancellationError, cancellable};

#[cancellable]
const fn answer() -> Result<u32, CancellationError> {
    Ok(42)
}

fn main() {
    let _ = answer();
}
