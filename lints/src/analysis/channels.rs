//! Which kinds of channel a crate makes, read from the constructors it calls.
//!
//! A message `send` on a bounded channel can wait for room while it holds the message, so
//! dropping that future loses it. On an unbounded channel, `send` finishes on its first poll:
//! there is nothing to lose. Without types the checker cannot tell which channel a `send`
//! goes to, but it can tell which channels a crate makes. When every channel the crate makes
//! is unbounded, its sends are taken to go to those (see `cancel_unsafe_select`).
//!
//! Invariants:
//! - Only a constructor called through a path counts (`mpsc::channel(8)`,
//!   `async_channel::unbounded()`); a channel made by another crate is not seen.
//! - A constructor of unknown kind counts as bounded, so doubt keeps findings.
//! - Channels whose `send` is not async (`oneshot`, `watch`, tokio's `broadcast`, std's
//!   `channel()`) are ignored.

/// The kinds of channel that some code makes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Channels {
    bounded: bool,
    unbounded: bool,
}

impl Channels {
    /// Records the channel `call` makes, if it makes one.
    pub(crate) fn note(&mut self, call: &syn::ExprCall) {
        let syn::Expr::Path(p) = &*call.func else {
            return;
        };
        let segments = &p.path.segments;
        let Some(last) = segments.last() else { return };
        let name = &last.ident;
        let args = call.args.len();
        // tokio's `unbounded_channel()`, async-channel, flume, crossbeam, futures and kanal.
        if name == "unbounded" || name == "unbounded_channel" || name == "unbounded_async" {
            self.unbounded = true;
        } else if name == "bounded" || name == "bounded_async" {
            self.bounded = true;
        } else if name == "broadcast" && args == 1 {
            // async-broadcast's `broadcast(cap)`, whose `broadcast(msg).await` waits for room.
            self.bounded = true;
        } else if name == "channel" && args == 1 {
            // `mpsc::channel(8)` (tokio, futures); std's `channel()` takes no capacity, and
            // `watch::channel(init)`, `broadcast::channel(cap)`, `oneshot::channel()` send
            // without waiting.
            let sync_send = segments
                .iter()
                .any(|s| s.ident == "watch" || s.ident == "broadcast" || s.ident == "oneshot");
            if !sync_send {
                self.bounded = true;
            }
        }
    }

    /// Adds what `other` makes.
    pub(crate) fn merge(&mut self, other: Channels) {
        self.bounded |= other.bounded;
        self.unbounded |= other.unbounded;
    }

    /// The code makes channels, and every one of them is unbounded.
    pub(crate) fn only_unbounded(self) -> bool {
        self.unbounded && !self.bounded
    }
}

#[cfg(test)]
mod tests {
    use super::Channels;

    fn of(calls: &[&str]) -> Channels {
        let mut c = Channels::default();
        for call in calls {
            c.note(&syn::parse_str(call).unwrap());
        }
        c
    }

    #[test]
    fn unbounded_constructors_alone_make_only_unbounded() {
        assert!(of(&["async_channel::unbounded()"]).only_unbounded());
        assert!(of(&["mpsc::unbounded_channel()", "flume::unbounded()"]).only_unbounded());
    }

    #[test]
    fn any_bounded_constructor_counts() {
        for bounded in [
            "mpsc::channel(8)",
            "async_channel::bounded(1)",
            "channel(16)",
            "async_broadcast::broadcast(4)",
        ] {
            assert!(
                !of(&["unbounded()", bounded]).only_unbounded(),
                "{bounded} is bounded"
            );
        }
    }

    #[test]
    fn channels_without_async_send_are_ignored() {
        let c = of(&[
            "unbounded()",
            "watch::channel(0)",
            "tokio::sync::broadcast::channel(16)",
            "oneshot::channel()",
            "std::sync::mpsc::channel()",
        ]);
        assert!(c.only_unbounded());
    }

    #[test]
    fn no_channel_is_not_only_unbounded() {
        assert!(!of(&["foo(1)"]).only_unbounded());
    }
}
