//! Graceful shutdown (S39): stop accepting, let in-flight work finish for a grace period,
//! cancel what is left with a reason it can see, abort what still runs, and say what that was.
//!
//! ```text
//!  trigger ──► stopping() cancelled ──► grace ──► token() cancelled ──► abort_after ──► aborted
//!  (signal       (stop accepting;        (work      (reason Shutdown;     (the server's
//!   or call)      idle connections        goes on)   cooperative, S1)      future is dropped)
//!                 close)
//!  a second signal, or force(): straight to the abort
//! ```
//!
//! The server runs inside [`Shutdown::run`], under [`Shutdown::token`]. Its accept loop
//! watches [`Shutdown::stopping`] (cancelled the moment shutdown starts) and returns; the
//! connections it spawned into a group keep running; the group waits for them; when they are
//! done the server's future completes and `run` returns. Work still running when the grace
//! period ends is cancelled with [`CancelReason::Shutdown`]; what still runs after
//! `abort_after` is dropped (a group's children are aborted with it, S20). The
//! [`ShutdownReport`] says how it ended and which [`in_flight`](Shutdown::in_flight) work was
//! still running at the cancel and at the abort.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! use std::time::Duration;
//! use cancelkit::shutdown::{Ending, Shutdown};
//!
//! let shutdown = Shutdown::new(Duration::from_secs(5));
//! let handle = shutdown.clone();
//! let report = shutdown
//!     .run(async move {
//!         cancelkit::with_discarding_task_group(async |requests| {
//!             // An accept loop: stops as soon as shutdown starts.
//!             let stopping = handle.stopping().clone();
//!             let _ = stopping.run_until_cancelled(async {
//!                 let work = handle.clone();
//!                 requests.spawn(async move {
//!                     let _request = work.in_flight("GET /slow");
//!                     // Cooperative: sees the cancel when the grace period ends.
//!                     let _ = cancelkit::sleep(Duration::from_secs(60)).await;
//!                 });
//!                 handle.trigger(); // a signal, in a real server
//!                 std::future::pending::<()>().await
//!             })
//!             .await;
//!         })
//!         .await
//!     })
//!     .await;
//! assert_eq!(report.ending, Ending::Cancelled);
//! assert_eq!(report.cancelled, ["GET /slow"]);
//! # }
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use slab::Slab;
use tokio::time::Instant;

use crate::error::CancelReason;
use crate::meta::{Kind, Meta};
use crate::sync::{Arc, Mutex, lock};
use crate::token::CancelToken;

/// What started a shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// [`Shutdown::trigger`] or [`Shutdown::force`] was called.
    Call,
    /// A signal: `"SIGINT"`, `"SIGTERM"` or `"Ctrl-C"`.
    Signal(&'static str),
}

/// How a [`Shutdown::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// The server's future completed before any shutdown started.
    Completed,
    /// Shutdown started and everything finished within the grace period.
    Drained,
    /// The grace period ran out; the work was cancelled and then finished.
    Cancelled,
    /// Work was still running after `abort_after` (or a second signal came): it was dropped.
    Aborted,
}

/// What a [`Shutdown::run`] ended with.
#[derive(Debug)]
#[non_exhaustive]
pub struct ShutdownReport<T> {
    /// The server future's output; `None` if it was aborted.
    pub output: Option<T>,
    /// How it ended.
    pub ending: Ending,
    /// What started the shutdown; `None` if none did.
    pub trigger: Option<Trigger>,
    /// From the trigger to the end.
    pub elapsed: Duration,
    /// [`in_flight`](Shutdown::in_flight) work still running when the grace period ran out
    /// and it was cancelled (reason [`CancelReason::Shutdown`]).
    pub cancelled: Vec<String>,
    /// In-flight work still running when the rest was aborted.
    pub aborted: Vec<String>,
}

impl<T> fmt::Display for ShutdownReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trigger = match self.trigger {
            None => "no shutdown was started".to_owned(),
            Some(Trigger::Call) => "shutdown on request".to_owned(),
            Some(Trigger::Signal(name)) => format!("shutdown on {name}"),
        };
        let ending = match self.ending {
            Ending::Completed => "the server finished on its own",
            Ending::Drained => "all work finished within the grace period",
            Ending::Cancelled => "the grace period ran out; the rest was cancelled and stopped",
            Ending::Aborted => "work that did not stop was aborted",
        };
        write!(f, "{trigger}: {ending} after {:?}", self.elapsed)?;
        if !self.cancelled.is_empty() {
            write!(f, "; cancelled: {}", self.cancelled.join(", "))?;
        }
        if !self.aborted.is_empty() {
            write!(f, "; aborted: {}", self.aborted.join(", "))?;
        }
        Ok(())
    }
}

/// A graceful shutdown: its phases' tokens, grace periods, trigger and in-flight work. Cheap to
/// clone; all clones are the same shutdown.
#[derive(Clone)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

struct Inner {
    stopping: CancelToken,
    work: CancelToken,
    forced: CancelToken,
    grace: Duration,
    abort_after: Duration,
    trigger: Mutex<Option<(Trigger, Instant)>>,
    in_flight: Mutex<Slab<String>>,
}

