//! The cancellation tree.
//!
//! Every task, group (its children share it), deadline scope and shield owns a [`Node`]. A
//! node holds one byte of state (0 = not cancelled, otherwise the packed
//! [`CancellationError`]), its links (children, and shields opened under it), its listeners
//! (wakers of parked futures and user handlers), and for the [tree dump](crate::dump) what made
//! it ([`Meta`]) and how many futures run under it.
//!
//! # Invariants
//!
//! - The state byte goes from 0 to non-zero once, by one compare-and-swap (S2). That CAS is
//!   the linearisation point every reader agrees on.
//! - A node's listeners are taken by the cancel that flipped its state, and only by it; after
//!   that no listener is ever registered on the node (registration re-reads the state under
//!   the entries lock and fires at once instead, S8). Nothing is both fired and kept, nothing
//!   is neither.
//! - Links are never fired: a cancel leaves them in place, so a dump still sees a cancelled
//!   subtree that is still running. A child is linked even under a cancelled parent (it starts
//!   cancelled). Every link is removed by its child's last handle (`detach`), never by the
//!   parent. A cancel follows `Child` links down and never `Shield` links.
//! - The whole subtree is marked (state flipped, entries taken) before any waker is woken or
//!   any handler runs, so whoever is told already sees every descendant cancelled.
//! - No lock is held while a user handler runs (S10).
//! - A handler runs at most once, and never after its guard's drop has returned (S9).
//!
//! # Cancelling
//!
//! 1. flip the state byte;
//! 2. take the listeners out under the node's lock, noting the children, and do the same for
//!    every node below (an explicit stack, not recursion);
//! 3. with no lock held, wake the wakers and run the handlers.
//!
//! # Locks, and their order
//!
//! There are two kinds, and no code path holds two at once:
//!
//! - a node's `entries` lock: held only for slab operations (registering, removing, taking);
//!   linking a child and unlinking one take the *parent's* lock, alone;
//! - a taken handler's [`Done`] lock: held only to move that handler between
//!   `PENDING → RUNNING → DONE` or `PENDING → REVOKED`, never while it runs.
//!
//! # Dropping a guard while a cancel runs
//!
//! Once a cancel has taken a handler, its guard's drop cannot just remove it. If the handler
//! has not started, the drop *revokes* it and returns at once: the cancel skips it. If it is
//! running on another thread, the drop waits until it has finished (S9). If it is running on
//! the dropping thread — the guard is dropped from inside the handler itself — the drop
//! returns at once. So a handler may drop any guard, its own or another of the same cancel,
//! without deadlock. The one rule left: a handler must not block waiting for *another thread*
//! that is dropping the guard of that same handler (each would wait for the other).
//!
//! Children and listeners share one slab so that a node stays small (it is allocated once per
//! task, group and scope).
//!
//! A parent owns its linked children (`Arc`), and a child owns its parent; the cycle is broken
//! when the child's last [`CancelToken`](crate::CancelToken) handle is dropped (it unlinks
//! itself). The handle count is kept apart from the `Arc` count because the parent's list must
//! not keep a child "in use".

use std::any::Any;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::task::Waker;

use slab::Slab;

use crate::error::CancellationError;
use crate::meta::{Born, Kind, Meta};
use crate::sync::{
    Arc, AtomicU8, AtomicU32, Condvar, Mutex, Ordering, ThreadId, current_thread_id, lock,
};
use crate::trace::CancelProbe;

pub(crate) struct Node {
    state: AtomicU8,
    /// What made this node, where and when, for a dump ([`Meta`], stored flat so that the
    /// kind packs beside the state byte). Never changes.
    kind: Kind,
    location: &'static Location<'static>,
    born: Born,
    /// Futures running under this node ([`Scoped`](crate::Scoped)s alive), for a dump.
    running: AtomicU32,
    /// Live [`CancelToken`](crate::CancelToken) handles on this node.
    handles: AtomicU32,
    /// The parent, if this node was linked into it, and this node's key in its entries
    /// (apart, so that the key packs with the small fields).
    parent: Option<Arc<Node>>,
    parent_key: u32,
    entries: Mutex<Entries>,
    /// The tokio-util token that follows this node, made on first request (`compat`).
    #[cfg(feature = "tokio-util")]
    pub(crate) tokio_util: std::sync::OnceLock<tokio_util::sync::CancellationToken>,
}

