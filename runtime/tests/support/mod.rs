//! HTTP servers on 127.0.0.1 for the download tests: an in-process hyper server whose
//! misbehaviour the test controls, and Python's `http.server` as a real server that ignores
//! byte ranges.
//!
//! Shared by `runtime/tests/download.rs` and `examples/tests/download.rs` (by `#[path]`).
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::channel::{Channel, Sender};
use http_body_util::{BodyExt, Empty, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What the server serves.
#[derive(Debug, Clone)]
pub struct Resource {
    pub data: Bytes,
    /// Sent as is (so `W/"…"` makes a weak tag).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Overrides hyper's own `Date`.
    pub date: Option<String>,
}

impl Resource {
    /// `len` bytes of a pattern that differs for each `version`, with ETag `"v<version>"`.
    pub fn versioned(len: usize, version: u8) -> Resource {
        Resource {
            data: pattern(len, version),
            etag: Some(format!("\"v{version}\"")),
            last_modified: None,
            date: None,
        }
    }
}

/// Deterministic bytes; a different `seed` gives different bytes at almost every offset.
pub fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(seed as u32 % 32) as u8
                ^ seed
        })
        .collect::<Vec<u8>>()
        .into()
}

/// How the server behaves; applies to every request until changed.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Honour `Range`/`If-Range` and advertise `Accept-Ranges: bytes`.
    pub ranges: bool,
    /// Answer ranges with a `Content-Range` one byte off.
    pub wrong_content_range: bool,
    /// After this many body bytes, report on [`TestServer::stalled`] and send nothing more.
    pub stall_after: Option<usize>,
    /// After this many body bytes, abort the connection.
    pub drop_after: Option<usize>,
    /// Answer every request with this status and an empty body.
    pub status: Option<StatusCode>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            ranges: true,
            wrong_content_range: false,
            stall_after: None,
            drop_after: None,
            status: None,
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub accept_encoding: Option<String>,
}

struct State {
    resource: Resource,
    behaviour: Behaviour,
    log: Vec<Logged>,
}

/// The in-process server. Paths: `/redirect/<name>` answers 302 to `/files/<name>`; any other
/// path serves the resource.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stalled: mpsc::UnboundedReceiver<usize>,
}

impl TestServer {
    pub async fn start(resource: Resource, behaviour: Behaviour) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            resource,
            behaviour,
            log: Vec::new(),
        }));
        let (stalled_tx, stalled) = mpsc::unbounded_channel();
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                let stalled_tx = stalled_tx.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let response = respond(&state, &stalled_tx, req);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer {
            addr,
            state,
            stalled,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set_resource(&self, resource: Resource) {
        self.state.lock().unwrap().resource = resource;
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    pub fn data(&self) -> Bytes {
        self.state.lock().unwrap().resource.data.clone()
    }

    /// Every request so far, oldest first.
    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    /// Waits until a body has stalled; gives the bytes sent before stalling.
    pub async fn stalled(&mut self) -> usize {
        self.stalled.recv().await.unwrap()
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

fn respond(
    state: &Mutex<State>,
    stalled: &mpsc::UnboundedSender<usize>,
    req: Request<Incoming>,
) -> Response<Body> {
    let text = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let logged = Logged {
        path: req.uri().path().to_owned(),
        range: text(header::RANGE),
        if_range: text(header::IF_RANGE),
        accept_encoding: text(header::ACCEPT_ENCODING),
    };
    let (resource, behaviour) = {
        let mut state = state.lock().unwrap();
        state.log.push(logged.clone());
        (state.resource.clone(), state.behaviour.clone())
    };
    let mut response = Response::builder();
    if let Some(name) = logged.path.strip_prefix("/redirect/") {
        return response
            .status(StatusCode::FOUND)
            .header(header::LOCATION, format!("/files/{name}"))
            .body(empty())
            .unwrap();
    }
    if let Some(status) = behaviour.status {
        return response.status(status).body(empty()).unwrap();
    }
    let len = resource.data.len();
    for (name, value) in [
        (header::ETAG, &resource.etag),
        (header::LAST_MODIFIED, &resource.last_modified),
        (header::DATE, &resource.date),
    ] {
        if let Some(value) = value {
            response = response.header(name, value);
        }
    }
    if behaviour.ranges {
        response = response.header(header::ACCEPT_RANGES, "bytes");
    }
    let validator = resource.etag.as_ref().or(resource.last_modified.as_ref());
    let if_range_holds = match &logged.if_range {
        None => true,
        Some(v) => Some(v) == validator && !v.starts_with("W/"),
    };
    let start = logged
        .range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let (status, from) = match start {
        Some(start) if behaviour.ranges && if_range_holds => {
            if start >= len {
                return response
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(empty())
                    .unwrap();
            }
            let shown = if behaviour.wrong_content_range {
                start + 1
            } else {
                start
            };
            response = response.header(
                header::CONTENT_RANGE,
                format!("bytes {shown}-{}/{len}", len - 1),
            );
            (StatusCode::PARTIAL_CONTENT, start)
        }
        _ => (StatusCode::OK, 0),
    };
    let body = resource.data.slice(from..);
    response
        .status(status)
        .header(header::CONTENT_LENGTH, body.len())
        .body(stream_body(body, behaviour, stalled.clone()))
        .unwrap()
}

fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// Sends `body` in 16 KiB frames, stalling or dropping where told.
fn stream_body(body: Bytes, behaviour: Behaviour, stalled: mpsc::UnboundedSender<usize>) -> Body {
    let (mut tx, channel): (Sender<Bytes, std::io::Error>, _) = Channel::new(4);
    tokio::spawn(async move {
        let limit = match (behaviour.stall_after, behaviour.drop_after) {
            (Some(n), _) | (None, Some(n)) => n.min(body.len()),
            (None, None) => body.len(),
        };
        let mut sent = 0;
        while sent < limit {
            let end = (sent + 16 * 1024).min(limit);
            if tx.send_data(body.slice(sent..end)).await.is_err() {
                return;
            }
            sent = end;
        }
        if behaviour.stall_after.is_some() {
            let _ = stalled.send(sent);
            // Hold the connection open, sending nothing, until the client goes away.
            std::future::pending::<()>().await;
        } else if behaviour.drop_after.is_some() {
            tx.abort(std::io::Error::other(
                "connection dropped by the test server",
            ));
        }
    });
    channel.boxed()
}

/// `python3 -m http.server` serving `dir` on 127.0.0.1; killed on drop.
pub struct PythonServer {
    child: std::process::Child,
    port: u16,
}

impl PythonServer {
    /// `None` (with a note on stderr) when `python3` is not installed.
    pub fn start(dir: &Path) -> Option<PythonServer> {
        let spawned = std::process::Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                eprintln!("note: skipping the python3 http.server test: {e}");
                return None;
            }
        };
        // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected http.server banner {line:?}"));
        Some(PythonServer { child, port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
