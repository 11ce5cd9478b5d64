//! The synchronisation types of the lock-free parts (the mailbox, the watchdog's parking),
//! from std — or, in the model-checked build (`RUSTFLAGS="--cfg loom"`), from [loom], which
//! explores their interleavings (docs/semantics.md, "Model-checked invariants").
//!
//! In a normal build every name here *is* the std (or `atomic-waker`) type, re-exported:
//! nothing is wrapped, so the code compiles exactly as it did before.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use atomic_waker::AtomicWaker;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

/// Nothing in a normal build. In the model, a `SeqCst` fence standing for the order the
/// C++20 memory model gives `SeqCst` accesses, which loom does not model: loom treats
/// `SeqCst` loads, stores and read-modify-writes as acquire/release (its README,
/// "Limitations"; tokio-rs/loom#180), and so reports executions that cannot happen.
///
/// The mailbox relies on that order at one handshake (see `Send::join`): a sender stores
/// `waiting` (`SeqCst`), then its push reads the ring's state (a `SeqCst` compare-and-swap
/// for a one-slot ring; for a larger one, after a `SeqCst` fence); the run loop pops (a
/// `SeqCst` compare-and-swap), then loads `waiting` (`SeqCst`). All four are in the single
/// total order S, consistent with program order and coherence: if the run loop's load
/// missed the store, the pop precedes the sender's read in S, so the sender sees the freed
/// slot. So in the model a fence follows the sender's store and precedes the run loop's load
/// — and nowhere else: a model that still fails with them is a real failure.
#[inline(always)]
pub(crate) fn seqcst_in_model() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

/// loom's waker cell, with `atomic-waker`'s signature (`register` takes the waker by
/// reference).
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(loom)]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}
