//! Reading the response headers that decide whether and how a download can resume.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};

use super::resume::{Validator, is_strong_etag};

/// `Content-Range: bytes <first>-<last>/<complete>` or `bytes */<complete>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentRange {
    /// `(first, last)`, inclusive; `None` for the unsatisfied form `*/len`.
    pub(crate) range: Option<(u64, u64)>,
    /// The complete length, `None` for `*`.
    pub(crate) complete: Option<u64>,
}

pub(crate) fn content_range(headers: &HeaderMap) -> Option<ContentRange> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?.trim();
    let rest = value.strip_prefix("bytes ")?.trim_start();
    let (range, complete) = rest.split_once('/')?;
    let complete = match complete {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    let range = match range {
        "*" => None,
        r => {
            let (first, last) = r.split_once('-')?;
            let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
            if last < first || complete.is_some_and(|c| last >= c) {
                return None;
            }
            Some((first, last))
        }
    };
    Some(ContentRange { range, complete })
}

pub(crate) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The body is stored as sent; a content coding would make lengths and offsets describe
/// something else than the bytes a range request returns.
pub(crate) fn identity_encoded(headers: &HeaderMap) -> bool {
    headers.get_all(header::CONTENT_ENCODING).iter().all(|v| {
        v.to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
    })
}

pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn accepts_byte_ranges(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_RANGES)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|unit| unit.trim().eq_ignore_ascii_case("bytes"))
}

/// The validator to resume with, if this response allows resuming (S37): byte ranges
/// (`ranges_seen`: the server already answered one; else it must advertise
/// `Accept-Ranges: bytes`), identity encoding, and a strong `ETag` or, when there is no ETag
/// at all, a `Last-Modified` at least a second older than `Date` (RFC 9110 §8.8.2.2, §13.1.5:
/// an If-Range date must be a strong validator, and never stand in for an entity tag).
pub(crate) fn resume_validator(headers: &HeaderMap, ranges_seen: bool) -> Option<Validator> {
    if !(ranges_seen || accepts_byte_ranges(headers)) || !identity_encoded(headers) {
        return None;
    }
    if let Some(etag) = headers.get(header::ETAG) {
        let etag = etag.to_str().ok()?.trim();
        return is_strong_etag(etag).then(|| Validator::ETag(etag.to_owned()));
    }
    let last_modified = header_text(headers, header::LAST_MODIFIED)?;
    let modified = httpdate::parse_http_date(last_modified.trim()).ok()?;
    let date = httpdate::parse_http_date(headers.get(header::DATE)?.to_str().ok()?.trim()).ok()?;
    (date.duration_since(modified).ok()? >= Duration::from_secs(1))
        .then(|| Validator::LastModified(last_modified.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn parses_content_range() {
        let cr = |v| content_range(&headers(&[("content-range", v)]));
        assert_eq!(
            cr("bytes 5-9/10"),
            Some(ContentRange {
                range: Some((5, 9)),
                complete: Some(10)
            })
        );
        assert_eq!(
            cr("bytes */10"),
            Some(ContentRange {
                range: None,
                complete: Some(10)
            })
        );
        assert_eq!(cr("bytes 9-5/10"), None);
        assert_eq!(cr("bytes 5-10/10"), None);
        assert_eq!(cr("items 5-9/10"), None);
        assert_eq!(cr("bytes 5-9"), None);
        assert_eq!(cr("bytes -5-9/10"), None);
    }

    #[test]
    fn validator_rules() {
        let date = "Sat, 21 Nov 2026 10:00:00 GMT";
        let older = "Sat, 21 Nov 2026 09:00:00 GMT";
        let v = |pairs: &[(&'static str, &'static str)]| resume_validator(&headers(pairs), false);
        assert_eq!(
            v(&[("accept-ranges", "bytes"), ("etag", "\"a\"")]),
            Some(Validator::ETag("\"a\"".into()))
        );
        assert_eq!(v(&[("accept-ranges", "none"), ("etag", "\"a\"")]), None);
        assert_eq!(v(&[("etag", "\"a\"")]), None);
        // A weak tag is never used, and a date never stands in for a tag.
        assert_eq!(
            v(&[
                ("accept-ranges", "bytes"),
                ("etag", "W/\"a\""),
                ("last-modified", older),
                ("date", date)
            ]),
            None
        );
        assert_eq!(
            v(&[
                ("accept-ranges", "bytes"),
                ("last-modified", older),
                ("date", date)
            ]),
            Some(Validator::LastModified(older.into()))
        );
        // Modified in the same second as the response: weak.
        assert_eq!(
            v(&[
                ("accept-ranges", "bytes"),
                ("last-modified", date),
                ("date", date)
            ]),
            None
        );
        assert_eq!(
            v(&[("accept-ranges", "bytes"), ("last-modified", older)]),
            None
        );
        assert_eq!(
            v(&[
                ("accept-ranges", "bytes"),
                ("etag", "\"a\""),
                ("content-encoding", "gzip")
            ]),
            None
        );
    }
}
