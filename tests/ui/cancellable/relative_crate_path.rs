// `crate = ...` must be absolute: a relative path would resolve differently in each module.
use cancelkit::{CancellationError, cancellable};

#[cancellable(crate = cancelkit)]
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
