//! The synchronisation primitives the cancellation tree is built on: `std`'s in normal builds,
//! `loom`'s when model-checking (`RUSTFLAGS="--cfg cancelkit_loom"`).

#[cfg(cancelkit_loom)]
pub(crate) use loom::sync::{
    Arc, Condvar, Mutex, MutexGuard,
    atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering},
};
#[cfg(not(cancelkit_loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard,
    atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering},
};

#[cfg(cancelkit_loom)]
pub(crate) use loom::thread::ThreadId;
#[cfg(not(cancelkit_loom))]
pub(crate) use std::thread::ThreadId;

/// The calling thread's id (loom's, when model-checking).
pub(crate) fn current_thread_id() -> ThreadId {
    #[cfg(cancelkit_loom)]
    return loom::thread::current().id();
    #[cfg(not(cancelkit_loom))]
    return std::thread::current().id();
}

/// Locks `mutex`, ignoring poisoning: cancelkit never runs user code while holding one of its
/// locks, so a poisoned lock can only come from a panic inside cancelkit's own short critical
/// sections, which leave the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
