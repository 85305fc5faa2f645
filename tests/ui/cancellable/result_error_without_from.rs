// `Result<_, String>`: `String` has no `From<CancellationError>`; the compiler says so on the
// return type. A type alias that is not a `Result` gets the same treatment.
use cancelkit::cancellable;

type Count = u64;

#[cancellable]
fn count(items: &[u32]) -> Result<usize, String> {
    let mut n = 0;
    for _ in items {
        n += 1;
    }
    Ok(n)
}

#[cancellable]
fn total(items: &[u32]) -> Count {
    let mut n = 0;
    for item in items {
        n += u64::from(*item);
    }
    n
}

fn main() {
    let _ = count(&[]);
    let _ = total(&[]);
}