impl Shutdown {
    /// A shutdown whose in-flight work gets `grace` to finish, and as long again to stop once
    /// cancelled (see [`abort_after`](Self::abort_after)). A grace of zero cancels at once.
    #[must_use]
    #[track_caller]
    pub fn new(grace: Duration) -> Self {
        Shutdown {
            inner: Arc::new(Inner {
                stopping: CancelToken::new(),
                work: CancelToken::root(Meta::here(Kind::Shutdown)),
                forced: CancelToken::new(),
                grace,
                abort_after: grace,
                trigger: Mutex::new(None),
                in_flight: Mutex::new(Slab::new()),
            }),
        }
    }

    /// How long cancelled work gets to stop before it is aborted.
    ///
    /// # Panics
    ///
    /// If the shutdown has been cloned already (set it first).
    #[must_use]
    pub fn abort_after(mut self, abort_after: Duration) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("set abort_after before cloning the Shutdown")
            .abort_after = abort_after;
        self
    }

    /// Starts the shutdown (the first call wins; later ones do nothing).
    #[track_caller]
    pub fn trigger(&self) {
        self.start(Trigger::Call);
    }

    /// Skips to the abort: what a second signal does. Starts the shutdown if it had not
    /// started.
    #[track_caller]
    pub fn force(&self) {
        self.start(Trigger::Call);
        self.inner.forced.cancel_with(CancelReason::Shutdown);
    }

    #[track_caller]
    fn start(&self, trigger: Trigger) -> bool {
        {
            let mut slot = lock(&self.inner.trigger);
            if slot.is_some() {
                return false;
            }
            *slot = Some((trigger, Instant::now()));
        }
        crate::trace::shutdown_phase("started", &trigger);
        self.inner.stopping.cancel_with(CancelReason::Shutdown);
        true
    }

    /// Whether the shutdown has started.
    #[must_use]
    pub fn is_started(&self) -> bool {
        self.inner.stopping.is_cancelled()
    }

    /// Cancelled the moment the shutdown starts: accept loops watch it and stop accepting,
    /// idle connections close.
    #[must_use]
    pub fn stopping(&self) -> &CancelToken {
        &self.inner.stopping
    }

    /// The token the server runs under in [`run`](Self::run): cancelled, with reason
    /// [`CancelReason::Shutdown`], when the grace period runs out.
    #[must_use]
    pub fn token(&self) -> &CancelToken {
        &self.inner.work
    }

    /// Marks a piece of work (a request) as in flight until the guard is dropped, so that the
    /// report can name it if it is still running at the cancel or the abort.
    #[must_use = "the work is in flight until the guard is dropped"]
    pub fn in_flight(&self, label: impl Into<String>) -> InFlight {
        let key = lock(&self.inner.in_flight).insert(label.into());
        InFlight {
            shutdown: self.clone(),
            key,
        }
    }

    fn in_flight_labels(&self) -> Vec<String> {
        lock(&self.inner.in_flight)
            .iter()
            .map(|(_, label)| label.clone())
            .collect()
    }

    /// Listens for SIGINT and SIGTERM (Ctrl-C elsewhere than Unix) on the current tokio
    /// runtime: the first starts the shutdown, the second skips to the abort. A signal that
    /// arrives before the server runs still counts: `run` then stops it at once.
    ///
    /// # Errors
    ///
    /// If the signal handlers cannot be installed, and outside a tokio runtime (signals are
    /// tokio's, whatever the runtime backend), as [`ErrorKind::Unsupported`].
    ///
    /// [`ErrorKind::Unsupported`]: std::io::ErrorKind::Unsupported
    #[cfg(feature = "signal")]
    #[cfg_attr(docsrs, doc(cfg(feature = "signal")))]
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        use crate::rt::{Backend, tokio::Tokio};
        let Some(tokio) = Tokio::current() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "`Shutdown::listen_for_signals` needs a tokio runtime: signals come from \
                 tokio's signal driver. Call it inside `#[tokio::main]`, or listen for signals \
                 with your runtime's own API and call `Shutdown::trigger`.",
            ));
        };
        let mut signals = signals::Signals::new()?;
        let shutdown = self.clone();
        Backend::Tokio(tokio).spawn(async move {
            let Some(first) = signals.next().await else {
                return;
            };
            shutdown.start(Trigger::Signal(first));
            if signals.next().await.is_some() {
                shutdown.force();
            }
        });
        Ok(())
    }

    /// Runs `server` under [`token`](Self::token) until it completes, driving the shutdown's
    /// phases once it is triggered (see the [module docs](self)).
    pub async fn run<F: Future>(&self, server: F) -> ShutdownReport<F::Output> {
        let report = self.drive(server).await;
        if let Some(trigger) = report.trigger {
            crate::trace::shutdown_phase(
                match report.ending {
                    Ending::Completed | Ending::Drained => "drained",
                    Ending::Cancelled => "stopped after the cancel",
                    Ending::Aborted => "aborted",
                },
                &trigger,
            );
        }
        report
    }

    /// A snapshot of the cancellation tree of the server's work ([`token`](Self::token)):
    /// what is still running, and whether it was cancelled. See [`dump`](crate::dump); the
    /// `hanging_shutdown` example prints one.
    #[must_use]
    pub fn tree(&self) -> crate::dump::Tree {
        self.inner.work.tree()
    }

    async fn drive<F: Future>(&self, server: F) -> ShutdownReport<F::Output> {
        let inner = &self.inner;
        // Boxed, so that the abort can drop it here (a `pin!`ned local would live on until
        // `run` returns).
        let mut server = Box::pin(inner.work.run(server));
        let mut report = ShutdownReport {
            output: None,
            ending: Ending::Completed,
            trigger: None,
            elapsed: Duration::ZERO,
            cancelled: Vec::new(),
            aborted: Vec::new(),
        };
        // Until the shutdown starts.
        let early = race(server.as_mut(), inner.stopping.cancelled(), None).await;
        let Some((trigger, started)) = *lock(&inner.trigger) else {
            report.output = early;
            return report;
        };
        report.trigger = Some(trigger);
        // Stop accepting; in-flight work goes on for the grace period.
        report.ending = Ending::Drained;
        if let Some(output) = early {
            report.output = Some(output);
            report.elapsed = started.elapsed();
            return report;
        }
        let grace_end = started + inner.grace;
        if let Some(output) = race(server.as_mut(), inner.forced.cancelled(), Some(grace_end)).await
        {
            report.output = Some(output);
            report.elapsed = started.elapsed();
            return report;
        }
        // Cancel what is left, with a reason it can see; it gets `abort_after` to stop.
        report.ending = Ending::Cancelled;
        report.cancelled = self.in_flight_labels();
        crate::trace::shutdown_phase("cancelling", &trigger);
        inner.work.cancel_with(CancelReason::Shutdown);
        let abort_at = Instant::now() + inner.abort_after;
        if !inner.forced.is_cancelled()
            && let Some(output) =
                race(server.as_mut(), inner.forced.cancelled(), Some(abort_at)).await
        {
            report.output = Some(output);
            report.elapsed = started.elapsed();
            return report;
        }
        // Abort: drop the server's future, and with it everything it still runs.
        report.ending = Ending::Aborted;
        report.aborted = self.in_flight_labels();
        crate::trace::shutdown_phase("aborting", &trigger);
        drop(server);
        report.elapsed = started.elapsed();
        report
    }
}

