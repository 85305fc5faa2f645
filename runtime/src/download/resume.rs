//! [`ResumeData`]: what a later download needs to continue where a cancelled one stopped.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Marks the bytes as ours, so that unrelated JSON is rejected with a clear error.
const FORMAT: &str = "cancelkit-download-resume";
/// The format version this build writes and reads.
pub(crate) const VERSION: u32 = 1;

/// What a later download needs to continue a cancelled one with a byte-range request (S36):
/// the URL to ask (after redirects), the temp file holding the bytes so far and how many of
/// them there are, the validator that proves the resource has not changed, and where the
/// finished file goes.
///
/// Produced by [`Download::cancel_producing_resume_data`](super::Download::cancel_producing_resume_data)
/// and carried by interrupted downloads' errors
/// ([`DownloadError::resume_data`](super::DownloadError::resume_data)); only when resuming
/// can work (S37). Consumed by [`Download::resume`](super::Download::resume).
///
/// It serialises to bytes and back ([`to_bytes`](Self::to_bytes),
/// [`from_bytes`](Self::from_bytes)) so that another process may resume. The bytes are a small
/// JSON document with a `format` tag and a `version`; other input is rejected with a
/// [`ResumeDataError`], never a panic.
///
/// ```
/// use cancelkit::download::{ResumeData, ResumeDataError};
///
/// assert!(matches!(
///     ResumeData::from_bytes(br#"{"format":"cancelkit-download-resume","version":99}"#),
///     Err(ResumeDataError::UnknownVersion { found: 99, .. })
/// ));
/// assert!(matches!(ResumeData::from_bytes(b"\x00garbage"), Err(ResumeDataError::Corrupt(_))));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ResumeData {
    // Boxed: errors carry an `Option<ResumeData>` and should stay small.
    inner: Box<Stored>,
}

/// The validator that proves the bytes so far belong to the version of the resource a resumed
/// request gets; sent in `If-Range`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Validator {
    /// A strong entity tag, quotes included (`"abc"`). Weak tags (`W/"abc"`) are never used.
    ETag(String),
    /// A `Last-Modified` date the server's `Date` shows to be a strong validator (at least one
    /// second older than the response), as the server wrote it.
    LastModified(String),
}

impl Validator {
    /// The value to send in `If-Range`.
    #[must_use]
    pub fn header_value(&self) -> &str {
        match self {
            Validator::ETag(v) | Validator::LastModified(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: String,
    version: u32,
    url: String,
    destination: String,
    temp_file: String,
    offset: u64,
    total: Option<u64>,
    validator: Validator,
    sha256: Option<String>,
}

/// Why bytes could not be read back as [`ResumeData`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeDataError {
    /// The bytes are not a well-formed resume-data document.
    #[error("resume data is corrupt")]
    Corrupt(#[source] serde_json::Error),
    /// Well-formed JSON, but not cancelkit resume data.
    #[error("these bytes are not cancelkit download resume data")]
    NotResumeData,
    /// Written by a different version of the format.
    #[error("resume data has format version {found}; this build reads version {supported}")]
    UnknownVersion {
        /// The version in the input.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// Well-formed, but its fields contradict each other or are out of range.
    #[error("resume data is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl ResumeData {
    /// `None` when a path is not UTF-8: the format stores paths as strings.
    pub(crate) fn new(
        url: &reqwest::Url,
        destination: &Path,
        temp_file: &Path,
        offset: u64,
        total: Option<u64>,
        validator: Validator,
        sha256: Option<[u8; 32]>,
    ) -> Option<Self> {
        Some(ResumeData {
            inner: Box::new(Stored {
                format: FORMAT.to_owned(),
                version: VERSION,
                url: url.as_str().to_owned(),
                destination: destination.to_str()?.to_owned(),
                temp_file: temp_file.to_str()?.to_owned(),
                offset,
                total,
                validator,
                sha256: sha256.map(|d| to_hex(&d)),
            }),
        })
    }

    /// Serialises to bytes (a small JSON document) that [`from_bytes`](Self::from_bytes) reads
    /// back, in this process or another.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&*self.inner)
            .expect("resume data holds only strings and integers, which always serialise")
    }

    /// Reads resume data written by [`to_bytes`](Self::to_bytes).
    ///
    /// # Errors
    ///
    /// [`ResumeDataError`] for input that is not JSON, not resume data, of another format
    /// version, or inconsistent.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ResumeDataError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(ResumeDataError::Corrupt)?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(ResumeDataError::NotResumeData);
        }
        match header.version {
            Some(VERSION) => {}
            Some(found) => {
                return Err(ResumeDataError::UnknownVersion {
                    found,
                    supported: VERSION,
                });
            }
            None => return Err(ResumeDataError::Inconsistent("no format version")),
        }
        let stored: Stored = serde_json::from_slice(bytes).map_err(ResumeDataError::Corrupt)?;
        let data = ResumeData {
            inner: Box::new(stored),
        };
        data.validate()?;
        Ok(data)
    }

    fn validate(&self) -> Result<(), ResumeDataError> {
        use ResumeDataError::Inconsistent;
        let s = &*self.inner;
        let url = reqwest::Url::parse(&s.url).map_err(|_| Inconsistent("invalid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Inconsistent("URL is not http or https"));
        }
        if !Path::new(&s.destination).is_absolute() || !Path::new(&s.temp_file).is_absolute() {
            return Err(Inconsistent("paths must be absolute"));
        }
        if s.total.is_some_and(|total| s.offset > total) {
            return Err(Inconsistent("offset is past the total length"));
        }
        match &s.validator {
            Validator::ETag(tag) if !is_strong_etag(tag) => {
                return Err(Inconsistent("ETag is not a strong entity tag"));
            }
            Validator::LastModified(date) if httpdate::parse_http_date(date).is_err() => {
                return Err(Inconsistent("Last-Modified is not an HTTP date"));
            }
            _ => {}
        }
        if s.sha256
            .as_deref()
            .is_some_and(|h| parse_hex32(h).is_none())
        {
            return Err(Inconsistent("sha256 is not 64 hex digits"));
        }
        Ok(())
    }

    /// The URL a resumed download asks: the final one, after redirects.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Where the finished file will be.
    #[must_use]
    pub fn destination(&self) -> &Path {
        Path::new(&self.inner.destination)
    }

    /// The temp file holding the bytes so far.
    #[must_use]
    pub fn temp_file(&self) -> &Path {
        Path::new(&self.inner.temp_file)
    }

    /// How many bytes the temp file holds (flushed to it before this was recorded).
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.inner.offset
    }

    /// The resource's total length, when the server told it.
    #[must_use]
    pub fn total(&self) -> Option<u64> {
        self.inner.total
    }

    /// The validator sent in `If-Range`.
    #[must_use]
    pub fn validator(&self) -> &Validator {
        &self.inner.validator
    }

    /// The SHA-256 the finished file must have, if the download was given one.
    #[must_use]
    pub fn expected_sha256(&self) -> Option<[u8; 32]> {
        self.inner.sha256.as_deref().and_then(parse_hex32)
    }

    /// Gives up on resuming: deletes the temp file. Not finding it is not an error.
    ///
    /// # Errors
    ///
    /// The I/O error from removing the file, other than "not found".
    pub async fn discard(self) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.temp_file()).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub(crate) fn destination_buf(&self) -> PathBuf {
        self.destination().to_path_buf()
    }
}

