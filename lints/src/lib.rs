//! `cargo cancelkit check`: a static checker for cancelkit (SPEC S32–S35).
//!
//! The crate is split the way clippy and flake8-async are:
//!
//! - **parse → analyse**: [`check_files`] parses every file once with `syn` (in parallel with
//!   rayon) and runs the rules over it ([`rules`]); the path-sensitive core lives in the private
//!   `analysis::flow` module, whose docs explain the model;
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
pub mod finding;
pub mod fix;
pub mod render;
pub mod rules;
pub mod source;

use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::prelude::*;

pub use config::{Config, Level};
pub use finding::{Annotation, Applicability, Edit, Finding, Suggestion};
pub use rules::Rule;
pub use source::{SourceFile, SourceSpan};

/// Checks the files of one crate (the scope of the interprocedural view) and returns the
/// findings that are not allowed, sorted by file and position.
///
/// Never panics on any input: a file that does not parse is a [`Rule::ParseError`] finding (S35),
/// and should the analysis of a file fail anyway, that file is reported and the others are
/// still checked.
pub fn check_files(files: &[SourceFile], config: &Config) -> Vec<Finding> {
    check_workspace(&[(files, config)])
}

/// Checks several packages, each with its own configuration, as one workspace: a function of
/// any of them that observes on every path counts as observing when called from another (S32
/// speaks of "a function of the same workspace"). Files of all packages are analysed in
/// parallel.
pub fn check_workspace(units: &[(&[SourceFile], &Config)]) -> Vec<Finding> {
    let observers: Vec<analysis::observers::Observers> = units
        .iter()
        .map(|(_, config)| analysis::observers::Observers::new(&config.observers))
        .collect();
    let work: Vec<(&SourceFile, &Config, &analysis::observers::Observers)> = units
        .iter()
        .zip(&observers)
        .flat_map(|((files, config), obs)| files.iter().map(move |f| (f, *config, obs)))
        .collect();
    let results: Vec<analysis::FileResult> = work
        .par_iter()
        .map(|&(file, config, observers)| {
            catch_unwind(AssertUnwindSafe(|| {
                analysis::analyse_file(file, config, observers)
            }))
            .unwrap_or_else(|_| {
                proc_macro2::extra::invalidate_current_thread_spans();
                analysis::FileResult {
                    findings: vec![internal_error(file)],
                    ..Default::default()
                }
            })
        })
        .collect();
    let mut findings: Vec<Finding> = analysis::resolve(results)
        .into_iter()
        .filter(|f| f.level != Level::Allow)
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, a.primary.span.byte_start, a.rule).cmp(&(
            &b.path,
            b.primary.span.byte_start,
            b.rule,
        ))
    });
    findings
}

/// Checks one file's text as a crate of its own (handy for tests and editors).
pub fn check_source(name: &str, text: &str, config: &Config) -> Vec<Finding> {
    check_files(&[SourceFile::new(name, name, text.to_string())], config)
}

/// The analysis of one file without the panic guard of [`check_files`] (for fuzzing).
#[doc(hidden)]
pub fn check_file_unguarded(file: &SourceFile, config: &Config) -> Vec<Finding> {
    let observers = analysis::observers::Observers::new(&config.observers);
    analysis::resolve(vec![analysis::analyse_file(file, config, &observers)])
}

fn internal_error(file: &SourceFile) -> Finding {
    Finding {
        rule: Rule::ParseError,
        level: Level::Warn,
        path: file.path.clone(),
        message: "internal error while checking this file; it was skipped (please report it)"
            .into(),
        primary: Annotation {
            span: file.span(0..0),
            label: None,
        },
        secondary: Vec::new(),
        notes: Vec::new(),
        help: Vec::new(),
        suggestions: Vec::new(),
    }
}