/// What a node's lock guards: its entries, and who cancelled it (for a dump).
#[derive(Default)]
struct Entries {
    slab: Slab<Entry>,
    /// The code that called the cancel that marked this node (set with the mark; `None` for a
    /// node born cancelled, which a dump credits to its parent's canceller).
    cancelled_by: Option<&'static Location<'static>>,
}

impl std::ops::Deref for Entries {
    type Target = Slab<Entry>;

    fn deref(&self) -> &Slab<Entry> {
        &self.slab
    }
}

impl std::ops::DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut Slab<Entry> {
        &mut self.slab
    }
}

/// What a node holds: links until their child goes, listeners until the node is cancelled.
enum Entry {
    /// A child, cancelled with this node.
    Child(Arc<Node>),
    /// A shield opened inside this node's task: listed, never cancelled from here.
    Shield(Arc<Node>),
    Wake(Waker),
    Handler(Box<dyn FnOnce() + Send>, Option<Arc<Done>>),
}

/// The life of a handler that a cancel has taken out of its node, shared with its guard:
/// `PENDING → RUNNING → DONE` when the cancel runs it, `PENDING → REVOKED` when its guard is
/// dropped first (the cancel then skips it). What a deregistering guard waits for.
///
/// Every transition happens under `lock`, which also records the thread that runs the
/// handler: a guard dropped on that very thread (from inside the handler itself) must not
/// wait for it, or it would wait for itself.
pub(crate) struct Done {
    state: AtomicU8,
    lock: Mutex<Option<ThreadId>>,
    cv: Condvar,
}

const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const REVOKED: u8 = 3;

impl Done {
    fn new() -> Self {
        Done {
            state: AtomicU8::new(PENDING),
            lock: Mutex::new(None),
            cv: Condvar::new(),
        }
    }

