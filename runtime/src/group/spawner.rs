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

/// Children are tasks of the current runtime (tokio's, or smol's with the `smol` feature):
/// parallel on a multi-threaded runtime, `Send + 'static`.
#[derive(Debug, Default)]
pub struct Spawned;

impl Spawner for Spawned {
    type Handle = SpawnedChild;

    fn abort_all<'h>(&mut self, handles: impl Iterator<Item = &'h Self::Handle>) {
        for handle in handles {
            handle.0.abort();
        }
    }
}

/// A spawned child, as its group keeps it: only to abort it.
#[doc(hidden)]
pub struct SpawnedChild(crate::rt::JoinHandle<()>);

impl std::fmt::Debug for SpawnedChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpawnedChild").finish_non_exhaustive()
    }
}

impl Spawned {
    /// Starts a child on the current runtime.
    #[track_caller]
    pub(crate) fn spawn(
        &mut self,
        child: impl Future<Output = ()> + Send + 'static,
    ) -> SpawnedChild {
        SpawnedChild(crate::rt::spawn("cancelkit::TaskGroup::spawn", child))
    }
}
