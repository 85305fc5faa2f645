//! The command line: `cargo cancelkit [check] [OPTIONS] [PATHS]...`.
//!
//! Exit status: 0 clean, 1 findings at `deny` (or `cargo check` failed), 2 usage or I/O error.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Stdio};

use cargo_metadata::{Metadata, MetadataCommand, Package};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::config::{Config, Level};
use crate::finding::{Annotation, Finding};
use crate::render::{Report, human, json as json_render, sarif};
use crate::rules::Rule;
use crate::source::SourceFile;

#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::styled())]
enum CargoCli {
    /// Static checks for cooperative cancellation (cancelkit).
    Cancelkit(CancelkitCli),
}

#[derive(Debug, Args)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct CancelkitCli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand, `check` is run (so rust-analyzer's `check.command = "cancelkit"`
    /// works).
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Flag async loops that never observe cancellation, and swallowed cancellation errors.
    Check(CheckArgs),
}

/// Options of `cargo cancelkit check`.
#[derive(Debug, Args, Default, Clone)]
pub struct CheckArgs {
    /// Files or directories to check instead of cargo packages (each run is one crate).
    pub paths: Vec<PathBuf>,
    /// Check every package of the workspace.
    #[arg(long)]
    pub workspace: bool,
    /// Package(s) to check.
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human", value_name = "FMT")]
    pub message_format: MessageFormat,
    /// Strict mode: only cancellation-aware awaits count, `for` loops are checked too.
    #[arg(long)]
    pub strict: bool,
    /// Default mode: also report loops that look bounded by their data (drain and counting
    /// loops); used by the precision study.
    #[arg(long, hide = true)]
    pub report_bounded_loops: bool,
    /// Apply machine-applicable suggestions.
    #[arg(long)]
    pub fix: bool,
    /// Do not run `cargo check` first.
    #[arg(long)]
    pub no_cargo_check: bool,
    /// Coloring of human output.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
    /// Set a rule (or `warnings`) to deny.
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// Set a rule to warn.
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Set a rule to allow.
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub all_targets: bool,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub keep_going: bool,
    /// Passed to `cargo check`.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Passed to `cargo check` and `cargo metadata`.
    #[arg(long)]
    pub locked: bool,
    /// Passed to `cargo check` and `cargo metadata`.
    #[arg(long)]
    pub offline: bool,
    /// Passed to `cargo check` and `cargo metadata`.
    #[arg(long)]
    pub frozen: bool,
    /// Passed to `cargo check`.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub all_features: bool,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub no_default_features: bool,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Vec<String>,
    /// Passed to `cargo check` (target selection; the checker itself reads every file of the
    /// selected packages).
    #[arg(long)]
    pub lib: bool,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub bin: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub bins: bool,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub test: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub tests: bool,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub example: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub examples: bool,
    /// Passed to `cargo check`.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub bench: Vec<String>,
    /// Passed to `cargo check`.
    #[arg(long)]
    pub benches: bool,
    /// Arguments this version does not know, dropped with a warning (set by `main`).
    #[arg(skip)]
    pub ignored: Vec<String>,
}

/// `--message-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MessageFormat {
    /// rustc-style text on stderr.
    #[default]
    Human,
    /// cargo's JSON messages on stdout.
    Json,
    /// JSON with ANSI-colored `rendered` fields (what rust-analyzer asks for).
    #[value(name = "json-diagnostic-rendered-ansi")]
    JsonRenderedAnsi,
    /// Accepted for rust-analyzer compatibility; same as `json`.
    #[value(name = "json-diagnostic-short")]
    JsonShort,
    /// SARIF 2.1.0 on stdout.
    Sarif,
}

impl MessageFormat {
    fn is_json(self) -> bool {
        matches!(
            self,
            MessageFormat::Json | MessageFormat::JsonRenderedAnsi | MessageFormat::JsonShort
        )
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Color when stderr is a terminal.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// An error with a message and a cause chain.
#[derive(Debug)]
pub struct CliError {
    message: String,
    source: Option<Box<dyn Error + Send + Sync>>,
}

impl CliError {
    fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            source: None,
        }
    }

