// The default policy returns `Err(..)`: a function returning `()` cannot, and the error
// suggests a `Result` or the other policies.
use cancelkit::cancellable;

#[cancellable]
fn spin(items: &[u32]) {
    for item in items {
        println!("{item}");
    }
}

fn main() {
    spin(&[]);
}
