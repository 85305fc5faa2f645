//! Seed 004's hard-work loop under `#[cancellable]`: cancelled during iteration 500 of 10 000,
//! it stops at the next checkpoint.
use cancelkit_examples::hard_work::{ITERATIONS, run};

#[tokio::main]
async fn main() {
    println!("task start");
    let report = run(500).await;
    match report.result {
        Ok(done) => println!("task finish: {done} iterations"),
        Err(err) => println!(
            "stopped after {} of {ITERATIONS} iterations ({} started after the cancel), \
             {:?} after cancel(): {err}",
            report.completed, report.started_after_cancel, report.latency
        ),
    }
}
