//! What `#[cancellable]` costs in a hot loop: the same loop, with about 20 ns of realistic work
//! per iteration (FNV-1a over a 48-byte key and a table update), written by hand without any
//! check vs. instrumented by `#[cancellable]` (a checkpoint at the loop head). Both run inside
//! a cancelkit task, so every checkpoint really reads the task's token. The acceptance bar is
//! at most 5% more time for the instrumented loop. Before criterion's runs, the bench prints
//! the median ratio of the two loops measured alternately (robust to a busy machine).
//!
//! `cargo bench -p cancelkit --bench cancellable`

use std::hint::black_box;
use std::time::Instant;

use cancelkit::{CancelToken, CancellationError, cancellable};
use criterion::{Criterion, Throughput, criterion_group};
use futures::FutureExt;
use futures::executor::block_on;

const ITEMS: usize = 4096;

/// The per-iteration work: hash the key, fold it into a small histogram.
#[inline(always)]
fn work(key: &[u8; 48], table: &mut [u32; 64]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in key {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let slot = (hash % 64) as usize;
    table[slot] = table[slot].wrapping_add(1);
    hash
}

fn by_hand(keys: &[[u8; 48]]) -> Result<u64, CancellationError> {
    let mut table = [0u32; 64];
    let mut acc = 0u64;
    for key in keys {
        acc ^= work(black_box(key), &mut table);
    }
    Ok(acc ^ u64::from(table[7]))
}

#[cancellable]
fn instrumented(keys: &[[u8; 48]]) -> Result<u64, CancellationError> {
    let mut table = [0u32; 64];
    let mut acc = 0u64;
    for key in keys {
        acc ^= work(black_box(key), &mut table);
    }
    Ok(acc ^ u64::from(table[7]))
}

fn keys() -> Vec<[u8; 48]> {
    (0..ITEMS)
        .map(|i| {
            let mut key = [0u8; 48];
            for (j, b) in key.iter_mut().enumerate() {
                *b = (i.wrapping_mul(31).wrapping_add(j * 7) % 251) as u8;
            }
            key
        })
        .collect()
}

fn loop_overhead(c: &mut Criterion) {
    let keys = keys();
    assert_eq!(by_hand(&keys), instrumented(&keys));
    let token = CancelToken::new();
    let mut group = c.benchmark_group("cancellable_loop");
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.bench_function("by hand, no checks", |b| {
        block_on(token.run(async { b.iter(|| by_hand(black_box(&keys))) }));
    });
    group.bench_function("#[cancellable]", |b| {
        block_on(token.run(async { b.iter(|| instrumented(black_box(&keys))) }));
    });
    group.finish();
}

/// A short loop (8 iterations) per call: any per-call set-up the instrumentation needed would
/// show here.
#[inline(never)]
fn short_by_hand(keys: &[[u8; 48]]) -> Result<u64, CancellationError> {
    by_hand(keys)
}

#[inline(never)]
#[cancellable]
fn short_instrumented(keys: &[[u8; 48]]) -> Result<u64, CancellationError> {
    let mut table = [0u32; 64];
    let mut acc = 0u64;
    for key in keys {
        acc ^= work(black_box(key), &mut table);
    }
    Ok(acc ^ u64::from(table[7]))
}

fn in_short_calls(
    keys: &[[u8; 48]],
    f: fn(&[[u8; 48]]) -> Result<u64, CancellationError>,
) -> Result<u64, CancellationError> {
    let mut acc = 0;
    for chunk in keys.chunks(8) {
        acc ^= f(chunk)?;
    }
    Ok(acc)
}

/// In an `async fn` the loop head uses the thread-local `checkpoint()` (the task is found on
/// each poll), so a CPU loop without awaits pays that lookup per iteration.
#[cancellable]
async fn async_instrumented(keys: &[[u8; 48]]) -> Result<u64, CancellationError> {
    let mut table = [0u32; 64];
    let mut acc = 0u64;
    for key in keys {
        acc ^= work(black_box(key), &mut table);
    }
    Ok(acc ^ u64::from(table[7]))
}

/// Runs `plain` and `instrumented` alternately, round after round, so that a busy machine
/// slows both alike; prints the median of the per-round ratios.
fn interleaved_ratio(label: &str, mut plain: impl FnMut(), mut instrumented: impl FnMut()) {
    const ROUNDS: usize = 301;
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            plain();
            let plain = start.elapsed();
            let start = Instant::now();
            instrumented();
            start.elapsed().as_secs_f64() / plain.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "{label}: #[cancellable] / by hand = {:.3} (median of {ROUNDS} interleaved rounds of \
         {ITEMS} iterations)",
        ratios[ROUNDS / 2]
    );
}

fn ratios() {
    let keys = keys();
    let token = CancelToken::new();
    block_on(token.run(async {
        interleaved_ratio(
            "plain fn, one long loop",
            || {
                black_box(by_hand(black_box(&keys))).ok();
            },
            || {
                black_box(instrumented(black_box(&keys))).ok();
            },
        );
        interleaved_ratio(
            "plain fn, 8 iterations per call",
            || {
                black_box(in_short_calls(black_box(&keys), short_by_hand)).ok();
            },
            || {
                black_box(in_short_calls(black_box(&keys), short_instrumented)).ok();
            },
        );
        interleaved_ratio(
            "async fn, loop without awaits",
            || {
                black_box(by_hand(black_box(&keys))).ok();
            },
            // One poll completes it (no awaits); `now_or_never` polls without an executor.
            || {
                let done = token
                    .run(async_instrumented(black_box(&keys)))
                    .now_or_never();
                black_box(done.expect("no awaits: one poll completes it")).ok();
            },
        );
    }));
}

criterion_group!(benches, loop_overhead);

fn main() {
    ratios();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
