//! `cargo run -p cancelkit-examples --bin print_message`
#[tokio::main]
async fn main() {
    println!("-- no child checks: cancel_all() changes nothing");
    cancelkit_examples::print_message::print_message(false).await;
    println!("-- the first child checks");
    cancelkit_examples::print_message::print_message(true).await;
}
