// Fan-out futures must give `Result<_, E>`: the error points at the offending future.
async fn run() {
    let _ = cancelkit::group!(async { 1u32 }, async { Ok::<u32, ()>(2) });
}
fn main() {}
