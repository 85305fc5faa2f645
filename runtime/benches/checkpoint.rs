//! What cooperative cancellation costs, next to tokio-util's `CancellationToken` in the same
//! run.
//!
//! - `check/*`: one check of a token that is not cancelled, on one thread and with both cores
//!   checking the same token at once.
//! - `wake/*`: from `cancel()` to the parked future being ready again: cancel, the waker
//!   fires, the future is polled to completion.
//!
//! `cargo bench -p cancelkit --bench checkpoint`

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cancelkit::CancelToken;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use tokio_util::sync::CancellationToken;

const CONTENDED_ROUNDS: u64 = 1_000_000;

/// `iters` checkpoints inside a task running under `token`.
fn cancelkit_checks(token: CancelToken, iters: u64) {
    block_on(token.run(async move {
        for _ in 0..iters {
            black_box(cancelkit::checkpoint()).ok();
        }
    }));
}

/// `iters` checks of a tokio-util token.
fn tokio_util_checks(token: CancellationToken, iters: u64) {
    for _ in 0..iters {
        black_box(black_box(&token).is_cancelled());
    }
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    let token = CancelToken::new();
    let tokio_token = CancellationToken::new();
    // The same loop shape for both, timed around the whole loop: criterion's per-call `iter`
    // harness hides how the thread-local lookup is hoisted in real loops.
    group.bench_function("cancelkit::checkpoint", |b| {
        b.iter_custom(|iters| timed(iters, &token, cancelkit_checks));
    });
    group.bench_function("tokio_util::CancellationToken::is_cancelled", |b| {
        b.iter_custom(|iters| timed(iters, &tokio_token, tokio_util_checks));
    });
    group.bench_function("cancelkit::checkpoint (outside a task)", |b| {
        b.iter_custom(|iters| {
            timed(iters, &(), |(), n| {
                for _ in 0..n {
                    black_box(cancelkit::checkpoint()).ok();
                }
            })
        });
    });
    group.bench_function("cancelkit::CancelToken::is_cancelled", |b| {
        b.iter(|| black_box(&token).is_cancelled());
    });
    // Both cores check one token: the second thread runs the same loop for as long as the
    // measured one does.
    group.bench_function("cancelkit::checkpoint (2 threads, one token)", |b| {
        b.iter_custom(|iters| contended(iters, &token, cancelkit_checks));
    });
    group.bench_function(
        "tokio_util::CancellationToken::is_cancelled (2 threads, one token)",
        |b| {
            b.iter_custom(|iters| contended(iters, &tokio_token, tokio_util_checks));
        },
    );
    group.finish();
}

/// Runs `work(token, iters)` on this thread, timed.
fn timed<T: Clone>(iters: u64, token: &T, work: fn(T, u64)) -> Duration {
    let start = Instant::now();
    work(token.clone(), iters);
    start.elapsed()
}

/// Runs `work(token, iters)` on this thread, timed, while a second thread does the same.
fn contended<T: Clone + Send + 'static>(iters: u64, token: &T, work: fn(T, u64)) -> Duration {
    // Enough rounds that the two loops overlap for almost all of the measured time.
    let rounds = iters.max(CONTENDED_ROUNDS);
    let barrier = Arc::new(Barrier::new(2));
    let other = std::thread::spawn({
        let barrier = Arc::clone(&barrier);
        let token = token.clone();
        move || {
            barrier.wait();
            work(token, rounds);
        }
    });
    barrier.wait();
    let start = Instant::now();
    work(token.clone(), rounds);
    let elapsed = start.elapsed();
    other.join().unwrap();
    // Scale back to what criterion asked for when we ran more rounds than it did.
    elapsed.mul_f64(iters as f64 / rounds as f64)
}

/// Polls `make()` once (it parks), then times `cancel()` plus the poll that completes it.
fn wake_latency<F: Future>(iters: u64, mut make: impl FnMut() -> (F, Box<dyn Fn()>)) -> Duration {
    let mut total = Duration::ZERO;
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..iters {
        let (fut, cancel) = make();
        let mut fut = pin!(fut);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        let start = Instant::now();
        cancel();
        let ready = fut.as_mut().poll(&mut cx);
        total += start.elapsed();
        assert!(matches!(ready, Poll::Ready(_)));
    }
    total
}

fn wake(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _enter = rt.enter();
    let mut group = c.benchmark_group("wake");
    group.bench_function("cancelkit::cancelled", |b| {
        b.iter_custom(|iters| {
            wake_latency(iters, || {
                let token = CancelToken::new();
                let fut = token.run(cancelkit::cancelled());
                (fut, Box::new(move || token.cancel()))
            })
        });
    });
    group.bench_function("cancelkit::CancelToken::cancelled", |b| {
        b.iter_custom(|iters| {
            wake_latency(iters, || {
                let token = CancelToken::new();
                let fut = token.cancelled();
                (fut, Box::new(move || token.cancel()))
            })
        });
    });
    group.bench_function("cancelkit::sleep", |b| {
        b.iter_custom(|iters| {
            wake_latency(iters, || {
                let token = CancelToken::new();
                let fut = token.run(cancelkit::sleep(Duration::from_secs(3600)));
                (fut, Box::new(move || token.cancel()))
            })
        });
    });
    group.bench_function("tokio_util::CancellationToken::cancelled", |b| {
        b.iter_custom(|iters| {
            wake_latency(iters, || {
                let token = CancellationToken::new();
                let fut = token.clone().cancelled_owned();
                (fut, Box::new(move || token.cancel()))
            })
        });
    });
    group.bench_function(
        "tokio_util::CancellationToken::run_until_cancelled(sleep)",
        |b| {
            b.iter_custom(|iters| {
                wake_latency(iters, || {
                    let token = CancellationToken::new();
                    let fut = token
                        .clone()
                        .run_until_cancelled_owned(tokio::time::sleep(Duration::from_secs(3600)));
                    (fut, Box::new(move || token.cancel()))
                })
            });
        },
    );
    group.finish();
}

criterion_group!(benches, check, wake);
criterion_main!(benches);
