//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

use serde_json::{Value, json};

use super::Report;
use crate::config::Level;
use crate::rules::Rule;

/// The whole SARIF log as one JSON document.
pub fn render(report: &Report) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": format!("cancelkit::{}", r.name()),
                "name": r.name(),
                "shortDescription": { "text": r.summary() },
                "defaultConfiguration": { "level": "warning" },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let uri = report.file(&f.path).map_or_else(|| f.path.display().to_string(), |s| s.display.clone());
            let uri = uri.replace('\\', "/");
            let location = |span: &crate::source::SourceSpan, message: Option<&str>| {
                let mut loc = json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
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
                            "artifactLocation": { "uri": uri },
                            "replacements": s.edits.iter().map(|e| json!({
                                "deletedRegion": { "charOffset": e.span.byte_start, "charLength": e.span.byte_end - e.span.byte_start },
                                "insertedContent": { "text": e.replacement },
                            })).collect::<Vec<_>>(),
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
                "informationUri": "https://example.invalid/cancelkit",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
