//! Resumable HTTP downloads: cancellation that returns a partial result (S36–S38).
//!
//! # The model
//!
//! A [`Download`] is a cancelkit [`Task`] on tokio, under its own [`CancelToken`]: it streams
//! a URL's body into a temp file next to the destination and, when the body is complete,
//! renames the temp file into place in one atomic step, so a finished file is never a mix of
//! two versions of the resource. Progress is a [`tokio::sync::watch`] channel of
//! [`Progress`]; awaiting the download gives the finished file ([`Downloaded`]).
//!
//! Stopping it is Apple's `cancel(byProducingResumeData:)`:
//!
//! - [`Download::cancel`] stops it and deletes the temp file.
//! - [`Download::cancel_producing_resume_data`] stops it, flushes and syncs the temp file, and
//!   returns [`ResumeData`] — *if resuming can work* (S37): the request was a GET (always
//!   here), the server sent a strong `ETag` or a `Last-Modified` usable as a strong validator,
//!   it answered or advertised byte ranges, and the temp file is still there. Otherwise `None`,
//!   and the temp file is deleted.
//!
//! [`Download::resume`] continues from resume data, in this process or another
//! ([`ResumeData::to_bytes`]). It asks for `Range: bytes=M-` with `If-Range` (S38), where `M`
//! is 64 KiB before the offset `N`: those bytes are compared with the ones on disk first, so a
//! resource that changed while its validator did not (nginx's ETag is mtime plus size) is
//! caught, and never finished as a mix of two versions. Neither URLSession nor curl does this.
//!
//! | The server answers | The download |
//! | --- | --- |
//! | `206` with `Content-Range: bytes M-…/total` whose first `N - M` bytes match the disk | appends the rest to the temp file |
//! | the same, but the overlap differs | truncates, starts over, reports [`Downloaded::restarted`] |
//! | `206` starting elsewhere, or for another total | fails with [`DownloadError::ContentRange`] |
//! | `200` (the resource changed, or ranges are ignored) | truncates, starts over, reports [`Downloaded::restarted`] |
//! | `416` with `Content-Range: bytes */N` | is already complete |
//!
//! A temp file that is missing, shorter or longer than recorded is a typed error
//! ([`DownloadError::TempFileMissing`], [`DownloadError::TempFileLength`]), or a restart from
//! zero with [`DownloadBuilder::restart_if_temp_file_invalid`]. A dropped connection or a
//! short body fails with an error that carries fresh resume data
//! ([`DownloadError::resume_data`]). Requests send `Accept-Encoding: identity`, so lengths and
//! validators describe the bytes on disk. An optional SHA-256 is checked over the whole
//! finished file, including bytes from before a resume.
//!
//! ```no_run
//! use cancelkit::download::{Download, ResumeData};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let download = Download::start("http://127.0.0.1:8000/big.iso", "/tmp");
//! let mut progress = download.progress();
//! tokio::spawn(async move {
//!     while progress.changed().await.is_ok() {
//!         let p = *progress.borrow_and_update();
//!         println!("{} of {:?} bytes", p.received, p.total);
//!     }
//! });
//! // …the user pauses:
//! if let Some(resume) = download.cancel_producing_resume_data().await {
//!     std::fs::write("/tmp/big.iso.resume", resume.to_bytes())?;
//! }
//! // …later, maybe in another process:
//! let resume = ResumeData::from_bytes(&std::fs::read("/tmp/big.iso.resume")?)?;
//! let done = Download::resume(resume).await?;
//! println!("saved to {}", done.path.display());
//! # Ok(()) }
//! ```
//!
//! # Files
//!
//! The temp file is `.<name>.<random>.part` in the destination directory, so the final rename
//! never crosses file systems; an existing file of the destination's name is replaced when the
//! download finishes. Failures that cannot resume delete the temp file; a resume that finds
//! the temp file the wrong length leaves it as found ([`ResumeData::discard`] deletes it).
//! The temp file is flushed and `fsync`ed before resume data records its length; the
//! finished file is synced before its rename only on request
//! ([`DownloadBuilder::sync_before_rename`]). Writes go to the blocking pool in 1 MiB batches
//! of the chunks the client received, without copying them, while the next batch arrives:
//! memory stays flat whatever the size.
//!
//! # TLS
//!
//! The feature builds reqwest without TLS, so it needs no system libraries. For `https`,
//! enable a TLS feature of `reqwest` in your own manifest (cargo unifies features) and, if you
//! like, pass your client with [`DownloadBuilder::client`] — also the place for timeouts and
//! proxies. Without a timeout a download from a server that stalls waits until cancelled.

