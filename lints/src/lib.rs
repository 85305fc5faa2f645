//! `cargo cancelkit check`: a static checker for cancelkit (SPEC S32–S35).
//!
//! The crate is split the way clippy and flake8-async are, and its modules depend on each other
//! one way only: `cli` → `driver` → `rules` → `analysis`, all of them on the leaf data modules
//! (`rule` for rule identities and levels, `finding`, `source`, `config`).
//!
//! - **parse → analyse**: [`check_crates`] reads and parses every file once with `syn` (in
//!   parallel with rayon; a file is read by the worker that checks it and dropped after, so
//!   memory stays near one file per thread) and the driver hands each loop, statement, `if` and
//!   `match` to the [`rules`]; the path-sensitive core lives in the private `analysis::flow`
//!   module, whose docs explain the model;
//! - **findings as data**: a [`Finding`] is plain data (path, spans, rule, message, labels,
//!   suggestions);
//! - **rendering** is a separate step ([`render`]: rustc-style text, cargo JSON, SARIF), and so is
//!   applying fixes ([`fix`]);
//! - the **CLI** ([`cli`]) does the cargo integration.
//!
//! ```
//! use cargo_cancelkit::{Config, check_source};
//!
//! let findings = check_source(
//!     "demo.rs",
//!     "async fn spin(flag: &std::sync::atomic::AtomicBool) {
//!         while !flag.load(std::sync::atomic::Ordering::Relaxed) {}
//!     }",
//!     &Config::default(),
//! );
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].code(), "cancelkit::uncancellable_loop");
//! ```

mod analysis;
pub mod cli;
pub mod config;
mod driver;
pub mod finding;
pub mod fix;
pub mod render;
mod rule;
pub mod rules;
pub mod source;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use rayon::prelude::*;

pub use config::{Config, Level};
pub use finding::{Annotation, Applicability, Edit, Finding, Suggestion};
pub use rules::Rule;
pub use source::{SourceFile, SourceSpan};

use analysis::observers::Observers;
use analysis::summaries::{self, Scopes, Symbols};

/// A file to check: already in memory, or read when its turn comes.
#[derive(Debug, Clone)]
pub enum Input<'a> {
    /// A file whose text is at hand.
    Text(&'a SourceFile),
    /// A file on disk (`display` is the name shown in diagnostics).
    Path {
        /// Where to read it.
        path: PathBuf,
        /// The name shown in diagnostics.
        display: String,
    },
}

/// One crate of a run: its files, its configuration, and the crates of the run it depends on
/// (indices into the run's list). A call resolves to functions of its own crate and of those.
#[derive(Debug, Clone)]
pub struct Crate<'a> {
    /// The crate's files.
    pub files: Vec<Input<'a>>,
    /// Its configuration.
    pub config: Config,
    /// Indices of the crates of the run it depends on.
    pub deps: Vec<usize>,
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Checked {
    /// The findings that are not allowed, sorted by file and position.
    pub findings: Vec<Finding>,
    /// The files the findings point into (read once more would be a race with edits).
    pub files: Vec<SourceFile>,
}

/// Checks the files of one crate and returns the findings that are not allowed, sorted by file
/// and position.
///
/// Never panics on any input: a file that does not parse is a [`Rule::ParseError`] finding (S35),
/// and should the analysis of a file fail anyway, that file is reported and the others are
/// still checked. So is a file nested more than 256 levels deep. The parser and the walk
/// recurse once per level: run the check on threads with 16 MB stacks, as the command line
/// does (on 2 MB, a nest of `async` blocks overflows from about 250 levels in a release build,
/// and 100 in a debug one; real code stays under 40).
pub fn check_files(files: &[SourceFile], config: &Config) -> Vec<Finding> {
    check_crates(&[Crate {
        files: files.iter().map(Input::Text).collect(),
        config: config.clone(),
        deps: Vec::new(),
    }])
    .findings
}

/// Checks several crates as one run. Files of all crates are analysed in parallel; calls
/// resolve within each crate and its dependencies (see [`Crate`]).
pub fn check_crates(crates: &[Crate<'_>]) -> Checked {
    let observers: Vec<Observers> = crates
        .iter()
        .map(|c| Observers::new(&c.config.observers))
        .collect();
    let work: Vec<(usize, &Input<'_>)> = crates
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.files.iter().map(move |f| (i, f)))
        .collect();
    let results: Vec<(usize, Option<SourceFile>, Vec<Finding>, Symbols)> = work
        .par_iter()
        .map(|&(krate, input)| {
            let owned;
            let file = match input {
                Input::Text(f) => *f,
                Input::Path { path, display } => {
                    owned = match std::fs::read(path) {
                        Ok(bytes) => SourceFile::new(
                            path,
                            display.clone(),
                            String::from_utf8_lossy(&bytes).into_owned(),
                        ),
                        Err(e) => {
                            let empty = SourceFile::new(path, display.clone(), String::new());
                            let f = unreadable(&empty, &e);
                            return (krate, Some(empty), vec![f], Symbols::default());
                        }
                    };
                    &owned
                }
            };
            let result = catch_unwind(AssertUnwindSafe(|| {
                driver::check_file(file, &crates[krate].config, &observers[krate])
            }))
            .unwrap_or_else(|_| {
                proc_macro2::extra::invalidate_current_thread_spans();
                driver::FileResult {
                    findings: vec![internal_error(file)],
                    ..Default::default()
                }
            });
            let keep = !result.findings.is_empty() || !result.symbols.pending.is_empty();
            (
                krate,
                keep.then(|| file.clone()),
                result.findings,
                result.symbols,
            )
        })
        .collect();
    let scopes = Scopes::new(&crates.iter().map(|c| c.deps.clone()).collect::<Vec<_>>());
    let mut findings = Vec::new();
    let mut symbols = Vec::new();
    let mut files = Vec::new();
    for (krate, file, f, s) in results {
        findings.extend(f);
        symbols.push((krate, s));
        files.extend(file);
    }
    findings.extend(summaries::resolve(symbols, &scopes));
    findings.retain(|f| f.level != Level::Allow);
    findings.sort_by(|a, b| {
        (&a.path, a.primary.span.byte_start, a.rule).cmp(&(
            &b.path,
            b.primary.span.byte_start,
            b.rule,
        ))
    });
    files.retain(|f| findings.iter().any(|x| x.path == f.path));
    Checked { findings, files }
}

/// Checks one file's text as a crate of its own (handy for tests and editors).
pub fn check_source(name: &str, text: &str, config: &Config) -> Vec<Finding> {
    check_files(&[SourceFile::new(name, name, text.to_string())], config)
}

/// The analysis of one file without the panic guard of [`check_files`] (for fuzzing).
#[doc(hidden)]
pub fn check_file_unguarded(file: &SourceFile, config: &Config) -> Vec<Finding> {
    let observers = Observers::new(&config.observers);
    let result = driver::check_file(file, config, &observers);
    let mut findings = result.findings;
    findings.extend(summaries::resolve(
        vec![(0, result.symbols)],
        &Scopes::new(&[Vec::new()]),
    ));
    findings
}

fn internal_error(file: &SourceFile) -> Finding {
    Finding::new(
        Rule::ParseError,
        &file.path,
        "internal error while checking this file; it was skipped (please report it)",
        file.span(0..0),
    )
}

fn unreadable(file: &SourceFile, e: &std::io::Error) -> Finding {
    Finding::new(
        Rule::ParseError,
        &file.path,
        format!("could not read this file, so it was not checked: {e}"),
        file.span(0..0),
    )
}
