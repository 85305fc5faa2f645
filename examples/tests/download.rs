//! The `download` example against the in-process test server: a stop pauses with resume data
//! saved next to the file, and the next run resumes with a range request.

#[path = "../../runtime/tests/support/mod.rs"]
mod support;

use cancelkit_examples::download::{self, Outcome};
use indicatif::ProgressBar;
use support::{Behaviour, Resource, TestServer};

/// Runs `url` into `dir` until the server has stalled after `at` bytes and they are on disk,
/// then stops the run: the outcome of that first run.
async fn stop_after(server: &mut TestServer, url: &str, dir: &std::path::Path, at: u64) -> Outcome {
    let session = download::begin(url, dir).unwrap();
    assert_eq!(session.resumed_from, None);
    server.stalled().await;
    session
        .download()
        .progress()
        .wait_for(|p| p.received == at)
        .await
        .unwrap();
    session
        .finish(std::future::ready(()), ProgressBar::hidden())
        .await
        .unwrap()
}

#[tokio::test]
async fn stop_saves_resume_data_and_the_next_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(
        Resource::versioned(200_000, 1),
        Behaviour {
            stall_after: Some(100_000),
            ..Behaviour::default()
        },
    )
    .await;
    let url = server.url("/files/movie.bin");

    // First run: stop once the server has stalled and the bytes sent are on disk.
    let outcome = stop_after(&mut server, &url, dir.path(), 100_000).await;
    let Outcome::Paused {
        resume_file,
        offset,
    } = outcome
    else {
        panic!("expected a pause, got {outcome:?}");
    };
    assert_eq!(offset, 100_000);
    assert_eq!(resume_file, dir.path().join("movie.bin.resume"));
    assert!(resume_file.exists());
    assert!(!dir.path().join("movie.bin").exists());

    // Second run: resumes from the saved data and completes the file.
    server.set_behaviour(Behaviour::default());
    let session = download::begin(&url, dir.path()).unwrap();
    assert_eq!(session.resumed_from, Some(100_000));
    let outcome = session
        .finish(std::future::pending(), ProgressBar::hidden())
        .await
        .unwrap();
    let Outcome::Finished(done) = outcome else {
        panic!("expected a finished file, got {outcome:?}");
    };
    assert_eq!(done.resumed_from, Some(100_000));
    assert_eq!(std::fs::read(&done.path).unwrap(), server.data());
    assert!(
        !resume_file.exists(),
        "the resume file is removed once used"
    );
    let last = server.log().pop().unwrap();
    // The resume asks again for the 64 KiB before the offset, to check them (S38).
    assert_eq!(last.range.as_deref(), Some("bytes=34464-"));
}

#[tokio::test]
async fn stop_without_range_support_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(
        Resource::versioned(200_000, 1),
        Behaviour {
            ranges: false,
            stall_after: Some(50_000),
            ..Behaviour::default()
        },
    )
    .await;
    let session = download::begin(&server.url("/files/movie.bin"), dir.path()).unwrap();
    server.stalled().await;
    let outcome = session
        .finish(std::future::ready(()), ProgressBar::hidden())
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::NotResumable), "{outcome:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn file_names_come_from_the_url_path() {
    assert_eq!(
        download::file_name("http://h/a/b.iso?x=1").unwrap(),
        "b.iso"
    );
    assert!(download::file_name("http://h/a/").is_err());
    assert!(download::file_name("http://h").is_err());
}

#[tokio::test]
async fn resume_data_for_another_url_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(
        Resource::versioned(200_000, 1),
        Behaviour {
            stall_after: Some(50_000),
            ..Behaviour::default()
        },
    )
    .await;
    // Pause `/v1/file.bin`, leaving `file.bin.resume` for it.
    let v1 = server.url("/v1/file.bin");
    let paused = stop_after(&mut server, &v1, dir.path(), 50_000).await;
    assert!(matches!(paused, Outcome::Paused { .. }), "{paused:?}");

    // The same file name from another URL: the run says so and starts fresh.
    server.set_behaviour(Behaviour::default());
    let v2 = server.url("/v2/file.bin");
    let session = download::begin(&v2, dir.path()).unwrap();
    assert_eq!(session.ignored_resume_for.as_deref(), Some(v1.as_str()));
    assert_eq!(session.resumed_from, None);
    let outcome = session
        .finish(std::future::pending(), ProgressBar::hidden())
        .await
        .unwrap();
    let Outcome::Finished(done) = outcome else {
        panic!("expected a finished file, got {outcome:?}");
    };
    assert_eq!(done.resumed_from, None);
    let last = server.log().pop().unwrap();
    assert_eq!(last.range, None, "no range request for another URL's bytes");
}
