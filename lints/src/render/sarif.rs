//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! Paths are relative to the repository root and declare it as the `uriBaseId` `SRCROOT`
//! (whose absolute URI is given in `originalUriBaseIds`); a file outside the repository gets
//! an absolute `file://` URI. Columns and character offsets count Unicode code points, as
//! `columnKind: "unicodeCodePoints"` declares.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Report;
use crate::config::Level;
use crate::rule::Rule;
use crate::source::{SourceFile, SourceSpan};

/// The `uriBaseId` of the repository root.
pub const SRCROOT: &str = "SRCROOT";

/// The whole SARIF log as one JSON document; `repo_root` is the directory paths are made
/// relative to (the repository root).
pub fn render(report: &Report, repo_root: &Path) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": format!("cancelkit::{}", r.name()),
                "name": r.name(),
                "shortDescription": { "text": r.summary() },
                "helpUri": format!("https://docs.rs/cargo-cancelkit/latest/cargo_cancelkit/rules/{}/index.html", r.name()),
                "defaultConfiguration": { "level": "warning" },
            })
        })
        .collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let artifact = artifact_location(&f.path, repo_root, &cwd);
            let file = report.file(&f.path);
            let location = |span: &SourceSpan, message: Option<&str>| {
                let mut loc = json!({
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {
                            "startLine": span.line_start,
                            "startColumn": span.column_start,
                            "endLine": span.line_end,
                            "endColumn": span.column_end,
                        }
                    }
                });
                if let Some(m) = message {
                    loc["message"] = json!({ "text": m });
                }
                loc
            };
            let mut text = f.message.clone();
            if let Some(l) = &f.primary.label {
                text = format!("{text}: {l}");
            }
            let fixes: Vec<Value> = f
                .suggestions
                .iter()
                .map(|s| {
                    json!({
                        "description": { "text": s.message },
                        "artifactChanges": [{
                            "artifactLocation": artifact,
                            "replacements": s.edits.iter().map(|e| {
                                let (offset, length) = chars(file, &e.span);
                                json!({
                                    "deletedRegion": { "charOffset": offset, "charLength": length },
                                    "insertedContent": { "text": e.replacement },
                                })
                            }).collect::<Vec<_>>(),
                        }],
                    })
                })
                .collect();
            json!({
                "ruleId": f.code(),
                "level": if f.level == Level::Deny { "error" } else { "warning" },
                "message": { "text": text },
                "locations": [location(&f.primary.span, None)],
                "relatedLocations": f.secondary.iter().enumerate().map(|(i, a)| {
                    let mut l = location(&a.span, a.label.as_deref());
                    l["id"] = json!(i + 1);
                    l
                }).collect::<Vec<_>>(),
                "fixes": fixes,
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo-cancelkit",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://docs.rs/cargo-cancelkit",
                "rules": rules,
            }},
            "originalUriBaseIds": {
                SRCROOT: { "uri": file_uri(repo_root, true) },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// `{ uri, uriBaseId }` relative to the repository root, or an absolute `file://` URI.
fn artifact_location(path: &Path, repo_root: &Path, cwd: &Path) -> Value {
    let absolute: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    match absolute.strip_prefix(repo_root) {
        Ok(rel) => {
            json!({ "uri": encode(&rel.to_string_lossy().replace('\\', "/")), "uriBaseId": SRCROOT })
        }
        Err(_) => json!({ "uri": file_uri(&absolute, false) }),
    }
}

fn file_uri(path: &Path, dir: bool) -> String {
    let mut p = path.to_string_lossy().replace('\\', "/");
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    if dir && !p.ends_with('/') {
        p.push('/');
    }
    format!("file://{}", encode(&p))
}

/// Percent-encodes what may not appear in a URI path.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A span's offset and length in code points (SARIF's characters under `unicodeCodePoints`).
fn chars(file: Option<&SourceFile>, span: &SourceSpan) -> (usize, usize) {
    let Some(text) = file.map(|f| f.text.as_str()) else {
        return (span.byte_start, span.byte_end - span.byte_start);
    };
    let count = |r: std::ops::Range<usize>| text.get(r).map_or(0, |s| s.chars().count());
    (
        count(0..span.byte_start),
        count(span.byte_start..span.byte_end),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_code_points_and_paths_are_repository_relative() {
        let file = SourceFile::new("/repo/ws/src/é.rs", "src/é.rs", "// é\nloop {}".into());
        let span = file.span(6..10);
        assert_eq!(chars(Some(&file), &span), (5, 4));
        let loc = artifact_location(
            Path::new("/repo/ws/src/é.rs"),
            Path::new("/repo"),
            Path::new("/"),
        );
        assert_eq!(loc["uri"], "ws/src/%C3%A9.rs");
        assert_eq!(loc["uriBaseId"], SRCROOT);
        let outside = artifact_location(
            Path::new("/elsewhere/a.rs"),
            Path::new("/repo"),
            Path::new("/"),
        );
        assert_eq!(outside["uri"], "file:///elsewhere/a.rs");
    }
}
