//! Borrowing task groups: children run inside the group's own future, so they may borrow
//! from the caller. Same cancellation semantics as the spawning groups (S14–S21).
#![cfg(feature = "local")]

use std::cell::Cell;
use std::time::Duration;

use cancelkit::{CancelReason, CancelToken, with_local_task_group, with_throwing_local_task_group};
use futures::FutureExt;

#[tokio::test]
async fn children_borrow_from_the_caller_and_are_not_send() {
    let counter = Cell::new(0); // !Sync: a spawned child could not touch it
    let names = vec!["a".to_string(), "bb".to_string(), "ccc".to_string()];
    let lens = with_local_task_group(async |group| {
        for name in &names {
            let counter = &counter;
            group.spawn(async move {
                tokio::task::yield_now().await;
                counter.set(counter.get() + 1);
                name.len()
            });
        }
        let mut lens = Vec::new();
        while let Some(len) = group.next().await {
            lens.push(len);
        }
        lens
    })
    .await;
    assert_eq!(counter.get(), 3);
    let mut lens = lens;
    lens.sort_unstable();
    assert_eq!(lens, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn children_progress_while_the_body_awaits_something_else() {
    let done = Cell::new(false);
    with_local_task_group(async |group| {
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(1)).await.unwrap();
            done.set(true);
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(done.get(), "child did not run while the body slept");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn body_end_waits_and_cancel_all_reaches_children() {
    // S14, S18
    let seen = Cell::new(None);
    with_local_task_group(async |group| {
        group.spawn(async {
            let err = cancelkit::sleep(Duration::from_secs(3600))
                .await
                .unwrap_err();
            seen.set(Some(err.origin()));
        });
        group.cancel_all();
        assert!(!group.spawn_unless_cancelled(async {}));
        assert_eq!(group.len(), 1);
    })
    .await;
    assert_eq!(seen.get(), Some(CancelReason::Group));
}

#[tokio::test(start_paused = true)]
async fn throwing_body_error_cancels_the_rest() {
    // S16c
    let seen = Cell::new(None);
    let result: Result<(), &str> = with_throwing_local_task_group(async |group| {
        group.spawn(async {
            let slept = cancelkit::sleep(Duration::from_secs(2)).await;
            seen.set(Some(slept.map_err(|e| e.origin())));
            Ok(())
        });
        group.spawn(async {
            cancelkit::sleep(Duration::from_secs(1)).await.unwrap();
            Err("bad URL")
        });
        while let Some(r) = group.next().await {
            r?;
        }
        Ok(())
    })
    .await;
    assert_eq!(result, Err("bad URL"));
    assert_eq!(seen.get(), Some(Err(CancelReason::Group)));
}

#[tokio::test]
async fn task_cancellation_reaches_children_and_next_returns_none() {
    // S16a, S6: next() ends at once when the task is cancelled while it waits.
    let token = CancelToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (first, origin) = token
        .run(with_local_task_group(async |group| {
            group.spawn(async {
                rx.await.unwrap(); // finishes only after the test says so
                cancelkit::checkpoint().unwrap_err().origin()
            });
            let canceller = token.clone();
            let waiting = async {
                tokio::task::yield_now().await;
                canceller.cancel();
            };
            let (first, ()) = tokio::join!(group.next(), waiting);
            tx.send(()).unwrap();
            group.wait_for_all().await;
            (first, group.cancellation().map(|e| e.origin()))
        }))
        .await;
    assert_eq!(first, None);
    assert_eq!(origin, Some(CancelReason::Explicit));
}

#[tokio::test]
async fn dropping_the_group_stops_children_at_once() {
    // S20: the children are dropped with the group's future.
    struct Flag<'a>(&'a Cell<bool>);
    impl Drop for Flag<'_> {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Cell::new(false);
    let handler_saw = std::sync::Arc::new(std::sync::Mutex::new(None));
    let result = tokio::time::timeout(
        Duration::from_millis(10),
        with_local_task_group(async |group| {
            let handler_saw = handler_saw.clone();
            let dropped = &dropped;
            group.spawn(async move {
                let _flag = Flag(dropped);
                let token = cancelkit::current_token().unwrap();
                let _h = token.clone().on_cancel(move || {
                    *handler_saw.lock().unwrap() = token.cancellation().map(|e| e.origin());
                });
                std::future::pending::<()>().await;
            });
            group.wait_for_all().await;
        }),
    )
    .await;
    assert!(result.is_err());
    assert!(dropped.get());
    assert_eq!(*handler_saw.lock().unwrap(), Some(CancelReason::Group));
}

#[tokio::test]
async fn a_panicking_child_unwinds_out_of_the_group_once_its_siblings_finish() {
    // S21: the sibling is cancelled, finishes its clean-up, then the panic leaves the group.
    let mut cleaned_up = None;
    let outcome = std::panic::AssertUnwindSafe(with_local_task_group(async |group| {
        group.spawn(async {
            panic!("local child");
        });
        group.spawn(async {
            cleaned_up = Some(cancelkit::cancelled().await.origin());
        });
        group.wait_for_all().await;
    }))
    .catch_unwind()
    .await;
    assert!(outcome.is_err());
    assert_eq!(cleaned_up, Some(cancelkit::CancelReason::SiblingFailed));
}
