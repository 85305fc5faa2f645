//! Seed 004's hard-work loop with `checkpoint()?` at each iteration head.
use std::time::Duration;

use cancelkit::Task;
use cancelkit_examples::checked_loop::{ITERATIONS, hard_work};

#[tokio::main]
async fn main() {
    println!("task start");
    let task = Task::spawn(hard_work(|_| {
        std::thread::sleep(Duration::from_micros(200))
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    task.cancel();
    match task.await {
        Ok(done) => println!("task finish: {done} iterations"),
        Err(err) => println!("stopped before {ITERATIONS} iterations: {err}"),
    }
}
