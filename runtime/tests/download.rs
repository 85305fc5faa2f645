//! Resumable downloads (S36–S38) against real HTTP servers on 127.0.0.1: the in-process test
//! server in `support/` and Python's `http.server`. Every finished file is compared byte for
//! byte with what the server served.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cancelkit::download::{
    Download, DownloadBuilder, DownloadError, Progress, ResumeData, Validator,
};
use hyper::StatusCode;
use sha2::{Digest, Sha256};
use support::{Behaviour, PythonServer, Resource, TestServer, pattern};

const LEN: usize = 400_000;
const STALL: usize = 160_000;
/// What a resume re-reads before its offset (the library's `OVERLAP`).
const OVERLAP: usize = 64 * 1024;
/// S36: cancelling a stalled download returns this fast.
const CANCEL_BOUND: Duration = Duration::from_millis(100);

fn stalling() -> Behaviour {
    Behaviour {
        stall_after: Some(STALL),
        ..Behaviour::default()
    }
}

/// `.part` files left in `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect()
}

fn assert_file_is(path: &Path, expected: &[u8]) {
    let got = std::fs::read(path).unwrap();
    assert!(
        got == expected,
        "{} differs from the served resource ({} vs {} bytes)",
        path.display(),
        got.len(),
        expected.len()
    );
}

/// Waits (without sleeping) until the client has written `n` bytes.
async fn received(download: &Download, n: u64) {
    download
        .progress()
        .wait_for(|p: &Progress| p.received >= n)
        .await
        .unwrap();
}

/// Resuming with `restart_if_temp_file_invalid(true)` starts over and finishes the file.
async fn restart_completes(resume: ResumeData, server: &TestServer) {
    let done = DownloadBuilder::resuming(resume)
        .restart_if_temp_file_invalid(true)
        .start()
        .await
        .unwrap();
    assert!(done.restarted);
    assert_file_is(&done.path, &server.data());
}

/// Starts a download that stalls after `STALL` bytes, then cancels it producing resume data.
async fn paused(server: &mut TestServer, dir: &Path, path: &str) -> ResumeData {
    let download = Download::start(server.url(path), dir);
    assert_eq!(server.stalled().await, STALL);
    received(&download, STALL as u64).await;
    let started = Instant::now();
    let resume = download.cancel_producing_resume_data().await;
    let took = started.elapsed();
    eprintln!("cancel_producing_resume_data of a stalled download took {took:?}");
    assert!(
        took < CANCEL_BOUND,
        "cancelling a stalled download took {took:?}"
    );
    let resume = resume.expect("resume data");
    assert_eq!(resume.offset(), STALL as u64);
    assert_eq!(
        std::fs::metadata(resume.temp_file()).unwrap().len(),
        STALL as u64,
        "the temp file holds exactly the recorded bytes"
    );
    resume
}

#[tokio::test]
async fn downloads_a_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Resource::versioned(LEN, 1), Behaviour::default()).await;
    let download = Download::start(server.url("/files/data.bin"), dir.path());
    let progress = download.progress();
    let done = download.await.unwrap();
    assert_eq!(done.path, dir.path().join("data.bin"));
    assert_eq!(done.len, LEN as u64);
    assert_eq!((done.resumed_from, done.restarted), (None, false));
    assert_file_is(&done.path, &server.data());
    let last = *progress.borrow();
    assert_eq!(
        (last.received, last.total, last.restarts),
        (LEN as u64, Some(LEN as u64), 0)
    );
    assert!(temp_files(dir.path()).is_empty());
    let log = server.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].accept_encoding.as_deref(), Some("identity"));
    assert_eq!(log[0].range, None);
}

#[tokio::test]
async fn plain_cancel_of_a_stalled_download_deletes_the_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let download = Download::start(server.url("/files/data.bin"), dir.path());
    server.stalled().await;
    received(&download, STALL as u64).await;
    assert_eq!(temp_files(dir.path()).len(), 1);
    let started = Instant::now();
    download.cancel();
    let result = download.await;
    let took = started.elapsed();
    assert!(took < CANCEL_BOUND, "cancelling took {took:?}");
    assert!(matches!(
        result,
        Err(DownloadError::Cancelled { resume: None, .. })
    ));
    assert!(temp_files(dir.path()).is_empty());
    assert!(!dir.path().join("data.bin").exists());
}

