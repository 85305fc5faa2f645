//! Task groups next to tokio's `JoinSet`, in the same run.
//!
//! - `spawn_join/*`: spawn 100,000 trivial children and collect every result.
//! - `cancel/*`: 100,000 children parked in a sleep; measured from the cancel to the moment
//!   every child has finished: `cancel_all()` + `wait_for_all()` (children wake through the
//!   cancellation tree and return) against `JoinSet::abort_all()` + joining every child.
//!
//! Before criterion's runs, the bench prints the ratio of medians of interleaved rounds.
//!
//! `cargo bench -p cancelkit --bench group`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const CHILDREN: u64 = 100_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

async fn group_spawn_join() -> u64 {
    cancelkit::with_task_group(async |group| {
        for i in 0..CHILDREN {
            group.spawn(async move { i });
        }
        let mut sum = 0;
        while let Some(i) = group.next().await {
            sum += i;
        }
        sum
    })
    .await
}

async fn joinset_spawn_join() -> u64 {
    let mut set = JoinSet::new();
    for i in 0..CHILDREN {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(i) = set.join_next().await {
        sum += i.unwrap();
    }
    sum
}

fn spawn_join(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("spawn_join");
    g.sample_size(20);
    g.bench_function("cancelkit_group", |b| {
        b.iter(|| rt.block_on(group_spawn_join()));
    });
    g.bench_function("tokio_joinset", |b| {
        b.iter(|| rt.block_on(joinset_spawn_join()));
    });
    g.finish();
}

/// Waits until `parked` children have started their sleep.
async fn all_parked(parked: &AtomicUsize) {
    while parked.load(Ordering::Acquire) < CHILDREN as usize {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Let the last ones reach their first `Pending`.
    tokio::time::sleep(Duration::from_millis(5)).await;
}

/// From `cancel_all()` until every parked child has finished.
async fn group_cancel() -> Duration {
    let parked = Arc::new(AtomicUsize::new(0));
    cancelkit::with_task_group(async |group| {
        for _ in 0..CHILDREN {
            let parked = parked.clone();
            group.spawn(async move {
                parked.fetch_add(1, Ordering::Release);
                cancelkit::sleep(Duration::from_secs(3600)).await.is_err()
            });
        }
        all_parked(&parked).await;
        let start = Instant::now();
        group.cancel_all();
        group.wait_for_all().await;
        start.elapsed()
    })
    .await
}

/// From `abort_all()` until every parked child has been joined.
async fn joinset_cancel() -> Duration {
    let parked = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..CHILDREN {
        let parked = parked.clone();
        set.spawn(async move {
            parked.fetch_add(1, Ordering::Release);
            cancelkit::sleep(Duration::from_secs(3600)).await.is_err()
        });
    }
    all_parked(&parked).await;
    let start = Instant::now();
    set.abort_all();
    while set.join_next().await.is_some() {}
    start.elapsed()
}

fn cancel(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("cancel");
    g.sample_size(10);
    g.bench_function("cancelkit_cancel_all", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rt.block_on(group_cancel())).sum());
    });
    g.bench_function("tokio_abort_all", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| rt.block_on(joinset_cancel())).sum());
    });
    g.finish();
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Both sides alternately, round after round, so a busy machine slows both alike; prints the
/// medians and their ratio.
fn interleaved() {
    const ROUNDS: usize = 15;
    let rt = runtime();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        rt.block_on(group_spawn_join());
        ours.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        rt.block_on(joinset_spawn_join());
        theirs.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "spawn + join {CHILDREN} children: group {ours:.1} ms, JoinSet {theirs:.1} ms, ratio \
         {:.2} (medians of {ROUNDS} interleaved rounds)",
        ours / theirs
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(rt.block_on(group_cancel()).as_secs_f64() * 1e3);
        theirs.push(rt.block_on(joinset_cancel()).as_secs_f64() * 1e3);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "cancel {CHILDREN} parked children until all finished: group {ours:.1} ms, JoinSet \
         {theirs:.1} ms, ratio {:.2} (medians of {ROUNDS} interleaved rounds)",
        ours / theirs
    );
}

criterion_group!(benches, spawn_join, cancel);

fn main() {
    interleaved();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
