//! Behaviour of `#[cancellable]` (S25–S28): a running instrumented function is cancelled at a
//! loop head and at an `.await`, and stops at the next checkpoint, for each policy.
//!
//! No timing: loop-head tests hand-shake with the worker thread through channels; await tests
//! use futures that cancel the task while being awaited, or a task suspended on a channel.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};

use cancelkit::{CancelReason, CancelToken, CancellationError, Task, cancellable};

/// The body of a hard-work loop: reports iteration `i`, then waits until the test says go.
fn handshake(progress: &mpsc::Sender<u32>, go: &mpsc::Receiver<()>, i: u32) {
    progress.send(i).unwrap();
    go.recv().unwrap();
}

/// Runs `work` as a cancelkit task on its own thread; lets iterations 0..=3 through, cancels
/// during iteration 3, then lets it go on. Returns what the function returned.
fn cancel_during_iteration_3<T: Send + 'static>(
    work: impl FnOnce(mpsc::Sender<u32>, mpsc::Receiver<()>) -> T + Send + 'static,
) -> (T, Vec<u32>) {
    let token = CancelToken::new();
    let (progress_tx, progress_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    let worker = std::thread::spawn({
        let token = token.clone();
        move || futures::executor::block_on(token.run(async move { work(progress_tx, go_rx) }))
    });
    let mut seen = Vec::new();
    for i in progress_rx.iter() {
        seen.push(i);
        if i == 3 {
            token.cancel();
        }
        // Dropping the sender side would end the loop early; keep answering.
        if go_tx.send(()).is_err() {
            break;
        }
    }
    (worker.join().unwrap(), seen)
}

// ---- loop heads ----------------------------------------------------------------------------

#[cancellable]
fn hard_work_default(
    progress: &mpsc::Sender<u32>,
    go: &mpsc::Receiver<()>,
) -> Result<u32, CancellationError> {
    let mut done = 0;
    for i in 0..100 {
        handshake(progress, go, i);
        done += 1;
    }
    Ok(done)
}

#[test]
fn loop_head_default_policy_returns_err_at_next_iteration() {
    let (result, seen) = cancel_during_iteration_3(|p, g| hard_work_default(&p, &g));
    assert_eq!(seen, [0, 1, 2, 3], "iteration 4 must not start");
    let err = result.unwrap_err();
    assert_eq!(err.reason(), CancelReason::Explicit);
}

#[cancellable(on_cancel = break)]
fn hard_work_break(progress: &mpsc::Sender<u32>, go: &mpsc::Receiver<()>) -> u32 {
    let mut done = 0;
    let mut i = 0;
    while i < 100 {
        handshake(progress, go, i);
        done += 1;
        i += 1;
    }
    // Carries on after the loop with partial results.
    done * 10
}

#[test]
fn loop_head_break_policy_keeps_partial_results() {
    let (result, seen) = cancel_during_iteration_3(|p, g| hard_work_break(&p, &g));
    assert_eq!(seen, [0, 1, 2, 3]);
    assert_eq!(
        result, 40,
        "four iterations done, then the code after the loop ran"
    );
}

#[cancellable(on_cancel = return Err(done))]
fn hard_work_return(progress: &mpsc::Sender<u32>, go: &mpsc::Receiver<()>) -> Result<u32, u32> {
    let mut done = 0;
    loop {
        if done == 100 {
            break;
        }
        handshake(progress, go, done);
        done += 1;
    }
    Ok(done)
}

#[test]
fn loop_head_return_policy_returns_the_expression() {
    let (result, seen) = cancel_during_iteration_3(|p, g| hard_work_return(&p, &g));
    assert_eq!(seen, [0, 1, 2, 3]);
    assert_eq!(result, Err(4));
}

#[cancellable]
fn nested_labelled(progress: &mpsc::Sender<u32>, go: &mpsc::Receiver<()>) -> std::io::Result<()> {
    let mut i = 0;
    'outer: for _ in 0..10 {
        loop {
            handshake(progress, go, i);
            i += 1;
            if i % 2 == 0 {
                continue 'outer;
            }
        }
    }
    Ok(())
}

