//! Seed 000: `cancel(byProducingResumeData:)`. Download a file with a progress bar; stopping
//! (Ctrl-C in the binary) cancels the download *producing resume data* and saves it next to
//! the file as `<file>.resume`; running again with the same URL and directory resumes.
//!
//! The binary wires [`run`] to `tokio::signal::ctrl_c()`; tests drive [`begin`] and
//! [`Session::finish`] with a future of their own as the stop trigger.

use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cancelkit::download::{Download, DownloadBuilder, Downloaded, ResumeData};
use indicatif::{ProgressBar, ProgressStyle};

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// The file is complete.
    Finished(Downloaded),
    /// Stopped; the resume data is saved in `resume_file`, with `offset` bytes kept.
    Paused {
        /// Where the resume data was saved.
        resume_file: PathBuf,
        /// Bytes kept in the temp file.
        offset: u64,
    },
    /// Stopped, but the server does not allow resuming (S37): the bytes are gone.
    NotResumable,
}

/// A started download and where its resume data lives.
#[derive(Debug)]
pub struct Session {
    download: Download,
    resume_file: PathBuf,
    /// `Some(offset)` when this run continues an earlier one.
    pub resumed_from: Option<u64>,
    /// Set when `<file>.resume` was for another URL: it was not used, and this run started
    /// fresh (a pause replaces it).
    pub ignored_resume_for: Option<String>,
}

/// The file name a URL downloads to: its last path segment.
///
/// # Errors
///
/// When the URL's path ends in `/` or has no segment.
pub fn file_name(url: &str) -> anyhow::Result<String> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let after_host = path.split_once("://").map_or(path, |(_, rest)| rest);
    match after_host.split_once('/') {
        Some((_, p)) => match p.rsplit('/').next() {
            Some(name) if !name.is_empty() && name != "." && name != ".." => Ok(name.to_owned()),
            _ => bail!("{url} does not end in a file name"),
        },
        None => bail!("{url} does not end in a file name"),
    }
}

/// `<dir>/<name>.resume`: where the resume data for `name` is saved.
#[must_use]
pub fn resume_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.resume"))
}

/// Starts downloading `url` into `dir`, resuming if `<file>.resume` is there.
///
/// # Errors
///
/// A URL without a file name, or an unreadable or invalid resume file.
///
/// # Panics
///
/// Outside a tokio runtime.
pub fn begin(url: &str, dir: &Path) -> anyhow::Result<Session> {
    let name = file_name(url)?;
    let resume_file = resume_file(dir, &name);
    let fresh = || {
        DownloadBuilder::new(url, dir)
            .file_name(name.clone())
            .start()
    };
    let mut ignored_resume_for = None;
    let (download, resumed_from) = match std::fs::read(&resume_file) {
        Ok(bytes) => {
            let data = ResumeData::from_bytes(&bytes)
                .with_context(|| format!("reading {}", resume_file.display()))?;
            if data.url() == url {
                let offset = data.offset();
                let download = DownloadBuilder::resuming(data)
                    // A temp file lost since the pause: start over rather than fail.
                    .restart_if_temp_file_invalid(true)
                    .start();
                (download, Some(offset))
            } else {
                // Never resume another URL's bytes into this file (S38).
                ignored_resume_for = Some(data.url().to_owned());
                (fresh(), None)
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (fresh(), None),
        Err(e) => return Err(e).context(format!("reading {}", resume_file.display())),
    };
    Ok(Session {
        download,
        resume_file,
        resumed_from,
        ignored_resume_for,
    })
}

impl Session {
    /// The running download (for its progress).
    pub fn download(&self) -> &Download {
        &self.download
    }

    /// Waits for the download, showing progress on `bar`, unless `stop` completes first: then
    /// cancels producing resume data and saves it.
    ///
    /// # Errors
    ///
    /// The download's error (after saving its resume data, if it left any), or failing to
    /// write the resume file.
    pub async fn finish(
        mut self,
        stop: impl Future<Output = ()>,
        bar: ProgressBar,
    ) -> anyhow::Result<Outcome> {
        let mut progress = self.download.progress();
        let shown = bar.clone();
        let painter = tokio::spawn(async move {
            loop {
                let p = *progress.borrow_and_update();
                if let Some(total) = p.total {
                    shown.set_length(total);
                }
                shown.set_position(p.received);
                if progress.changed().await.is_err() {
                    return;
                }
            }
        });
        let finished = tokio::select! {
            result = &mut self.download => Some(result),
            () = stop => None,
        };
        let outcome = match finished {
            Some(Ok(done)) => {
                // The resume data, if any, has served its purpose.
                let _ = std::fs::remove_file(&self.resume_file);
                Outcome::Finished(done)
            }
            Some(Err(error)) => {
                painter.abort();
                bar.abandon();
                // The hint goes in the error, so it shows on a terminal and when piped.
                if let Some(data) = error.resume_data() {
                    save(&self.resume_file, data)?;
                    return Err(anyhow::Error::from(error).context(format!(
                        "interrupted; resume data saved in {}; run again to resume",
                        self.resume_file.display()
                    )));
                }
                return Err(error.into());
            }
            None => match self.download.cancel_producing_resume_data().await {
                Some(data) => {
                    save(&self.resume_file, &data)?;
                    Outcome::Paused {
                        offset: data.offset(),
                        resume_file: self.resume_file,
                    }
                }
                None => {
                    let _ = std::fs::remove_file(&self.resume_file);
                    Outcome::NotResumable
                }
            },
        };
        painter.abort();
        bar.finish_and_clear();
        Ok(outcome)
    }
}

fn save(resume_file: &Path, data: &ResumeData) -> anyhow::Result<()> {
    std::fs::write(resume_file, data.to_bytes())
        .with_context(|| format!("writing {}", resume_file.display()))
}

/// A byte-count progress bar for the terminal.
#[must_use]
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("the template is valid"),
    );
    bar
}

/// [`begin`] and [`Session::finish`] with a terminal progress bar.
///
/// # Errors
///
/// As [`begin`] and [`Session::finish`].
pub async fn run(url: &str, dir: &Path, stop: impl Future<Output = ()>) -> anyhow::Result<Outcome> {
    let session = begin(url, dir)?;
    if let Some(other) = &session.ignored_resume_for {
        eprintln!(
            "note: {} holds resume data for {other}, not {url}: starting fresh",
            session.resume_file.display()
        );
    }
    if let Some(offset) = session.resumed_from {
        // Only an attempt: the server may answer with the whole file (then it restarts).
        eprintln!("asking the server to continue after {offset} bytes");
    }
    session.finish(stop, progress_bar()).await
}
