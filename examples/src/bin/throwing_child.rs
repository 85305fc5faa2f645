//! `cargo run -p cancelkit-examples --bin throwing_child`
#[tokio::main]
async fn main() {
    println!("-- the body observes the error with try_next()?");
    let outcome = cancelkit_examples::throwing_child::test_cancellation(true).await;
    println!("{outcome:?}");
    println!("-- the body never looks");
    let outcome = cancelkit_examples::throwing_child::test_cancellation(false).await;
    println!("{outcome:?}");
}