#[test]
fn nested_labelled_loops_check_at_each_head_and_convert_the_error() {
    let (result, seen) = cancel_during_iteration_3(|p, g| nested_labelled(&p, &g));
    assert_eq!(seen, [0, 1, 2, 3]);
    let err = result.unwrap_err();
    assert!(err.get_ref().unwrap().is::<CancellationError>());
}

#[cancellable]
fn opted_out(
    progress: &mpsc::Sender<u32>,
    go: &mpsc::Receiver<()>,
) -> Result<u32, CancellationError> {
    let mut done = 0;
    #[cancelkit::uninterruptible]
    for i in 0..6 {
        handshake(progress, go, i);
        done += 1;
    }
    Ok(done)
}

#[test]
fn uninterruptible_loop_runs_to_the_end() {
    let (result, seen) = cancel_during_iteration_3(|p, g| opted_out(&p, &g));
    assert_eq!(seen, [0, 1, 2, 3, 4, 5]);
    assert_eq!(result, Ok(6));
}

// ---- awaits --------------------------------------------------------------------------------

/// A future that cancels the current task while it is being awaited, then completes: the
/// check *after resuming* must catch it.
struct CancelWhileAwaited(u32);

impl Future for CancelWhileAwaited {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        cancelkit::current_token().expect("inside a task").cancel();
        Poll::Ready(self.0)
    }
}

/// A future that records whether it was ever polled.
struct Probe<'a>(&'a mut bool);

impl Future for Probe<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        *self.0 = true;
        Poll::Ready(())
    }
}

#[cancellable]
async fn await_default(seen: &mut Vec<u32>) -> Result<(), CancellationError> {
    let v = CancelWhileAwaited(7).await;
    seen.push(v); // runs: a completed await's value reaches the user's code (S25c)
    std::future::ready(()).await; // the check before this await returns (S25a)
    seen.push(99);
    Ok(())
}

#[cancellable]
async fn await_before(polled: &mut bool) -> Result<(), CancellationError> {
    cancelkit::current_token().unwrap().cancel();
    Probe(polled).await; // the check before suspending returns first
    Ok(())
}

#[test]
fn s25a_c_a_completed_await_keeps_its_value_and_the_next_await_checks_first() {
    let mut seen = Vec::new();
    let token = CancelToken::new();
    let result = futures::executor::block_on(token.run(await_default(&mut seen)));
    assert!(result.is_err());
    assert_eq!(
        seen,
        [7],
        "the value is used; the next await is not started"
    );

    let mut polled = false;
    let token = CancelToken::new();
    let result = futures::executor::block_on(token.run(await_before(&mut polled)));
    assert!(result.is_err());
    assert!(
        !polled,
        "the awaited future must not be polled once cancelled"
    );
}

#[cancellable(on_cancel = break)]
async fn await_break(values: &[u32]) -> (Vec<u32>, &'static str) {
    let mut seen = Vec::new();
    for &v in values {
        let got = if v == 3 {
            CancelWhileAwaited(v).await
        } else {
            v
        };
        seen.push(got);
    }
    (seen, "after the loop")
}

#[test]
fn await_break_policy_leaves_the_loop_and_carries_on() {
    let token = CancelToken::new();
    let (seen, tail) = futures::executor::block_on(token.run(await_break(&[1, 2, 3, 4, 5])));
    assert_eq!(
        seen,
        [1, 2, 3],
        "the completed await's value is used; the next loop head breaks"
    );
    assert_eq!(tail, "after the loop");
}

#[cancellable(on_cancel = break)]
async fn await_in_while_condition(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Vec<u32> {
    let mut seen = Vec::new();
    while let Some(v) = rx.recv().await {
        seen.push(v);
        if v == 2 {
            cancelkit::current_token().unwrap().cancel();
        }
    }
    seen
}

#[tokio::test]
async fn await_break_policy_works_in_a_while_let_condition() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    for v in 1..=5 {
        tx.send(v).await.unwrap();
    }
    let token = CancelToken::new();
    let seen = token.run(await_in_while_condition(&mut rx)).await;
    assert_eq!(seen, [1, 2]);
    assert_eq!(
        rx.recv().await,
        Some(3),
        "the loop stopped before receiving again"
    );
}