#[tokio::test]
async fn resumes_with_range_and_if_range_and_appends_the_206() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    assert_eq!(resume.validator(), &Validator::ETag("\"v1\"".into()));
    assert_eq!(resume.total(), Some(LEN as u64));
    // A fresh process would read it back from bytes.
    let resume = ResumeData::from_bytes(&resume.to_bytes()).unwrap();

    server.set_behaviour(Behaviour::default());
    let download = Download::resume(resume);
    let progress = download.progress();
    let done = download.await.unwrap();
    assert_eq!(done.resumed_from, Some(STALL as u64));
    assert!(!done.restarted);
    assert_file_is(&done.path, &server.data());
    assert_eq!(progress.borrow().received, LEN as u64);
    let last = server.log().pop().unwrap();
    let expected = format!("bytes={}-", STALL - OVERLAP);
    assert_eq!(last.range.as_deref(), Some(expected.as_str()));
    assert_eq!(last.if_range.as_deref(), Some("\"v1\""));
    assert_eq!(last.accept_encoding.as_deref(), Some("identity"));
    assert!(temp_files(dir.path()).is_empty());
}

/// Cancelling a resumed download before the server answers keeps the resume data it had.
#[tokio::test]
async fn cancelling_a_resume_before_any_answer_keeps_the_resume_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    let again = Download::resume(resume.clone())
        .cancel_producing_resume_data()
        .await
        .expect("resume data");
    assert_eq!(again, resume);
    assert_eq!(
        std::fs::metadata(again.temp_file()).unwrap().len(),
        STALL as u64
    );
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(again).await.unwrap();
    assert_file_is(&done.path, &server.data());
}

/// S37: no resume data unless resuming can work; the temp file is then deleted.
#[tokio::test]
async fn no_resume_data_when_resuming_cannot_work() {
    let no_ranges = Behaviour {
        ranges: false,
        ..stalling()
    };
    let weak = Resource {
        etag: Some("W/\"v1\"".into()),
        // A date never stands in for a tag, even a weak one.
        last_modified: Some("Sat, 01 Jan 2000 00:00:00 GMT".into()),
        ..Resource::versioned(LEN, 1)
    };
    let no_validator = Resource {
        etag: None,
        ..Resource::versioned(LEN, 1)
    };
    let same_second = Resource {
        etag: None,
        last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
        date: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
        ..Resource::versioned(LEN, 1)
    };
    let cases = [
        ("no byte ranges", Resource::versioned(LEN, 1), no_ranges),
        ("weak ETag", weak, stalling()),
        ("no validator", no_validator, stalling()),
        (
            "Last-Modified within Date's second",
            same_second,
            stalling(),
        ),
    ];
    for (case, resource, behaviour) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut server = TestServer::start(resource, behaviour).await;
        let download = Download::start(server.url("/files/data.bin"), dir.path());
        server.stalled().await;
        received(&download, STALL as u64).await;
        let resume = download.cancel_producing_resume_data().await;
        assert!(resume.is_none(), "{case}: got {resume:?}");
        assert!(temp_files(dir.path()).is_empty(), "{case}: temp file kept");
    }
}

#[tokio::test]
async fn no_resume_data_when_the_temp_file_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let download = Download::start(server.url("/files/data.bin"), dir.path());
    server.stalled().await;
    received(&download, STALL as u64).await;
    for temp in temp_files(dir.path()) {
        tokio::fs::remove_file(temp).await.unwrap();
    }
    assert!(download.cancel_producing_resume_data().await.is_none());
}

#[tokio::test]
async fn strong_last_modified_is_a_validator() {
    let dir = tempfile::tempdir().unwrap();
    let date = "Sat, 01 Jan 2000 00:00:00 GMT";
    let resource = Resource {
        etag: None,
        last_modified: Some(date.into()),
        ..Resource::versioned(LEN, 1)
    };
    let mut server = TestServer::start(resource, stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    assert_eq!(resume.validator(), &Validator::LastModified(date.into()));
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert_eq!(done.resumed_from, Some(STALL as u64));
    assert_file_is(&done.path, &server.data());
    assert_eq!(server.log().pop().unwrap().if_range.as_deref(), Some(date));
}

/// S38: a 200 to a resumed request (the resource changed) restarts from zero; the file is
/// wholly the new version.
#[tokio::test]
async fn changed_resource_restarts_from_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    server.set_resource(Resource::versioned(LEN + 12_345, 2));
    server.set_behaviour(Behaviour::default());
    let download = Download::resume(resume);
    let progress = download.progress();
    let done = download.await.unwrap();
    assert!(done.restarted);
    assert_eq!(done.resumed_from, None);
    assert_eq!(progress.borrow().restarts, 1);
    assert_file_is(&done.path, &pattern(LEN + 12_345, 2));
}

