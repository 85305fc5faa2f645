// `on_cancel = break` cannot leave a loop that produces a value with `break value`.
use cancelkit::cancellable;

#[cancellable(on_cancel = break)]
fn find(items: &[u32]) -> u32 {
    let mut i = 0;
    let found = loop {
        if items[i] > 10 {
            break items[i];
        }
        i += 1;
    };
    found
}

fn main() {
    let _ = find(&[11]);
}
