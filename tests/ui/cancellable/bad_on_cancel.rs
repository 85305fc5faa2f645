// `on_cancel` is `break` or `return EXPR`; anything else is explained on the value.
use cancelkit::cancellable;

#[cancellable(on_cancel = continue)]
fn count(items: &[u32]) -> usize {
    let mut n = 0;
    for _ in items {
        n += 1;
    }
    n
}

fn main() {
    let _ = count(&[]);
}