mod error;
mod headers;
mod resume;
mod run;
mod writer;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::watch;

use crate::{CancelToken, Task};

pub use error::DownloadError;
pub use resume::{ResumeData, ResumeDataError, Validator};

/// How far a download has got, as published on [`Download::progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes in the temp file, counting bytes kept from before a resume.
    pub received: u64,
    /// The resource's length, once the server has told it.
    pub total: Option<u64>,
    /// How many times the download started over from zero (S38).
    pub restarts: u32,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// The finished file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// `Some(n)` when the first `n` bytes came from before a resume.
    pub resumed_from: Option<u64>,
    /// Whether the download started over from zero: a resumed request got the whole resource
    /// (it changed, or the server ignores ranges), or the temp file was invalid and the caller
    /// allowed a restart.
    pub restarted: bool,
}

/// Configures a download before starting it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use cancelkit::download::{DownloadBuilder, DownloadError};
///
/// let download = DownloadBuilder::new("ftp://example.invalid/file", std::env::temp_dir())
///     .file_name("file.bin")
///     .expected_sha256([0; 32])
///     .start();
/// assert!(matches!(download.await, Err(DownloadError::InvalidUrl { .. })));
/// # }
/// ```
#[must_use = "a builder does nothing until started"]
pub struct DownloadBuilder {
    config: run::Config,
}

impl DownloadBuilder {
    /// A download of `url` into the directory `dir`. The file is named after the URL's last
    /// path segment (as written in the URL, percent-encoding included) unless
    /// [`file_name`](Self::file_name) says otherwise; an existing file of that name is replaced
    /// when the download finishes.
    pub fn new(url: impl AsRef<str>, dir: impl Into<PathBuf>) -> Self {
        Self::with_start(run::Start::Fresh {
            url: url.as_ref().to_owned(),
            dir: dir.into(),
            file_name: None,
        })
    }

    /// A download that continues from `resume` (S38).
    pub fn resuming(resume: ResumeData) -> Self {
        Self::with_start(run::Start::Resume(resume))
    }

    fn with_start(start: run::Start) -> Self {
        DownloadBuilder {
            config: run::Config {
                start,
                client: None,
                sha256: None,
                restart_if_temp_file_invalid: false,
                sync_before_rename: false,
            },
        }
    }

    /// The reqwest client to use (TLS, timeouts, proxies, …). By default each download builds
    /// a plain one.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.config.client = Some(client);
        self
    }

    /// The finished file's name inside the directory. Must be a plain file name. Ignored when
    /// resuming: the resume data records the destination.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        if let run::Start::Fresh { file_name, .. } = &mut self.config.start {
            *file_name = Some(name.into());
        }
        self
    }

    /// The SHA-256 the whole finished file must have; checked before the file is renamed into
    /// place. When resuming, overrides the digest recorded in the resume data.
    pub fn expected_sha256(mut self, digest: [u8; 32]) -> Self {
        self.config.sha256 = Some(digest);
        self
    }

    /// When resuming finds the temp file missing, shorter or longer than recorded, start over
    /// from zero instead of failing with [`DownloadError::TempFileMissing`] or
    /// [`DownloadError::TempFileLength`].
    pub fn restart_if_temp_file_invalid(mut self, restart: bool) -> Self {
        self.config.restart_if_temp_file_invalid = restart;
        self
    }

    /// Sync the finished file to the disk (`fsync`) before renaming it into place, so that
    /// after a crash or power loss the destination is either absent or complete. Off by
    /// default, as in curl and browsers: the rename alone already guarantees that a running
    /// system never sees a partial or mixed file, and syncing a large file costs as long as
    /// the disk needs to write it. (The temp file is always synced before resume data records
    /// an offset.)
    pub fn sync_before_rename(mut self, sync: bool) -> Self {
        self.config.sync_before_rename = sync;
        self
    }

    /// Starts the download as a task on the current tokio runtime. Errors (a bad URL, an
    /// unwritable directory, …) are reported by awaiting it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`].
    #[track_caller]
    pub fn start(self) -> Download {
        let (sender, progress) = watch::channel(Progress::default());
        let keep_resume_data = Arc::new(AtomicBool::new(false));
        let task = Task::spawn(run::run(self.config, sender, keep_resume_data.clone()));
        Download {
            task,
            progress,
            keep_resume_data,
        }
    }
}

