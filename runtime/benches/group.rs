//! Task groups next to tokio's `JoinSet`, in the same run.
//!
//! - `spawn_join/*`: spawn 100,000 trivial children and collect every result.
//! - `cancel/*`: 100,000 children parked in a sleep; measured from the cancel to the moment
//!   every child has finished: `cancel_all()` + `wait_for_all()` (children wake through the
//!   cancellation tree and return) against `JoinSet::abort_all()` + joining every child.
//!
//! `cargo bench -p cancelkit --bench group`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
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

fn spawn_join(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("spawn_join");
    g.sample_size(20);
    g.bench_function("cancelkit_group", |b| {
        b.iter(|| {
            rt.block_on(async {
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
            })
        });
    });
    g.bench_function("tokio_joinset", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = JoinSet::new();
                for i in 0..CHILDREN {
                    set.spawn(async move { i });
                }
                let mut sum = 0;
                while let Some(i) = set.join_next().await {
                    sum += i.unwrap();
                }
                sum
            })
        });
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

fn cancel(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("cancel");
    g.sample_size(10);
    g.bench_function("cancelkit_cancel_all", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(async {
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
                });
            }
            total
        });
    });
    g.bench_function("tokio_abort_all", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(async {
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
                });
            }
            total
        });
    });
    g.finish();
}

criterion_group!(benches, spawn_join, cancel);
criterion_main!(benches);
