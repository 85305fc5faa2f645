//! Source files and positions: byte offsets to 1-based line and column numbers.

use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

/// One Rust source file as read from disk (or handed in by a test).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path used to read the file.
    pub path: PathBuf,
    /// The path shown in diagnostics (relative to the workspace root when possible).
    pub display: String,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text; `display` is the name shown in diagnostics.
    pub fn new(path: impl Into<PathBuf>, display: impl Into<String>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            display: display.into(),
            text,
            line_starts,
        }
    }

    /// The 0-based line that contains byte offset `byte`.
    pub fn line_of(&self, byte: usize) -> usize {
        match self.line_starts.binary_search(&byte) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The text of the 0-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset where 0-based line `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Turns a byte range into a [`SourceSpan`] (clamped to the file, snapped to char boundaries).
    pub fn span(&self, range: Range<usize>) -> SourceSpan {
        let clamp = |mut b: usize| {
            b = b.min(self.text.len());
            while !self.text.is_char_boundary(b) {
                b -= 1;
            }
            b
        };
        let start = clamp(range.start);
        let end = clamp(range.end.max(range.start));
        let (line_start, column_start) = self.line_col(start);
        let (line_end, column_end) = self.line_col(end);
        SourceSpan {
            byte_start: start,
            byte_end: end,
            line_start,
            line_end,
            column_start,
            column_end,
        }
    }

    /// 1-based line and 1-based column (in chars) of a byte offset.
    fn line_col(&self, byte: usize) -> (usize, usize) {
        let line = self.line_of(byte);
        let start = self.line_starts[line];
        let col = self.text.get(start..byte).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// A region of a source file, in both byte offsets and 1-based line/column numbers (columns count
/// chars, as rustc's JSON does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceSpan {
    /// Byte offset of the first byte.
    pub byte_start: usize,
    /// Byte offset one past the last byte.
    pub byte_end: usize,
    /// 1-based line of the start.
    pub line_start: usize,
    /// 1-based line of the end.
    pub line_end: usize,
    /// 1-based column (chars) of the start.
    pub column_start: usize,
    /// 1-based column (chars) of the end.
    pub column_end: usize,
}

impl SourceSpan {
    /// The byte range.
    pub fn range(&self) -> Range<usize> {
        self.byte_start..self.byte_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let f = SourceFile::new("a.rs", "a.rs", "ab\nçd\n".to_string());
        let s = f.span(5..6);
        assert_eq!(
            (s.line_start, s.column_start, s.line_end, s.column_end),
            (2, 2, 2, 3)
        );
        assert_eq!(f.line_text(1), "çd");
        // Out of range and inside a char are clamped, never a panic.
        let s = f.span(4..100);
        assert_eq!(s.byte_end, 7);
    }
}
