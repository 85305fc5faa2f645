//! Seed 002's news-feed loader: five feeds fetched by a throwing task group; a feed that comes
//! back *empty* means the data quota ran out, so the loader calls `cancel_all()` and stops the
//! fetches still running.
//!
//! The feeds are served by a small HTTP server on 127.0.0.1 that the example starts itself
//! ([`FeedServer`]): feeds 1 and 2 answer at once, feed 3 answers an empty list after 200 ms,
//! and feeds 4 and 5 never answer, so only cancellation ends their fetches. The server's accept
//! loop is itself a discarding task group (S22) in an unstructured [`Task`]: stopping the server
//! is cancelling that task.
//!
//! One deliberate difference from the Swift original: there, the fetches cancelled by
//! `cancelAll()` throw `CancellationError`, which `for try await` rethrows, so the whole load
//! fails. Here the body recognises "a fetch I cancelled" and skips it.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use cancelkit::{CancellationError, Task, with_discarding_task_group, with_throwing_task_group};
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

/// One story (the seed's `NewsStory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsStory {
    /// Unique id; the merged list is sorted by it.
    pub id: u32,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub strap: String,
    /// Where the story lives.
    pub url: String,
}

/// Number of feeds.
pub const FEEDS: u32 = 5;
/// The feed that comes back empty.
pub const EMPTY_FEED: u32 = 3;

/// The stories of feed `feed`, as the server has them.
#[must_use]
pub fn feed_stories(feed: u32) -> Vec<NewsStory> {
    if feed == EMPTY_FEED {
        return Vec::new();
    }
    (1..=2)
        .map(|n| NewsStory {
            id: feed * 10 + n,
            title: format!("Feed {feed}, story {n}"),
            strap: format!("Story {n} of feed {feed}"),
            url: format!("https://example.invalid/{feed}/{n}"),
        })
        .collect()
}

/// The local feed server.
#[derive(Debug)]
pub struct FeedServer {
    addr: SocketAddr,
    task: Task<()>,
}

impl FeedServer {
    /// Binds 127.0.0.1 on a free port and serves `/news-{1..5}.json`.
    ///
    /// # Errors
    ///
    /// If the port cannot be bound.
    pub async fn start() -> std::io::Result<FeedServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = Task::spawn(async move {
            with_discarding_task_group(async |connections| {
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        _ = cancelkit::cancelled() => return,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(|req| async move {
                            Ok::<_, Infallible>(respond(&req).await)
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        tokio::select! {
                            _ = conn => {}
                            _ = cancelkit::cancelled() => {}
                        }
                    });
                }
            })
            .await;
        });
        Ok(FeedServer { addr, task })
    }

    /// The URL of feed `feed`.
    #[must_use]
    pub fn url(&self, feed: u32) -> String {
        format!("http://{}/news-{feed}.json", self.addr)
    }

    /// Stops the server: cancels its task and waits for its connections to close.
    pub async fn stop(self) {
        self.task.cancel();
        self.task.await;
    }
}

async fn respond(req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let feed = req
        .uri()
        .path()
        .strip_prefix("/news-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=FEEDS).contains(n));
    let Some(feed) = feed else {
        let mut response = Response::new(Full::new(Bytes::from_static(b"no such feed")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    match feed {
        EMPTY_FEED => tokio::time::sleep(Duration::from_millis(200)).await,
        4 | 5 => std::future::pending().await, // only cancellation ends these fetches
        _ => {}
    }
    let body = serde_json::to_vec(&feed_stories(feed)).expect("stories serialise");
    Response::new(Full::new(Bytes::from(body)))
}

/// Why a feed failed.
#[derive(Debug)]
pub struct FeedError {
    /// Which feed.
    pub feed: u32,
    /// What went wrong.
    pub kind: FeedErrorKind,
}

/// What went wrong with a feed.
#[derive(Debug)]
pub enum FeedErrorKind {
    /// The request failed.
    Http(reqwest::Error),
    /// The body was not a list of stories.
    Decode(serde_json::Error),
    /// The fetch was cancelled.
    Cancelled(CancellationError),
}

impl FeedError {
    /// Whether the fetch failed because it was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, FeedErrorKind::Cancelled(_))
    }
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FeedErrorKind::Http(err) => write!(f, "feed {}: {err}", self.feed),
            FeedErrorKind::Decode(err) => write!(f, "feed {}: bad JSON: {err}", self.feed),
            FeedErrorKind::Cancelled(err) => write!(f, "feed {}: {err}", self.feed),
        }
    }
}

impl std::error::Error for FeedError {}

/// What the loader ended up with.
#[derive(Debug)]
pub struct Loaded {
    /// Every story of the feeds that arrived, sorted by id.
    pub stories: Vec<NewsStory>,
    /// The feed that came back empty, if one did.
    pub empty_feed: Option<u32>,
    /// The feeds whose fetches `cancel_all()` stopped.
    pub cancelled_feeds: Vec<u32>,
}

/// Fetches one feed; cancellation-aware while the request is in flight (S6), and checks once
/// more before decoding, like the seed's `try Task.checkCancellation()`.
async fn fetch(
    client: reqwest::Client,
    feed: u32,
    url: String,
) -> Result<Vec<NewsStory>, FeedError> {
    let error = |kind| FeedError { feed, kind };
    let request = async {
        client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await
    };
    let body = tokio::select! {
        biased;
        err = cancelkit::cancelled() => return Err(error(FeedErrorKind::Cancelled(err))),
        body = request => body.map_err(|e| error(FeedErrorKind::Http(e)))?,
    };
    cancelkit::checkpoint().map_err(|e| error(FeedErrorKind::Cancelled(e)))?;
    serde_json::from_slice(&body).map_err(|e| error(FeedErrorKind::Decode(e)))
}

/// The seed's `loadStories()`, against `server`.
///
/// # Errors
///
/// The first feed that failed for a reason other than the loader's own `cancel_all()`.
pub async fn load_stories(server: &FeedServer) -> Result<Loaded, FeedError> {
    let client = reqwest::Client::new();
    with_throwing_task_group(async |group| {
        for feed in 1..=FEEDS {
            group.spawn(fetch(client.clone(), feed, server.url(feed)));
        }
        let mut loaded = Loaded {
            stories: Vec::new(),
            empty_feed: None,
            cancelled_feeds: Vec::new(),
        };
        while let Some(result) = group.next().await {
            match result {
                Ok(stories) if stories.is_empty() => {
                    // Quota exhausted: stop the other fetches.
                    loaded.empty_feed = Some(EMPTY_FEED);
                    group.cancel_all();
                }
                Ok(stories) => loaded.stories.extend(stories),
                Err(err) if err.is_cancelled() && group.is_cancelled() => {
                    loaded.cancelled_feeds.push(err.feed);
                }
                Err(err) => return Err(err),
            }
        }
        loaded.stories.sort_by_key(|story| story.id);
        loaded.cancelled_feeds.sort_unstable();
        Ok(loaded)
    })
    .await
}
