//! Seed 004's GCD work item and seed 001's `condition.cancel()`, both stopped through
//! `with_cancellation_handler`.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cancelkit::Task;
use cancelkit_examples::work_item::{count_while, run_work_item};

#[tokio::main]
async fn main() {
    let progress = Arc::new(AtomicU64::new(0));
    let task = Task::spawn(run_work_item(
        10,
        Duration::from_millis(100),
        Arc::clone(&progress),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    task.cancel();
    println!("work item: {:?}", task.await);

    let started = Arc::new(AtomicBool::new(false));
    let task = Task::spawn(count_while(Arc::clone(&started)));
    while !started.load(Ordering::Acquire) {
        tokio::task::yield_now().await;
    }
    task.cancel();
    println!("condition loop counted to {}", task.await);
}
