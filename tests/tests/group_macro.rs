//! `group!` (S31) from a user crate: every form, with inference, `?`, cancellation of the rest
//! on the first error, and input order for the per-item form.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cancelkit::{CancelReason, CancellationError, group};

#[derive(Debug, PartialEq)]
enum AppError {
    NotFound(u32),
    Cancelled(CancelReason),
}

impl From<CancellationError> for AppError {
    fn from(err: CancellationError) -> Self {
        AppError::Cancelled(err.origin())
    }
}

async fn lookup(id: u32) -> Result<String, AppError> {
    cancelkit::sleep(Duration::from_millis(u64::from(10 * (5 - id.min(5))))).await?;
    if id == 0 {
        return Err(AppError::NotFound(id));
    }
    Ok(format!("item {id}"))
}

#[tokio::test(start_paused = true)]
async fn body_form_infers_the_child_type() {
    let squares = group!(|g| {
        for i in 0..5u64 {
            g.spawn(async move { i * i });
        }
        let mut all = Vec::new();
        while let Some(n) = g.next().await {
            all.push(n);
        }
        all.sort_unstable();
        all
    });
    assert_eq!(squares, [0, 1, 4, 9, 16]);
}

#[tokio::test(start_paused = true)]
async fn throwing_body_form_supports_question_mark_and_cancels_the_rest() {
    let sibling_saw = Arc::new(std::sync::Mutex::new(None));
    let saw = sibling_saw.clone();
    let result: Result<Vec<String>, AppError> = group!(try |g| {
        g.spawn(lookup(0));
        g.spawn(async move {
            let slept = cancelkit::sleep(Duration::from_secs(3600)).await;
            *saw.lock().unwrap() = Some(slept.map_err(|e| e.origin()));
            Ok("slow".to_string())
        });
        let mut all = Vec::new();
        while let Some(item) = g.try_next().await? {
            all.push(item);
        }
        all
    });
    assert_eq!(result, Err(AppError::NotFound(0)));
    assert_eq!(*sibling_saw.lock().unwrap(), Some(Err(CancelReason::Group)));
}

#[tokio::test(start_paused = true)]
async fn fan_out_returns_every_output_as_a_tuple() {
    let (a, b, c) = group!(lookup(1), lookup(2), async { Ok::<_, AppError>(3u8) }).unwrap();
    assert_eq!((a.as_str(), b.as_str(), c), ("item 1", "item 2", 3));
}

#[tokio::test(start_paused = true)]
async fn fan_out_first_error_cancels_the_rest() {
    let stopped = Arc::new(AtomicBool::new(false));
    let flag = stopped.clone();
    let result = group!(
        async move {
            let slept = cancelkit::sleep(Duration::from_secs(3600)).await;
            flag.store(slept.is_err(), Ordering::SeqCst);
            slept?;
            Ok(1u32)
        },
        lookup(0),
    );
    assert_eq!(result, Err(AppError::NotFound(0)));
    // The group waited for the cancelled sibling before returning.
    assert!(stopped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn per_item_form_keeps_input_order() {
    // lookup(4) finishes first, lookup(1) last: completion order is the reverse.
    let items = group!(for id in [1, 2, 3, 4] => lookup(id)).unwrap();
    assert_eq!(items, ["item 1", "item 2", "item 3", "item 4"]);

    let empty: Vec<String> = group!(for id in Vec::<u32>::new() => lookup(id)).unwrap();
    assert!(empty.is_empty());
}

#[tokio::test(start_paused = true)]
async fn per_item_form_with_a_pattern_and_an_error() {
    let result = group!(for (i, id) in [5, 0, 3].into_iter().enumerate() => async move {
        let item = lookup(id).await?;
        Ok::<_, AppError>((i, item))
    });
    assert_eq!(result, Err(AppError::NotFound(0)));
}

#[tokio::test(start_paused = true)]
async fn task_cancellation_reaches_fan_out_children() {
    let task = cancelkit::Task::spawn(async {
        group!(lookup(1), async {
            cancelkit::sleep(Duration::from_secs(3600)).await?;
            Ok(String::new())
        })
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    task.cancel();
    assert_eq!(task.await, Err(AppError::Cancelled(CancelReason::Explicit)));
}
