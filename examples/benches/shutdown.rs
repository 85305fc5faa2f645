//! How long a graceful shutdown takes beyond its grace period, end to end: the
//! `shutdown_server` binary with 1,000 idle keep-alive connections and 100 requests parked in
//! `/sleep` (cancelled when the grace period runs out), from SIGTERM until the process has
//! exited. Five rounds; prints each and the median overshoot past the grace period.
//!
//! `cargo bench -p cancelkit-examples --bench shutdown`

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

const GRACE_MS: u64 = 500;
const IDLE: usize = 1_000;
const SLEEPING: usize = 100;
const ROUNDS: usize = 5;

async fn round() -> Duration {
    let mut server = Command::new(env!("CARGO_BIN_EXE_shutdown_server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--grace-ms",
            &GRACE_MS.to_string(),
            "--log",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(server.stderr.take().unwrap()).lines();
    let line = stdout.next_line().await.unwrap().unwrap();
    let addr = line.strip_prefix("listening on ").unwrap().to_owned();
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: b\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 128];
        assert!(stream.read(&mut buf).await.unwrap() > 0);
        idle.push(stream);
    }
    let mut sleeping = Vec::with_capacity(SLEEPING);
    for _ in 0..SLEEPING {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /sleep?ms=600000 HTTP/1.1\r\nHost: b\r\n\r\n")
            .await
            .unwrap();
        sleeping.push(stream);
    }
    let mut started = 0;
    while started < SLEEPING {
        let line = stderr.next_line().await.unwrap().unwrap();
        if line.starts_with("started GET /sleep") {
            started += 1;
        }
    }
    let pid = server.id().unwrap().to_string();
    let signalled = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = server.wait().await.unwrap();
    let took = signalled.elapsed();
    assert!(status.success());
    took
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let grace = Duration::from_millis(GRACE_MS);
    let mut overshoot: Vec<Duration> = (0..ROUNDS)
        .map(|i| {
            let took = rt.block_on(round());
            println!("round {i}: signal to exit {took:?} (grace {grace:?})");
            took.saturating_sub(grace)
        })
        .collect();
    overshoot.sort();
    println!(
        "shutdown with {IDLE} idle keep-alive connections and {SLEEPING} requests in /sleep: \
         median {:?} past the grace period (min {:?}, max {:?}, {ROUNDS} rounds)",
        overshoot[ROUNDS / 2],
        overshoot[0],
        overshoot[ROUNDS - 1]
    );
}
