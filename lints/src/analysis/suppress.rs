//! `// cancelkit: allow(rule, ...)` comments.
//!
//! A comment silences a loop when it is on the loop's first line or on the comment/attribute
//! lines directly above it; it silences a whole function when it is on the lines directly above
//! the function (among its attributes and doc comments) or on the line of the `fn` itself.

use std::collections::HashMap;

use crate::rule::Rule;
use crate::source::SourceFile;

/// The allow comments of one file, by 0-based line.
#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    by_line: HashMap<usize, Vec<Rule>>,
    all: Vec<usize>,
    /// Unknown rule names: (byte range of the name, name).
    pub(crate) unknown: Vec<(std::ops::Range<usize>, String)>,
}

const MARKER: &str = "cancelkit:";

impl Suppressions {
    pub(crate) fn scan(file: &SourceFile) -> Self {
        let mut s = Suppressions::default();
        if !file.text.contains(MARKER) {
            return s;
        }
        for line in 0..file.line_count() {
            let text = file.line_text(line);
            let Some(comment_at) = comment_start(text) else {
                continue;
            };
            let comment = &text[comment_at + 2..];
            let trimmed = comment.trim_start_matches(['/', '!']).trim_start();
            let Some(rest) = trimmed.strip_prefix(MARKER) else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(args) = rest.strip_prefix("allow(") else {
                continue;
            };
            let Some(close) = args.find(')') else {
                continue;
            };
            let args_offset = file.line_start(line) + (text.len() - args.len());
            let mut pos = 0;
            for name in args[..close].split(',') {
                let start = args_offset + pos + (name.len() - name.trim_start().len());
                pos += name.len() + 1;
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                if name == "all" {
                    s.all.push(line);
                    continue;
                }
                match Rule::from_name(name) {
                    Some(rule) => s.by_line.entry(line).or_default().push(rule),
                    None => s
                        .unknown
                        .push((start..start + name.len(), name.to_string())),
                }
            }
        }
        s
    }

    fn allows_line(&self, line: usize, rule: Rule) -> bool {
        self.all.contains(&line) || self.by_line.get(&line).is_some_and(|r| r.contains(&rule))
    }

    /// Whether `rule` is allowed for a construct whose first line is `first` and whose "head"
    /// line (the line with `loop`/`fn`) is `head`: any line in `first..=head`, and the
    /// comment/attribute lines directly above `first`.
    pub(crate) fn allows(&self, file: &SourceFile, first: usize, head: usize, rule: Rule) -> bool {
        if self.by_line.is_empty() && self.all.is_empty() {
            return false;
        }
        if (first..=head.max(first)).any(|l| self.allows_line(l, rule)) {
            return true;
        }
        let mut line = first;
        while line > 0 {
            line -= 1;
            let t = file.line_text(line).trim_start();
            if !(t.starts_with("//") || t.starts_with("#[") || t.starts_with("#![")) {
                break;
            }
            if self.allows_line(line, rule) {
                return true;
            }
        }
        false
    }
}

/// Where a `//` comment starts on a line, skipping `//` inside a string literal on that line
/// (line-local: an odd number of unescaped quotes before it means "inside a string").
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes[i + 1] == b'/' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::comment_start;

    #[test]
    fn comments_inside_strings_are_not_comments() {
        assert_eq!(comment_start("loop { // x"), Some(7));
        assert_eq!(comment_start(r#"let s = "a // b"; // c"#), Some(18));
        assert_eq!(comment_start(r#"let s = "a \" // b";"#), None);
        assert_eq!(comment_start("no comment"), None);
    }
}
