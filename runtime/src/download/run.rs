//! The body of a download task: request, stream to the temp file, finish or leave resume data.

use std::hash::{BuildHasher, RandomState};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::header;
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};
use tokio::fs::{File, OpenOptions};
use tokio::sync::watch;

use super::headers::{self, ContentRange};
use super::resume::{ResumeData, Validator, to_hex};
use super::writer::FileWriter;
use super::{DownloadError, Downloaded, Progress};
use crate::{CancelToken, CancellationError};

/// Read size when hashing the bytes kept from before a resume.
const READ_BUFFER: usize = 1 << 20;

pub(crate) enum Start {
    Fresh {
        url: String,
        dir: PathBuf,
        file_name: Option<String>,
    },
    Resume(ResumeData),
}

pub(crate) struct Config {
    pub(crate) start: Start,
    pub(crate) client: Option<reqwest::Client>,
    pub(crate) sha256: Option<[u8; 32]>,
    pub(crate) restart_if_temp_file_invalid: bool,
    pub(crate) sync_before_rename: bool,
}

/// How a stop is cleaned up.
enum Stop {
    /// Cancelled: leave resume data if the canceller asked for it.
    Cancelled(CancellationError),
    /// A failure after which the bytes so far are still good: leave resume data if possible.
    Resumable(DownloadError),
    /// A failure that makes the bytes so far useless: delete them.
    Fatal(DownloadError),
    /// The re-read overlap differs from the bytes on disk: the resource changed under an
    /// unchanged validator. Start over.
    Changed,
}

/// How many bytes before the offset a resume asks for again, to compare them with the bytes on
/// disk (S38): a resource that changed while its validator did not (nginx's ETag is mtime plus
/// size) is then never finished as a mix of two versions.
const OVERLAP: u64 = 64 * 1024;

struct Job {
    client: reqwest::Client,
    token: CancelToken,
    url: Url,
    destination: PathBuf,
    temp: PathBuf,
    file: FileWriter<bytes::Bytes>,
    /// Bytes handed to `file` (on disk once it is flushed).
    written: u64,
    /// The resource's length, when announced.
    total: Option<u64>,
    /// `Some` exactly when the bytes so far can be resumed (S37).
    validator: Option<Validator>,
    expected_sha256: Option<[u8; 32]>,
    hasher: Option<Sha256>,
    resumed_from: Option<u64>,
    restarts: u32,
    /// Bytes at the start of a resumed body that repeat what is on disk, still to compare.
    verify: u64,
    sync_before_rename: bool,
    progress: watch::Sender<Progress>,
}

pub(crate) async fn run(
    config: Config,
    progress: watch::Sender<Progress>,
    keep_resume_data: Arc<AtomicBool>,
) -> Result<Downloaded, DownloadError> {
    let mut job = Job::prepare(config, progress).await?;
    match job.transfer().await {
        Ok(()) => job.finish().await,
        Err(stop) => {
            let (mut error, keep) = match stop {
                Stop::Cancelled(cause) => (
                    DownloadError::Cancelled {
                        cause,
                        resume: None,
                    },
                    keep_resume_data.load(Ordering::SeqCst),
                ),
                Stop::Resumable(error) => (error, true),
                Stop::Fatal(error) => (error, false),
                // `transfer` restarts on it; kept total so that no path can panic.
                Stop::Changed => (
                    DownloadError::InvalidResponse(
                        "the resource changed under an unchanged validator".into(),
                    ),
                    false,
                ),
            };
            let resume = if keep { job.resume_data().await } else { None };
            if resume.is_none() {
                job.delete_temp().await;
            }
            if let Some(slot) = error.resume_slot_mut() {
                *slot = resume;
            }
            Err(error)
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parse_url(url: &str) -> Result<Url, DownloadError> {
    let invalid = |reason: String| DownloadError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("only http and https are supported".into()));
    }
    Ok(parsed)
}

/// A plain file name: one normal path component.
fn checked_file_name(name: &str) -> Result<&str, DownloadError> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(std::path::Component::Normal(_)), None) if !name.contains(['/', '\\']) => Ok(name),
        _ => Err(DownloadError::FileName(name.to_owned())),
    }
}

/// Creates a new, uniquely named temp file next to the destination, so that the final rename
/// stays on one file system and is atomic.
async fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), DownloadError> {
    let random = RandomState::new();
    let mut last_error = None;
    for attempt in 0u64..16 {
        let path = dir.join(format!(".{name}.{:016x}.part", random.hash_one(attempt)));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(io_error(dir)(e)),
        }
    }
    Err(io_error(dir)(last_error.expect("the loop ran")))
}

