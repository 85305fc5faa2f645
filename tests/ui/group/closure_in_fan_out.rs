// A closure among futures is neither a body (which must come alone) nor a future.
async fn run() {
    let _ = cancelkit::group!(async { Ok::<_, ()>(1) }, |g| {});
}
fn main() {}