    fn with(message: impl Into<String>, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        CliError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for CliError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// Prints an error and its whole cause chain.
fn print_error(e: &dyn Error) {
    let mut msg = format!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    eprintln!("{msg}");
}

/// Parses the command line, dropping arguments this version does not know rather than
/// failing: an editor passes whatever `cargo check` takes, and a checker that exits 2 with
/// nothing printed makes every diagnostic of the package disappear, rustc's included. Returns
/// the dropped arguments. Other errors (a bad value, `--help`) are returned as clap reports them.
fn parse_lenient(
    mut args: Vec<std::ffi::OsString>,
) -> Result<(CargoCli, Vec<String>), clap::Error> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let mut ignored = Vec::new();
    loop {
        match CargoCli::try_parse_from(&args) {
            Ok(cli) => return Ok((cli, ignored)),
            Err(e) if e.kind() == ErrorKind::UnknownArgument => {
                let Some(ContextValue::String(unknown)) = e.get(ContextKind::InvalidArg) else {
                    return Err(e);
                };
                // `--flag=value` is reported as `--flag`: drop the whole argument.
                let Some(at) = args.iter().position(|a| {
                    a.to_str().is_some_and(|a| {
                        a == unknown || a.split_once('=').is_some_and(|(flag, _)| flag == unknown)
                    })
                }) else {
                    return Err(e);
                };
                ignored.push(args.remove(at).to_string_lossy().into_owned());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 << 20)
        .build_global();
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
        Some(Command::Check(a)) => a,
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

/// One crate to check: its files, its configuration, its cargo envelope.
#[derive(Debug)]
struct Unit {
    files: Vec<SourceFile>,
    config: Config,
    envelope: json_render::Envelope,
    config_findings: Vec<Finding>,
    manifest: Option<SourceFile>,
}

/// Runs `check` and returns the exit status.
pub fn run(args: &CheckArgs) -> Result<u8, CliError> {
    let paths_mode = !args.paths.is_empty() && !args.workspace && args.packages.is_empty();
    let mut cargo_failed = false;
    let mut finished_line = None;
    let units = if paths_mode {
        vec![paths_unit(args)?]
    } else {
        let metadata = metadata(args)?;
        if !args.no_cargo_check {
            let (ok, finished) = cargo_check(args)?;
            cargo_failed = !ok;
            finished_line = finished;
        }
        package_units(args, &metadata)?
    };

    let mut report = analyse(&units);
    if args.fix {
        let plan = crate::fix::plan(&report.findings, &|p| std::fs::read_to_string(p).ok());
        let mut applied = 0;
        for (path, (text, n)) in &plan {
            std::fs::write(path, text)
                .map_err(|e| CliError::with(format!("cannot write `{}`", path.display()), e))?;
            applied += n;
        }
        eprintln!(
            "cancelkit: applied {applied} fix{} in {} file{}",
            if applied == 1 { "" } else { "es" },
            plan.len(),
            if plan.len() == 1 { "" } else { "s" }
        );
        if !plan.is_empty() {
            // Check again what is left.
            let units = if paths_mode {
                vec![paths_unit(args)?]
            } else {
                package_units(args, &metadata(args)?)?
            };
            report = analyse(&units);
        }
    }

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let io = |e: std::io::Error| CliError::with("cannot write the output", e);
    match args.message_format {
        MessageFormat::Human => eprint!("{}", human::render(&report, color)),
        f if f.is_json() => {
            let ansi = f == MessageFormat::JsonRenderedAnsi;
            let envelope = |finding: &Finding| {
                units
                    .iter()
                    .find(|u| {
                        u.files.iter().any(|s| s.path == finding.path)
                            || u.manifest.as_ref().is_some_and(|m| m.path == finding.path)
                    })
                    .map(|u| u.envelope.clone())
                    .unwrap_or_else(|| units[0].envelope.clone())
            };
            for line in json_render::render(&report, &envelope, ansi) {
                writeln!(out, "{line}").map_err(io)?;
            }
            // cargo's `build-finished` goes last, after our messages.
            if let Some(line) = &finished_line {
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        _ => {
            let doc = sarif::render(&report);
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
            .map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    let denied = report.findings.iter().any(|f| f.level == Level::Deny);
    Ok(if denied || cargo_failed { 1 } else { 0 })
}

fn analyse(units: &[Unit]) -> Report {
    let mut report = Report::default();
    let pairs: Vec<(&[SourceFile], &Config)> = units
        .iter()
        .map(|u| (u.files.as_slice(), &u.config))
        .collect();
    for u in units {
        report.findings.extend(u.config_findings.iter().cloned());
        report.files.extend(u.files.iter().cloned());
        report.files.extend(u.manifest.iter().cloned());
    }
    report.findings.extend(crate::check_workspace(&pairs));
    report
}

/// Applies `-D/-W/-A` and `--strict` over a configuration.
fn apply_cli(args: &CheckArgs, config: &mut Config) -> Result<(), CliError> {
    if args.strict {
        config.strict = true;
    }
    if args.report_bounded_loops {
        config.report_bounded_loops = true;
    }
    for (names, level) in [
        (&args.allow, Level::Allow),
        (&args.warn, Level::Warn),
        (&args.deny, Level::Deny),
    ] {
        for name in names {
            if name == "warnings" {
                for r in Rule::CONFIGURABLE {
                    if config.level(r) == Level::Warn {
                        config.levels.insert(r, level);
                    }
                }
                continue;
            }
            let name = name.strip_prefix("cancelkit::").unwrap_or(name);
            let rule = Rule::from_name(name)
                .ok_or_else(|| CliError::new(crate::config::unknown_rule_message(name)))?;
            config.levels.insert(rule, level);
        }
    }
    Ok(())
}

fn metadata(args: &CheckArgs) -> Result<Metadata, CliError> {
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

/// Runs `cargo check` with the same selection and passes its messages through. Returns whether
/// it succeeded, and (JSON) its `build-finished` message, held back to be printed last.
fn cargo_check(args: &CheckArgs) -> Result<(bool, Option<String>), CliError> {
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

/// The package name in any package-id-spec form cargo takes: `name`, `name@1.0`, `name:1.0`,
/// `path+file:///dir/name#1.0`, `path+file:///dir#name@1.0`, `https://host/repo#name@1.0`
/// (what rust-analyzer passes when `check.workspace = false`).
fn package_spec_name(spec: &str) -> &str {
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

fn package_units(args: &CheckArgs, metadata: &Metadata) -> Result<Vec<Unit>, CliError> {
    let members: Vec<&Package> = metadata.workspace_packages();
    let selected: Vec<&Package> = if !args.packages.is_empty() {
        let mut out = Vec::new();
        for spec in &args.packages {
            let name = package_spec_name(spec);
            let p = members
                .iter()
                .find(|p| p.name.as_str() == name)
                .ok_or_else(|| {
                    CliError::new(format!("package `{spec}` is not a member of the workspace"))
                })?;
            out.push(*p);
        }
        out
    } else if args.workspace {
        members
    } else if let Some(root) = metadata.root_package() {
        vec![root]
    } else {
        metadata.workspace_default_packages()
    };
    let root = metadata.workspace_root.as_std_path();
    selected
        .into_iter()
        .map(|p| {
            let mut config = Config::default();
            let mut problems = config.apply_metadata(&metadata.workspace_metadata["cancelkit"]);
            problems.extend(config.apply_metadata(&p.metadata["cancelkit"]));
            apply_cli(args, &mut config)?;
            let pkg_root = p.manifest_path.parent().map_or(root, |d| d.as_std_path());
            let mut dirs: Vec<PathBuf> = p
                .targets
                .iter()
                .filter_map(|t| t.src_path.parent().map(|d| d.as_std_path().to_path_buf()))
                .collect();
            dirs.sort();
            dirs.dedup();
            // A directory inside another one is walked with it.
            let dirs: Vec<PathBuf> = dirs
                .iter()
                .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
                .cloned()
                .collect();
            let mut paths = Vec::new();
            for d in &dirs {
                collect_rs(d, &mut paths)
                    .map_err(|e| CliError::with(format!("cannot read `{}`", d.display()), e))?;
            }
            let files = read_files(paths, root, pkg_root, &config)?;
            let manifest_path = p.manifest_path.as_std_path();
            let manifest = std::fs::read_to_string(manifest_path)
                .ok()
                .map(|t| SourceFile::new(manifest_path, display_path(manifest_path, root), t));
            let config_findings = problems
                .into_iter()
                .map(|m| config_finding(manifest_path, manifest.as_ref(), m))
                .collect();
            let lib = p.targets.iter().find(|t| t.is_lib()).or(p.targets.first());
            Ok(Unit {
                files,
                config,
                envelope: json_render::Envelope {
                    package_id: p.id.repr.clone(),
                    manifest_path: p.manifest_path.to_string(),
                    target: lib.map_or(json!(null), |t| {
                        serde_json::to_value(t).unwrap_or(json!(null))
                    }),
                },
                config_findings,
                manifest,
            })
        })
        .collect()
}

fn paths_unit(args: &CheckArgs) -> Result<Unit, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::with("cannot read the current directory", e))?;
    let mut config = Config::default();
    let mut problems = Vec::new();
    // The nearest manifest above the first path (or --manifest-path) configures the run.
    let manifest_path = args.manifest_path.clone().or_else(|| {
        let start = std::fs::canonicalize(&args.paths[0]).ok()?;
        start
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file())
    });
    let mut manifest = None;
    let root = manifest_path
        .as_ref()
        .and_then(|m| m.parent())
        .map_or(cwd.clone(), Path::to_path_buf);
    if let Some(m) = &manifest_path {
        let text = std::fs::read_to_string(m)
            .map_err(|e| CliError::with(format!("cannot read `{}`", m.display()), e))?;
        let value: toml::Value = toml::from_str(&text)
            .map_err(|e| CliError::with(format!("cannot parse `{}`", m.display()), e))?;
        let to_json = |v: Option<&toml::Value>| {
            v.and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        problems.extend(
            config.apply_metadata(&to_json(
                value
                    .get("workspace")
                    .and_then(|w| w.get("metadata"))
                    .and_then(|m| m.get("cancelkit")),
            )),
        );
        problems.extend(
            config.apply_metadata(&to_json(
                value
                    .get("package")
                    .and_then(|w| w.get("metadata"))
                    .and_then(|m| m.get("cancelkit")),
            )),
        );
        manifest = Some(SourceFile::new(m, display_path(m, &cwd), text));
    }
    apply_cli(args, &mut config)?;
    let mut paths = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            collect_rs(p, &mut paths)
                .map_err(|e| CliError::with(format!("cannot read `{}`", p.display()), e))?;
        } else if p.is_file() {
            paths.push(p.clone());
        } else {
            return Err(CliError::new(format!(
                "`{}` is neither a file nor a directory",
                p.display()
            )));
        }
    }
    let files = read_files(paths, &cwd, &root, &config)?;
    let config_findings = match &manifest_path {
        Some(m) => problems
            .into_iter()
            .map(|p| config_finding(m, manifest.as_ref(), p))
            .collect(),
        None => Vec::new(),
    };
    let root_str = root.display().to_string();
    Ok(Unit {
        files,
        config,
        envelope: json_render::Envelope {
            package_id: format!("path+file://{root_str}"),
            manifest_path: manifest_path.map_or(String::new(), |m| m.display().to_string()),
            target: json!({ "kind": ["lib"], "crate_types": ["lib"], "name": root.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(), "src_path": root_str, "edition": "2024", "doc": true, "doctest": false, "test": false }),
        },
        config_findings,
        manifest,
    })
}

fn config_finding(manifest_path: &Path, manifest: Option<&SourceFile>, message: String) -> Finding {
    // Point at the offending name when it can be found in the manifest.
    let span = manifest.map(|m| {
        let needle = message.split('`').nth(1).unwrap_or("cancelkit");
        let at = m
            .text
            .find(needle)
            .filter(|_| !needle.is_empty())
            .unwrap_or(0);
        m.span(at..at + if at == 0 { 0 } else { needle.len() })
    });
    let rule = if message.starts_with("unknown cancelkit rule") {
        Rule::UnknownRule
    } else {
        Rule::InvalidConfig
    };
    Finding {
        rule,
        level: Level::Warn,
        path: manifest_path.to_path_buf(),
        message: format!("invalid cancelkit configuration: {message}"),
        primary: Annotation {
            span: span.unwrap_or_else(|| SourceFile::new("", "", String::new()).span(0..0)),
            label: None,
        },
        secondary: Vec::new(),
        notes: Vec::new(),
        help: Vec::new(),
        suggestions: Vec::new(),
    }
}

fn display_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read_files(
    paths: Vec<PathBuf>,
    display_root: &Path,
    pkg_root: &Path,
    config: &Config,
) -> Result<Vec<SourceFile>, CliError> {
    let mut seen = BTreeMap::new();
    for p in paths {
        let rel = p
            .strip_prefix(pkg_root)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        if config.is_skipped(&rel) {
            continue;
        }
        let text = std::fs::read(&p)
            .map_err(|e| CliError::with(format!("cannot read `{}`", p.display()), e))?;
        let text = String::from_utf8_lossy(&text).into_owned();
        let display = display_path(&p, display_root);
        seen.insert(p.clone(), SourceFile::new(p, display, text));
    }
    Ok(seen.into_values().collect())
}

/// All `.rs` files below `dir`, skipping hidden directories and `target`.
pub fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        let ty = e.file_type()?;
        if ty.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect_rs(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
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
