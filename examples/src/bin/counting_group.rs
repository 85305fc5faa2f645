//! `cargo run -p cancelkit-examples --bin counting_group` (takes about 7 s)
#[tokio::main]
async fn main() {
    cancelkit_examples::counting_group::count().await;
}
