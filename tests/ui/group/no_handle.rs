// A body without a name for the group handle cannot spawn anything.
async fn run() {
    let _: () = cancelkit::group!(|| {});
}
fn main() {}
