//! [`DownloadError`].

use std::path::PathBuf;

use super::ResumeData;
use crate::CancellationError;

/// Why a download did not produce a file.
///
/// Bad server behaviour is always one of these, never a panic. Failures after which resuming
/// can work — cancellation by
/// [`cancel_producing_resume_data`](super::Download::cancel_producing_resume_data), a dropped
/// connection, a short body, an error status to a resumed request — carry fresh
/// [`ResumeData`] ([`resume_data`](Self::resume_data)) and keep the temp file; every other
/// failure deletes it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The download's task was cancelled. `resume` is `Some` only after
    /// [`cancel_producing_resume_data`](super::Download::cancel_producing_resume_data), and
    /// only when resuming can work (S37).
    #[error("the download was cancelled")]
    Cancelled {
        /// Why the task was cancelled.
        #[source]
        cause: CancellationError,
        /// What a later download needs to continue.
        resume: Option<ResumeData>,
    },
    /// The URL does not parse, or is not `http`/`https`.
    #[error("invalid download URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No usable file name: the URL's path has no last segment that is a plain file name,
    /// or the name given to [`file_name`](super::DownloadBuilder::file_name) is not one.
    #[error("no usable file name ({0:?}); give one with DownloadBuilder::file_name")]
    FileName(String),
    /// The request failed or the connection dropped (reqwest's error says which).
    #[error("HTTP request failed")]
    Http {
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
        /// What a later download needs to continue, when it can.
        resume: Option<ResumeData>,
    },
    /// The server answered with a status the download cannot use.
    #[error("the server answered {status}")]
    Status {
        /// The status.
        status: reqwest::StatusCode,
        /// What a later download needs to continue, when it can (an error status to a
        /// resumed request leaves the bytes so far valid).
        resume: Option<ResumeData>,
    },
    /// The body ended cleanly before the announced length.
    #[error("the body ended after {received} of {expected} bytes")]
    ShortBody {
        /// Bytes on disk.
        received: u64,
        /// The resource's announced length.
        expected: u64,
        /// What a later download needs to continue, when it can.
        resume: Option<ResumeData>,
    },
    /// A `206` whose `Content-Range` does not continue the bytes on disk or whose total does
    /// not match the resource's length (S38).
    #[error(
        "Content-Range {} does not continue at byte {expected_start} of a resource of {}",
        found.as_deref().map_or_else(|| "(missing)".to_owned(), |found| format!("{found:?}")),
        expected_total.map_or_else(|| "unknown length".to_owned(), |total| format!("{total} bytes"))
    )]
    ContentRange {
        /// The byte the resumed request asked for.
        expected_start: u64,
        /// The length recorded for the resource, if known.
        expected_total: Option<u64>,
        /// The header received (`None` if missing or not text).
        found: Option<String>,
    },
    /// The server broke the protocol in another way (a `206` nobody asked for, a validator
    /// that changed under a `206`, more bytes than announced, …).
    #[error("invalid response from the server: {0}")]
    InvalidResponse(String),
    /// Resuming: the temp file is gone (S38). Opt into restarting with
    /// [`restart_if_temp_file_invalid`](super::DownloadBuilder::restart_if_temp_file_invalid).
    #[error("the temp file {path:?} is missing")]
    TempFileMissing {
        /// The temp file recorded in the resume data.
        path: PathBuf,
    },
    /// Resuming: the temp file is shorter or longer than the resume data recorded (S38).
    #[error("the temp file {path:?} holds {found} bytes; the resume data recorded {expected}")]
    TempFileLength {
        /// The temp file recorded in the resume data.
        path: PathBuf,
        /// The length recorded.
        expected: u64,
        /// The length found.
        found: u64,
    },
    /// The finished file's SHA-256 is not the expected one. The file is deleted.
    #[error("SHA-256 mismatch: expected {expected}, got {actual}")]
    Checksum {
        /// Expected digest, hex.
        expected: String,
        /// Digest of the bytes received, hex.
        actual: String,
    },
    /// A local file operation failed.
    #[error("I/O error on {path:?}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl DownloadError {
    /// The resume data this failure left, if resuming can work.
    #[must_use]
    pub fn resume_data(&self) -> Option<&ResumeData> {
        self.resume_slot().and_then(|slot| slot.as_ref())
    }

    /// Takes the resume data this failure left, if resuming can work.
    #[must_use]
    pub fn into_resume_data(mut self) -> Option<ResumeData> {
        self.resume_slot_mut().and_then(Option::take)
    }

    /// Whether the download was cancelled (rather than failed).
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        matches!(self, DownloadError::Cancelled { .. })
    }

    fn resume_slot(&self) -> Option<&Option<ResumeData>> {
        match self {
            DownloadError::Cancelled { resume, .. }
            | DownloadError::Http { resume, .. }
            | DownloadError::Status { resume, .. }
            | DownloadError::ShortBody { resume, .. } => Some(resume),
            _ => None,
        }
    }

    pub(crate) fn resume_slot_mut(&mut self) -> Option<&mut Option<ResumeData>> {
        match self {
            DownloadError::Cancelled { resume, .. }
            | DownloadError::Http { resume, .. }
            | DownloadError::Status { resume, .. }
            | DownloadError::ShortBody { resume, .. } => Some(resume),
            _ => None,
        }
    }
}

#[cfg(test)]
mod display_tests {
    use super::DownloadError;

    #[test]
    fn content_range_errors_print_values_not_options() {
        let err = DownloadError::ContentRange {
            expected_start: 500,
            expected_total: Some(1000),
            found: Some("bytes 0-999/1000".into()),
        };
        assert_eq!(
            err.to_string(),
            "Content-Range \"bytes 0-999/1000\" does not continue at byte 500 of a resource of \
             1000 bytes"
        );
        let err = DownloadError::ContentRange {
            expected_start: 500,
            expected_total: None,
            found: None,
        };
        assert_eq!(
            err.to_string(),
            "Content-Range (missing) does not continue at byte 500 of a resource of unknown length"
        );
    }
}