    /// The cancel is about to run the handler. `false` if its guard revoked it first.
    fn start(&self) -> bool {
        let mut runner = lock(&self.lock);
        let started = self
            .state
            .compare_exchange(PENDING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if started {
            *runner = Some(current_thread_id());
        }
        started
    }

    /// The handler has run (or panicked).
    fn set(&self) {
        let _runner = lock(&self.lock);
        self.state.store(DONE, Ordering::Release);
        self.cv.notify_all();
    }

    /// The guard is dropped after a cancel took the handler: revoke it if it has not started;
    /// otherwise wait until it has finished (S9), unless it is running on this thread, which
    /// means the guard is being dropped from inside the handler itself (or from a handler it
    /// calls into), and waiting would never end.
    fn revoke_or_wait(&self) {
        let mut runner = lock(&self.lock);
        match self
            .state
            .compare_exchange(PENDING, REVOKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(DONE | REVOKED) => {}
            Err(_) if *runner == Some(current_thread_id()) => {}
            Err(_) => {
                while self.state.load(Ordering::Acquire) != DONE {
                    runner = self
                        .cv
                        .wait(runner)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            }
        }
    }
}

/// What registering a listener found.
pub(crate) enum Registered {
    /// Listening; remove with the key.
    Key(usize),
    /// The node was already cancelled; nothing was registered.
    AlreadyCancelled(CancellationError),
}

/// A registered handler, removed by [`Node::remove_handler`].
pub(crate) struct HandlerKey {
    key: usize,
    done: Arc<Done>,
}

impl Entry {
    /// The node a link points at; `None` for a listener.
    fn link(&self) -> Option<&Arc<Node>> {
        match self {
            Entry::Child(node) | Entry::Shield(node) => Some(node),
            Entry::Wake(_) | Entry::Handler(..) => None,
        }
    }
}

impl Node {
    pub(crate) fn new_root(meta: Meta) -> Arc<Node> {
        Self::new(0, None, meta)
    }

    fn new(state: u8, parent: Option<(Arc<Node>, u32)>, meta: Meta) -> Arc<Node> {
        Arc::new(Node {
            state: AtomicU8::new(state),
            kind: meta.kind,
            location: meta.location,
            born: meta.born,
            running: AtomicU32::new(0),
            handles: AtomicU32::new(1),
            parent_key: parent.as_ref().map_or(0, |(_, key)| *key),
            parent: parent.map(|(parent, _)| parent),
            entries: Mutex::new(Entries::default()),
            #[cfg(feature = "tokio-util")]
            tokio_util: std::sync::OnceLock::new(),
        })
    }

    /// Creates a child with one handle. A child of a cancelled node starts cancelled.
    /// (An associated function because loom's `Arc` cannot be a method receiver.)
    pub(crate) fn new_child(this: &Arc<Node>, meta: Meta) -> Arc<Node> {
        Self::new_linked(this, meta, true)
    }

    /// Creates a shield's node with one handle: never cancelled by `this`, but listed under it.
    pub(crate) fn new_shield(this: &Arc<Node>, meta: Meta) -> Arc<Node> {
        Self::new_linked(this, meta, false)
    }

    fn new_linked(this: &Arc<Node>, meta: Meta, cancelled_with_parent: bool) -> Arc<Node> {
        let mut entries = lock(&this.entries);
        // Read under the lock: a cancel that flipped the state after this read has yet to take
        // the lock, and will find the child linked and mark it.
        let state = match this.state.load(Ordering::Acquire) {
            0 => 0,
            _ if !cancelled_with_parent => 0,
            state => CancellationError::unpack(state).inherited().pack(),
        };
        let slot = entries.vacant_entry();
        // A slab of four billion children would need hundreds of gigabytes first.
        let key = u32::try_from(slot.key()).expect("fewer than 2^32 children per node");
        let child = Self::new(state, Some((Arc::clone(this), key)), meta);
        let link = Arc::clone(&child);
        slot.insert(if cancelled_with_parent {
            Entry::Child(link)
        } else {
            Entry::Shield(link)
        });
        // Released by the child's `detach`.
        this.acquire_handle();
        child
    }

    /// What made this node.
    pub(crate) fn meta(&self) -> Meta {
        Meta {
            kind: self.kind,
            location: self.location,
            born: self.born,
        }
    }

    /// The cancellation, if any, as a dump reads it.
    pub(crate) fn cancellation(&self) -> Option<CancellationError> {
        self.check().err()
    }

    /// A future started running under this node; [`finished_running`](Self::finished_running)
    /// when it is dropped.
    #[inline]
    pub(crate) fn started_running(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn finished_running(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }

    /// How many futures run under this node.
    pub(crate) fn running(&self) -> u32 {
        self.running.load(Ordering::Relaxed)
    }

    /// For a dump, under one lock: the nodes linked below this one (children and shields,
    /// roughly in the order they were linked: keys are reused), and the code that cancelled
    /// this node, if it was.
    pub(crate) fn links(&self) -> (Vec<Arc<Node>>, Option<&'static Location<'static>>) {
        let entries = lock(&self.entries);
        let links = entries
            .iter()
            .filter_map(|(_, entry)| entry.link().map(Arc::clone))
            .collect();
        (links, entries.cancelled_by)
    }

    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) != 0
    }

    #[inline]
    pub(crate) fn check(&self) -> Result<(), CancellationError> {
        check_flag(&self.state)
    }

    /// The state byte, for the thread-local fast path of `checkpoint()`.
    pub(crate) fn flag(&self) -> &AtomicU8 {
        &self.state
    }

    pub(crate) fn acquire_handle(&self) {
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops one handle; the last one unlinks the node from its parent.
    ///
    /// A linked child holds a handle on its parent, so a node stays linked (and cancellation
    /// still reaches its descendants) while any descendant is in use, even after its own
    /// tokens are gone. Unlinking can therefore cascade upwards; it does so in a loop.
    pub(crate) fn release_handle(&self) {
        if self.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let mut next = self.detach();
        while let Some(node) = next {
            if node.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
                break;
            }
            next = node.detach();
        }
    }

    /// Unlinks a node nobody uses any more and returns its parent, whose handle it held.
    ///
    /// What is left in its own entries (a permanent adapter handler) goes when the node is
    /// freed: once unlinked, nothing but transient references keeps it alive.
    fn detach(&self) -> Option<Arc<Node>> {
        let parent = self.parent.as_ref()?;
        // Dropped after the lock is released: it may be the last reference to this node.
        let unlinked = lock(&parent.entries).try_remove(self.parent_key as usize);
        drop(unlinked);
        Some(Arc::clone(parent))
    }

    /// Cancels this node and its subtree. `Ok(false)` if it was already cancelled.
    ///
    /// The whole subtree is marked first, then the listeners run on this thread with no lock
    /// held, so a woken waiter or a handler already sees every descendant cancelled. A
    /// panicking handler does not stop the others; the first panic's payload is returned once
    /// everything has run, for the caller to resume or not.
    ///
    /// `by` is the code that cancelled, for the `tracing` event.
    pub(crate) fn cancel(
        &self,
        err: CancellationError,
        by: &'static Location<'static>,
    ) -> Result<bool, Box<dyn Any + Send>> {
        let mut probe = CancelProbe::start();
        // Only a node with children allocates here: the common case, a task or scope with a
        // few parked waiters or handlers, stays allocation-free. Below it, each node's
        // listeners are drained into one list.
        let mut stack = Vec::new();
        let Some(own) = self.mark(err, by, &mut stack) else {
            return Ok(false);
        };
        let mut below = Vec::new();
        let child_err = err.inherited();
        while let Some(node) = stack.pop() {
            if let Some(listeners) = node.mark(child_err, by, &mut stack) {
                probe.marked_below();
                below.extend(listeners.into_iter().map(|(_, entry)| entry));
            }
        }
        probe.running_listeners(err);
        let mut panic = None;
        let own = own.into_iter().map(|(_, entry)| entry);
        for entry in own.chain(below) {
            match entry {
                Entry::Wake(waker) => waker.wake(),
                Entry::Handler(handler, done) => {
                    // A handler of this cancel that ran earlier may have dropped this one's
                    // guard: then it is revoked and must not run (S9, S10).
                    if done.as_ref().is_some_and(|done| !done.start()) {
                        continue;
                    }
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(handler)) {
                        panic.get_or_insert(payload);
                    }
                    if let Some(done) = done {
                        done.set();
                    }
                }
                Entry::Child(_) | Entry::Shield(_) => unreachable!("links are never taken"),
            }
        }
        probe.finish(self.meta(), err, by, panic.is_some());
        match panic {
            Some(payload) => Err(payload),
            None => Ok(true),
        }
    }

