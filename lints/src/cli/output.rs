//! Writing the report: rustc-style text on stderr, cargo's JSON messages or a SARIF log on
//! stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::args::{CheckArgs, ColorChoice, MessageFormat};
use super::error::CliError;
use super::units::Unit;
use crate::finding::Finding;
use crate::render::{Report, human, json as json_render, sarif};

/// Writes `report` in the requested format. `finished`: cargo's `build-finished` message, which
/// goes last; `root`: the workspace root (SARIF paths are relative to the repository around it).
pub(super) fn write(
    args: &CheckArgs,
    units: &[Unit],
    report: &Report,
    finished: Option<&str>,
    root: &Path,
) -> Result<(), CliError> {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let io = |e: std::io::Error| CliError::with("cannot write the output", e);
    match args.message_format {
        MessageFormat::Human => eprint!("{}", human::render(report, color)),
        f if f.is_json() => {
            let ansi = f == MessageFormat::JsonRenderedAnsi;
            let envelope = |finding: &Finding| {
                units
                    .iter()
                    .find(|u| u.owns(&finding.path))
                    .or(units.first())
                    .map(|u| u.envelope.clone())
                    .unwrap_or_default()
            };
            for line in json_render::render(report, &envelope, ansi) {
                writeln!(out, "{line}").map_err(io)?;
            }
            if let Some(line) = finished {
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        _ => {
            let repo = repository_root(root);
            let doc = sarif::render(report, &repo);
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| CliError::with("cannot write the SARIF log", e))?;
            writeln!(out, "{text}").map_err(io)?;
        }
    }
    out.flush().map_err(io)
}

/// The root of the repository around `dir` (the nearest ancestor with `.git`), where code
/// scanning resolves paths; `dir` itself when there is none.
fn repository_root(dir: &Path) -> std::path::PathBuf {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&dir)
        .to_path_buf()
}
