//! Speed: analysing a crate's sources vs. `syn::parse_file` alone, both in parallel with rayon.
//!
//! ```text
//! cargo run --release -p cargo-cancelkit --example speed -- ~/.cargo/registry/src/*/tokio-1.*/
//! ```
//!
//! Reads every `.rs` file once, then times (median of several runs) parse-only and the full
//! check (parse, analyse, resolve), and prints both and their ratio.
//!
//! `MODE=floor` and `MODE=check` instead do one pass the way the CLI does, each file read by
//! the worker that handles it, for measuring peak memory from outside
//! (`/usr/bin/time -f %M`): the floor reads and parses every file in parallel and keeps
//! nothing; the check is `check_crates` over the files on disk.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cargo_cancelkit::{Config, SourceFile, check_files};
use rayon::prelude::*;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let mut paths = Vec::new();
    for d in &dirs {
        cargo_cancelkit::cli::collect_rs(d, &mut paths).expect("readable directory");
    }
    match std::env::var("MODE").as_deref() {
        Ok("floor") => {
            let ok: usize = paths
                .par_iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p).unwrap_or_default();
                    let ok = usize::from(syn::parse_file(&text).is_ok());
                    proc_macro2::extra::invalidate_current_thread_spans();
                    ok
                })
                .sum();
            println!("parsed {ok} of {} files", paths.len());
            return;
        }
        Ok("check") => {
            let krate = cargo_cancelkit::Crate {
                files: paths
                    .iter()
                    .map(|p| cargo_cancelkit::Input::Path {
                        path: p.clone(),
                        display: p.display().to_string(),
                    })
                    .collect(),
                config: Config::default(),
                deps: Vec::new(),
            };
            let checked = cargo_cancelkit::check_crates(&[krate]);
            println!(
                "{} findings in {} files",
                checked.findings.len(),
                paths.len()
            );
            return;
        }
        _ => {}
    }
    let files: Vec<SourceFile> = paths
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            Some(SourceFile::new(p, p.display().to_string(), text))
        })
        .collect();
    let lines: usize = files.iter().map(SourceFile::line_count).sum();
    let config = Config::default();
    // Warm up both.
    let findings = check_files(&files, &config).len();
    let mut parse = Vec::new();
    let mut check = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let ok: usize = files
            .par_iter()
            .map(|f| {
                let ok = usize::from(syn::parse_file(&f.text).is_ok());
                proc_macro2::extra::invalidate_current_thread_spans();
                ok
            })
            .sum();
        parse.push(t.elapsed());
        std::hint::black_box(ok);
        let t = Instant::now();
        std::hint::black_box(check_files(&files, &config));
        check.push(t.elapsed());
    }
    let (p, c) = (median(parse), median(check));
    println!(
        "files: {}  lines: {lines}  threads: {}  findings: {findings}",
        files.len(),
        rayon::current_num_threads()
    );
    println!(
        "parse only (syn::parse_file, rayon): {:>8.1} ms",
        p.as_secs_f64() * 1e3
    );
    println!(
        "cancelkit check (parse+analyse):     {:>8.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!("ratio: {:.2}x", c.as_secs_f64() / p.as_secs_f64());
}