/// S38: a server that stopped honouring ranges answers 200: restart.
#[tokio::test]
async fn server_ignoring_the_range_restarts_from_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    server.set_behaviour(Behaviour {
        ranges: false,
        ..Behaviour::default()
    });
    let done = Download::resume(resume).await.unwrap();
    assert!(done.restarted);
    assert_file_is(&done.path, &server.data());
}

/// S38: every byte already on disk: only the overlap is asked for again, checked, and the file
/// is complete.
#[tokio::test]
async fn bytes_already_all_on_disk_are_checked_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    // Everything reached the disk before the cancel (as when a cancel races the last bytes).
    std::fs::write(resume.temp_file(), server.data()).unwrap();
    let json = String::from_utf8(resume.to_bytes()).unwrap();
    let json = json.replace(
        &format!("\"offset\": {STALL}"),
        &format!("\"offset\": {LEN}"),
    );
    let resume = ResumeData::from_bytes(json.as_bytes()).unwrap();
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert_eq!(done.resumed_from, Some(LEN as u64));
    assert!(!done.restarted);
    assert_file_is(&done.path, &server.data());
    // Only the overlap is asked for again, and checked.
    let expected = format!("bytes={}-", LEN - OVERLAP);
    assert_eq!(
        server.log().pop().unwrap().range.as_deref(),
        Some(expected.as_str())
    );
}

/// A 416 for another length: the resource shrank under the same tag, below where the resume
/// asks to start. Start over.
#[tokio::test]
async fn range_not_satisfiable_elsewhere_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    server.set_resource(Resource {
        data: pattern(STALL / 2, 3),
        ..Resource::versioned(0, 1)
    });
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert!(done.restarted);
    assert_file_is(&done.path, &pattern(STALL / 2, 3));
}

/// S38: a 206 that does not continue at the recorded offset is an error, not a mixed file.
#[tokio::test]
async fn wrong_content_range_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    server.set_behaviour(Behaviour {
        wrong_content_range: true,
        ..Behaviour::default()
    });
    let err = Download::resume(resume).await.unwrap_err();
    match &err {
        DownloadError::ContentRange {
            expected_start,
            expected_total,
            found,
        } => {
            assert_eq!(*expected_start, (STALL - OVERLAP) as u64);
            assert_eq!(*expected_total, Some(LEN as u64));
            let shown = format!("bytes {}-{}/{LEN}", STALL - OVERLAP + 1, LEN - 1);
            assert_eq!(found.as_deref(), Some(shown.as_str()));
        }
        other => panic!("expected ContentRange, got {other:?}"),
    }
    assert!(err.resume_data().is_none());
    assert!(temp_files(dir.path()).is_empty());
    assert!(!dir.path().join("data.bin").exists());
}

#[tokio::test]
async fn missing_temp_file_is_an_error_or_a_restart_if_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    std::fs::remove_file(resume.temp_file()).unwrap();
    server.set_behaviour(Behaviour::default());
    let err = Download::resume(resume.clone()).await.unwrap_err();
    assert!(
        matches!(&err, DownloadError::TempFileMissing { path } if path == resume.temp_file()),
        "{err:?}"
    );
    restart_completes(resume, &server).await;
}

#[tokio::test]
async fn shorter_or_longer_temp_file_is_an_error_or_a_restart_if_asked() {
    for found in [STALL as u64 - 1, STALL as u64 + 1] {
        let dir = tempfile::tempdir().unwrap();
        let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
        let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
        tokio::fs::OpenOptions::new()
            .write(true)
            .open(resume.temp_file())
            .await
            .unwrap()
            .set_len(found)
            .await
            .unwrap();
        server.set_behaviour(Behaviour::default());
        let err = Download::resume(resume.clone()).await.unwrap_err();
        assert!(
            matches!(err, DownloadError::TempFileLength { expected, found: f, .. } if f == found && expected == STALL as u64),
            "{err:?}"
        );
        restart_completes(resume, &server).await;
    }
}

