//! An HTTP/1.1 server (hyper) with a graceful shutdown:
//!
//! ```text
//! cargo run -p cancelkit-examples --bin shutdown_server -- --addr 127.0.0.1:8080 --grace-ms 1000
//! ```
//!
//! - `GET /` → 200 `ok`
//! - `GET /sleep?ms=N` → 200 `slept N`, after a cooperatively cancellable wait
//! - `GET /block?ms=N` → 200 `blocked N`, after N ms of blocking work on a worker thread that a
//!   cancellation handler stops
//! - `GET /panic` → the handler panics: that connection fails, the server keeps serving
//!
//! The accept loop is a discarding group with isolated panics (S22b), run inside a
//! [`Shutdown`] (S39). On SIGTERM or SIGINT it stops accepting at once (new connections are
//! refused; idle keep-alive connections close); requests in flight get `--grace-ms` to finish;
//! the rest are cancelled (reason `Shutdown`), and their connections close without a response;
//! whatever still runs 500 ms later is aborted; a second signal skips to that. The process then
//! prints one summary line and exits 0.
//!
//! `--log` prints `started GET /path` to stderr as each request starts (for the test).

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cancelkit::group::GroupOptions;
use cancelkit::shutdown::Shutdown;
use cancelkit::{CancellationError, with_cancellation_handler};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// How long cancelled requests get to stop before they are aborted.
const ABORT_AFTER: Duration = Duration::from_millis(500);

struct Options {
    addr: SocketAddr,
    grace: Duration,
    log: bool,
}

/// What the summary line counts.
#[derive(Default)]
struct Counts {
    finished: AtomicU64,
    cancelled: AtomicU64,
}

fn main() -> anyhow::Result<()> {
    let options = parse_args()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(options))
}

fn parse_args() -> anyhow::Result<Options> {
    let mut addr = "127.0.0.1:8080".parse()?;
    let mut grace = Duration::from_secs(10);
    let mut log = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--addr needs a value"))?
                    .parse()?
            }
            "--grace-ms" => {
                let ms = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--grace-ms needs a value"))?;
                grace = Duration::from_millis(ms.parse()?);
            }
            "--log" => log = true,
            other => anyhow::bail!(
                "unknown argument {other:?}; usage: shutdown_server [--addr ADDR] [--grace-ms N] [--log]"
            ),
        }
    }
    Ok(Options { addr, grace, log })
}

async fn run(options: Options) -> anyhow::Result<()> {
    let shutdown = Shutdown::new(options.grace).abort_after(ABORT_AFTER);
    // Listen before binding: a signal during start-up still shuts down cleanly.
    shutdown.listen_for_signals()?;
    let listener = TcpListener::bind(options.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let counts = Arc::new(Counts::default());
    let server = serve(listener, shutdown.clone(), counts.clone(), options.log);
    let report = shutdown.run(server).await;
    println!(
        "shutdown: {} requests finished, {} cancelled ({report})",
        counts.finished.load(Ordering::Relaxed),
        counts.cancelled.load(Ordering::Relaxed),
    );
    Ok(())
}

/// The accept loop: one group child per connection, until the shutdown starts.
async fn serve(listener: TcpListener, shutdown: Shutdown, counts: Arc<Counts>, log: bool) {
    GroupOptions::new()
        .isolate_panics()
        .on_panic(|panic| {
            eprintln!(
                "a connection's handler panicked ({}); the server goes on",
                panic.message().unwrap_or("no message")
            );
        })
        .discarding(async |connections| {
            let stopping = shutdown.stopping().clone();
            while let Some(accepted) = stopping.run_until_cancelled(listener.accept()).await {
                let Ok((stream, _)) = accepted else { continue };
                let (shutdown, counts) = (shutdown.clone(), counts.clone());
                connections.spawn(connection(stream, shutdown, counts, log));
            }
            // Dropping the listener here refuses new connections at once.
            drop(listener);
        })
        .await;
}

/// Serves one connection; when the shutdown starts, finishes the request in flight (if any)
/// and closes.
async fn connection(
    stream: tokio::net::TcpStream,
    shutdown: Shutdown,
    counts: Arc<Counts>,
    log: bool,
) {
    let service = service_fn(|req| {
        let (shutdown, counts) = (shutdown.clone(), counts.clone());
        async move { respond(req, &shutdown, &counts, log).await }
    });
    let mut conn = pin!(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.stopping().cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn respond(
    req: Request<Incoming>,
    shutdown: &Shutdown,
    counts: &Counts,
    log: bool,
) -> Result<Response<Full<Bytes>>, CancellationError> {
    let path = req.uri().path().to_owned();
    let ms = query_ms(req.uri().query());
    if log {
        eprintln!("started GET {}", req.uri());
    }
    let body = match path.as_str() {
        "/" => "ok".to_owned(),
        "/panic" => panic!("the handler of GET /panic panicked"),
        "/sleep" | "/block" => {
            let _in_flight = shutdown.in_flight(format!("GET {}", req.uri()));
            let done = if path == "/sleep" {
                cancelkit::sleep(Duration::from_millis(ms)).await
            } else {
                block(ms).await
            };
            if let Err(err) = done {
                counts.cancelled.fetch_add(1, Ordering::Relaxed);
                // An error from the service closes the connection without a response.
                return Err(err);
            }
            format!(
                "{} {ms}",
                if path == "/sleep" { "slept" } else { "blocked" }
            )
        }
        _ => {
            return Ok(Response::builder()
                .status(404)
                .body(Full::from("not found"))
                .expect("a valid response"));
        }
    };
    counts.finished.fetch_add(1, Ordering::Relaxed);
    Ok(Response::new(Full::from(body)))
}

/// `ms` milliseconds of blocking work on a worker thread, stopped by a cancellation handler.
async fn block(ms: u64) -> Result<(), CancellationError> {
    let stop = Arc::new(AtomicBool::new(false));
    let worker_stop = stop.clone();
    let finished = with_cancellation_handler(
        async move {
            tokio::task::spawn_blocking(move || {
                let deadline = std::time::Instant::now() + Duration::from_millis(ms);
                while std::time::Instant::now() < deadline {
                    if worker_stop.load(Ordering::Relaxed) {
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(1)); // a slice of blocking work
                }
                true
            })
            .await
            .unwrap_or(false)
        },
        move || stop.store(true, Ordering::Relaxed),
    )
    .await;
    if finished {
        Ok(())
    } else {
        // Stopped by the handler: the task was cancelled, and says why.
        Err(cancelkit::checkpoint().err().unwrap_or_default())
    }
}

fn query_ms(query: Option<&str>) -> u64 {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("ms="))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0)
}