#[cancellable(on_cancel = return -1)]
async fn await_return(rx: &mut tokio::sync::mpsc::Receiver<i32>) -> i32 {
    CancelWhileAwaited(0).await;
    rx.recv().await.unwrap_or(0)
}

#[test]
fn await_return_policy_returns_the_expression() {
    let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
    let token = CancelToken::new();
    assert_eq!(
        futures::executor::block_on(token.run(await_return(&mut rx))),
        -1
    );
}

/// A real task parked in `recv` on an idle channel, cancelled from outside.
#[cancellable]
async fn consume(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: &mut tokio::sync::mpsc::Receiver<u32>,
    seen: &std::sync::Mutex<Vec<u32>>,
) -> Result<(), CancellationError> {
    let mut ready = Some(ready);
    loop {
        if let Some(ready) = ready.take() {
            ready.send(()).unwrap();
        }
        let Some(v) = rx.recv().await else { break };
        seen.lock().unwrap().push(v);
    }
    Ok(())
}

#[tokio::test]
async fn s25b_a_task_parked_at_an_await_is_interrupted_and_loses_nothing() {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let task = Task::spawn({
        let seen = seen.clone();
        async move {
            let mut rx = rx;
            let result = consume(ready_tx, &mut rx, &seen).await;
            (result, rx)
        }
    });
    ready_rx.await.unwrap();
    task.cancel(); // nothing is ever sent: only the cancel can end the `recv`
    let (result, mut rx) = tokio::time::timeout(std::time::Duration::from_secs(30), task)
        .await
        .expect("the cancel interrupts the parked `recv`");
    assert_eq!(result.unwrap_err().reason(), CancelReason::Explicit);
    assert!(seen.lock().unwrap().is_empty());
    tx.send(1).await.unwrap();
    assert_eq!(rx.recv().await, Some(1), "the channel lost nothing");
}

/// `interrupt = false` keeps only the check before each await (S25, option).
#[cancellable(interrupt = false)]
async fn consume_uninterrupted(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: &mut tokio::sync::mpsc::Receiver<u32>,
) -> Result<Vec<u32>, CancellationError> {
    ready.send(()).unwrap();
    let mut seen = Vec::new();
    loop {
        let Some(v) = rx.recv().await else { break };
        seen.push(v);
    }
    Ok(seen)
}

#[tokio::test]
async fn interrupt_false_lets_a_pending_await_finish_and_checks_at_the_next() {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let token = CancelToken::new();
    let task = tokio::spawn(token.run(async move {
        let seen = consume_uninterrupted(ready_tx, &mut rx).await;
        (seen, rx)
    }));
    ready_rx.await.unwrap();
    token.cancel();
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let (seen, mut rx) = task.await.unwrap();
    assert!(seen.is_err(), "the loop head after the first value checks");
    assert_eq!(rx.recv().await, Some(2), "only the first value was taken");
}

/// `#[uninterruptible]` on one statement keeps its await whole.
#[cancellable]
async fn one_await_uninterruptible(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: &mut tokio::sync::mpsc::Receiver<u32>,
) -> Result<u32, CancellationError> {
    ready.send(()).unwrap();
    #[uninterruptible]
    let v = rx.recv().await.unwrap_or(0);
    std::future::ready(()).await;
    Ok(v)
}

#[tokio::test]
async fn an_uninterruptible_await_finishes_and_the_next_await_checks() {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let token = CancelToken::new();
    let task =
        tokio::spawn(token.run(async move { one_await_uninterruptible(ready_tx, &mut rx).await }));
    ready_rx.await.unwrap();
    token.cancel();
    tx.send(5).await.unwrap();
    assert!(task.await.unwrap().is_err());
}

/// `shield(..).await` is neither checked nor interrupted: the clean-up inside finishes.
#[cancellable]
async fn cleanup_in_a_shield(log: &mut Vec<&'static str>) -> Result<(), CancellationError> {
    cancelkit::current_token().unwrap().cancel();
    cancelkit::shield(async {
        tokio::task::yield_now().await;
        log.push("cleaned up");
    })
    .await;
    std::future::ready(()).await;
    log.push("not reached");
    Ok(())
}