/// S38: a dropped connection fails with fresh resume data, in a first download and in a
/// resumed one; resuming then completes the same file.
#[tokio::test]
async fn dropped_connection_yields_fresh_resume_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(
        Resource::versioned(LEN, 1),
        Behaviour {
            drop_after: Some(30_000),
            ..Behaviour::default()
        },
    )
    .await;
    let err = Download::start(server.url("/files/data.bin"), dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, DownloadError::Http { .. }), "{err:?}");
    let first = err.into_resume_data().expect("resume data after a drop");
    assert!(first.offset() <= 30_000);
    assert_eq!(
        std::fs::metadata(first.temp_file()).unwrap().len(),
        first.offset()
    );

    // The resumed request drops too, further on.
    server.set_behaviour(Behaviour {
        drop_after: Some(30_000),
        ..Behaviour::default()
    });
    let err = Download::resume(first.clone()).await.unwrap_err();
    let second = err.into_resume_data().expect("fresh resume data");
    assert!(second.offset() >= first.offset());
    assert_eq!(
        std::fs::metadata(second.temp_file()).unwrap().len(),
        second.offset()
    );

    server.set_behaviour(Behaviour::default());
    let done = Download::resume(second).await.unwrap();
    assert_file_is(&done.path, &server.data());
}

/// An error status to a resumed request leaves the bytes so far valid: resume data again.
#[tokio::test]
async fn error_status_on_resume_keeps_resume_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    server.set_behaviour(Behaviour {
        status: Some(StatusCode::SERVICE_UNAVAILABLE),
        ..Behaviour::default()
    });
    let err = Download::resume(resume).await.unwrap_err();
    assert!(
        matches!(&err, DownloadError::Status { status, .. } if *status == StatusCode::SERVICE_UNAVAILABLE)
    );
    let again = err.into_resume_data().expect("still resumable");
    assert_eq!(again.offset(), STALL as u64);
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(again).await.unwrap();
    assert_file_is(&done.path, &server.data());
}

#[tokio::test]
async fn error_status_on_a_fresh_download_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(
        Resource::versioned(LEN, 1),
        Behaviour {
            status: Some(StatusCode::NOT_FOUND),
            ..Behaviour::default()
        },
    )
    .await;
    let err = Download::start(server.url("/files/data.bin"), dir.path())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DownloadError::Status { resume: None, .. }),
        "{err:?}"
    );
    assert!(temp_files(dir.path()).is_empty());
}

/// S38: redirects are followed and the resumed request goes to the final URL.
#[tokio::test]
async fn resumes_against_the_final_url_after_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/redirect/data.bin").await;
    assert_eq!(resume.url(), server.url("/files/data.bin"));
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert_eq!(done.path, dir.path().join("data.bin"));
    assert_file_is(&done.path, &server.data());
    let paths: Vec<String> = server.log().into_iter().map(|l| l.path).collect();
    assert_eq!(
        paths,
        ["/redirect/data.bin", "/files/data.bin", "/files/data.bin"]
    );
}

/// The expected SHA-256 covers the whole file, bytes from before the resume included.
#[tokio::test]
async fn checksum_is_verified_over_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let digest: [u8; 32] = Sha256::digest(server.data()).into();
    let download = DownloadBuilder::new(server.url("/files/data.bin"), dir.path())
        .expected_sha256(digest)
        .start();
    server.stalled().await;
    received(&download, STALL as u64).await;
    let resume = download.cancel_producing_resume_data().await.unwrap();
    assert_eq!(resume.expected_sha256(), Some(digest));
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert_file_is(&done.path, &server.data());

    // The wrong digest: no file, no temp file.
    let dir = tempfile::tempdir().unwrap();
    let err = DownloadBuilder::new(server.url("/files/data.bin"), dir.path())
        .expected_sha256([0; 32])
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, DownloadError::Checksum { .. }), "{err:?}");
    assert!(!dir.path().join("data.bin").exists());
    assert!(temp_files(dir.path()).is_empty());
}

