// The per-item form needs `=> future` after the iterator.
async fn run() {
    let _ = cancelkit::group!(for x in [1, 2, 3]);
}
fn main() {}
