//! The command line: `cargo cancelkit [check] [OPTIONS] [PATHS]...`.
//!
//! Exit status: 0 clean, 1 findings at `deny` (or `cargo check` failed), 2 usage or I/O error.

mod args;
mod cargo;
mod error;
mod fix;
mod output;
mod units;

use std::process::ExitCode;

pub use args::{CheckArgs, ColorChoice, MessageFormat};
pub use error::CliError;
pub use units::collect_rs;

use crate::config::Level;
use crate::render::Report;
use args::{CargoCli, Command, parse_lenient};
use error::print_error;
use units::Unit;

/// Entry point of the binary.
///
/// The work runs on one thread with a 16 MB stack that is itself one of rayon's workers
/// (`use_current_thread`), so that two threads allocate on two cores, not three: each thread
/// that allocates gets a glibc arena of its own, and the third arena cost about 0.8 MB of
/// the peak over tokio's sources, with no gain in speed. Where that thread cannot start (a
/// tight `ulimit -v`), the work runs here, with rayon's own threads.
pub fn main() -> ExitCode {
    const STACK: usize = 16 << 20;
    let pool = || rayon::ThreadPoolBuilder::new().stack_size(STACK);
    let work = std::thread::Builder::new()
        .name("cancelkit".into())
        .stack_size(STACK)
        .spawn(move || {
            let _ = pool().use_current_thread().build_global();
            main_on_worker()
        });
    match work {
        // A panic's message is already out; exit as the runtime does after one.
        Ok(handle) => handle.join().unwrap_or(ExitCode::from(101)),
        Err(_) => {
            let _ = pool().build_global();
            main_on_worker()
        }
    }
}

fn main_on_worker() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Run directly as `cargo-cancelkit check`, rather than through cargo.
    if args.get(1).is_none_or(|a| a != "cancelkit") {
        args.insert(1, "cancelkit".into());
    }
    let (cli, ignored) = match parse_lenient(args) {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let CargoCli::Cancelkit(c) = cli;
    let mut args = match c.command {
        Some(Command::Check(a)) => *a,
        Some(Command::Explain { rule }) => return explain(&rule),
        None => c.check,
    };
    for arg in &ignored {
        eprintln!(
            "warning: cargo-cancelkit does not know the argument `{arg}`; it was ignored (cargo \
             check ran without it)"
        );
    }
    args.ignored = ignored;
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// `cargo cancelkit explain RULE`, as `rustc --explain` does.
fn explain(name: &str) -> ExitCode {
    let name = name.strip_prefix("cancelkit::").unwrap_or(name);
    match crate::Rule::from_name(name).and_then(crate::Rule::explanation) {
        Some(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: {}", crate::config::unknown_rule_message(name));
            ExitCode::from(2)
        }
    }
}

/// Runs `check` and returns the exit status.
pub fn run(args: &CheckArgs) -> Result<u8, CliError> {
    let paths_mode = !args.paths.is_empty() && !args.workspace && args.packages.is_empty();
    let mut cargo_failed = false;
    let mut finished = None;
    let root;
    let load = |args: &CheckArgs| -> Result<Vec<Unit>, CliError> {
        if paths_mode {
            Ok(vec![units::paths_unit(args)?])
        } else {
            units::package_units(args, &cargo::metadata(args)?)
        }
    };
    if paths_mode {
        root = std::env::current_dir()
            .map_err(|e| CliError::with("cannot read the current directory", e))?;
    } else {
        let metadata = cargo::metadata(args)?;
        root = metadata.workspace_root.clone().into_std_path_buf();
        if !args.no_cargo_check {
            let (ok, line) = cargo::cargo_check(args)?;
            cargo_failed = !ok;
            finished = line;
        }
    }
    let mut units = load(args)?;
    let mut report = analyse(&units);
    // In paths mode there is no build to verify a fix against (and, the crate's dependencies
    // being unknown, no suggestion is machine-applicable there).
    if args.fix && fix::apply(args, &report, (!paths_mode).then_some(root.as_path()))? {
        units = load(args)?;
        report = analyse(&units);
    }
    output::write(args, &units, &report, finished.as_deref(), &root)?;
    let denied = report.findings.iter().any(|f| f.level == Level::Deny);
    Ok(if denied || cargo_failed { 1 } else { 0 })
}

fn analyse(units: &[Unit]) -> Report {
    let crates: Vec<crate::Crate<'_>> = units.iter().map(Unit::as_crate).collect();
    let checked = crate::check_crates(&crates);
    let mut report = Report {
        files: checked.files,
        findings: units
            .iter()
            .flat_map(|u| u.config_findings.iter().cloned())
            .collect(),
    };
    report.findings.extend(checked.findings);
    report
        .files
        .extend(units.iter().filter_map(|u| u.manifest.clone()));
    report
}