    /// Flips this node, records `by`, and takes its listeners, pushing its children onto
    /// `stack` to be marked next; links stay (`None` if it was already cancelled).
    fn mark(
        &self,
        err: CancellationError,
        by: &'static Location<'static>,
        stack: &mut Vec<Arc<Node>>,
    ) -> Option<Slab<Entry>> {
        if self
            .state
            .compare_exchange(0, err.pack(), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return None;
        }
        let mut entries = lock(&self.entries);
        entries.cancelled_by = Some(by);
        let mut taken = std::mem::take(&mut entries.slab);
        let links: Vec<usize> = taken
            .iter()
            .filter_map(|(key, entry)| entry.link().map(|_| key))
            .collect();
        if !links.is_empty() {
            // Put the links back under their own keys, which their children's `detach` uses.
            entries.slab = links.iter().map(|&key| (key, taken.remove(key))).collect();
            stack.extend(entries.iter().filter_map(|(_, entry)| match entry {
                Entry::Child(child) => Some(Arc::clone(child)),
                _ => None,
            }));
        }
        Some(taken)
    }

    fn register(&self, listener: Entry) -> Result<usize, (CancellationError, Entry)> {
        let mut entries = lock(&self.entries);
        match self.state.load(Ordering::Acquire) {
            0 => Ok(entries.insert(listener)),
            state => Err((CancellationError::unpack(state), listener)),
        }
    }

