//! The command line's shape: `cargo cancelkit [check] [OPTIONS] [PATHS]...`, and a parser that
//! drops flags it does not know instead of failing (editors pass whatever `cargo check` takes).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::styled())]
pub(super) enum CargoCli {
    /// Static checks for cooperative cancellation (cancelkit).
    Cancelkit(CancelkitCli),
}

#[derive(Debug, Args)]
#[command(version, about, args_conflicts_with_subcommands = true)]
pub(super) struct CancelkitCli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    /// Without a subcommand, `check` is run (so rust-analyzer's `check.command = "cancelkit"`
    /// works).
    #[command(flatten)]
    pub(super) check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Check the code: loops that can spin, tokens that are never consulted, cancel-unsafe
    /// `select!` branches, blocking calls, swallowed cancellation, unshielded clean-up.
    Check(Box<CheckArgs>),
    /// Print a rule's documentation (`cargo cancelkit explain uncancellable_loop`).
    Explain {
        /// The rule, with or without the `cancelkit::` prefix.
        rule: String,
    },
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
    /// Default mode: report every path that goes round without an await, not only those that
    /// show evidence of spinning; used by the precision study.
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
    pub(super) fn is_json(self) -> bool {
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

/// Parses the command line, dropping arguments this version does not know rather than
/// failing: an editor passes whatever `cargo check` takes, and a checker that exits 2 with
/// nothing printed makes every diagnostic of the package disappear, rustc's included. Returns
/// the dropped arguments. Other errors (a bad value, `--help`) are returned as clap reports them.
pub(super) fn parse_lenient(
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
