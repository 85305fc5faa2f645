//! `#[cancellable]` expansions are clean under `#![deny(warnings)]` and `clippy::pedantic`
//! (checked by `cargo clippy -p cancelkit-tests --all-targets`), and the attribute stacks with
//! `#[tokio::main]`-style runtimes, `#[tokio::test]`, `#[tracing::instrument]`, `#[must_use]`
//! and doc comments in either order (S30). Every function here is also run, so a stacking
//! order that compiled but lost its checkpoints would fail.
#![deny(warnings, clippy::pedantic)]

use cancelkit::{CancelToken, CancellationError, cancellable};

/// Sums, with every shape the rewrite produces: loop heads, an await in a `while let`
/// condition, an await whose value is `()`, a labelled loop, a marked loop.
#[cancellable]
#[must_use = "the sum is the point"]
async fn every_shape(rx: &mut tokio::sync::mpsc::Receiver<u64>) -> Result<u64, CancellationError> {
    let mut sum = 0;
    while let Some(n) = rx.recv().await {
        sum += n;
        tokio::task::yield_now().await;
    }
    'outer: for i in 0..3_u64 {
        loop {
            sum += i;
            if sum % 2 == 0 || i < 3 {
                continue 'outer;
            }
        }
    }
    #[uninterruptible]
    for i in 0..2_u64 {
        sum += i;
    }
    Ok(sum)
}

/// Partial results.
#[must_use]
#[cancellable(on_cancel = break)]
async fn partial(rx: &mut tokio::sync::mpsc::Receiver<u64>) -> u64 {
    let mut sum = 0;
    while let Some(n) = rx.recv().await {
        sum += n;
    }
    sum
}

/// A given value.
#[cancellable(on_cancel = return None, awaits = false)]
fn first_big(items: &[u64]) -> Option<u64> {
    for &item in items {
        if item > 10 {
            return Some(item);
        }
    }
    None
}

/// `#[tracing::instrument]` expands after `#[cancellable]`.
#[cancellable]
#[tracing::instrument(skip(items), err)]
async fn traced_after(items: &[u64]) -> Result<u64, std::io::Error> {
    let mut sum = 0;
    for item in items {
        sum += std::future::ready(*item).await;
    }
    Ok(sum)
}

/// `#[tracing::instrument]` expands before `#[cancellable]` (async, with `err` and `ret`).
#[tracing::instrument(skip(items), err, ret)]
#[cancellable]
async fn traced_before(items: &[u64]) -> Result<u64, std::io::Error> {
    let mut sum = 0;
    for item in items {
        sum += std::future::ready(*item).await;
    }
    Ok(sum)
}

/// Sync, `#[tracing::instrument(err)]` first: the body sits in `(move || { .. })()`.
#[tracing::instrument(skip(items), err)]
#[cancellable]
fn traced_sync_before(items: &[u64]) -> Result<u64, CancellationError> {
    let mut sum = 0;
    for item in items {
        sum += item;
    }
    Ok(sum)
}

/// Sync, `#[tracing::instrument]` (no `err`/`ret`) first: the body stays inline.
#[tracing::instrument(skip(items))]
#[cancellable]
fn traced_sync_plain_before(items: &[u64]) -> Result<u64, CancellationError> {
    let mut sum = 0;
    for item in items {
        sum += item;
    }
    Ok(sum)
}

/// A `#[tokio::main]`-style entry point with `#[cancellable]` expanding second.
#[tokio::main(flavor = "current_thread")]
#[cancellable]
async fn main_like_before(token: &CancelToken) -> Result<u64, CancellationError> {
    token.cancel();
    let mut n = 0_u64;
    loop {
        n = n.wrapping_add(1);
        std::hint::black_box(n);
    }
}

/// Same, `#[cancellable]` expanding first.
#[cancellable]
#[tokio::main(flavor = "current_thread")]
async fn main_like_after() -> Result<u64, CancellationError> {
    let mut n = 0;
    for _ in 0..3 {
        n += 1;
    }
    Ok(n)
}

async fn cancelled_run<T>(fut: impl Future<Output = T>) -> T {
    let token = CancelToken::new();
    token.cancel();
    token.run(fut).await
}

#[tokio::test]
async fn every_policy_runs_clean() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tx.send(2).await.unwrap();
    drop(tx);
    assert_eq!(every_shape(&mut rx).await, Ok(2 + 3 + 1));

    let (_tx, mut rx) = tokio::sync::mpsc::channel(1);
    assert_eq!(cancelled_run(partial(&mut rx)).await, 0);
    assert_eq!(first_big(&[1, 20]), Some(20));
    assert_eq!(cancelled_run(async { first_big(&[1, 20]) }).await, None);
}

