//! What the cancellation tree holds once things end (S6, S9, S19): these read a node's entry
//! count, which only the crate can see.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures::FutureExt as _;
use futures::executor::block_on;

use crate::CancelToken;

/// (linked children, listeners) held by a token's node.
fn entries(token: &CancelToken) -> (usize, usize) {
    token.node().live_entries()
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(Noop));
    fut.poll_unpin(&mut Context::from_waker(&waker))
}

#[test]
fn s6_dropped_cancelled_future_leaves_no_listener() {
    let token = CancelToken::new();
    let mut fut = Box::pin(token.cancelled());
    assert!(poll_once(&mut fut).is_pending());
    assert!(poll_once(&mut fut).is_pending());
    assert_eq!(entries(&token), (0, 1));
    drop(fut);
    assert_eq!(entries(&token), (0, 0));
}

#[test]
fn s9_handler_is_removed_when_the_operation_finishes() {
    let token = CancelToken::new();
    let called = Arc::new(AtomicBool::new(false));
    block_on(token.run(crate::with_cancellation_handler(async {}, {
        let called = Arc::clone(&called);
        move || called.store(true, Ordering::SeqCst)
    })));
    assert_eq!(entries(&token), (0, 0));
    token.cancel();
    assert!(!called.load(Ordering::SeqCst));
}

#[test]
fn nodes_and_handlers_are_removed_when_they_end() {
    let parent = CancelToken::new();
    for _ in 0..1_000_000 {
        let child = parent.child();
        let _handler = child.on_cancel(|| {});
        let _in_parent = parent.on_cancel(|| {});
    }
    assert_eq!(entries(&parent), (0, 0));
}

#[test]
fn s19_a_chain_unlinks_fully_once_its_leaf_goes() {
    let root = CancelToken::new();
    drop(root.child().child().child());
    assert_eq!(entries(&root), (0, 0));
}

#[test]
fn s19_unlinking_a_deep_chain_does_not_recurse() {
    // Keep only the leaf: unlinking the chain when it goes must not overflow the stack.
    let root = CancelToken::new();
    let mut leaf = root.child();
    for _ in 0..100_000 {
        leaf = leaf.child();
    }
    drop(leaf);
    assert_eq!(entries(&root), (0, 0));
}

#[cfg(feature = "tokio-util")]
#[test]
fn to_tokio_util_registers_once_however_often_it_is_called() {
    let token = CancelToken::new();
    let kept: Vec<_> = (0..100).map(|_| token.to_tokio_util()).collect();
    for _ in 0..100_000 {
        drop(token.clone().to_tokio_util());
    }
    assert_eq!(entries(&token), (0, 1), "one handler, however many calls");
    token.cancel();
    assert!(
        kept.iter()
            .all(tokio_util::sync::CancellationToken::is_cancelled)
    );
}