/// Polls `server` until it completes (`Some`), or until `stop` completes or `deadline`
/// passes (`None`). The server is polled first: work that is done wins.
async fn race<F: Future>(
    mut server: Pin<&mut F>,
    stop: impl Future,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let mut stop = pin!(stop);
    let mut timer =
        pin!(deadline.map(|d| crate::rt::sleep_until("Shutdown::run (its grace period)", d)));
    poll_fn(|cx| {
        if let Poll::Ready(output) = server.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        match timer.as_mut().as_pin_mut().map(|timer| timer.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    })
    .await
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("started", &self.is_started())
            .field("grace", &self.inner.grace)
            .field("abort_after", &self.inner.abort_after)
            .field("in_flight", &lock(&self.inner.in_flight).len())
            .finish()
    }
}

/// Guard returned by [`Shutdown::in_flight`]: the work is in flight until it is dropped.
#[must_use = "the work is in flight until the guard is dropped"]
pub struct InFlight {
    shutdown: Shutdown,
    key: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let removed = lock(&self.shutdown.inner.in_flight).try_remove(self.key);
        drop(removed);
    }
}

impl fmt::Debug for InFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InFlight").field("key", &self.key).finish()
    }
}

#[cfg(feature = "signal")]
mod signals {
    //! The signals that start and force a shutdown.

    #[cfg(unix)]
    use std::future::poll_fn;
    #[cfg(unix)]
    use std::task::Poll;

    /// SIGINT and SIGTERM on Unix; Ctrl-C elsewhere.
    pub(super) struct Signals {
        #[cfg(unix)]
        int: tokio::signal::unix::Signal,
        #[cfg(unix)]
        term: tokio::signal::unix::Signal,
    }

    impl Signals {
        pub(super) fn new() -> std::io::Result<Self> {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                Ok(Signals {
                    int: signal(SignalKind::interrupt())?,
                    term: signal(SignalKind::terminate())?,
                })
            }
            #[cfg(not(unix))]
            Ok(Signals {})
        }

        /// The next signal's name; `None` if signals can no longer arrive.
        pub(super) async fn next(&mut self) -> Option<&'static str> {
            #[cfg(unix)]
            {
                poll_fn(|cx| {
                    if let Poll::Ready(got) = self.int.poll_recv(cx) {
                        return Poll::Ready(got.map(|()| "SIGINT"));
                    }
                    self.term.poll_recv(cx).map(|got| got.map(|()| "SIGTERM"))
                })
                .await
            }
            #[cfg(not(unix))]
            {
                tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
            }
        }
    }
}