/// The checksum of a resumed download is computed from the bytes on disk: corrupting them
/// is caught.
#[tokio::test]
async fn checksum_catches_corrupted_bytes_from_before_the_resume() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let digest: [u8; 32] = Sha256::digest(server.data()).into();
    let download = DownloadBuilder::new(server.url("/files/data.bin"), dir.path())
        .expected_sha256(digest)
        .start();
    server.stalled().await;
    received(&download, STALL as u64).await;
    let resume = download.cancel_producing_resume_data().await.unwrap();
    let mut bytes = std::fs::read(resume.temp_file()).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(resume.temp_file(), bytes).unwrap();
    server.set_behaviour(Behaviour::default());
    let err = Download::resume(resume).await.unwrap_err();
    assert!(matches!(err, DownloadError::Checksum { .. }), "{err:?}");
    assert!(!dir.path().join("data.bin").exists());
}

#[tokio::test]
async fn bad_urls_and_names_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = Download::start("not a url", dir.path()).await.unwrap_err();
    assert!(matches!(err, DownloadError::InvalidUrl { .. }), "{err:?}");
    let err = Download::start("http://127.0.0.1:9/", dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, DownloadError::FileName(_)), "{err:?}");
    let err = DownloadBuilder::new("http://127.0.0.1:9/x", dir.path())
        .file_name("../escape")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, DownloadError::FileName(_)), "{err:?}");
}

/// Python's `http.server` ignores ranges and sends no `Accept-Ranges`: downloads work,
/// cancelling gives no resume data, and resuming against it restarts.
#[tokio::test]
async fn python_http_server() {
    let served = tempfile::tempdir().unwrap();
    let data = pattern(3 * LEN, 7);
    std::fs::write(served.path().join("py.bin"), &data).unwrap();
    let Some(python) = PythonServer::start(served.path()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let done = Download::start(python.url("/py.bin"), dir.path())
        .await
        .unwrap();
    assert_file_is(&done.path, &data);

    // No byte ranges advertised: cancelling (whenever it lands) leaves no resume data.
    let dir = tempfile::tempdir().unwrap();
    let download = Download::start(python.url("/py.bin"), dir.path());
    received(&download, 1).await;
    assert!(download.cancel_producing_resume_data().await.is_none());
    assert!(temp_files(dir.path()).is_empty());

    // Resume data from a range-capable server, pointed at Python: it answers 200 to the
    // ranged request, and the download restarts cleanly.
    let mut server = TestServer::start(
        Resource {
            data: data.clone(),
            ..Resource::versioned(0, 1)
        },
        stalling(),
    )
    .await;
    let resume = paused(&mut server, dir.path(), "/files/py.bin").await;
    let json = String::from_utf8(resume.to_bytes())
        .unwrap()
        .replace(&server.url("/files/py.bin"), &python.url("/py.bin"));
    let done = Download::resume(ResumeData::from_bytes(json.as_bytes()).unwrap())
        .await
        .unwrap();
    assert!(done.restarted);
    assert_file_is(&done.path, &data);
}

/// S38, beyond URLSession and curl: the resource changes while its validator does not (nginx's
/// ETag is mtime plus size: a same-size replacement within the same second keeps it). The
/// overlap re-read before the offset differs from the bytes on disk, so the download starts
/// over, and the file is the new version, never a mix of the two.
#[tokio::test]
async fn a_resource_changed_under_the_same_etag_is_never_finished_as_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(Resource::versioned(LEN, 1), stalling()).await;
    let resume = paused(&mut server, dir.path(), "/files/data.bin").await;
    // Version 2's bytes under version 1's ETag.
    server.set_resource(Resource {
        etag: Resource::versioned(0, 1).etag,
        ..Resource::versioned(LEN, 2)
    });
    server.set_behaviour(Behaviour::default());
    let done = Download::resume(resume).await.unwrap();
    assert!(done.restarted, "the change was seen and reported");
    assert_eq!(done.resumed_from, None);
    assert_file_is(&done.path, &pattern(LEN, 2));
    let log = server.log();
    let ranges: Vec<_> = log.iter().rev().take(2).map(|l| l.range.clone()).collect();
    assert_eq!(
        ranges,
        [None, Some(format!("bytes={}-", STALL - OVERLAP))],
        "a ranged request with the overlap, then the whole resource"
    );
}