impl fmt::Debug for ResumeData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.inner;
        f.debug_struct("ResumeData")
            .field("url", &s.url)
            .field("destination", &s.destination)
            .field("temp_file", &s.temp_file)
            .field("offset", &s.offset)
            .field("total", &s.total)
            .field("validator", &s.validator)
            .finish_non_exhaustive()
    }
}

/// `"…"` with no quote inside: RFC 9110's strong `entity-tag`.
pub(crate) fn is_strong_etag(tag: &str) -> bool {
    tag.len() >= 2
        && tag.starts_with('"')
        && tag.ends_with('"')
        && !tag[1..tag.len() - 1].contains('"')
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(crate) fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResumeData {
        ResumeData::new(
            &reqwest::Url::parse("http://127.0.0.1:1/file.bin").unwrap(),
            Path::new("/tmp/file.bin"),
            Path::new("/tmp/.file.bin.0.part"),
            10,
            Some(20),
            Validator::ETag("\"v1\"".into()),
            Some([7; 32]),
        )
        .unwrap()
    }

    #[test]
    fn roundtrips_through_bytes() {
        let data = sample();
        let back = ResumeData::from_bytes(&data.to_bytes()).unwrap();
        assert_eq!(back, data);
        assert_eq!(back.expected_sha256(), Some([7; 32]));
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        let good = String::from_utf8(sample().to_bytes()).unwrap();
        type Expected = fn(&ResumeDataError) -> bool;
        let cases: [(&str, Expected); 6] = [
            ("", |e| matches!(e, ResumeDataError::Corrupt(_))),
            ("[1,2]", |e| matches!(e, ResumeDataError::Corrupt(_))),
            ("{\"a\":1}", |e| matches!(e, ResumeDataError::NotResumeData)),
            (
                "{\"format\":\"cancelkit-download-resume\",\"version\":2}",
                |e| matches!(e, ResumeDataError::UnknownVersion { found: 2, .. }),
            ),
            (
                "{\"format\":\"cancelkit-download-resume\",\"version\":1}",
                |e| matches!(e, ResumeDataError::Corrupt(_)),
            ),
            (&good[..good.len() / 2], |e| {
                matches!(e, ResumeDataError::Corrupt(_))
            }),
        ];
        for (input, expected) in cases {
            let err = ResumeData::from_bytes(input.as_bytes()).unwrap_err();
            assert!(expected(&err), "{input:?} gave {err:?}");
        }
        let weak = good.replace("\\\"v1\\\"", "W/\\\"v1\\\"");
        assert!(matches!(
            ResumeData::from_bytes(weak.as_bytes()),
            Err(ResumeDataError::Inconsistent(_))
        ));
        let past_end = good.replace("\"offset\": 10", "\"offset\": 30");
        assert!(matches!(
            ResumeData::from_bytes(past_end.as_bytes()),
            Err(ResumeDataError::Inconsistent(_))
        ));
    }

    #[test]
    fn strong_etags() {
        assert!(is_strong_etag("\"abc\""));
        assert!(is_strong_etag("\"\""));
        assert!(!is_strong_etag("W/\"abc\""));
        assert!(!is_strong_etag("abc"));
        assert!(!is_strong_etag("\""));
    }
}