#[tokio::test]
async fn tracing_in_either_order_keeps_the_checkpoints() {
    assert_eq!(traced_after(&[1, 2]).await.unwrap(), 3);
    assert!(cancelled_run(traced_after(&[1, 2])).await.is_err());
    assert_eq!(traced_before(&[1, 2]).await.unwrap(), 3);
    assert!(cancelled_run(traced_before(&[1, 2])).await.is_err());
    assert_eq!(traced_sync_before(&[1, 2]), Ok(3));
    assert!(
        cancelled_run(async { traced_sync_before(&[1, 2]) })
            .await
            .is_err()
    );
    assert!(
        cancelled_run(async { traced_sync_plain_before(&[1, 2]) })
            .await
            .is_err()
    );
}

#[test]
fn tokio_main_in_either_order_keeps_the_checkpoints() {
    assert_eq!(main_like_after(), Ok(3));
    // The runtime `#[tokio::main]` builds runs the body outside any cancelkit task, so it
    // cannot be cancelled from outside; this one runs itself under a token to show that the
    // loop (`loop { n += 1 }`, which would never end) is instrumented.
    let token = CancelToken::new();
    let result = futures::executor::block_on(token.run(async { main_like_before(&token) }));
    assert!(result.is_err());
}

/// `#[tokio::test]` expands before `#[cancellable]`.
#[tokio::test]
#[cancellable]
async fn tokio_test_before() -> Result<(), CancellationError> {
    let mut n = 0;
    for _ in 0..3 {
        n += 1;
    }
    assert_eq!(n, 3);
    Ok(())
}

/// `#[tokio::test]` expands after `#[cancellable]`.
#[cancellable]
#[tokio::test]
async fn tokio_test_after() -> Result<(), CancellationError> {
    let mut n = 0;
    while n < 3 {
        n += 1;
        tokio::task::yield_now().await;
    }
    assert_eq!(n, 3);
    Ok(())
}

/// No names leak in or out (S30): the user's locals and labels named like the generated ones,
/// and items shadowing `Ok`, `Err`, `Result`, `core` and `cancelkit`, change nothing.
mod hygiene {
    #![allow(dead_code, non_camel_case_types)]

    use ::cancelkit::{CancelToken, cancellable};

    struct Ok;
    struct Err;
    struct Result;
    struct Some;
    mod core {}
    mod cancelkit {}

    #[cancellable]
    async fn shadowed(
        cancelkit_value: u32,
        cancelkit_err: u32,
    ) -> ::std::result::Result<u32, ::cancelkit::CancellationError> {
        let mut total = 0;
        for _ in 0..2 {
            total += ::std::future::ready(cancelkit_value).await + cancelkit_err;
        }
        ::std::result::Result::Ok(total)
    }

    #[cancellable(on_cancel = break)]
    async fn labels(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> u32 {
        let mut total = 0;
        'cancelkit_loop0: for _ in 0..2 {
            while let ::std::option::Option::Some(n) = rx.recv().await {
                total += n;
                if n == 0 {
                    break 'cancelkit_loop0;
                }
            }
        }
        total
    }

    #[tokio::test]
    async fn user_names_are_untouched() {
        assert_eq!(shadowed(1, 10).await, ::std::result::Result::Ok(22));
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        for n in [3, 4, 0, 9] {
            tx.send(n).await.unwrap();
        }
        assert_eq!(labels(&mut rx).await, 7);
        let token = CancelToken::new();
        token.cancel();
        assert!(token.run(shadowed(1, 10)).await.is_err());
    }
}

/// `crate = ...` for a renamed or re-exported runtime, `impl Trait` in return position under
/// the return policy, and `&mut self` / `self` receivers.
mod shapes {
    pub(crate) mod reexport {
        pub(crate) use ::cancelkit as ck;
    }

    #[cancelkit::cancellable(crate = crate::shapes::reexport::ck)]
    fn renamed(items: &[u32]) -> Result<u32, cancelkit::CancellationError> {
        let mut sum = 0;
        for item in items {
            sum += item;
        }
        Ok(sum)
    }

    #[cancelkit::cancellable(on_cancel = return Vec::new().into_iter())]
    fn evens(items: &[u32]) -> impl Iterator<Item = u32> {
        let mut out = Vec::new();
        for &item in items {
            if item % 2 == 0 {
                out.push(item);
            }
        }
        out.into_iter()
    }

    struct Acc(u32);

    #[cancelkit::cancellable(on_cancel = break)]
    impl Acc {
        fn add_all(&mut self, items: &[u32]) {
            for item in items {
                self.0 += item;
            }
        }

        fn into_inner(self) -> u32 {
            let mut n = self.0;
            while n > 100 {
                n -= 100;
            }
            n
        }
    }

    #[test]
    fn shapes_work() {
        assert_eq!(renamed(&[1, 2]), Ok(3));
        assert_eq!(evens(&[1, 2, 4]).collect::<Vec<_>>(), [2, 4]);
        let token = cancelkit::CancelToken::new();
        token.cancel();
        let cancelled =
            futures::executor::block_on(token.run(async { (renamed(&[1]), evens(&[2]).count()) }));
        assert!(cancelled.0.is_err());
        assert_eq!(cancelled.1, 0);
        let mut acc = Acc(0);
        acc.add_all(&[150, 3]);
        assert_eq!(acc.into_inner(), 53);
    }
}
