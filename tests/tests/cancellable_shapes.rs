//! `#[cancellable]` on the shapes real code has (S25): temporaries kept alive as around a plain
//! `.await`, futures built by async-trait or by hand (`Box::pin(async move { .. })`,
//! `-> impl Future`), and `#[tracing::instrument(ret, err)]` stacked on top.
//!
//! Each instrumented function parks in `recv` on an idle channel; the test cancels it and
//! expects it to stop, which it can only do if the checkpoints landed in the code that runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cancelkit::{CancelReason, CancelToken, CancellationError, cancellable};
use tokio::sync::{mpsc, oneshot};

type Rx = mpsc::Receiver<u32>;

/// Runs `park(ready, rx)` under a token, cancels it once it is parked, and returns its output.
async fn cancel_when_parked<T, F>(park: impl FnOnce(oneshot::Sender<()>, Rx) -> F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (ready_tx, ready_rx) = oneshot::channel();
    let (_tx, rx) = mpsc::channel(1);
    let token = CancelToken::new();
    let task = tokio::spawn(token.run(park(ready_tx, rx)));
    ready_rx.await.unwrap();
    token.cancel();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the cancel reaches the parked await")
        .unwrap()
}

// ---- temporaries ---------------------------------------------------------------------------

async fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or_default()
}

/// Both lines are E0716 if the rewrite ends the temporaries' scope at the await.
#[cancellable]
async fn temporaries(list: Arc<tokio::sync::Mutex<Vec<u32>>>) -> Result<usize, CancellationError> {
    let n = first_word(&String::from("a b")).await.len();
    list.clone().lock().await.push(1);
    Ok(n + list.lock().await.len())
}

#[tokio::test]
async fn temporaries_live_as_long_as_around_a_plain_await() {
    let list = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    assert_eq!(temporaries(list).await, Ok(2));
}

// ---- async-trait ---------------------------------------------------------------------------

#[async_trait]
trait Service {
    async fn serve(&self, ready: oneshot::Sender<()>, rx: Rx) -> Result<u32, CancellationError>;
}

struct AboveMethod;
struct OnMethod;
struct AboveImpl;

// `#[async_trait]` expands first: `#[cancellable]` sees `Box::pin(async move { .. })`.
#[async_trait]
impl Service for OnMethod {
    #[cancellable]
    async fn serve(
        &self,
        ready: oneshot::Sender<()>,
        mut rx: Rx,
    ) -> Result<u32, CancellationError> {
        ready.send(()).unwrap();
        Ok(rx.recv().await.unwrap_or(0))
    }
}

#[async_trait]
#[cancellable]
impl Service for AboveImpl {
    async fn serve(
        &self,
        ready: oneshot::Sender<()>,
        mut rx: Rx,
    ) -> Result<u32, CancellationError> {
        ready.send(()).unwrap();
        Ok(rx.recv().await.unwrap_or(0))
    }
}

// `#[cancellable]` expands first, on the plain `async fn`.
#[cancellable]
#[async_trait]
impl Service for AboveMethod {
    async fn serve(
        &self,
        ready: oneshot::Sender<()>,
        mut rx: Rx,
    ) -> Result<u32, CancellationError> {
        ready.send(()).unwrap();
        Ok(rx.recv().await.unwrap_or(0))
    }
}

#[tokio::test]
async fn async_trait_methods_are_instrumented_in_every_order() {
    let services: [Arc<dyn Service + Send + Sync>; 3] = [
        Arc::new(OnMethod),
        Arc::new(AboveImpl),
        Arc::new(AboveMethod),
    ];
    for service in services {
        let result =
            cancel_when_parked(|ready, rx| async move { service.serve(ready, rx).await }).await;
        assert_eq!(result.unwrap_err().reason(), CancelReason::Explicit);
    }
}

// ---- futures built by hand -----------------------------------------------------------------

#[cancellable]
fn boxed(
    ready: oneshot::Sender<()>,
    mut rx: Rx,
) -> Pin<Box<dyn Future<Output = Result<u32, CancellationError>> + Send>> {
    Box::pin(async move {
        ready.send(()).unwrap();
        Ok(rx.recv().await.unwrap_or(0))
    })
}

#[tokio::test]
async fn a_boxed_future_body_is_instrumented() {
    let result = cancel_when_parked(boxed).await;
    assert!(result.is_err());
}

#[allow(clippy::manual_async_fn)] // the shape under test
#[cancellable(on_cancel = break)]
fn collect(ready: oneshot::Sender<()>, mut rx: Rx) -> impl Future<Output = Vec<u32>> + Send {
    async move {
        let mut ready = Some(ready);
        let mut seen = Vec::new();
        loop {
            if let Some(ready) = ready.take() {
                ready.send(()).unwrap();
            }
            match rx.recv().await {
                Some(v) => seen.push(v),
                None => break,
            }
        }
        seen.push(u32::MAX); // carries on after the loop
        seen
    }
}

#[tokio::test]
async fn an_impl_future_body_is_instrumented_under_break() {
    assert_eq!(cancel_when_parked(collect).await, [u32::MAX]);
}

// ---- tracing -------------------------------------------------------------------------------

/// Records the `return` and `error` fields of the events `#[instrument(ret, err)]` emits.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Visit<'a>(&'a Mutex<Vec<String>>);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if matches!(field.name(), "return" | "error") {
                    self.0
                        .lock()
                        .unwrap()
                        .push(format!("{}={value:?}", field.name()));
                }
            }
        }
        event.record(&mut Visit(&self.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tracing::instrument(ret, err, skip_all)]
#[cancellable]
async fn traced(ready: oneshot::Sender<()>, mut rx: Rx) -> Result<u32, CancellationError> {
    ready.send(()).unwrap();
    Ok(rx.recv().await.unwrap_or(0))
}

#[test]
fn instrument_ret_err_on_top_logs_what_the_caller_gets() {
    let recorder = Recorder::default();
    let result = tracing::subscriber::with_default(recorder.clone(), || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(cancel_when_parked(traced))
    });
    let err = result.unwrap_err();
    assert_eq!(*recorder.0.lock().unwrap(), [format!("error={err}")]);
}