impl fmt::Debug for DownloadBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        let mut s = f.debug_struct("DownloadBuilder");
        match &c.start {
            run::Start::Fresh {
                url,
                dir,
                file_name,
            } => s
                .field("url", url)
                .field("dir", dir)
                .field("file_name", file_name),
            run::Start::Resume(data) => s.field("resume", data),
        };
        s.field("expected_sha256", &c.sha256.map(|d| resume::to_hex(&d)))
            .field(
                "restart_if_temp_file_invalid",
                &c.restart_if_temp_file_invalid,
            )
            .field("sync_before_rename", &c.sync_before_rename)
            .finish_non_exhaustive()
    }
}

/// A running download: a cancelkit [`Task`] that yields the finished file.
///
/// Await it for the result. Dropping it detaches the download, which keeps running, as a
/// [`Task`] does; cancel it first to stop it. See the [module docs](self) for the model.
#[must_use = "a download runs in the background; await it, or cancel it"]
#[derive(Debug)]
pub struct Download {
    task: Task<Result<Downloaded, DownloadError>>,
    progress: watch::Receiver<Progress>,
    keep_resume_data: Arc<AtomicBool>,
}

impl Download {
    /// Starts downloading `url` into the directory `dir`; see [`DownloadBuilder`] for options.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`].
    #[track_caller]
    pub fn start(url: impl AsRef<str>, dir: impl Into<PathBuf>) -> Download {
        DownloadBuilder::new(url, dir).start()
    }

    /// Continues a download from resume data, in this process or another.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like [`tokio::spawn`].
    #[track_caller]
    pub fn resume(resume: ResumeData) -> Download {
        DownloadBuilder::resuming(resume).start()
    }

    /// A receiver of the download's progress: await
    /// [`changed`](watch::Receiver::changed) instead of polling.
    #[must_use]
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Cancels the download and deletes its temp file. Awaiting it then gives
    /// [`DownloadError::Cancelled`] once the file is gone (or the finished file, if it
    /// completed first).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let dir = tempfile::tempdir().unwrap();
    /// let download =
    ///     cancelkit::download::Download::start("http://127.0.0.1:9/file.bin", dir.path());
    /// download.cancel();
    /// let error = download.await.unwrap_err();
    /// assert!(error.is_cancelled());
    /// assert!(error.resume_data().is_none());
    /// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0); // no temp file left
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.task.cancel();
    }

    /// Cancels the download and waits for it to stop, leaving the bytes so far in the temp
    /// file and returning what a later [`resume`](Download::resume) needs — if resuming can work
    /// (S37). Otherwise, or if the download had already finished, `None` (and the temp file
    /// is deleted).
    ///
    /// If the download had already failed in a way that leaves resume data (a dropped
    /// connection, …), that resume data is returned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let dir = std::env::temp_dir();
    /// let download = cancelkit::download::Download::start("http://127.0.0.1:9/file.bin", dir);
    /// // Cancelled before the server said anything: nothing proves a resume could work.
    /// assert!(download.cancel_producing_resume_data().await.is_none());
    /// # }
    /// ```
    pub async fn cancel_producing_resume_data(self) -> Option<ResumeData> {
        self.keep_resume_data.store(true, Ordering::SeqCst);
        self.task.cancel();
        match self.await {
            Ok(_) => None,
            Err(error) => error.into_resume_data(),
        }
    }

    /// The download task's token: cancelling it is [`cancel`](Download::cancel).
    #[must_use]
    pub fn token(&self) -> CancelToken {
        self.task.token()
    }
}

impl Future for Download {
    type Output = Result<Downloaded, DownloadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx)
    }
}
