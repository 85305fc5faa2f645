//! Seed 004's two sleeps: one ignores cancellation, one returns the error.
use cancelkit_examples::sleeps;

#[tokio::main]
async fn main() {
    println!("-- tokio::time::sleep (ignores cancellation) --");
    let ignoring = sleeps::ignoring_sleep().await;
    println!("ran for {:?}\n", ignoring.ran_for);
    println!("-- cancelkit::sleep (returns CancellationError) --");
    let honouring = sleeps::cancellable_sleep().await;
    println!("ran for {:?}", honouring.ran_for);
}
