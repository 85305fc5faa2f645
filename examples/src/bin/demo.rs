//! A two-minute tour of cancelkit: `cargo run -p cancelkit-examples --bin demo`.
//!
//! Each step prints what happened and why; every scenario here also has a test.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cancelkit::{CancellationError, Task, cancellable, group};
use cancelkit_examples::work_item::{WorkResult, run_work_item};

/// Seed 004's hard work, instrumented: a checkpoint at the loop head.
#[cancellable]
async fn count_primes(limit: u64) -> Result<u64, CancellationError> {
    let mut found = 0;
    for n in 2..limit {
        if (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0) {
            found += 1;
        }
    }
    Ok(found)
}

/// Waits for a message on a channel nobody writes to: tokio's own `recv`, which knows nothing
/// of cancelkit. Under `#[cancellable]` the cancel interrupts it.
#[cancellable]
async fn next_job(jobs: &mut tokio::sync::mpsc::Receiver<u64>) -> Result<u64, CancellationError> {
    let job = jobs.recv().await.unwrap_or(0);
    Ok(job)
}

#[tokio::main]
async fn main() {
    step("1. cancellation is a flag: code that never checks runs to the end (S1)");
    let task = Task::spawn(async {
        tokio::time::sleep(Duration::from_millis(200)).await; // does not look
        cancelkit::is_cancelled()
    });
    task.cancel();
    println!("   finished anyway; saw is_cancelled() = {}", task.await);

    step("2. cancellation-aware sleep wakes at once with the error (S6)");
    let started = Instant::now();
    let task = Task::spawn(cancelkit::sleep(Duration::from_secs(3600)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    task.cancel();
    let err = task.await.unwrap_err();
    println!("   woke after {:?}: {err}", started.elapsed());

    step("3. #[cancellable] puts a checkpoint at every loop head and await (S25)");
    let task = Task::spawn(count_primes(u64::MAX));
    tokio::time::sleep(Duration::from_millis(50)).await;
    task.cancel();
    println!(
        "   an endless prime count stopped: {}",
        task.await.unwrap_err()
    );

    step("3b. ... and a task parked in tokio's own recv stops the moment it is cancelled (S25b)");
    let (_idle, mut jobs) = tokio::sync::mpsc::channel(1);
    let task = Task::spawn(async move { next_job(&mut jobs).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cancelled_at = Instant::now();
    task.cancel();
    let err = task.await.unwrap_err();
    println!(
        "   the idle recv returned {:?} after the cancel: {err}",
        cancelled_at.elapsed()
    );

    step("4. a deadline cancels the subtree, with the reason (S23)");
    let result = cancelkit::with_timeout(Duration::from_millis(100), count_primes(u64::MAX)).await;
    println!("   {}", result.unwrap_err());

    step("5. a handler stops a blocking worker thread the task cannot see into (S7, S13)");
    let progress = Arc::new(AtomicU64::new(0));
    let task = Task::spawn(run_work_item(
        10_000,
        Duration::from_millis(1),
        Arc::clone(&progress),
    ));
    while progress.load(Ordering::Acquire) < 20 {
        tokio::task::yield_now().await;
    }
    task.cancel();
    match task.await {
        WorkResult::Cancelled(steps) => println!("   worker stopped after {steps} of 10000 steps"),
        WorkResult::Finished => println!("   worker finished"),
    }

    step("6. a task group: children in parallel, results in completion order (S14, S15)");
    let order = group!(|g| {
        for (name, ms) in [("slow", 150), ("fast", 10), ("medium", 70)] {
            g.spawn(async move {
                let _ = cancelkit::sleep(Duration::from_millis(ms)).await;
                name
            });
        }
        let mut order = Vec::new();
        while let Some(name) = g.next().await {
            order.push(name);
        }
        order
    });
    println!("   completed in order {order:?}");

    step("7. an error leaving a throwing group cancels the siblings, and it waits for them (S16)");
    let started = Instant::now();
    let result: Result<(), String> = group!(try |g| {
        g.spawn(async {
            cancelkit::sleep(Duration::from_secs(3600))
                .await
                .map_err(|e| e.to_string())
        });
        g.spawn(async { Err::<(), _>("the feed was empty".to_owned()) });
        while let Some(()) = g.try_next().await? {}
    });
    println!(
        "   {result:?}, siblings stopped after {:?}",
        started.elapsed()
    );

    step("8. shield: clean-up that must finish does not see the cancel (S24)");
    let task = Task::spawn(async {
        let _ = cancelkit::sleep(Duration::from_secs(3600)).await;
        cancelkit::shield(async {
            let saved = cancelkit::sleep(Duration::from_millis(20)).await;
            format!("cancelled outside, shielded clean-up slept fine: {saved:?}")
        })
        .await
    });
    task.cancel();
    println!("   {}", task.await);

    step("9. cargo cancelkit check finds the loop that cancellation can never reach (S32)");
    let file = cargo_cancelkit::SourceFile::new("src/ready.rs", "src/ready.rs", SAMPLE.to_owned());
    let findings = cargo_cancelkit::check_files(std::slice::from_ref(&file), &Default::default());
    for finding in &findings {
        let shown = cargo_cancelkit::render::human::render_finding(finding, Some(&file), false);
        for line in shown.lines() {
            println!("   {line}");
        }
    }
}

/// A loop the checker should find: it waits for a flag without ever awaiting or checking, so
/// once its task is cancelled it spins on, holding a worker thread.
const SAMPLE: &str = r#"use std::sync::atomic::{AtomicBool, Ordering};

async fn wait_until_ready(ready: &AtomicBool) {
    while !ready.load(Ordering::Acquire) {
        std::hint::spin_loop();
    }
}
"#;

fn step(title: &str) {
    println!("\n{title}");
}
