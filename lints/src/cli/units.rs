//! What to check: the crates of a run (the selected packages of a cargo workspace, or the
//! paths given on the command line), each with its files, configuration and cargo envelope.

use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, Package};
use serde_json::json;

use super::args::CheckArgs;
use super::cargo::package_spec_name;
use super::error::CliError;
use crate::config::{Config, Level};
use crate::finding::Finding;
use crate::render::json as json_render;
use crate::rules::Rule;
use crate::source::SourceFile;

/// One crate to check: its files (read when checked), its configuration, its cargo envelope.
#[derive(Debug)]
pub(super) struct Unit {
    /// Each file's path and display name.
    pub(super) files: Vec<(PathBuf, String)>,
    pub(super) config: Config,
    pub(super) envelope: json_render::Envelope,
    pub(super) config_findings: Vec<Finding>,
    pub(super) manifest: Option<SourceFile>,
    /// Indices of the units of the run this one depends on.
    pub(super) deps: Vec<usize>,
}

impl Unit {
    /// The unit as the library takes it.
    pub(super) fn as_crate(&self) -> crate::Crate<'static> {
        crate::Crate {
            files: self
                .files
                .iter()
                .map(|(path, display)| crate::Input::Path {
                    path: path.clone(),
                    display: display.clone(),
                })
                .collect(),
            config: self.config.clone(),
            deps: self.deps.clone(),
        }
    }

    /// Whether `path` is one of this unit's files (or its manifest).
    pub(super) fn owns(&self, path: &Path) -> bool {
        self.files.iter().any(|(p, _)| p == path)
            || self.manifest.as_ref().is_some_and(|m| m.path == path)
    }
}

/// Applies `-D/-W/-A` and `--strict` over a configuration.
pub(super) fn apply_cli(args: &CheckArgs, config: &mut Config) -> Result<(), CliError> {
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

pub(super) fn package_units(args: &CheckArgs, metadata: &Metadata) -> Result<Vec<Unit>, CliError> {
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
    let names: Vec<&str> = selected.iter().map(|p| p.name.as_str()).collect();
    selected
        .iter()
        .map(|p| {
            let mut config = Config {
                dependencies: Some(p.dependencies.iter().map(|d| d.name.clone()).collect()),
                ..Config::default()
            };
            // Calls resolve within the package and the selected packages it depends on.
            let deps = p
                .dependencies
                .iter()
                .filter_map(|d| names.iter().position(|n| *n == d.name))
                .collect();
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
            let files = list_files(paths, root, pkg_root, &config);
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
                deps,
            })
        })
        .collect()
}

pub(super) fn paths_unit(args: &CheckArgs) -> Result<Unit, CliError> {
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
        // The workspace's table first, then the package's, which wins.
        for table in ["workspace", "package"] {
            let metadata = value
                .get(table)
                .and_then(|t| t.get("metadata"))
                .and_then(|m| m.get("cancelkit"));
            problems.extend(config.apply_metadata(&to_json(metadata)));
        }
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
    let files = list_files(paths, &cwd, &root, &config);
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
        deps: Vec::new(),
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
    Finding::new(
        rule,
        manifest_path,
        format!("invalid cancelkit configuration: {message}"),
        span.unwrap_or_else(|| SourceFile::new("", "", String::new()).span(0..0)),
    )
}

fn display_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The files to check (sorted, without the skipped ones), with their display names.
fn list_files(
    mut paths: Vec<PathBuf>,
    display_root: &Path,
    pkg_root: &Path,
    config: &Config,
) -> Vec<(PathBuf, String)> {
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| {
            let rel = p
                .strip_prefix(pkg_root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            !config.is_skipped(&rel)
        })
        .map(|p| {
            let display = display_path(&p, display_root);
            (p, display)
        })
        .collect()
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
