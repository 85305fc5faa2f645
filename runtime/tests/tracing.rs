//! The `tracing` feature (issue 14): the events cancelkit emits, and that a subscriber that
//! panics cannot break a cancel, a group or a checkpoint.
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cancelkit::group::GroupOptions;
use cancelkit::{CancelReason, CancelToken};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// One recorded event: its message and fields, as strings.
type Event = BTreeMap<String, String>;

/// Records every `cancelkit` event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut Event);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "cancelkit" {
            return;
        }
        let mut fields = Event::new();
        fields.insert("level".into(), event.metadata().level().to_string());
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(fields);
    }
}

impl Recorder {
    fn take(&self, message: &str) -> Vec<Event> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event["message"] == message)
            .cloned()
            .collect()
    }
}

/// Panics on every event and every span.
struct Panicking;

impl<S: tracing::Subscriber> Layer<S> for Panicking {
    fn on_event(&self, _: &tracing::Event<'_>, _: Context<'_, S>) {
        panic!("a buggy subscriber");
    }

    fn on_new_span(&self, _: &tracing::span::Attributes<'_>, _: &tracing::Id, _: Context<'_, S>) {
        panic!("a buggy subscriber");
    }
}

fn recording<R>(f: impl FnOnce() -> R) -> (R, Recorder) {
    let recorder = Recorder::default();
    let subscriber = Registry::default().with(recorder.clone());
    let out = tracing::subscriber::with_default(subscriber, f);
    (out, recorder)
}

#[test]
fn a_cancel_reports_its_reason_origin_subtree_caller_and_handler_time() {
    let ((), recorder) = recording(|| {
        let root = CancelToken::new();
        let child = root.child();
        let _grandchild = child.child();
        let _guard = child.on_cancel(|| std::thread::sleep(Duration::from_millis(2)));
        root.cancel();
    });
    let events = recorder.take("cancelled");
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["level"], "DEBUG");
    assert_eq!(event["kind"], "token");
    assert_eq!(event["reason"], CancelReason::Explicit.to_string());
    assert_eq!(event["subtree"], "3");
    assert!(event["by"].contains("tests/tracing.rs:"), "{event:?}");
    assert!(
        event["created_at"].contains("tests/tracing.rs:"),
        "{event:?}"
    );
    assert!(
        event["handlers_us"].parse::<u64>().unwrap() >= 2000,
        "{event:?}"
    );
    assert_eq!(event["handler_panicked"], "false");
}

#[test]
fn a_failed_checkpoint_is_a_debug_event_and_a_passing_one_is_silent() {
    let ((), recorder) = recording(|| {
        let token = CancelToken::new();
        futures::executor::block_on(token.run(async {
            cancelkit::checkpoint().unwrap();
        }));
        token.cancel();
        let err = futures::executor::block_on(token.run(async { cancelkit::checkpoint() }));
        assert!(err.is_err());
    });
    let events = recorder.take("checkpoint: cancelled");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["level"], "DEBUG");
    assert_eq!(events[0]["reason"], CancelReason::Explicit.to_string());
}

#[test]
fn group_children_are_traced_from_spawn_to_their_end() {
    let ((), recorder) = recording(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            GroupOptions::new()
                .isolate_panics()
                .discarding(async |group| {
                    group.spawn(async {});
                    group.spawn(async { panic!("isolated") });
                    group.wait_for_all().await;
                    group.spawn(async {
                        cancelkit::cancelled().await;
                    });
                    group.cancel_all();
                })
                .await;
        });
    });
    let outcomes: Vec<String> = recorder
        .take("group child")
        .iter()
        .map(|event| {
            assert_eq!(event["level"], "TRACE");
            assert!(event["group"].contains("tests/tracing.rs:"), "{event:?}");
            event["outcome"].clone()
        })
        .collect();
    let count = |what: &str| outcomes.iter().filter(|o| *o == what).count();
    assert_eq!(
        (
            count("spawned"),
            count("finished"),
            count("panicked"),
            count("cancelled")
        ),
        (3, 1, 1, 1),
        "{outcomes:?}"
    );
    assert_eq!(
        recorder.take("a task group child panicked; isolated")[0]["panic"],
        "isolated"
    );
}

#[test]
fn shutdown_phases_are_info_events_and_the_abort_a_warning() {
    let ((), recorder) = recording(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let shutdown = cancelkit::shutdown::Shutdown::new(Duration::from_secs(1));
            shutdown.trigger();
            // Ignores everything: drained, cancelled, then aborted.
            shutdown
                .run(tokio::time::sleep(Duration::from_secs(3600)))
                .await;
        });
    });
    let phases: Vec<(String, String)> = recorder
        .take("shutdown")
        .into_iter()
        .map(|event| (event["phase"].clone(), event["level"].clone()))
        .collect();
    let phases: Vec<(&str, &str)> = phases
        .iter()
        .map(|(phase, level)| (phase.as_str(), level.as_str()))
        .collect();
    assert_eq!(
        phases,
        [
            ("started", "INFO"),
            ("cancelling", "INFO"),
            ("aborting", "WARN"),
            ("aborted", "INFO")
        ]
    );
}

/// A subscriber that panics on every span and event: cancels still wake every waiter and run
/// every handler, checkpoints still return their error, groups still finish, and nothing
/// panics out of cancelkit.
#[test]
fn a_panicking_subscriber_never_breaks_cancelkit() {
    let subscriber = Registry::default().with(Panicking);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tracing::subscriber::with_default(subscriber, || {
            let root = CancelToken::new();
            let child = root.child();
            let handled = Arc::new(Mutex::new(false));
            let _guard = child.on_cancel({
                let handled = Arc::clone(&handled);
                move || *handled.lock().unwrap() = true
            });
            let waiter = std::thread::spawn({
                let child = child.clone();
                move || futures::executor::block_on(child.cancelled())
            });
            root.cancel();
            assert_eq!(waiter.join().unwrap().reason(), CancelReason::Parent);
            assert!(*handled.lock().unwrap());
            assert!(
                futures::executor::block_on(root.run(async { cancelkit::checkpoint() })).is_err()
            );
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let sum = cancelkit::with_task_group(async |group| {
                    group.spawn(async { 1 });
                    group.spawn(async { 2 });
                    let mut sum = 0;
                    while let Some(n) = group.next().await {
                        sum += n;
                    }
                    sum
                })
                .await;
                assert_eq!(sum, 3);
            });
        });
    }));
    std::panic::set_hook(hook);
    outcome.expect("nothing panics out of cancelkit");
}