    /// Registers `waker` to be woken on cancellation.
    pub(crate) fn register_waker(&self, waker: &Waker) -> Registered {
        match self.register(Entry::Wake(waker.clone())) {
            Ok(key) => Registered::Key(key),
            Err((err, _)) => Registered::AlreadyCancelled(err),
        }
    }

    /// Replaces the waker registered under `key`. Returns `false` if the node was cancelled
    /// meanwhile (the waker was taken and woken).
    pub(crate) fn update_waker(&self, key: usize, waker: &Waker) -> bool {
        match lock(&self.entries).get_mut(key) {
            Some(Entry::Wake(old)) => {
                old.clone_from(waker);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn remove_waker(&self, key: usize) {
        let removed = lock(&self.entries).try_remove(key);
        drop(removed);
    }

    /// Registers `handler`. If the node is already cancelled, runs it right here instead (S8)
    /// and returns `None`.
    pub(crate) fn register_handler(&self, handler: Box<dyn FnOnce() + Send>) -> Option<HandlerKey> {
        let done = Arc::new(Done::new());
        match self.register(Entry::Handler(handler, Some(Arc::clone(&done)))) {
            Ok(key) => Some(HandlerKey { key, done }),
            Err((_, Entry::Handler(handler, _))) => {
                handler();
                None
            }
            Err(_) => unreachable!("registered a handler"),
        }
    }

    /// Registers a handler that stays until the node is cancelled or dropped.
    #[cfg(feature = "tokio-util")]
    pub(crate) fn register_permanent(&self, handler: Box<dyn FnOnce() + Send>) {
        if let Err((_, Entry::Handler(handler, _))) = self.register(Entry::Handler(handler, None)) {
            handler();
        }
    }

    /// Removes a handler. If a cancel already took it, revokes it if it has not started, or
    /// waits until it has run, so that nothing it touches is used after this returns (S9);
    /// never waits for a handler running on this thread (it would wait for itself).
    pub(crate) fn remove_handler(&self, handler: HandlerKey) {
        let removed = lock(&self.entries).try_remove(handler.key);
        match removed {
            Some(listener) => drop(listener),
            None => handler.done.revoke_or_wait(),
        }
    }

    /// Number of linked children and registered listeners: for tests of memory behaviour.
    #[cfg(test)]
    pub(crate) fn live_entries(&self) -> (usize, usize) {
        let entries = lock(&self.entries);
        let children = entries
            .iter()
            .filter(|(_, entry)| entry.link().is_some())
            .count();
        (children, entries.len() - children)
    }
}

/// Reads a node's state byte: `Err` with the packed reason once it is cancelled.
#[inline]
pub(crate) fn check_flag(flag: &AtomicU8) -> Result<(), CancellationError> {
    match flag.load(Ordering::Acquire) {
        0 => Ok(()),
        state => Err(CancellationError::unpack(state)),
    }
}

impl Drop for Node {
    /// Frees a chain of ancestors iteratively: a long chain of nodes whose only owners are
    /// their children would otherwise be freed by recursion, one stack frame per level.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(parent) = next {
            next = match Arc::try_unwrap(parent) {
                Ok(mut node) => node.parent.take(),
                Err(_) => None,
            };
        }
    }
}

#[cfg(all(test, not(cancelkit_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_node_fits_in_a_small_allocation() {
        // Allocated once per task, group and scope: keep it (with the Arc's two
        // counters) within glibc's 128-byte fast bins.
        assert!(size_of::<Node>() + 16 <= 128, "{} bytes", size_of::<Node>());
    }
}