#[tokio::test]
async fn a_shield_await_runs_to_the_end_under_cancellable() {
    let mut log = Vec::new();
    let result = CancelToken::new().run(cleanup_in_a_shield(&mut log)).await;
    assert!(result.is_err());
    assert_eq!(log, ["cleaned up"]);
}

// ---- shapes --------------------------------------------------------------------------------

struct Counter {
    limit: u32,
}

trait Work {
    fn run(&self) -> Result<u32, CancellationError>;
}

#[cancellable]
impl Work for Counter {
    fn run(&self) -> Result<u32, CancellationError> {
        let mut n = 0;
        while n < self.limit {
            n += 1;
            if n == 3 {
                cancelkit::current_token().unwrap().cancel();
            }
        }
        Ok(n)
    }
}

#[cancellable(on_cancel = return (n, 'x'))]
impl Counter {
    fn generic<T>(&self, step: T) -> (u32, char)
    where
        T: Copy + Into<u32>,
    {
        let mut n = 0;
        loop {
            n += step.into();
            if n >= 3 {
                cancelkit::current_token().unwrap().cancel();
            }
        }
    }

    async fn by_box(self: Box<Self>, items: impl IntoIterator<Item = u32>) -> (u32, char) {
        let mut n = 0;
        for i in items {
            n += std::future::ready(i).await;
            if n >= self.limit {
                cancelkit::current_token().unwrap().cancel();
            }
        }
        (n, 'y')
    }
}

#[test]
fn trait_impl_inherent_generic_and_box_self_methods_are_instrumented() {
    let token = CancelToken::new();
    let counter = Counter { limit: 10 };
    let run = futures::executor::block_on(token.run(async { counter.run() }));
    assert!(run.is_err());

    let token = CancelToken::new();
    let out = futures::executor::block_on(token.run(async { counter.generic(1u8) }));
    assert_eq!(out, (3, 'x'));

    let token = CancelToken::new();
    let out = futures::executor::block_on(token.run(Box::new(Counter { limit: 3 }).by_box(1..)));
    assert_eq!(
        out,
        (3, 'x'),
        "cancelled by the check after the await that reached the limit"
    );
}

#[test]
fn outside_a_task_nothing_is_cancelled() {
    let counter = Counter { limit: 2 };
    assert_eq!(Work::run(&counter), Ok(2));
}

/// Closures and async blocks are not instrumented (S27).
#[cancellable]
async fn closures_not_instrumented() -> Result<u32, CancellationError> {
    cancelkit::current_token().unwrap().cancel();
    let count = || {
        let mut n = 0;
        for _ in 0..5 {
            n += 1;
        }
        n
    };
    let in_block = async {
        let mut n = 0;
        for _ in 0..5 {
            n += 1;
        }
        n
    };
    // No checkpoint anywhere above; the next one is this await.
    let total = count() + in_block.await;
    Ok(total)
}

#[test]
fn closures_and_async_blocks_are_not_descended_into() {
    let token = CancelToken::new();
    let result = futures::executor::block_on(token.run(closures_not_instrumented()));
    assert!(result.is_err(), "the await is a checkpoint");
}

/// An `async fn` loop that cannot suspend looks the token up once before it starts; it still
/// stops at the next loop head.
#[cancellable]
async fn async_cpu_loop(done: &mut u32) -> Result<(), CancellationError> {
    for i in 0..100 {
        *done += 1;
        if i == 4 {
            cancelkit::current_token().unwrap().cancel();
        }
    }
    Ok(())
}

#[test]
fn async_cpu_loop_stops_at_the_next_head() {
    let token = CancelToken::new();
    let mut done = 0;
    let result = futures::executor::block_on(token.run(async_cpu_loop(&mut done)));
    assert!(result.is_err());
    assert_eq!(done, 5, "iteration 5 must not start");
}

// ---- real sockets --------------------------------------------------------------------------

#[cancellable]
async fn read_some(stream: &mut tokio::net::TcpStream) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).await?;
    Ok(n)
}

