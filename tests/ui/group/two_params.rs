// The body takes exactly one parameter: the group handle.
async fn run() {
    let _: () = cancelkit::group!(|g, h| {});
}
fn main() {}