impl Job {
    async fn prepare(
        config: Config,
        progress: watch::Sender<Progress>,
    ) -> Result<Job, DownloadError> {
        let client = match config.client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .build()
                .map_err(|source| DownloadError::Http {
                    source,
                    resume: None,
                })?,
        };
        let token = crate::current_token().unwrap_or_default();
        let mut restarts = 0;
        let mut written = 0;
        let (url, destination, temp, file, total, validator, sha256) = match config.start {
            Start::Fresh {
                url,
                dir,
                file_name,
            } => {
                let url = parse_url(&url)?;
                let name = match &file_name {
                    Some(name) => checked_file_name(name)?,
                    None => url
                        .path_segments()
                        .and_then(|mut segments| segments.next_back())
                        .ok_or_else(|| DownloadError::FileName(String::new()))
                        .and_then(checked_file_name)?,
                }
                .to_owned();
                let name = name.as_str();
                let dir = std::path::absolute(&dir).map_err(io_error(&dir))?;
                let (temp, file) = create_temp(&dir, name).await?;
                (url, dir.join(name), temp, file, None, None, config.sha256)
            }
            Start::Resume(data) => {
                let url = parse_url(data.url())?;
                let temp = data.temp_file().to_path_buf();
                let mut total = data.total();
                let mut validator = Some(data.validator().clone());
                let opened = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(config.restart_if_temp_file_invalid)
                    .open(&temp)
                    .await;
                let file = match opened {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(DownloadError::TempFileMissing { path: temp });
                    }
                    Err(e) => return Err(io_error(&temp)(e)),
                };
                let found = file.metadata().await.map_err(io_error(&temp))?.len();
                written = data.offset();
                if found != written {
                    if !config.restart_if_temp_file_invalid {
                        return Err(DownloadError::TempFileLength {
                            path: temp,
                            expected: written,
                            found,
                        });
                    }
                    file.set_len(0).await.map_err(io_error(&temp))?;
                    (written, total, validator, restarts) = (0, None, None, 1);
                }
                let sha256 = config.sha256.or(data.expected_sha256());
                (
                    url,
                    data.destination_buf(),
                    temp,
                    file,
                    total,
                    validator,
                    sha256,
                )
            }
        };
        let mut job = Job {
            client,
            token,
            url,
            destination,
            temp,
            file: FileWriter::new(file.into_std().await),
            written,
            total,
            validator,
            expected_sha256: sha256,
            hasher: sha256.map(|_| Sha256::new()),
            resumed_from: None,
            restarts,
            verify: 0,
            sync_before_rename: config.sync_before_rename,
            progress,
        };
        if let Err(error) = job.seek_to_end().await {
            job.delete_temp().await;
            return Err(error);
        }
        job.report();
        Ok(job)
    }

    /// Positions the file after the bytes so far, hashing them if a checksum is expected.
    async fn seek_to_end(&mut self) -> Result<(), DownloadError> {
        use std::io::{Read, Seek};
        let written = self.written;
        let hasher = self.hasher.take();
        let hashed = self
            .file
            .blocking(move |file| {
                let mut hasher = hasher;
                if let Some(hasher) = &mut hasher {
                    file.seek(SeekFrom::Start(0))?;
                    let mut prefix = file.by_ref().take(written);
                    let mut buf = vec![0; READ_BUFFER];
                    loop {
                        match prefix.read(&mut buf)? {
                            0 => break,
                            n => hasher.update(&buf[..n]),
                        }
                    }
                    if prefix.limit() != 0 {
                        return Ok(Err(written - prefix.limit()));
                    }
                }
                file.seek(SeekFrom::Start(written))?;
                Ok(Ok(hasher))
            })
            .await
            .map_err(io_error(&self.temp))?;
        match hashed {
            Ok(hasher) => {
                self.hasher = hasher;
                Ok(())
            }
            Err(found) => Err(DownloadError::TempFileLength {
                path: self.temp.clone(),
                expected: written,
                found,
            }),
        }
    }

    fn report(&self) {
        self.progress.send_replace(Progress {
            received: self.written,
            total: self.total,
            restarts: self.restarts,
        });
    }

    /// Runs `fut` unless the task is cancelled first.
    async fn or_cancelled<T>(token: &CancelToken, fut: impl Future<Output = T>) -> Result<T, Stop> {
        tokio::select! {
            biased;
            cause = token.cancelled() => Err(Stop::Cancelled(cause)),
            value = fut => Ok(value),
        }
    }

    async fn transfer(&mut self) -> Result<(), Stop> {
        loop {
            let Some(response) = self.request().await? else {
                return Ok(());
            };
            match self.stream(response).await {
                // Changed under the same validator: what is on disk is another version.
                Err(Stop::Changed) => self.restart().await?,
                done => return done,
            }
        }
    }

    /// Sends the request (ranged when resuming) and checks the answer; `None` when the file on
    /// disk is already complete.
    async fn request(&mut self) -> Result<Option<reqwest::Response>, Stop> {
        loop {
            let resuming = self.written > 0 && self.validator.is_some();
            let mut request = self
                .client
                .get(self.url.clone())
                .header(header::ACCEPT_ENCODING, "identity");
            let start = self.written.saturating_sub(OVERLAP);
            if let (true, Some(validator)) = (resuming, &self.validator) {
                request = request
                    .header(header::RANGE, format!("bytes={start}-"))
                    .header(header::IF_RANGE, validator.header_value());
            }
            let response = Self::or_cancelled(&self.token, request.send())
                .await?
                .map_err(|source| {
                    Stop::Resumable(DownloadError::Http {
                        source,
                        resume: None,
                    })
                })?;
            // Redirects were followed: resume against where they led.
            self.url = response.url().clone();
            let status = response.status();
            match status {
                StatusCode::OK => {
                    if self.written > 0 {
                        // The resource changed, or the server ignores ranges: start over.
                        self.restart().await?;
                    }
                    let headers = response.headers();
                    self.total = headers::content_length(headers)
                        .filter(|_| headers::identity_encoded(headers));
                    self.validator = headers::resume_validator(headers, false);
                    self.report();
                    return Ok(Some(response));
                }
                StatusCode::PARTIAL_CONTENT if resuming => {
                    self.check_partial(&response, start)?;
                    self.verify = self.written - start;
                    self.resumed_from = Some(self.written);
                    self.report();
                    return Ok(Some(response));
                }
                StatusCode::RANGE_NOT_SATISFIABLE if resuming => {
                    let complete = headers::content_range(response.headers())
                        .filter(|cr| cr.range.is_none())
                        .and_then(|cr| cr.complete);
                    if complete == Some(self.written)
                        && self.total.is_none_or(|total| total == self.written)
                    {
                        // Everything is on disk already.
                        self.total = complete;
                        self.resumed_from = Some(self.written);
                        self.report();
                        return Ok(None);
                    }
                    // The resource is no longer what is on disk: start over.
                    self.restart().await?;
                }
                StatusCode::PARTIAL_CONTENT => {
                    return Err(Stop::Fatal(DownloadError::InvalidResponse(
                        "206 Partial Content to a request without Range".into(),
                    )));
                }
                _ => {
                    return Err(Stop::Resumable(DownloadError::Status {
                        status,
                        resume: None,
                    }));
                }
            }
        }
    }

    /// A 206 must start where the request asked (the overlap before the end of the file), for
    /// the same resource (S38).
    fn check_partial(&mut self, response: &reqwest::Response, start: u64) -> Result<(), Stop> {
        let headers = response.headers();
        let mismatch = || {
            Stop::Fatal(DownloadError::ContentRange {
                expected_start: start,
                expected_total: self.total,
                found: headers::header_text(headers, header::CONTENT_RANGE),
            })
        };
        let Some(ContentRange {
            range: Some((first, last)),
            complete: Some(complete),
        }) = headers::content_range(headers)
        else {
            return Err(mismatch());
        };
        if first != start
            || last + 1 != complete
            || self.total.is_some_and(|total| total != complete)
        {
            return Err(mismatch());
        }
        let changed = match self.validator.as_ref() {
            Some(Validator::ETag(ours)) => {
                headers::header_text(headers, header::ETAG).is_some_and(|t| t.trim() != ours)
            }
            Some(Validator::LastModified(ours)) => {
                headers::header_text(headers, header::LAST_MODIFIED)
                    .is_some_and(|t| t.trim() != ours)
            }
            None => true,
        };
        if changed {
            return Err(Stop::Fatal(DownloadError::InvalidResponse(
                "the validator of a 206 response differs from the one in If-Range".into(),
            )));
        }
        if !headers::identity_encoded(headers) {
            return Err(Stop::Fatal(DownloadError::InvalidResponse(
                "a content-coded 206 response to an identity request".into(),
            )));
        }
        self.total = Some(complete);
        Ok(())
    }

    /// Empties the temp file and starts counting from zero.
    async fn restart(&mut self) -> Result<(), Stop> {
        let fatal = |e| Stop::Fatal(io_error(&self.temp)(e));
        self.file
            .blocking(|file| {
                use std::io::Seek;
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0)).map(drop)
            })
            .await
            .map_err(fatal)?;
        self.written = 0;
        self.verify = 0;
        self.total = None;
        self.validator = None;
        self.resumed_from = None;
        self.hasher = self.expected_sha256.map(|_| Sha256::new());
        self.restarts += 1;
        self.report();
        Ok(())
    }

    async fn stream(&mut self, mut response: reqwest::Response) -> Result<(), Stop> {
        let mut cancelled = pin!(self.token.cancelled());
        loop {
            let chunk = tokio::select! {
                biased;
                cause = &mut cancelled => return Err(Stop::Cancelled(cause)),
                chunk = response.chunk() => chunk,
            };
            let mut chunk = match chunk {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(source) => {
                    // Dropped connection or broken body: what arrived is still good.
                    return Err(Stop::Resumable(DownloadError::Http {
                        source,
                        resume: None,
                    }));
                }
            };
            if self.verify > 0 {
                chunk = self.verify_overlap(chunk).await?;
                if chunk.is_empty() {
                    continue;
                }
            }
            let len = chunk.len() as u64;
            if self.total.is_some_and(|total| self.written + len > total) {
                return Err(Stop::Fatal(DownloadError::InvalidResponse(
                    "more bytes than the announced length".into(),
                )));
            }
            if let Some(hasher) = &mut self.hasher {
                hasher.update(&chunk);
            }
            self.file
                .write(chunk)
                .await
                .map_err(|e| Stop::Fatal(io_error(&self.temp)(e)))?;
            self.written += len;
            self.progress.send_modify(|p| p.received = self.written);
        }
        match self.total {
            Some(expected) if self.written != expected => {
                Err(Stop::Resumable(DownloadError::ShortBody {
                    received: self.written,
                    expected,
                    resume: None,
                }))
            }
            _ => Ok(()),
        }
    }

    /// Compares the start of `chunk` with the overlap on disk and returns the rest. A body that
    /// ends inside the overlap is then short, as any other.
    async fn verify_overlap(&mut self, chunk: bytes::Bytes) -> Result<bytes::Bytes, Stop> {
        use std::io::{Read, Seek};
        let n = chunk
            .len()
            .min(usize::try_from(self.verify).unwrap_or(usize::MAX));
        let (repeat, rest) = (chunk.slice(..n), chunk.slice(n..));
        let (at, end) = (self.written - self.verify, self.written);
        let on_disk = self
            .file
            .blocking(move |file| {
                let mut buf = vec![0; n];
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut buf)?;
                file.seek(SeekFrom::Start(end))?;
                Ok(buf)
            })
            .await
            .map_err(|e| Stop::Fatal(io_error(&self.temp)(e)))?;
        if on_disk != repeat {
            return Err(Stop::Changed);
        }
        self.verify -= n as u64;
        Ok(rest)
    }

    /// Flushes the bytes so far to the disk, so that the offset recorded is the truth.
    async fn sync(&mut self) -> std::io::Result<()> {
        self.file.blocking(|file| file.sync_data()).await
    }

    /// Resume data for the bytes on disk, if resuming can work (S37).
    async fn resume_data(&mut self) -> Option<ResumeData> {
        let validator = self.validator.clone()?;
        self.sync().await.ok()?;
        // The temp file must still be there, holding exactly what was written.
        let on_disk = tokio::fs::metadata(&self.temp).await.ok()?.len();
        if on_disk != self.written {
            return None;
        }
        ResumeData::new(
            &self.url,
            &self.destination,
            &self.temp,
            self.written,
            self.total,
            validator,
            self.expected_sha256,
        )
    }

    async fn delete_temp(&mut self) {
        // Unlinking an open file is fine on Unix, and the handle is dropped with the job.
        let _ = tokio::fs::remove_file(&self.temp).await;
    }

    async fn finish(mut self) -> Result<Downloaded, DownloadError> {
        let result = self.complete().await;
        if result.is_err() {
            self.delete_temp().await;
        }
        result
    }

    async fn complete(&mut self) -> Result<Downloaded, DownloadError> {
        let synced = if self.sync_before_rename {
            self.sync().await
        } else {
            self.file.flush().await
        };
        synced.map_err(io_error(&self.temp))?;
        if let (Some(expected), Some(hasher)) = (self.expected_sha256, self.hasher.take()) {
            let actual: [u8; 32] = hasher.finalize().into();
            if actual != expected {
                return Err(DownloadError::Checksum {
                    expected: to_hex(&expected),
                    actual: to_hex(&actual),
                });
            }
        }
        // One atomic step from "temp file" to "finished file": never a mix of versions.
        tokio::fs::rename(&self.temp, &self.destination)
            .await
            .map_err(io_error(&self.destination))?;
        Ok(Downloaded {
            path: self.destination.clone(),
            len: self.written,
            resumed_from: self.resumed_from,
            restarted: self.restarts > 0,
        })
    }
}
