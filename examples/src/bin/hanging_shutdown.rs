//! A shutdown that hangs on a task that never checks, and the tree dump that finds it:
//!
//! ```text
//! cargo run -p cancelkit-examples --bin hanging_shutdown
//! ```
use cancelkit_examples::hanging_shutdown;

#[tokio::main]
async fn main() {
    let outcome = hanging_shutdown::run().await;
    println!("The shutdown hung. Its tree, taken while it hung:\n");
    print!("{}", outcome.tree);
    println!();
    for location in hanging_shutdown::stuck_tasks(&outcome.tree) {
        println!("stuck: the task spawned at {location} was cancelled and is still running");
    }
    println!("the shutdown ended: {:?}", outcome.ending);
}
