// The marker on a statement of a function without `#[cancellable]`. On stable Rust the
// compiler rejects any attribute macro on a statement (E0658) before the macro runs; the
// marker's own error says what to do.
async fn f() -> u32 {
    #[cancelkit::uninterruptible]
    let x = async { 1 }.await;
    x
}

fn main() {
    let _ = f();
}
