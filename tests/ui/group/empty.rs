// `group!` with nothing inside: there is neither a body nor a future to run.
async fn run() {
    let _ = cancelkit::group!();
}
fn main() {}
