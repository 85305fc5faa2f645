//! Talking to cargo: `cargo metadata`, the `cargo check` that runs first (its messages pass
//! through), and package-id-specs.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};

use cargo_metadata::{Metadata, MetadataCommand};

use super::args::{CheckArgs, ColorChoice, MessageFormat};
use super::error::CliError;

pub(super) fn metadata(args: &CheckArgs) -> Result<Metadata, CliError> {
    let mut cmd = MetadataCommand::new();
    cmd.no_deps();
    let mut other = Vec::new();
    for (flag, on) in [
        ("--locked", args.locked),
        ("--offline", args.offline),
        ("--frozen", args.frozen),
    ] {
        if on {
            other.push(flag.to_string());
        }
    }
    cmd.other_options(other);
    if let Some(m) = &args.manifest_path {
        cmd.manifest_path(m);
    }
    cmd.exec()
        .map_err(|e| CliError::with("`cargo metadata` failed", e))
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `cargo check` with the run's selection (packages, targets, features, flags).
fn check_command(args: &CheckArgs) -> Process {
    let mut cmd = Process::new(cargo());
    cmd.arg("check");
    if args.workspace {
        cmd.arg("--workspace");
    }
    for p in &args.packages {
        cmd.args(["-p", p]);
    }
    if let Some(m) = &args.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    for (flag, on) in [
        ("--all-targets", args.all_targets),
        ("--keep-going", args.keep_going),
        ("--all-features", args.all_features),
        ("--no-default-features", args.no_default_features),
        ("--quiet", args.quiet),
        ("--locked", args.locked),
        ("--offline", args.offline),
        ("--frozen", args.frozen),
    ] {
        if on {
            cmd.arg(flag);
        }
    }
    for f in &args.features {
        cmd.args(["--features", f]);
    }
    for t in &args.target {
        cmd.args(["--target", t]);
    }
    for (flag, on) in [
        ("--lib", args.lib),
        ("--bins", args.bins),
        ("--tests", args.tests),
        ("--examples", args.examples),
        ("--benches", args.benches),
    ] {
        if on {
            cmd.arg(flag);
        }
    }
    for (flag, names) in [
        ("--bin", &args.bin),
        ("--test", &args.test),
        ("--example", &args.example),
        ("--bench", &args.bench),
    ] {
        for name in names {
            if name.is_empty() {
                cmd.arg(flag);
            } else {
                cmd.arg(format!("{flag}={name}"));
            }
        }
    }
    if let Some(d) = &args.target_dir {
        cmd.arg("--target-dir").arg(d);
    }
    cmd
}

/// Runs `cargo check` with the same selection and passes its messages through. Returns whether
/// it succeeded, and (JSON) its `build-finished` message, held back to be printed last.
pub(super) fn cargo_check(args: &CheckArgs) -> Result<(bool, Option<String>), CliError> {
    let mut cmd = check_command(args);
    match args.message_format {
        MessageFormat::Human => {
            if args.color == ColorChoice::Always {
                cmd.args(["--color", "always"]);
            }
            let status = cmd
                .status()
                .map_err(|e| CliError::with("cannot run `cargo check`", e))?;
            Ok((status.success(), None))
        }
        MessageFormat::Sarif => {
            // Keep stdout for the SARIF document.
            cmd.stdout(Stdio::null());
            let status = cmd
                .status()
                .map_err(|e| CliError::with("cannot run `cargo check`", e))?;
            Ok((status.success(), None))
        }
        f => {
            cmd.arg(if f == MessageFormat::JsonRenderedAnsi {
                "--message-format=json-diagnostic-rendered-ansi"
            } else {
                "--message-format=json"
            });
            cmd.stdout(Stdio::piped());
            let mut child = cmd
                .spawn()
                .map_err(|e| CliError::with("cannot run `cargo check`", e))?;
            let mut finished = None;
            if let Some(stdout) = child.stdout.take() {
                let mut out = std::io::stdout().lock();
                for line in BufReader::new(stdout).lines() {
                    let line =
                        line.map_err(|e| CliError::with("cannot read `cargo check`'s output", e))?;
                    if line.starts_with("{\"reason\":\"build-finished\"") {
                        finished = Some(line);
                        continue;
                    }
                    writeln!(out, "{line}")
                        .map_err(|e| CliError::with("cannot write the output", e))?;
                }
            }
            let status = child
                .wait()
                .map_err(|e| CliError::with("`cargo check` did not finish", e))?;
            Ok((status.success(), finished))
        }
    }
}

/// Runs `cargo check` quietly (after `--fix` edited files). `None` when it succeeds; otherwise
/// the files its errors point into (absolute, or relative to the workspace root as cargo prints
/// them).
pub(super) fn check_for_errors(args: &CheckArgs) -> Result<Option<Vec<PathBuf>>, CliError> {
    let mut cmd = check_command(args);
    cmd.args(["--message-format=json", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| CliError::with("cannot run `cargo check`", e))?;
    if out.status.success() {
        return Ok(None);
    }
    let mut files = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-message" || msg["message"]["level"] != "error" {
            continue;
        }
        for span in msg["message"]["spans"].as_array().into_iter().flatten() {
            if let Some(name) = span["file_name"].as_str() {
                files.push(PathBuf::from(name));
            }
        }
    }
    Ok(Some(files))
}

/// The package name in any package-id-spec form cargo takes: `name`, `name@1.0`, `name:1.0`,
/// `path+file:///dir/name#1.0`, `path+file:///dir#name@1.0`, `https://host/repo#name@1.0`
/// (what rust-analyzer passes when `check.workspace = false`).
pub(super) fn package_spec_name(spec: &str) -> &str {
    let named = match spec.rsplit_once('#') {
        // `url#version`: the name is the URL's last path segment.
        Some((url, fragment)) if fragment.starts_with(|c: char| c.is_ascii_digit()) => {
            url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
        }
        Some((_, fragment)) => fragment,
        None => spec,
    };
    named.split(['@', ':']).next().unwrap_or(named)
}

#[cfg(test)]
mod spec_tests {
    use super::package_spec_name;

    #[test]
    fn every_package_id_spec_form_gives_the_name() {
        for spec in [
            "demo",
            "demo@0.1.0",
            "demo:0.1.0",
            "path+file:///work/demo#0.1.0",
            "path+file:///work/ws#demo@0.1.0",
            "path+file:///work/ws/#demo",
            "https://github.com/x/ws#demo@0.1.0",
            "registry+https://github.com/rust-lang/crates.io-index#demo@0.1.0",
        ] {
            assert_eq!(package_spec_name(spec), "demo", "{spec}");
        }
    }
}
