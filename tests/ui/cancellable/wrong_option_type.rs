// `loops` takes a bool: a string is an error on the value.
use cancelkit::{CancellationError, cancellable};

#[cancellable(loops = "no")]
fn count(items: &[u32]) -> Result<usize, CancellationError> {
    let mut n = 0;
    for _ in items {
        n += 1;
    }
    Ok(n)
}

fn main() {
    let _ = count(&[]);
}
