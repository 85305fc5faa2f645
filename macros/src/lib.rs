//! Procedural macros for [`cancelkit`](https://docs.rs/cancelkit). Use them through the
//! `cancelkit` crate, which re-exports them; generated code names runtime items only through
//! `::cancelkit::__private`.

use proc_macro::TokenStream;

mod cancellable;
mod group;

/// Makes a function observe cancellation: a checkpoint at the head of every loop, and every
/// `.await` interrupted by the task's cancellation (SPEC S25–S30).
///
/// # Where checkpoints go
///
/// - **Loops**: the first statement of the body of every `loop`, `while`, `while let` and
///   `for`, labelled or not, nested or not — so it runs once before each iteration's body (for
///   `while`, after the condition; for `for`, after the iterator's `next()`).
/// - **Awaits**: every `.await` is run through `cancelkit::until_cancelled`:
///   (a) if the task is already cancelled, the awaited future is not polled at all;
///   (b) while it is pending, the task's cancellation interrupts it at once: the future is
///   dropped, as `select!` and `tokio::time::timeout` drop theirs, and the policy applies;
///   (c) a value it has produced always reaches your code; the next checkpoint sees the
///   cancel. So a task parked in tokio's `recv`, `accept` or a socket read stops as soon as
///   it is cancelled, and never loses a received value. Dropping a future that is not
///   cancel-safe loses what it held (a half-read frame): see
///   [cancel safety](https://docs.rs/cancelkit/latest/cancelkit/cancel_safety/index.html),
///   `interrupt = false` and `#[uninterruptible]`. The await stays a single expression, so
///   temporaries live exactly as long as around the plain `.await`.
/// - **Shields**: `shield(..).await` (any path ending in `shield`) is neither checked nor
///   interrupted: the clean-up inside must finish.
/// - **Functions that return a future**: a plain `fn` returning `impl Future<Output = T>`,
///   `Pin<Box<dyn Future<Output = T> + ..>>` or `BoxFuture<'_, T>` is instrumented inside the
///   `async` block it ends with (`async move { .. }` or `Box::pin(async move { .. })`), with
///   `T` as the return type. That is also what `#[async_trait]` leaves when it expands first.
///   If the function does not end in such a block, it is a compile error: a function that
///   silently has no checkpoints is worse than none.
/// - **Not descended into**: closures, `async` blocks, nested items (`fn`, `impl`, ...),
///   `const` blocks and macro invocations (`select!`, `join!`, `println!`...). Their `return`,
///   `break` and `?` mean something else, so their loops and awaits get no checkpoints. Code
///   under a literal `if false` never runs and gets none either.
/// - **Opt-out**: `#[uninterruptible]` (or `#[cancelkit::uninterruptible]`) on a loop, a `let`
///   or any other statement leaves that whole statement — nested loops and awaits included —
///   without checkpoints, and runs each of its awaits under `cancelkit::shield`, so the
///   `#[cancellable]` functions it calls are not interrupted either: the statement runs to
///   its end, and the next checkpoint after it sees the cancel. The macro removes the marker everywhere in the body, closures and
///   `async` blocks included, so the bare form needs no `use` (importing it would give an
///   "unused import" warning). On a method of an instrumented `impl` block it leaves the method
///   alone.
///
/// A checkpoint is [`cancelkit::checkpoint()`](https://docs.rs/cancelkit/latest/cancelkit/fn.checkpoint.html):
/// one thread-local read and one atomic load, no lock, no allocation. In a loop with a 20 ns
/// body the instrumented loop costs 0.5–3% more than the bare one.
///
/// # Before and after
///
/// ```ignore
/// #[cancellable]
/// async fn count(items: &[u64], rx: &mut Receiver<u64>) -> Result<u64, CancellationError> {
///     let mut sum = 0;
///     for item in items {
///         sum += item + rx.recv().await.unwrap_or(0);
///     }
///     Ok(sum)
/// }
/// ```
///
/// expands to (the real expansion names `::cancelkit::__private`, uses hygienic locals and
/// carries an `#[allow(...)]` list):
///
/// ```ignore
/// async fn count(items: &[u64], rx: &mut Receiver<u64>) -> Result<u64, CancellationError> {
///     let mut sum = 0;
///     for item in items {
///         if let Err(err) = checkpoint() {
///             return <Result<u64, CancellationError> as CarriesCancellation>::from_cancellation(err);
///         }
///         sum += item + match UntilCancelled::interrupt(rx.recv()).await {
///             Ok(value) => value,
///             Err(err) => return /* same */,
///         }.unwrap_or(0);
///     }
///     Ok(sum)
/// }
/// ```
///
/// # Options
///
/// | option | effect |
/// | --- | --- |
/// | *(none)* | on cancel, `return Err(CancellationError.into())`; the return type must be `Result<_, E>` with `E: From<CancellationError>` |
/// | `on_cancel = break` | on cancel, `break` out of the innermost loop around the checkpoint and carry on after it (partial results) |
/// | `on_cancel = return EXPR` | on cancel, `return EXPR` (`on_cancel = return` for functions returning `()`); EXPR is evaluated where the checkpoint is, so it may name locals in scope there |
/// | `loops = false` | no checkpoints at loop heads |
/// | `awaits = false` | no checkpoints at `.await` |
/// | `interrupt = false` | an `.await` is checked before it starts but never interrupted while pending: for functions whose awaits are not cancel-safe |
/// | `crate = ::path` | the runtime crate's path when the dependency is renamed; must be absolute (`::x` or `crate::...`) |
///
/// With `on_cancel = break`, an `.await` that is not inside a loop of the function is a
/// compile error (there is nothing to break out of): mark it `#[uninterruptible]`, add
/// `awaits = false`, or choose another policy. A loop that produces a value (`break value`)
/// cannot be left by a checkpoint either, and is an error under this policy.
///
/// Default policy — errors carry the cancellation:
///
/// ```
/// use cancelkit::{CancelToken, CancellationError, cancellable};
///
/// #[cancellable]
/// fn sum(items: &[u64]) -> Result<u64, CancellationError> {
///     let mut sum = 0;
///     for item in items {
///         sum += item;
///     }
///     Ok(sum)
/// }
///
/// # futures::executor::block_on(async {
/// let token = CancelToken::new();
/// assert_eq!(token.run(async { sum(&[1, 2, 3]) }).await, Ok(6));
/// token.cancel();
/// assert!(token.run(async { sum(&[1, 2, 3]) }).await.is_err());
/// # });
/// ```
///
/// `on_cancel = break` — partial results, like Swift's `while !Task.isCancelled`:
///
/// ```
/// use cancelkit::{CancelToken, cancellable};
///
/// #[cancellable(on_cancel = break)]
/// fn count_until_cancelled(limit: u64) -> u64 {
///     let mut count = 0;
///     while count < limit {
///         count += 1;
///         if count == 10 {
///             cancelkit::current_token().unwrap().cancel();
///         }
///     }
///     count
/// }
///
/// # futures::executor::block_on(async {
/// let token = CancelToken::new();
/// assert_eq!(token.run(async { count_until_cancelled(1_000) }).await, 10);
/// # });
/// ```
///
/// `on_cancel = return EXPR`, opting one loop out, and an `impl` block:
///
/// ```
/// use cancelkit::cancellable;
///
/// struct Worker;
///
/// #[cancellable(on_cancel = return None)]
/// impl Worker {
///     fn first_even(&self, items: &[u32]) -> Option<u32> {
///         // Flushing must finish: no checkpoint in this loop.
///         #[uninterruptible]
///         for _ in 0..2 {}
///         items.iter().copied().find(|n| n % 2 == 0)
///     }
///
///     async fn next_even(&self, rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Option<u32> {
///         while let Some(n) = rx.recv().await {
///             if n % 2 == 0 {
///                 return Some(n);
///             }
///         }
///         None
///     }
/// }
/// # let _ = Worker.first_even(&[1, 2]);
/// ```
///
/// # Errors
///
/// Misuse is a compile error on the offending tokens, with a `help:` saying how to fix it; the
/// function is still emitted unchanged so the rest of the crate and the IDE keep working:
/// unknown options (with a "did you mean"), ill-typed option values, a return type that cannot
/// carry the error under the default policy (`()`, `Option`, `impl Trait`, ...; a type alias
/// the macro cannot see through is checked by the compiler, which names the alias), `const fn`,
/// use on something that is neither a function nor an `impl` block, and the `on_cancel = break`
/// cases above. In an `impl` block, `const fn`s are skipped.
///
/// # Stacking
///
/// Works with `#[tokio::main]`, `#[tokio::test]`, `#[tracing::instrument]` (also with `ret` and
/// `err`: the logged value is what the caller gets), `#[async_trait]` (on the `impl` or on a
/// method), `#[must_use]` and doc comments in either order. Putting `#[cancellable]` first (on top) is the plain case; when one
/// of these expands first, the macro recognises the body wrapper it leaves behind
/// (`let body = async { .. }` for tokio, `__tracing_instrument_future` and tracing's
/// `(move || { .. })()` for tracing) and instruments the original body inside it.
#[proc_macro_attribute]
pub fn cancellable(attr: TokenStream, item: TokenStream) -> TokenStream {
    cancellable::expand(attr.into(), item.into()).into()
}

