//! A real rust-analyzer, driven over LSP, with `check.command = "cancelkit"`: saving a library
//! file and then a test file shows both rustc's diagnostics and the checker's, and the checker's
//! quick fix is offered on the warning's own range.
//!
//! rust-analyzer is the toolchain's (`rustup which rust-analyzer`, or `$RUST_ANALYZER`); when
//! the component is missing the test installs it with `rustup component add rust-analyzer`,
//! as cargo fetches crates. Without rustup it fails, unless `CANCELKIT_SKIP_RA=1`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Generous: rust-analyzer loads the sysroot and `cargo check` builds the crate first.
const PATIENCE: Duration = Duration::from_secs(300);

const LIB: &str = "pub struct CancellationToken;

impl CancellationToken {
    pub fn is_cancelled(&self) -> bool {
        false
    }
}

pub async fn spin(f: &std::sync::atomic::AtomicBool, token: &CancellationToken) {
    let unused = 1;
    loop {
        if f.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
    }
}
";

const TEST: &str = "async fn waits(f: &std::sync::atomic::AtomicBool) {
    let unused_too = 2;
    while !f.load(std::sync::atomic::Ordering::Acquire) {}
}

#[test]
fn it() {}
";

fn rust_analyzer() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RUST_ANALYZER") {
        return Some(p.into());
    }
    let which = || {
        let out = Command::new("rustup")
            .args(["which", "rust-analyzer"])
            .output()
            .ok()?;
        let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        (out.status.success() && path.is_file()).then_some(path)
    };
    which().or_else(|| {
        let added = Command::new("rustup")
            .args(["component", "add", "rust-analyzer"])
            .status()
            .ok()?;
        if added.success() { which() } else { None }
    })
}

struct Lsp {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: u64,
}

impl Lsp {
    fn start(ra: &Path, root: &Path) -> Lsp {
        // `cargo cancelkit` must find the checker built for this test.
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-cancelkit"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .expect("PATH");
        let mut child = Command::new(ra)
            .current_dir(root)
            .env("PATH", path)
            .env_remove("CARGO_TARGET_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rust-analyzer");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        len = n.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice(&body)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Lsp {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| (m["id"] == id && m.get("method").is_none()).then(|| m["result"].clone()))
            .unwrap_or_else(|| panic!("no answer to {method}"))
    }

    /// Reads messages until `f` picks one (answering the server's own requests on the way).
    fn wait_for<T>(&mut self, mut f: impl FnMut(&Value) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let msg = match self.incoming.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            };
            if msg.get("id").is_some() && msg.get("method").is_some() {
                // workspace/configuration, window/workDoneProgress/create, ...
                let result = if msg["method"] == "workspace/configuration" {
                    json!([config()])
                } else {
                    Value::Null
                };
                self.send(json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result }));
                continue;
            }
            if let Some(t) = f(&msg) {
                return Some(t);
            }
        }
    }

    /// Waits until diagnostics for `uri` contain every code in `codes`. rust-analyzer shows a
    /// tool lint's code without its tool (`cancelkit::x` as `x`, with source `cancelkit`).
    fn diagnostics(&mut self, uri: &str, codes: &[&str]) -> Vec<Value> {
        let mut last = Vec::new();
        let found = self.wait_for(|m| {
            if m["method"] != "textDocument/publishDiagnostics" || m["params"]["uri"] != uri {
                return None;
            }
            let diags = m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            last.clone_from(&diags);
            let has = |code: &str| diags.iter().any(|d| is(d, code));
            codes.iter().all(|c| has(c)).then_some(diags)
        });
        found.unwrap_or_else(|| panic!("no diagnostics {codes:?} for {uri}; last: {last:#?}"))
    }
}

/// Whether a published diagnostic has `code` (`tool::name` matches `name` from `tool`).
fn is(d: &Value, code: &str) -> bool {
    let got = d["code"].as_str().unwrap_or_default();
    match code.split_once("::") {
        Some((tool, name)) => got == code || (got == name && d["source"] == tool),
        None => got == code,
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The settings an editor would send.
fn config() -> Value {
    json!({
        "check": { "command": "cancelkit", "workspace": false },
        "checkOnSave": true,
        "cachePriming": { "enable": false },
    })
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn save(lsp: &mut Lsp, path: &Path, text: &str) {
    let uri = uri(path);
    lsp.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rust", "version": 1, "text": text } }),
    );
    lsp.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri } }),
    );
}

#[test]
fn rust_analyzer_shows_rustc_and_cancelkit_diagnostics_on_save() {
    if std::env::var_os("CANCELKIT_SKIP_RA").is_some() {
        eprintln!("SKIPPED: CANCELKIT_SKIP_RA is set");
        return;
    }
    let ra = rust_analyzer().expect(
        "no rust-analyzer: `rustup component add rust-analyzer` failed or rustup is missing \
         (set RUST_ANALYZER to a binary, or CANCELKIT_SKIP_RA=1 to skip this test)",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    std::fs::create_dir_all(root.join("src")).expect("src");
    std::fs::create_dir_all(root.join("tests")).expect("tests");
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n",
    )
    .expect("manifest");
    let lib = root.join("src/lib.rs");
    let test = root.join("tests/it.rs");
    std::fs::write(&lib, LIB).expect("lib.rs");
    std::fs::write(&test, TEST).expect("it.rs");

    let mut lsp = Lsp::start(&ra, &root);
    lsp.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": uri(&root),
            "capabilities": {
                "experimental": { "serverStatusNotification": true },
                "workspace": { "configuration": true },
                "textDocument": { "publishDiagnostics": { "relatedInformation": true },
                                  "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix"] } } } },
            },
            "initializationOptions": config(),
        }),
    );
    lsp.notify("initialized", json!({}));
    // Saves count once the workspace is loaded.
    lsp.wait_for(|m| {
        (m["method"] == "experimental/serverStatus" && m["params"]["quiescent"] == true)
            .then_some(())
    })
    .expect("rust-analyzer loaded the workspace");

    // A library file: rustc's warning and the checker's, side by side.
    save(&mut lsp, &lib, LIB);
    let diags = lsp.diagnostics(
        &uri(&lib),
        &["unused_variables", "cancelkit::uncancellable_loop"],
    );
    let warning = diags
        .iter()
        .find(|d| is(d, "cancelkit::uncancellable_loop") && d["severity"] == 2)
        .expect("the checker's warning")
        .clone();

    // The quick fix (the crate depends on nothing, so: the token in scope) is offered on the
    // warning's own range.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri(&lib) },
            "range": warning["range"],
            "context": { "diagnostics": [warning] },
        }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("stop the loop when `token` is cancelled")),
        "quick fixes on the warning's range: {titles:?}"
    );

    // A test file: rust-analyzer now passes `-p <package-id-spec> --test it`; the diagnostics
    // of the package keep coming, rustc's included.
    save(&mut lsp, &test, TEST);
    lsp.diagnostics(
        &uri(&test),
        &["unused_variables", "cancelkit::uncancellable_loop"],
    );
}
