//! rustc-style text, rendered with annotate-snippets.

use annotate_snippets::{AnnotationKind, Group, Level as ALevel, Patch, Renderer, Snippet};

use super::Report;
use crate::config::Level;
use crate::finding::Finding;
use crate::source::SourceFile;

/// Renders one finding the way rustc would (no trailing newline).
pub fn render_finding(finding: &Finding, file: Option<&SourceFile>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let level = match finding.level {
        Level::Deny => ALevel::ERROR,
        Level::Warn | Level::Allow => ALevel::WARNING,
    };
    let code = finding.code();
    let title = level
        .primary_title(finding.message.as_str())
        .id(code.as_str());
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut main = match file {
        Some(file) => {
            let mut snippet = Snippet::source(file.text.as_str())
                .path(file.display.as_str())
                .annotation(
                    AnnotationKind::Primary
                        .span(finding.primary.span.range())
                        .label(finding.primary.label.as_deref()),
                );
            for a in &finding.secondary {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(a.span.range())
                        .label(a.label.as_deref()),
                );
            }
            title.element(snippet)
        }
        None => Group::with_title(title),
    };
    for note in &finding.notes {
        main = main.element(ALevel::NOTE.message(note.as_str()));
    }
    for help in &finding.help {
        main = main.element(ALevel::HELP.message(help.as_str()));
    }
    groups.push(main);
    if let Some(file) = file {
        for s in &finding.suggestions {
            let mut snippet = Snippet::source(file.text.as_str()).path(file.display.as_str());
            for e in &s.edits {
                snippet = snippet.patch(Patch::new(e.span.range(), e.replacement.as_str()));
            }
            groups.push(
                ALevel::HELP
                    .secondary_title(s.message.as_str())
                    .element(snippet),
            );
        }
    }
    renderer.render(&groups)
}

/// Renders every finding and a summary line.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&render_finding(f, report.file(&f.path), color));
        out.push_str("\n\n");
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Deny)
        .count();
    let warnings = report.findings.len() - errors;
    if !report.findings.is_empty() {
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(format!(
                "{errors} error{}",
                if errors == 1 { "" } else { "s" }
            ));
        }
        if warnings > 0 {
            parts.push(format!(
                "{warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            ));
        }
        out.push_str(&format!("cancelkit: {} emitted\n", parts.join(", ")));
    }
    out
}
