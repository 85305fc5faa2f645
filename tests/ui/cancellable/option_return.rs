// An `Option` cannot carry a `CancellationError`: the error points at the return type.
use cancelkit::cancellable;

#[cancellable]
fn first(items: &[u32]) -> Option<u32> {
    for item in items {
        return Some(*item);
    }
    None
}

fn main() {
    let _ = first(&[]);
}
