//! Rendering findings: rustc-style text ([`human`]), cargo's JSON messages ([`json`]), SARIF
//! ([`sarif`]).

pub mod human;
pub mod json;
pub mod sarif;

use std::path::Path;

use crate::finding::Finding;
use crate::source::SourceFile;

/// The findings of a run together with the files they point into.
#[derive(Debug, Default)]
pub struct Report {
    /// Every file that was checked (and manifests that configuration problems point into).
    pub files: Vec<SourceFile>,
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The file a finding points into.
    pub fn file(&self, path: &Path) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }
}
