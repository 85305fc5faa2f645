//! Loopback throughput of `cancelkit::download` against `curl`, and its peak memory.
//!
//! ```text
//! cargo bench -p cancelkit --features download --bench download
//! DOWNLOAD_BENCH_MIB=256 DOWNLOAD_BENCH_ROUNDS=5 cargo bench -p cancelkit --features download --bench download
//! ```
//!
//! One run starts an HTTP/1.1 server on 127.0.0.1 (hyper, its own thread and runtime) that
//! serves one resource of `DOWNLOAD_BENCH_MIB` MiB (default 1024) from a single shared 1 MiB
//! buffer, so the server costs no memory and no disk. Then, alternating, `curl -o` and a
//! [`Download`] fetch it into a temp directory (deleted afterwards), `DOWNLOAD_BENCH_ROUNDS`
//! times each (default 3). It prints each time, the best of each, their ratio, the peak RSS
//! of this process during one of our downloads (reset with `/proc/self/clear_refs` before it),
//! and RSS samples taken while it runs. Not a CI test: it moves gigabytes.

use std::convert::Infallible;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cancelkit::download::Download;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header;
use hyper_util::rt::TokioIo;

const CHUNK: usize = 1 << 20;

/// `remaining` bytes of the shared chunk, a chunk at a time, without copying.
struct Repeat {
    chunk: Bytes,
    remaining: u64,
}

impl Body for Repeat {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(CHUNK as u64);
        self.remaining -= n;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n as usize)))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

fn start_server(len: u64) -> u16 {
    let chunk: Bytes = (0..CHUNK).map(|i| (i * 31 % 251) as u8).collect();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let chunk = chunk.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_req| {
                        let body = Repeat {
                            chunk: chunk.clone(),
                            remaining: len,
                        };
                        let response = hyper::Response::builder()
                            .header(header::CONTENT_LENGTH, len)
                            .header(header::ETAG, "\"bench\"")
                            .header(header::ACCEPT_RANGES, "bytes")
                            .body(body)
                            .unwrap();
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    port_rx.recv().unwrap()
}

/// A `kB` field of `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn mib_per_s(len: u64, took: Duration) -> f64 {
    len as f64 / (1 << 20) as f64 / took.as_secs_f64()
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: either way
    // run once. Skip quietly when only listing.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mib = env_or("DOWNLOAD_BENCH_MIB", 1024);
    let rounds = env_or("DOWNLOAD_BENCH_ROUNDS", 3).max(1);
    let len = mib << 20;
    let port = start_server(len);
    let url = format!("http://127.0.0.1:{port}/big.bin");
    let dir = tempfile::tempdir().unwrap();
    let curl = Command::new("curl").arg("--version").output().is_ok();
    if !curl {
        println!("note: curl not found; measuring cancelkit only");
    }
    println!(
        "resource: {mib} MiB from {url}; files in {}",
        dir.path().display()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut best_curl = Duration::MAX;
    let mut best_ours = Duration::MAX;
    for round in 1..=rounds {
        if curl {
            let out = dir.path().join("curl.bin");
            let started = Instant::now();
            let status = Command::new("curl")
                .args(["-s", "-f", "-o"])
                .arg(&out)
                .arg(&url)
                .status()
                .unwrap();
            let took = started.elapsed();
            assert!(status.success(), "curl failed: {status}");
            assert_eq!(std::fs::metadata(&out).unwrap().len(), len);
            std::fs::remove_file(&out).unwrap();
            best_curl = best_curl.min(took);
            println!(
                "round {round}: curl      {took:>10.3?}  {:>7.0} MiB/s",
                mib_per_s(len, took)
            );
        }

        // reqwest alone, bytes dropped: the floor for any client built on it.
        let took = rt.block_on(async {
            let started = Instant::now();
            let mut response = reqwest::get(&url).await.unwrap();
            let mut n = 0;
            while let Some(chunk) = response.chunk().await.unwrap() {
                n += chunk.len() as u64;
            }
            assert_eq!(n, len);
            started.elapsed()
        });
        println!(
            "round {round}: reqwest   {took:>10.3?}  {:>7.0} MiB/s  (no disk: chunks dropped)",
            mib_per_s(len, took)
        );

        // Peak RSS of this process during our download: reset the high-water mark first.
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let rss_before = status_mib("VmRSS:");
        let (took, samples) = rt.block_on(async {
            let started = Instant::now();
            let download = Download::start(&url, dir.path());
            let mut progress = download.progress();
            let sampler = tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut next = 0;
                while progress.changed().await.is_ok() {
                    let received = progress.borrow_and_update().received;
                    if received >= next {
                        samples.push(status_mib("VmRSS:").unwrap_or(0.0));
                        next = received + len / 8;
                    }
                }
                samples
            });
            let done = download.await.unwrap();
            let took = started.elapsed();
            assert_eq!(done.len, len);
            std::fs::remove_file(&done.path).unwrap();
            (took, sampler.await.unwrap())
        });
        best_ours = best_ours.min(took);
        println!(
            "round {round}: cancelkit {took:>10.3?}  {:>7.0} MiB/s",
            mib_per_s(len, took)
        );
        if reset {
            println!(
                "          RSS before {:.1} MiB, peak during {:.1} MiB, samples every 1/8: {}",
                rss_before.unwrap_or(0.0),
                status_mib("VmHWM:").unwrap_or(0.0),
                samples
                    .iter()
                    .map(|s| format!("{s:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    if curl {
        println!(
            "best: curl {:.0} MiB/s, cancelkit {:.0} MiB/s; cancelkit/curl throughput = {:.3}",
            mib_per_s(len, best_curl),
            mib_per_s(len, best_ours),
            best_curl.as_secs_f64() / best_ours.as_secs_f64()
        );
    }
}
