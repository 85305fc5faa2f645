// The marker means nothing outside a `#[cancellable]` function, and takes no arguments.
use cancelkit::{CancellationError, cancellable};

#[cancelkit::uninterruptible]
fn plain() {}

#[cancellable]
fn count(items: &[u32]) -> Result<usize, CancellationError> {
    let mut n = 0;
    #[uninterruptible(always)]
    for _ in items {
        n += 1;
    }
    Ok(n)
}

fn main() {
    plain();
    let _ = count(&[]);
}
