//! Seed 002's third example: a child that fails after 1 s, and a sibling sleeping for 2 s.
//!
//! A child's error does not cancel its siblings by itself (S17): only when the body *observes*
//! it — `group.try_next().await?` rethrows it and the error leaves the body — is the group
//! cancelled, which wakes the sleeping sibling at once (S16c, S6). If the body never looks, the
//! sibling sleeps its full 2 s and is never cancelled.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cancelkit::{CancellationError, with_throwing_task_group};
use tokio::time::Instant;

/// The child's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExampleError {
    /// What the first child throws.
    BadUrl,
    /// A child was cancelled.
    Cancelled(CancellationError),
}

impl fmt::Display for ExampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExampleError::BadUrl => f.write_str("bad URL"),
            ExampleError::Cancelled(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ExampleError {}

impl From<CancellationError> for ExampleError {
    fn from(err: CancellationError) -> Self {
        ExampleError::Cancelled(err)
    }
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The group's result.
    pub result: Result<(), ExampleError>,
    /// Whether the sleeping sibling's sleep was cut short by cancellation.
    pub sibling_cancelled: bool,
    /// How long the group ran.
    pub elapsed: Duration,
}

/// Runs the example; `observe` says whether the body waits for a result with `try_next()?`.
pub async fn test_cancellation(observe: bool) -> Outcome {
    let start = Instant::now();
    let sibling_cancelled = Arc::new(Mutex::new(false));
    let result = with_throwing_task_group(async |group| {
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(1)).await?;
            Err(ExampleError::BadUrl)
        });
        let flag = sibling_cancelled.clone();
        group.spawn(async move {
            let slept = cancelkit::sleep(Duration::from_secs(2)).await;
            *flag.lock().unwrap() = slept.is_err();
            println!("Task is cancelled: {}", cancelkit::is_cancelled());
            slept?;
            Ok(())
        });
        if observe {
            group.try_next().await?;
        }
        Ok(())
    })
    .await;
    if let Err(err) = &result {
        println!("Error thrown: {err}");
    }
    let sibling_cancelled = *sibling_cancelled.lock().unwrap();
    Outcome {
        result,
        sibling_cancelled,
        elapsed: start.elapsed(),
    }
}
