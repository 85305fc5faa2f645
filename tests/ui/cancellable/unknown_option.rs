// A misspelt option is an error with darling's "did you mean", on the option's name.
use cancelkit::{CancellationError, cancellable};

#[cancellable(on_cancle = break)]
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
