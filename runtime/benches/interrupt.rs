//! What interrupting awaits costs and how fast it is (issue: prompt cancellation at every await).
//!
//! 1. **Latency**: a future parked in tokio's `mpsc::Receiver::recv`, `TcpListener::accept`,
//!    `Notify::notified` and a `TcpStream` read is cancelled; the time from `cancel()` to the
//!    poll that completes it. cancelkit: a `#[cancellable]` fn whose one `.await` is that
//!    operation, run under a `CancelToken`. tokio-util: `token.run_until_cancelled(op)`, what a
//!    tokio-util user writes for the same await.
//! 2. **Overhead**: awaiting a ready future (a filled `oneshot`) in a `#[cancellable]` fn
//!    against the same fn without the attribute, inside a cancelkit task, never cancelled.
//!
//! The two sides run alternately, round after round, so that a busy machine slows both alike;
//! the printed figure is the ratio of their medians (latency) or the median difference per
//! await (overhead). Criterion's own runs follow.
//!
//! `cargo bench -p cancelkit --bench interrupt`

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use cancelkit::{CancelToken, CancellationError, cancellable};
use criterion::{Criterion, criterion_group};
use futures::FutureExt;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

// ---- the awaits, under `#[cancellable]` --------------------------------------------------------

#[cancellable]
async fn recv(rx: &mut mpsc::Receiver<u32>) -> Result<Option<u32>, CancellationError> {
    Ok(rx.recv().await)
}

/// A typical application error. (With `std::io::Result` the cancel path would also pay for
/// boxing the `CancellationError` into an `io::Error`: two allocations.)
#[derive(Debug)]
#[allow(dead_code)]
enum NetError {
    Io(std::io::Error),
    Cancelled(CancellationError),
    /// tokio-util's side: a `None` from `run_until_cancelled`.
    Stopped,
}

impl From<std::io::Error> for NetError {
    fn from(err: std::io::Error) -> Self {
        NetError::Io(err)
    }
}

impl From<CancellationError> for NetError {
    fn from(err: CancellationError) -> Self {
        NetError::Cancelled(err)
    }
}

#[cancellable]
async fn accept(listener: &TcpListener) -> Result<(), NetError> {
    listener.accept().await?;
    Ok(())
}

#[cancellable]
async fn notified(notify: &Notify) -> Result<(), CancellationError> {
    notify.notified().await;
    Ok(())
}

#[cancellable]
async fn read(stream: &mut TcpStream) -> Result<usize, NetError> {
    let mut buf = [0u8; 16];
    let n = stream.read(&mut buf).await?;
    Ok(n)
}

/// The same functions as a tokio-util user writes them: each await through
/// `run_until_cancelled`, `None` turned into the function's error.
mod tu {
    use super::{Cancelled, NetError};
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{Notify, mpsc};
    use tokio_util::sync::CancellationToken;

    pub(super) async fn recv(
        rx: &mut mpsc::Receiver<u32>,
        token: &CancellationToken,
    ) -> Result<Option<u32>, Cancelled> {
        token.run_until_cancelled(rx.recv()).await.ok_or(Cancelled)
    }

    pub(super) async fn accept(
        listener: &TcpListener,
        token: &CancellationToken,
    ) -> Result<(), NetError> {
        token
            .run_until_cancelled(listener.accept())
            .await
            .ok_or(NetError::Stopped)??;
        Ok(())
    }

    pub(super) async fn notified(
        notify: &Notify,
        token: &CancellationToken,
    ) -> Result<(), Cancelled> {
        token
            .run_until_cancelled(notify.notified())
            .await
            .ok_or(Cancelled)
    }

    pub(super) async fn read(
        stream: &mut TcpStream,
        token: &CancellationToken,
    ) -> Result<usize, NetError> {
        let mut buf = [0u8; 16];
        let n = token
            .run_until_cancelled(stream.read(&mut buf))
            .await
            .ok_or(NetError::Stopped)??;
        Ok(n)
    }
}

/// tokio-util's side of a cancelled `recv` or `notified`.
#[derive(Debug)]
struct Cancelled;

// ---- latency -----------------------------------------------------------------------------------

/// Polls `fut` once (it must park), then times `cancel()` plus the poll that completes it.
fn cancel_latency<F: Future>(fut: F, cancel: impl FnOnce()) -> Duration {
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = pin!(fut);
    assert!(fut.as_mut().poll(&mut cx).is_pending(), "parked");
    let start = Instant::now();
    cancel();
    let ready = fut.as_mut().poll(&mut cx);
    let elapsed = start.elapsed();
    assert!(matches!(ready, Poll::Ready(_)), "completed by the cancel");
    elapsed
}

/// The resources each await parks on, made once.
struct Parked {
    rx: mpsc::Receiver<u32>,
    _tx: mpsc::Sender<u32>,
    listener: TcpListener,
    notify: Notify,
    stream: TcpStream,
    _peer: TcpStream,
}

impl Parked {
    fn new(rt: &tokio::runtime::Runtime) -> Self {
        let (tx, rx) = mpsc::channel(1);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let peer = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            Parked {
                rx,
                _tx: tx,
                listener,
                notify: Notify::new(),
                stream,
                _peer: peer,
            }
        })
    }
}

