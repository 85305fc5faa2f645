// `#[cancellable]` goes on functions and impl blocks; the struct is still emitted, so its
// uses below compile.
use cancelkit::cancellable;

#[cancellable]
struct Worker {
    count: u32,
}

fn main() {
    let w = Worker { count: 1 };
    let _ = w.count;
}
