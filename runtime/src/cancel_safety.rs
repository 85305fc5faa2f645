//! # Cancel safety: what is lost when an await is interrupted
//!
//! This page has no code; it explains what happens to the data of an await that cancellation
//! interrupts, and how to keep it.
//!
//! ## Two kinds of cancellation meet at an await
//!
//! cancelkit's cancellation is a flag (S1): nothing stops until code looks at it. Rust's own
//! cancellation of a future is *drop*: `select!`, `tokio::time::timeout` and an aborted task
//! stop a future by dropping it at the await where it is parked. Most awaits in a real program
//! (`recv`, `accept`, a socket read) belong to tokio or another library and know only drop.
//!
//! [`until_cancelled`](crate::until_cancelled), [`CancelToken::run_until_cancelled`] and every
//! `.await` of a [`#[cancellable]`](crate::cancellable) function join the two: while the awaited
//! future is pending, the task's cancellation drops it (S6b, S25b). A value it has already
//! produced always reaches your code (S25c), so the question is only what a future that was
//! dropped *half-way* had in hand.
//!
//! [`CancelToken::run_until_cancelled`]: crate::CancelToken::run_until_cancelled
//!
//! ## Cancel-safe: dropping loses nothing
//!
//! A future is *cancel-safe* when dropping it before it completes loses no data: either it
//! had not taken anything yet, or what it took is still where it was. tokio documents each
//! method; these are cancel-safe:
//!
//! | operation | why nothing is lost |
//! | --- | --- |
//! | `mpsc::Receiver::recv`, `UnboundedReceiver::recv`, `broadcast::Receiver::recv` | a message is taken off the channel only in the poll that returns it |
//! | `watch::Receiver::changed` | the change stays unseen until a call returns it |
//! | `TcpListener::accept`, `UnixListener::accept` | a connection is accepted only in the poll that returns it |
//! | `AsyncReadExt::read`, `read_buf`; `AsyncWriteExt::write`, `write_buf` | one read or write happens in the poll that returns it |
//! | `signal::unix::Signal::recv`, `StreamExt::next` (tokio-stream, futures) | as for channels |
//! | `JoinHandle` awaited by `&mut`, `fs::ReadDir::next_entry`, `AsyncBufReadExt::fill_buf`, `Lines::next_line` | the state lives outside the future |
//! | `AsyncBufReadExt::read_until`, `AsyncWriteExt::write_all_buf` | the progress lives in the caller's buffer: the bytes read so far are appended to it, or it is advanced past what was written; it is lost only with the buffer (one made anew for each call) |
//! | cancelkit's `sleep`, `yield_now`, `cancelled()`, a group's `next()` | they observe cancellation themselves |
//!
//! ## Not cancel-safe: dropping loses data or a place in line
//!
//! | operation | what an interruption loses |
//! | --- | --- |
//! | `AsyncReadExt::read_exact`, `read_to_end`, `read_to_string` | the bytes read so far |
//! | `AsyncBufReadExt::read_line` | the part of the line read so far |
//! | `AsyncWriteExt::write_all`, `tokio::io::copy` | how much was written: a peer may have received half a message |
//! | `mpsc::Sender::send` | the message (it was not sent, and it is dropped) |
//! | `Mutex::lock`, `RwLock::read`/`write`, `Semaphore::acquire`, `Notify::notified` | the place in the fair queue (no data) |
//! | `Barrier::wait` | the arrival |
//! | any `async fn` with more than one await inside | whatever it had done before the await it was parked in |
//!
//! ## A connection used by an interrupted exchange must be discarded
//!
//! A request/response exchange over one connection (an HTTP/1 request, a Redis command) is
//! several awaits: write the request, read the response. If cancellation interrupts it
//! between the two, the response is still on its way. The next exchange on the same
//! connection would read *that* response as its own: `GET b` returns the value of `a`.
//! After an interrupted exchange, close the connection (drop it; pools should not get it back)
//! or mark the exchange `#[uninterruptible]` so that it always finishes.
//!
//! ## Data an await brought in stays where the await put it
//!
//! A completed await's value always reaches your code (S25c), but a checkpoint may come
//! before your code has *used* it. The usual frame reader reads into a buffer and parses at
//! the top of its loop:
//!
//! ```text
//! loop {                                   // checkpoint here
//!     if let Some(frame) = parse(&mut buf)? { return Ok(Some(frame)); }
//!     stream.read_buf(&mut buf).await?;    // completes; the loop goes round
//! }
//! ```
//!
//! Cancelled while the read was completing, the function returns at the loop head with the
//! new bytes still in `buf`, unparsed. Nothing is lost as long as the buffer is kept (the next
//! call parses them first); if the task owns the connection and drops it, they go with it.
//! Where that matters, mark the loop `#[uninterruptible]` or parse before checking.
//!
//! ## Keeping an await whole
//!
//! - `#[uninterruptible]` on a statement inside a `#[cancellable]` function leaves that
//!   statement without checkpoints and runs each of its awaits shielded, so they run to
//!   completion — including the awaits of `#[cancellable]` functions it calls (`write_frame`,
//!   `read_response`) — and the next checkpoint after it sees the cancellation.
//! - `#[cancellable(interrupt = false)]` keeps the check *before* every await (S25a) but never
//!   interrupts one: for functions whose awaits are not cancel-safe. (It covers that function's
//!   own awaits; a `#[cancellable]` function it calls has its own options.)
//! - `shield(fut).await` is never interrupted nor checked by `#[cancellable]`: the shield says
//!   the clean-up inside must finish.
//! - In a `select!` loop, create a non-cancel-safe future once, outside the loop, and poll it
//!   by `&mut` (tokio's documented pattern); `cargo cancelkit check`'s `cancel_unsafe_select`
//!   rule looks for the ones created anew each iteration.
//!
//! ```
//! use cancelkit::{CancellationError, cancellable};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use tokio::net::TcpStream;
//!
//! #[cancellable]
//! async fn get(conn: &mut BufReader<TcpStream>, key: &str) -> Result<String, std::io::Error> {
//!     // Once started, both halves of the exchange run to the end: a cancel that arrives
//!     // while it is in flight is seen at the next checkpoint, after the response is read.
//!     #[uninterruptible]
//!     let line = {
//!         conn.get_mut().write_all(format!("GET {key}\n").as_bytes()).await?;
//!         let mut line = String::new();
//!         conn.read_line(&mut line).await?;
//!         line
//!     };
//!     Ok(line)
//! }
//! # let _ = get;
//! # let _: Option<CancellationError> = None;
//! ```
