//! Every `tracing` event and span cancelkit emits (feature `tracing`), under the target
//! `cancelkit`. Without the feature each item here is an empty inline function or a
//! zero-sized type, so the call sites cost nothing: `checkpoint()` compiles to what it was.
//!
//! | what | level | fields |
//! | --- | --- | --- |
//! | a cancel, after its handlers ran (inside a `cancel` span that also covers them) | `debug` | `kind`, `created_at`, `reason`, `origin`, `by`, `subtree`, `handlers_us`, `handler_panicked` |
//! | a group child spawned / finished / panicked / cancelled | `trace` | `group` (where the group was created), `outcome` |
//! | an isolated child panic | `warn` | `panic` (its message) |
//! | a shutdown phase | `info` (the abort: `warn`) | `phase`, `trigger` |
//! | a `CancellationError` returned by `checkpoint()` | `debug` | `reason`, `origin` |
//!
//! A subscriber that panics cannot break cancelkit: each emission runs under `catch_unwind`,
//! after the work it reports is done (a cancel has woken every waiter and run every handler
//! before its event is emitted), and the panic is dropped.

use std::panic::Location;
#[cfg(feature = "tracing")]
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::CancellationError;
use crate::meta::Meta;

/// Runs an emission, dropping a panic from the subscriber.
#[cfg(feature = "tracing")]
fn emit(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// Follows one cancel: counts the nodes it marks and times its handlers, when a subscriber
/// wants the event (otherwise it reads no clock).
pub(crate) struct CancelProbe {
    #[cfg(feature = "tracing")]
    enabled: bool,
    #[cfg(feature = "tracing")]
    subtree: usize,
    #[cfg(feature = "tracing")]
    span: Option<tracing::span::EnteredSpan>,
    #[cfg(feature = "tracing")]
    handlers_started: Option<std::time::Instant>,
}

impl CancelProbe {
    #[inline]
    pub(crate) fn start() -> Self {
        CancelProbe {
            #[cfg(feature = "tracing")]
            enabled: tracing::enabled!(target: "cancelkit", tracing::Level::DEBUG),
            #[cfg(feature = "tracing")]
            subtree: 1,
            #[cfg(feature = "tracing")]
            span: None,
            #[cfg(feature = "tracing")]
            handlers_started: None,
        }
    }

    /// A node below the cancelled one was marked.
    #[inline]
    pub(crate) fn marked_below(&mut self) {
        #[cfg(feature = "tracing")]
        {
            self.subtree += 1;
        }
    }

    /// Every node is marked; wakers and handlers run next, inside the `cancel` span.
    #[inline]
    pub(crate) fn running_listeners(&mut self, err: CancellationError) {
        #[cfg(feature = "tracing")]
        if self.enabled {
            let mut span = None;
            emit(|| {
                span = Some(
                    tracing::debug_span!(
                        target: "cancelkit",
                        "cancel",
                        reason = %err.reason(),
                        origin = %err.origin()
                    )
                    .entered(),
                );
            });
            self.span = span;
            self.handlers_started = Some(std::time::Instant::now());
        }
        #[cfg(not(feature = "tracing"))]
        let _ = err;
    }

    /// The cancel is over: one event.
    #[inline]
    pub(crate) fn finish(
        self,
        node: Meta,
        err: CancellationError,
        by: &'static Location<'static>,
        handler_panicked: bool,
    ) {
        #[cfg(feature = "tracing")]
        if self.enabled {
            let handlers_us = self
                .handlers_started
                .map_or(0, |started| started.elapsed().as_micros());
            let subtree = self.subtree;
            let span = self.span;
            emit(|| {
                tracing::debug!(
                    target: "cancelkit",
                    kind = node.kind.as_str(),
                    created_at = %node.location,
                    reason = %err.reason(),
                    origin = %err.origin(),
                    by = %by,
                    subtree,
                    handlers_us,
                    handler_panicked,
                    "cancelled"
                );
            });
            emit(move || drop(span));
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (self, node, err, by, handler_panicked);
    }
}

/// What became of a group child.
#[derive(Clone, Copy)]
pub(crate) enum ChildOutcome {
    Spawned,
    Finished,
    Panicked,
    /// Finished after its group was cancelled, or dropped unfinished (aborted).
    Cancelled,
}

#[inline]
pub(crate) fn group_child(group: &'static Location<'static>, outcome: ChildOutcome) {
    #[cfg(feature = "tracing")]
    emit(|| {
        let outcome = match outcome {
            ChildOutcome::Spawned => "spawned",
            ChildOutcome::Finished => "finished",
            ChildOutcome::Panicked => "panicked",
            ChildOutcome::Cancelled => "cancelled",
        };
        tracing::trace!(target: "cancelkit", group = %group, outcome, "group child");
    });
    #[cfg(not(feature = "tracing"))]
    let _ = (group, outcome);
}

#[inline]
pub(crate) fn isolated_panic(message: Option<&str>) {
    #[cfg(feature = "tracing")]
    emit(|| {
        tracing::warn!(
            target: "cancelkit",
            panic = message,
            "a task group child panicked; isolated"
        );
    });
    #[cfg(not(feature = "tracing"))]
    let _ = message;
}

/// A shutdown phase began: `started`, `cancelling`, `aborting`, or how it `ended`.
#[inline]
pub(crate) fn shutdown_phase(phase: &'static str, trigger: &dyn std::fmt::Debug) {
    #[cfg(feature = "tracing")]
    emit(|| {
        let trigger = format!("{trigger:?}");
        if phase == "aborting" {
            tracing::warn!(target: "cancelkit", phase, trigger, "shutdown");
        } else {
            tracing::info!(target: "cancelkit", phase, trigger, "shutdown");
        }
    });
    #[cfg(not(feature = "tracing"))]
    let _ = (phase, trigger);
}

/// `checkpoint()` is about to return this error. Cold and out of line, so that a passing
/// checkpoint's code stays what it is without the feature.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline)]
pub(crate) fn checkpoint_failed(err: &CancellationError) {
    #[cfg(feature = "tracing")]
    emit(|| {
        tracing::debug!(
            target: "cancelkit",
            reason = %err.reason(),
            origin = %err.origin(),
            "checkpoint: cancelled"
        );
    });
    #[cfg(not(feature = "tracing"))]
    let _ = err;
}
