//! cargo's JSON messages: one `compiler-message` object per line, whose `message` follows
//! rustc's diagnostic schema (so rust-analyzer, clippy-sarif and friends accept it).

use serde_json::{Value, json};

use super::Report;
use super::human::render_finding;
use crate::finding::{Annotation, Finding};
use crate::source::{SourceFile, SourceSpan};

/// The cargo package and target a file belongs to (the `compiler-message` envelope).
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// Cargo's package id.
    pub package_id: String,
    /// The package's manifest.
    pub manifest_path: String,
    /// The target, in cargo's JSON shape.
    pub target: Value,
}

/// One JSON line per finding.
pub fn render(
    report: &Report,
    envelope: &dyn Fn(&Finding) -> Envelope,
    color: bool,
) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let env = envelope(f);
            json!({
                "reason": "compiler-message",
                "package_id": env.package_id,
                "manifest_path": env.manifest_path,
                "target": env.target,
                "message": diagnostic(f, report.file(&f.path), color),
            })
            .to_string()
        })
        .collect()
}

/// The rustc diagnostic object for one finding.
pub fn diagnostic(f: &Finding, file: Option<&SourceFile>, color: bool) -> Value {
    let name = file.map_or_else(|| f.path.display().to_string(), |s| s.display.clone());
    let mut spans = vec![span(file, &name, &f.primary, true, None)];
    spans.extend(
        f.secondary
            .iter()
            .map(|a| span(file, &name, a, false, None)),
    );
    let mut children: Vec<Value> = Vec::new();
    for n in &f.notes {
        children.push(child("note", n, Vec::new()));
    }
    for h in &f.help {
        children.push(child("help", h, Vec::new()));
    }
    for s in &f.suggestions {
        let spans = s
            .edits
            .iter()
            .map(|e| {
                let a = Annotation {
                    span: e.span,
                    label: None,
                };
                span(
                    file,
                    &name,
                    &a,
                    true,
                    Some((e.replacement.as_str(), s.applicability.as_str())),
                )
            })
            .collect();
        children.push(child("help", &s.message, spans));
    }
    json!({
        "$message_type": "diagnostic",
        "message": f.message,
        "code": { "code": f.code(), "explanation": f.rule.explanation() },
        "level": f.level.rustc_name(),
        "spans": spans,
        "children": children,
        "rendered": format!("{}\n\n", render_finding(f, file, color)),
    })
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({ "message": message, "code": null, "level": level, "spans": spans, "children": [], "rendered": null })
}

fn span(
    file: Option<&SourceFile>,
    name: &str,
    a: &Annotation,
    primary: bool,
    suggestion: Option<(&str, &str)>,
) -> Value {
    let SourceSpan {
        byte_start,
        byte_end,
        line_start,
        line_end,
        column_start,
        column_end,
    } = a.span;
    let text: Vec<Value> = match file {
        Some(file) => (line_start..=line_end)
            .map(|line| {
                let t = file.line_text(line - 1);
                let len = t.chars().count() + 1;
                let hs = if line == line_start { column_start } else { 1 };
                let he = if line == line_end { column_end } else { len };
                json!({ "text": t, "highlight_start": hs, "highlight_end": he })
            })
            .collect(),
        None => Vec::new(),
    };
    json!({
        "file_name": name,
        "byte_start": byte_start,
        "byte_end": byte_end,
        "line_start": line_start,
        "line_end": line_end,
        "column_start": column_start,
        "column_end": column_end,
        "is_primary": primary,
        "text": text,
        "label": a.label,
        "suggested_replacement": suggestion.map(|s| s.0),
        "suggestion_applicability": suggestion.map(|s| s.1),
        "expansion": null,
    })
}
