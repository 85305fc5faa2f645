//! Where a group's children run: the one thing that differs between the spawning groups and
//! the local (borrowing) ones. Everything else — the report queue, the policies, `next()` —
//! is the same [`Core`](super::core::Core).

use std::future::Future;

/// Where a group's children run: [`Spawned`] or [`Local`](super::Local). Sealed.
pub trait Spawner: sealed::Sealed {
    /// What the group keeps per child to stop it.
    #[doc(hidden)]
    type Handle;

    /// Stops every child whose handle is given; each reports `Gone` when dropped (S20).
    #[doc(hidden)]
    fn abort_all<'h>(&mut self, handles: impl Iterator<Item = &'h Self::Handle>)
    where
        Self::Handle: 'h;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for Spawned {}

/// Children are tokio tasks: parallel on a multi-threaded runtime, `Send + 'static`.
#[derive(Debug, Default)]
pub struct Spawned;

impl Spawner for Spawned {
    type Handle = tokio::task::JoinHandle<()>;

    fn abort_all<'h>(&mut self, handles: impl Iterator<Item = &'h Self::Handle>) {
        for handle in handles {
            handle.abort();
        }
    }
}

impl Spawned {
    /// Starts a child on the current tokio runtime.
    #[track_caller]
    pub(crate) fn spawn(
        &mut self,
        child: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        crate::rt::spawn("cancelkit::TaskGroup::spawn", child)
    }
}
