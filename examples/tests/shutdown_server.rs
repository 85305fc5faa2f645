//! Drives the `shutdown_server` binary as a user would: a real process, real HTTP clients
//! (reqwest, and raw keep-alive sockets) on loopback, and a real SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

const GRACE: Duration = Duration::from_millis(1000);
/// Generous: the point is that each step happens at all, not how fast.
const BOUND: Duration = Duration::from_secs(20);

/// One request on a fresh connection: the status and body, or `None` if the connection
/// closed without a response.
async fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let response = reqwest::get(format!("http://{addr}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

async fn get_owned(addr: String, path: &'static str) -> Option<(u16, String)> {
    get(&addr, path).await
}

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;
type ErrLines = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

/// Starts the server with `--log` and the given grace; returns it, its output, and its address.
async fn start(grace_ms: &str) -> (tokio::process::Child, Lines, ErrLines, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_shutdown_server"))
        .args(["--addr", "127.0.0.1:0", "--grace-ms", grace_ms, "--log"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap()).lines();
    let stderr = BufReader::new(server.stderr.take().unwrap()).lines();
    let first = stdout.next_line().await.unwrap().unwrap();
    let addr = first.strip_prefix("listening on ").unwrap().to_owned();
    (server, stdout, stderr, addr)
}

/// A keep-alive connection that has had one request answered and now sits idle.
async fn idle_connection(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_refuses_new_connections_drains_cancels_and_exits_0() {
    let (mut server, mut stdout, mut stderr, addr) = start("1000").await;

    assert_eq!(get(&addr, "/").await, Some((200, "ok".into())));
    // A panicking handler: that connection fails, the server goes on.
    assert_eq!(get(&addr, "/panic").await, None);
    assert_eq!(get(&addr, "/").await, Some((200, "ok".into())));

    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(idle_connection(&addr).await);
    }
    let quick = tokio::spawn(get_owned(addr.clone(), "/sleep?ms=300"));
    let slow = tokio::spawn(get_owned(addr.clone(), "/sleep?ms=60000"));
    let blocking = tokio::spawn(get_owned(addr.clone(), "/block?ms=60000"));
    // Wait until all three are in flight (the server logs each request as it starts).
    let mut started = 0;
    while started < 3 {
        let line = tokio::time::timeout(BOUND, stderr.next_line())
            .await
            .expect("requests start")
            .unwrap()
            .unwrap();
        if line.starts_with("started GET /sleep") || line.starts_with("started GET /block") {
            started += 1;
        }
    }

    let signalled = Instant::now();
    let pid = server.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    // New connections are refused at once (bounded retries while the signal is handled).
    let refused = tokio::time::timeout(BOUND, async {
        while TcpStream::connect(&addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(refused.is_ok(), "still accepting after SIGTERM");

    // Idle keep-alive connections are closed.
    for mut conn in idle {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(BOUND, conn.read(&mut buf))
            .await
            .unwrap();
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "an idle connection stayed open"
        );
    }

    // In flight: the short one finishes; the long ones are cancelled, without a 200.
    assert_eq!(quick.await.unwrap(), Some((200, "slept 300".into())));
    assert_eq!(slow.await.unwrap(), None);
    assert_eq!(blocking.await.unwrap(), None);

    let status = tokio::time::timeout(GRACE + Duration::from_secs(1), server.wait())
        .await
        .expect("exits within grace + 1 s")
        .unwrap();
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < GRACE + Duration::from_secs(1), "{took:?}");
    let summary = stdout.next_line().await.unwrap().unwrap();
    assert!(summary.starts_with("shutdown: "), "{summary}");
    assert!(summary.contains("2 cancelled"), "{summary}");
    assert!(summary.contains("GET /sleep?ms=60000"), "{summary}");
    assert_eq!(stdout.next_line().await.unwrap(), None, "one summary line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_skips_to_the_abort() {
    let (mut server, mut stdout, mut stderr, addr) = start("60000").await;
    let slow = tokio::spawn(get_owned(addr.clone(), "/sleep?ms=600000"));
    while !stderr
        .next_line()
        .await
        .unwrap()
        .unwrap()
        .starts_with("started GET /sleep")
    {}
    let pid = server.id().unwrap().to_string();
    let signalled = Instant::now();
    for _ in 0..2 {
        assert!(
            std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        // Let the first be handled before the second arrives.
        while TcpStream::connect(&addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    }
    let status = tokio::time::timeout(BOUND, server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(signalled.elapsed() < BOUND);
    assert_eq!(slow.await.unwrap(), None);
    let summary = stdout.next_line().await.unwrap().unwrap();
    assert!(summary.contains("shutdown on SIGINT"), "{summary}");
    assert!(summary.contains("aborted"), "{summary}");
}
