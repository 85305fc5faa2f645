//! `--fix`: applies machine-applicable suggestions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::finding::{Applicability, Edit, Finding};

/// The new text of every file that has machine-applicable suggestions. `read` gives a file's
/// current text. Per finding, only the first machine-applicable suggestion is used; an edit
/// overlapping one already taken is skipped (a second run picks it up).
pub fn plan(
    findings: &[Finding],
    read: &dyn Fn(&std::path::Path) -> Option<String>,
) -> BTreeMap<PathBuf, (String, usize)> {
    let mut edits: BTreeMap<PathBuf, Vec<Vec<&Edit>>> = BTreeMap::new();
    for f in findings {
        if let Some(s) = f
            .suggestions
            .iter()
            .find(|s| s.applicability == Applicability::MachineApplicable)
        {
            edits
                .entry(f.path.clone())
                .or_default()
                .push(s.edits.iter().collect());
        }
    }
    let mut out = BTreeMap::new();
    for (path, groups) in edits {
        let Some(mut text) = read(&path) else {
            continue;
        };
        let mut taken: Vec<(usize, usize, &Edit)> = Vec::new();
        let mut applied = 0;
        for group in groups {
            let overlaps = group.iter().any(|e| {
                taken.iter().any(|(s, end, _)| {
                    e.span.byte_start < *end && *s < e.span.byte_end
                        || (e.span.byte_start == *s && e.span.byte_end == *end)
                })
            });
            if overlaps {
                continue;
            }
            applied += 1;
            taken.extend(
                group
                    .iter()
                    .map(|e| (e.span.byte_start, e.span.byte_end, *e)),
            );
        }
        taken.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        for (start, end, e) in taken {
            if end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end) {
                text.replace_range(start..end, &e.replacement);
            }
        }
        out.insert(path, (text, applied));
    }
    out
}
