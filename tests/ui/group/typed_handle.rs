// The handle's type is given by the macro; annotating it is an error that says so.
async fn run() {
    let _: () = cancelkit::group!(|g: &mut cancelkit::TaskGroup<u32>| {});
}
fn main() {}