#[cancellable]
async fn accept_one(listener: &tokio::net::TcpListener) -> std::io::Result<std::net::SocketAddr> {
    let (_, peer) = listener.accept().await?;
    Ok(peer)
}

/// S23 with S25b: a deadline interrupts a `#[cancellable]` fn parked in a read of a real
/// loopback socket whose peer never writes, and in `accept` on an idle listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_interrupts_a_parked_socket_read_and_accept() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap());
    let (client, accepted) = tokio::join!(client, listener.accept());
    let (mut server_side, _) = accepted.unwrap();
    let _client = client.unwrap(); // kept open and silent

    let deadline = std::time::Duration::from_millis(500);
    let start = std::time::Instant::now();
    let err = cancelkit::with_timeout(deadline, read_some(&mut server_side))
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    let cancelled = cancellation_in(&err).expect("a cancellation");
    assert_eq!(cancelled.reason(), CancelReason::Deadline);
    // Generous bounds: the point is that it returns at all (before, it never did).
    assert!(elapsed >= deadline, "{elapsed:?}");
    assert!(elapsed < deadline * 5, "{elapsed:?}");

    let err = cancelkit::with_timeout(deadline, accept_one(&listener))
        .await
        .unwrap_err();
    assert!(cancellation_in(&err).is_some());
}

fn cancellation_in(err: &std::io::Error) -> Option<CancellationError> {
    CancellationError::find(err)
}

// ---- keeping awaits whole --------------------------------------------------------------------

/// A `#[cancellable]` callee: interrupted by the task's cancellation, unless shielded.
#[cancellable]
async fn callee(rx: tokio::sync::oneshot::Receiver<u32>) -> Result<u32, CancellationError> {
    Ok(rx.await.unwrap_or(0))
}

/// `#[uninterruptible]` keeps the statement's awaits whole, including the awaits of the
/// `#[cancellable]` functions it calls; the next checkpoint sees the cancel.
#[cancellable]
async fn whole_statement(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: tokio::sync::oneshot::Receiver<u32>,
) -> Result<(u32, bool), CancellationError> {
    ready.send(()).unwrap();
    #[uninterruptible]
    let v = callee(rx).await?;
    Ok((v, cancelkit::is_cancelled()))
}

/// The same under `#[tracing::instrument]`, which expands first and wraps the body: its own
/// await of the wrapped body must not be interrupted either.
#[tracing::instrument(skip_all)]
#[cancellable]
async fn whole_statement_traced(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: tokio::sync::oneshot::Receiver<u32>,
) -> Result<(u32, bool), CancellationError> {
    ready.send(()).unwrap();
    #[uninterruptible]
    let v = callee(rx).await?;
    Ok((v, cancelkit::is_cancelled()))
}

#[tracing::instrument(skip_all)]
#[cancellable]
async fn shielded_traced(
    ready: tokio::sync::oneshot::Sender<()>,
    rx: tokio::sync::oneshot::Receiver<u32>,
) -> Result<u32, CancellationError> {
    ready.send(()).unwrap();
    let v = cancelkit::shield(async { rx.await.unwrap_or(0) }).await;
    Ok(v)
}

#[tokio::test]
async fn an_uninterruptible_statement_shields_the_cancellable_fns_it_calls() {
    for traced in [false, true] {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let token = CancelToken::new();
        let task = tokio::spawn(token.run(async move {
            if traced {
                whole_statement_traced(ready_tx, rx).await
            } else {
                whole_statement(ready_tx, rx).await
            }
        }));
        ready_rx.await.unwrap();
        token.cancel();
        tx.send(7).unwrap();
        assert_eq!(task.await.unwrap(), Ok((7, true)), "traced: {traced}");
    }
}

#[tokio::test]
async fn a_shield_under_tracing_instrument_runs_to_the_end() {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let token = CancelToken::new();
    let task = tokio::spawn(token.run(shielded_traced(ready_tx, rx)));
    ready_rx.await.unwrap();
    token.cancel();
    tx.send(7).unwrap();
    assert_eq!(task.await.unwrap(), Ok(7));
}
