//! `--fix`: applies the machine-applicable suggestions, then makes sure the build still
//! compiles, as `cargo fix` does: after writing the files it runs `cargo check`, and a file
//! that an error points into goes back to what it was (all of them, if an error points
//! elsewhere). A fix never leaves a crate that compiled before broken.

use std::path::{Path, PathBuf};

use super::args::CheckArgs;
use super::cargo;
use super::error::CliError;
use crate::render::Report;

/// Applies the fixes of `report`; returns whether any file kept a change. `verify`: run
/// `cargo check` afterwards (cargo mode), with `root` the workspace root that cargo's file
/// names are relative to.
pub(super) fn apply(
    args: &CheckArgs,
    report: &Report,
    verify: Option<&Path>,
) -> Result<bool, CliError> {
    // Edit the text that was analysed; a file changed on disk since is left alone.
    let plan = crate::fix::plan(&report.findings, &|p| {
        let analysed = report.file(p)?;
        let now = std::fs::read_to_string(p).ok()?;
        (now == analysed.text).then_some(now)
    });
    let mut written: Vec<(PathBuf, String, usize)> = Vec::new();
    for (path, (text, n)) in plan {
        let original = report
            .file(&path)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        write(&path, &text)?;
        written.push((path, original, n));
    }
    if let Some(root) = verify
        && !written.is_empty()
        && let Some(broken) = cargo::check_for_errors(args)?
    {
        let broken: Vec<PathBuf> = broken
            .into_iter()
            .map(|p| if p.is_absolute() { p } else { root.join(p) })
            .collect();
        let points_into = |path: &Path| broken.iter().any(|b| same_file(b, path));
        let only_ours = broken
            .iter()
            .all(|b| written.iter().any(|(p, ..)| same_file(b, p)));
        let mut kept = Vec::new();
        for (path, original, n) in written {
            if !only_ours || points_into(&path) {
                write(&path, &original)?;
                eprintln!(
                    "warning: cancelkit: the fixes in `{}` did not compile, so they were reverted",
                    path.display()
                );
            } else {
                kept.push((path, original, n));
            }
        }
        written = kept;
        // What is left must compile too; if not, give everything back.
        if !written.is_empty() && cargo::check_for_errors(args)?.is_some() {
            for (path, original, _) in written.drain(..) {
                write(&path, &original)?;
                eprintln!(
                    "warning: cancelkit: the fixes in `{}` were reverted: the crate did not compile with them",
                    path.display()
                );
            }
        }
    }
    let applied: usize = written.iter().map(|(.., n)| n).sum();
    eprintln!(
        "cancelkit: applied {applied} fix{} in {} file{}",
        if applied == 1 { "" } else { "es" },
        written.len(),
        if written.len() == 1 { "" } else { "s" }
    );
    Ok(!written.is_empty())
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .map_err(|e| CliError::with(format!("cannot write `{}`", path.display()), e))
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}
