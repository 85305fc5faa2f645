//! Findings as plain data: what the analysis produces and every renderer consumes.

use std::path::PathBuf;

use serde::Serialize;

use crate::rule::Level;
use crate::rule::Rule;
use crate::source::SourceSpan;

/// A span with an optional label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    /// Where.
    pub span: SourceSpan,
    /// What to say there.
    pub label: Option<String>,
}

/// How sure a suggestion is, with rustc's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Applicability {
    /// Safe to apply automatically (`--fix` applies it).
    MachineApplicable,
    /// Probably right, but may not compile or may change meaning.
    MaybeIncorrect,
    /// Contains placeholders.
    HasPlaceholders,
}

impl Applicability {
    /// rustc's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "MachineApplicable",
            Applicability::MaybeIncorrect => "MaybeIncorrect",
            Applicability::HasPlaceholders => "HasPlaceholders",
        }
    }
}

/// One text replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The replaced region (empty for an insertion).
    pub span: SourceSpan,
    /// The new text.
    pub replacement: String,
}

/// A suggested fix: a message and the edits that make it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The `help:` line.
    pub message: String,
    /// The edits (all in the finding's file).
    pub edits: Vec<Edit>,
    /// How safe it is to apply.
    pub applicability: Applicability,
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule that produced it.
    pub rule: Rule,
    /// Its configured level (never `Allow`: allowed findings are dropped).
    pub level: Level,
    /// The file.
    pub path: PathBuf,
    /// The headline.
    pub message: String,
    /// The primary span (the loop head for `uncancellable_loop`).
    pub primary: Annotation,
    /// Further labelled spans (the path that skips the check).
    pub secondary: Vec<Annotation>,
    /// `note:` lines.
    pub notes: Vec<String>,
    /// `help:` lines without code.
    pub help: Vec<String>,
    /// Suggested fixes.
    pub suggestions: Vec<Suggestion>,
}

impl Finding {
    /// A finding of `rule` at its default level, with a headline and a primary span; add the
    /// rest with the builder methods below.
    ///
    /// ```
    /// use cargo_cancelkit::{Finding, Rule, SourceFile};
    ///
    /// let file = SourceFile::new("a.rs", "a.rs", "loop {}".to_string());
    /// let f = Finding::new(Rule::UncancellableLoop, &file.path, "a message", file.span(0..4))
    ///     .label("here")
    ///     .note("a note");
    /// assert_eq!(f.notes, ["a note"]);
    /// ```
    pub fn new(
        rule: Rule,
        path: impl Into<PathBuf>,
        message: impl Into<String>,
        span: SourceSpan,
    ) -> Self {
        Finding {
            rule,
            level: rule.default_level(),
            path: path.into(),
            message: message.into(),
            primary: Annotation { span, label: None },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            suggestions: Vec::new(),
        }
    }

    /// Labels the primary span.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.primary.label = Some(label.into());
        self
    }

    /// Adds a labelled secondary span.
    pub fn secondary(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.secondary.push(Annotation {
            span,
            label: Some(label.into()),
        });
        self
    }

    /// Adds a `note:` line.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Adds a `help:` line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Adds a suggested fix.
    pub fn suggestion(mut self, suggestion: Suggestion) -> Self {
        self.suggestions.push(suggestion);
        self
    }

    /// The diagnostic code, e.g. `cancelkit::uncancellable_loop`.
    pub fn code(&self) -> String {
        format!("cancelkit::{}", self.rule.name())
    }
}