const KINDS: [&str; 4] = [
    "mpsc recv",
    "TcpListener accept",
    "Notify notified",
    "TcpStream read",
];

/// One cancel of the parked await `kind`, by cancelkit (`ours`) or by tokio-util.
fn one(p: &mut Parked, kind: usize, ours: bool) -> Duration {
    if ours {
        let token = CancelToken::new();
        let cancel = || token.cancel();
        match kind {
            0 => cancel_latency(token.run(recv(&mut p.rx)), cancel),
            1 => cancel_latency(token.run(accept(&p.listener)), cancel),
            2 => cancel_latency(token.run(notified(&p.notify)), cancel),
            _ => cancel_latency(token.run(read(&mut p.stream)), cancel),
        }
    } else {
        let token = CancellationToken::new();
        let cancel = || token.cancel();
        match kind {
            0 => cancel_latency(tu::recv(&mut p.rx, &token), cancel),
            1 => cancel_latency(tu::accept(&p.listener, &token), cancel),
            2 => cancel_latency(tu::notified(&p.notify, &token), cancel),
            _ => cancel_latency(tu::read(&mut p.stream, &token), cancel),
        }
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn latency_ratios(rt: &tokio::runtime::Runtime) {
    const ROUNDS: usize = 101;
    const PER_ROUND: u32 = 200;
    let _enter = rt.enter();
    let mut p = Parked::new(rt);
    for (kind, name) in KINDS.iter().enumerate() {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let mut sum = [Duration::ZERO; 2];
            for _ in 0..PER_ROUND {
                // Alternate which side goes first, so neither always finds the caches warm.
                if round % 2 == 0 {
                    sum[0] += one(&mut p, kind, true);
                    sum[1] += one(&mut p, kind, false);
                } else {
                    sum[1] += one(&mut p, kind, false);
                    sum[0] += one(&mut p, kind, true);
                }
            }
            ours.push(sum[0].as_secs_f64() * 1e9 / f64::from(PER_ROUND));
            theirs.push(sum[1].as_secs_f64() * 1e9 / f64::from(PER_ROUND));
        }
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "cancel -> completed, {name}: #[cancellable] {ours:.0} ns, tokio-util \
             run_until_cancelled {theirs:.0} ns, ratio {:.2} (medians of {ROUNDS} interleaved \
             rounds of {PER_ROUND})",
            ours / theirs
        );
    }
}

// ---- overhead on a ready future ----------------------------------------------------------------

async fn ready_plain(rx: oneshot::Receiver<u32>) -> Result<u32, CancellationError> {
    Ok(rx.await.unwrap_or(0))
}

#[cancellable]
async fn ready_instrumented(rx: oneshot::Receiver<u32>) -> Result<u32, CancellationError> {
    Ok(rx.await.unwrap_or(0))
}

/// `iters` awaits of a filled oneshot in a cancelkit task; the channel is made outside the
/// timing.
fn time_ready<F: Future<Output = Result<u32, CancellationError>>>(
    token: &CancelToken,
    iters: u64,
    f: impl Fn(oneshot::Receiver<u32>) -> F,
) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..iters {
        let (tx, rx) = oneshot::channel();
        tx.send(i as u32).unwrap();
        let start = Instant::now();
        let out = token.run(f(rx)).now_or_never();
        total += start.elapsed();
        black_box(out);
    }
    total
}

fn overhead_figures() {
    const ROUNDS: usize = 101;
    const PER_ROUND: u64 = 2_000;
    let token = CancelToken::new();
    let (mut plain, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = time_ready(&token, PER_ROUND, ready_plain);
        let b = time_ready(&token, PER_ROUND, ready_instrumented);
        plain.push(a.as_secs_f64() * 1e9 / PER_ROUND as f64);
        ours.push(b.as_secs_f64() * 1e9 / PER_ROUND as f64);
    }
    let (plain, ours) = (median(plain), median(ours));
    println!(
        "ready oneshot await: plain {plain:.1} ns, #[cancellable] {ours:.1} ns, +{:.1} ns, \
         ratio {:.2} (medians of {ROUNDS} interleaved rounds of {PER_ROUND})",
        ours - plain,
        ours / plain
    );
}

// ---- criterion -----------------------------------------------------------------------------------

fn latency(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _enter = rt.enter();
    let mut p = Parked::new(&rt);
    let mut group = c.benchmark_group("cancel_to_completed");
    for (kind, name) in KINDS.iter().enumerate() {
        group.bench_function(format!("#[cancellable] {name}"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| one(&mut p, kind, true)).sum());
        });
        group.bench_function(format!("tokio-util run_until_cancelled {name}"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| one(&mut p, kind, false)).sum());
        });
    }
    group.finish();
}

fn overhead(c: &mut Criterion) {
    let token = CancelToken::new();
    let mut group = c.benchmark_group("ready_await");
    group.bench_function("plain", |b| {
        b.iter_custom(|iters| time_ready(&token, iters, ready_plain));
    });
    group.bench_function("#[cancellable]", |b| {
        b.iter_custom(|iters| time_ready(&token, iters, ready_instrumented));
    });
    group.finish();
}

criterion_group!(benches, latency, overhead);

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    latency_ratios(&rt);
    overhead_figures();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