/// Marks a loop or statement inside a [`#[cancellable]`](macro@cancellable) function as
/// intentionally uninterruptible: it gets no checkpoints, and its awaits run shielded to
/// completion (the `#[cancellable]` functions they call included).
/// `#[cancellable]` removes the marker; used anywhere else it is a compile error (the item is
/// kept). On a statement outside a `#[cancellable]` function, stable Rust reports its own
/// error first (E0658, "custom attributes cannot be applied to statements"), because it
/// rejects attribute macros on statements before they run; this marker's error follows it.
///
/// ```
/// #[cancelkit::cancellable]
/// fn sum(items: &[u64]) -> Result<u64, cancelkit::CancellationError> {
///     let mut sum = 0;
///     #[cancelkit::uninterruptible]
///     for item in items {
///         sum += item; // runs to the end even if the task is cancelled
///     }
///     Ok(sum)
/// }
/// # assert_eq!(sum(&[1, 2]), Ok(3));
/// ```
#[proc_macro_attribute]
pub fn uninterruptible(attr: TokenStream, item: TokenStream) -> TokenStream {
    let _ = attr;
    let mut out = proc_macro2::TokenStream::from(item);
    out.extend(
        syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[uninterruptible]` only means something on a loop or statement inside a \
             `#[cancellable]` function\n\
             help: put `#[cancellable]` on the enclosing function, or remove the marker",
        )
        .to_compile_error(),
    );
    out.into()
}

/// Runs a structured task group with less ceremony (SPEC S31). The full documentation, with
/// examples, is on the re-export `cancelkit::group!`.
///
/// - `group!(|g| { ... })`: a [`TaskGroup`] body; the child type is inferred.
/// - `group!(try |g| { ... })`: a throwing body; `?` works and the last expression is the
///   `Ok` value.
/// - `group!(a(), b(), c())`: the futures (each giving `Result<_, E>`) as children;
///   `Ok((a, b, c))`, or the first error with the rest cancelled.
/// - `group!(for x in xs => f(x))`: one child per item; `Ok(Vec)` in input order, or the first
///   error with the rest cancelled.
///
/// Used inside an `async` context: it expands to an expression ending in `.await`.
///
/// [`TaskGroup`]: https://docs.rs/cancelkit/latest/cancelkit/struct.TaskGroup.html
#[proc_macro]
pub fn group(input: TokenStream) -> TokenStream {
    group::expand(input.into()).into()
}
