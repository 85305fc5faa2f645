//! The same cancellation work on each runtime backend (issue 14): tokio, and smol (feature
//! `smol`). One benchmark, a runtime parameter.
//!
//! - `checkpoint`: a million `checkpoint()`s inside a task spawned with `Task::spawn`;
//! - `wake/sleep`: from `cancel()` to a parked `cancelkit::sleep(1 h)` being ready (its timer
//!   is the backend's);
//! - `wake/task`: from `cancel()` to the awaiting code holding the result of a spawned task
//!   parked in `cancelled()`: the waker, the executor's scheduling and the join.
//!
//! It first prints the smol ÷ tokio ratio of medians of interleaved rounds, then runs the
//! criterion benches.
//!
//! `cargo bench -p cancelkit --bench runtimes --features smol`

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cancelkit::{CancelToken, Task};
use criterion::{Criterion, criterion_group};

const CHECKS: u64 = 1_000_000;

#[derive(Clone, Copy, Debug)]
enum Rt {
    Tokio,
    Smol,
}

const RUNTIMES: [Rt; 2] = [Rt::Tokio, Rt::Smol];

/// Runs `f` with `rt`'s context around it (a current tokio runtime, or none for smol).
fn within<R>(rt: Rt, tokio: &tokio::runtime::Runtime, f: impl FnOnce() -> R) -> R {
    match rt {
        Rt::Tokio => {
            let _enter = tokio.enter();
            f()
        }
        Rt::Smol => f(),
    }
}

fn block_on<F: Future>(rt: Rt, tokio: &tokio::runtime::Runtime, fut: F) -> F::Output {
    match rt {
        Rt::Tokio => tokio.block_on(fut),
        Rt::Smol => smol::block_on(fut),
    }
}

/// `iters` checkpoints in a spawned task, timed inside it.
fn checkpoints(rt: Rt, tokio: &tokio::runtime::Runtime, iters: u64) -> Duration {
    block_on(
        rt,
        tokio,
        within(rt, tokio, || {
            Task::spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(cancelkit::checkpoint()).ok();
                }
                start.elapsed()
            })
        }),
    )
}

/// Parks a `cancelkit::sleep(1 h)` under a token, then times `cancel()` plus the poll that
/// completes it.
fn wake_sleep(rt: Rt, tokio: &tokio::runtime::Runtime, iters: u64) -> Duration {
    let mut cx = Context::from_waker(Waker::noop());
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let token = CancelToken::new();
        within(rt, tokio, || {
            let mut fut = pin!(token.run(cancelkit::sleep(Duration::from_secs(3600))));
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            let start = Instant::now();
            token.cancel();
            let ready = fut.as_mut().poll(&mut cx);
            total += start.elapsed();
            assert!(matches!(ready, Poll::Ready(Err(_))));
        });
    }
    total
}

/// Spawns a task parked in `cancelled()`, then times `cancel()` until its result is back.
fn wake_task(rt: Rt, tokio: &tokio::runtime::Runtime, iters: u64) -> Duration {
    block_on(
        rt,
        tokio,
        within(rt, tokio, || async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (parked_tx, parked_rx) = tokio::sync::oneshot::channel();
                let task = Task::spawn(async move {
                    let cancelled = cancelkit::cancelled();
                    let mut cancelled = pin!(cancelled);
                    // Registered before it says it is parked.
                    let first =
                        std::future::poll_fn(|cx| Poll::Ready(cancelled.as_mut().poll(cx))).await;
                    assert!(first.is_pending());
                    parked_tx.send(()).unwrap();
                    cancelled.await
                });
                parked_rx.await.unwrap();
                let start = Instant::now();
                task.cancel();
                black_box(task.await);
                total += start.elapsed();
            }
            total
        }),
    )
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Tokio and smol alternately, round after round; prints each median and the ratio.
fn interleaved(tokio: &tokio::runtime::Runtime) {
    const ROUNDS: usize = 31;
    type Work = fn(Rt, &tokio::runtime::Runtime, u64) -> Duration;
    let cases: [(&str, Work, u64); 3] = [
        ("checkpoint", checkpoints, CHECKS),
        ("wake/sleep", wake_sleep, 2_000),
        ("wake/task", wake_task, 2_000),
    ];
    for (name, work, iters) in cases {
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (i, rt) in RUNTIMES.into_iter().enumerate() {
                let elapsed = work(rt, tokio, iters);
                times[i].push(elapsed.as_secs_f64() * 1e9 / iters as f64);
            }
        }
        let [tokio_ns, smol_ns] = times.map(median);
        println!(
            "{name}: tokio {tokio_ns:.2} ns, smol {smol_ns:.2} ns, smol ÷ tokio {:.2} \
             (medians of {ROUNDS} interleaved rounds)",
            smol_ns / tokio_ns
        );
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let tokio = runtime();
    type Work = fn(Rt, &tokio::runtime::Runtime, u64) -> Duration;
    let cases: [(&str, Work); 3] = [
        ("checkpoint", checkpoints),
        ("wake/sleep", wake_sleep),
        ("wake/task", wake_task),
    ];
    for (name, work) in cases {
        let mut group = c.benchmark_group(name);
        for rt in RUNTIMES {
            group.bench_function(format!("{rt:?}"), |b| {
                b.iter_custom(|iters| work(rt, &tokio, iters));
            });
        }
        group.finish();
    }
}

criterion_group!(criterion_benches, benches);

fn main() {
    interleaved(&runtime());
    criterion_benches();
    Criterion::default().configure_from_args().final_summary();
}
