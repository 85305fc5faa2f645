// `try` belongs to the body form only; the fan-out form is always "first error wins".
async fn run() {
    let _ = cancelkit::group!(try async { Ok::<_, ()>(1) });
}
fn main() {}
