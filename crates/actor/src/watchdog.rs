//! A coarse, shared clock for the first milliseconds of every ask.
//!
//! An ask with a deadline needs a wake-up if its reply is late. A tokio timer per ask costs a
//! lock on the runtime's timer wheel to arm it and another to disarm it — 150 ns, about as
//! much as the whole round trip of an ask — and almost every ask is answered within
//! microseconds. So an ask first only *registers* here: its waker goes into its thread's
//! watch list (one uncontended lock) and comes out again when the ask ends. A watchdog thread
//! looks at every list each [`TICK`]; an ask still waiting after two ticks (10 ms) is woken,
//! from outside, and arms its real timer for the time it has left.
//!
//! Waking from outside is what makes this robust: it does not depend on the asker's own
//! worker ever running again, so an ask times out even when the handler it waits for blocks
//! the very thread it was asked from.
//!
//! The watchdog thread starts with the first registration and parks while no list holds
//! anything.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::Waker;
use std::thread::{self, Thread};
use std::time::Duration;

use slab::Slab;

/// How often the watchdog looks.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// Ticks an ask may wait before the watchdog wakes it to arm its timer.
const PATIENCE: u64 = 2;
/// [`PATIENCE`] as a duration.
pub(crate) const PATIENCE_TIME: Duration = Duration::from_millis(10);

/// One thread's watch list, shared with the watchdog.
#[derive(Default)]
pub(crate) struct Slot {
    watched: Mutex<Slab<(u64, Waker)>>,
}

/// A registration: removed from its list when dropped.
pub(crate) struct Watch {
    slot: Arc<Slot>,
    key: usize,
    /// The tick at which the ask started waiting.
    since: u64,
}

static TICKS: AtomicU64 = AtomicU64::new(0);
static SLOTS: LazyLock<Mutex<Vec<Weak<Slot>>>> = LazyLock::new(Mutex::default);
static WATCHDOG: OnceLock<Option<Thread>> = OnceLock::new();
static PARKED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static SLOT: Arc<Slot> = {
        let slot = Arc::new(Slot::default());
        lock(&SLOTS).push(Arc::downgrade(&slot));
        slot
    };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Puts an ask that starts waiting on this thread's watch list.
pub(crate) fn watch(waker: &Waker) -> Watch {
    let since = TICKS.load(Relaxed);
    let slot = SLOT.with(Arc::clone);
    let key = lock(&slot.watched).insert((since, waker.clone()));
    wake_watchdog();
    Watch { slot, key, since }
}

impl Watch {
    /// Replaces the registered waker if it would not wake `waker`'s task.
    pub(crate) fn rewake(&self, waker: &Waker) {
        let mut watched = lock(&self.slot.watched);
        if let Some((_, registered)) = watched.get_mut(self.key) {
            if !registered.will_wake(waker) {
                *registered = waker.clone();
            }
        }
    }

    /// Roughly how long the ask has waited: whole ticks since it registered.
    pub(crate) fn waited(&self) -> Duration {
        let ticks = TICKS.load(Relaxed).saturating_sub(self.since);
        TICK.saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        lock(&self.slot.watched).try_remove(self.key);
    }
}

fn wake_watchdog() {
    let watchdog = WATCHDOG.get_or_init(|| {
        let spawned = thread::Builder::new()
            .name("referee-watchdog".into())
            .spawn(run);
        match spawned {
            Ok(handle) => Some(handle.thread().clone()),
            Err(err) => {
                tracing::error!(%err, "cannot start the ask watchdog");
                None
            }
        }
    });
    // A plain load first: the swap (a write to a line every thread reads) only when parked.
    if PARKED.load(Relaxed) && PARKED.swap(false, Relaxed) {
        if let Some(thread) = watchdog {
            thread.unpark();
        }
    }
}

/// The watchdog thread's loop.
fn run() {
    loop {
        thread::sleep(TICK);
        let tick = TICKS.fetch_add(1, Relaxed) + 1;
        if !sweep(tick) {
            PARKED.store(true, Relaxed);
            if !sweep(tick) {
                // A registration from now on unparks us, or leaves the unpark token.
                thread::park();
            }
            PARKED.store(false, Relaxed);
        }
    }
}

/// Wakes every ask that has waited `PATIENCE` ticks; returns whether any ask is watched.
fn sweep(tick: u64) -> bool {
    let slots: Vec<Arc<Slot>> = {
        let mut all = lock(&SLOTS);
        all.retain(|slot| slot.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    };
    let mut watching = false;
    for slot in slots {
        let mut due = Vec::new();
        {
            let mut watched = lock(&slot.watched);
            watched.retain(|_, (since, waker)| {
                let overdue = tick.saturating_sub(*since) >= PATIENCE;
                if overdue {
                    due.push(waker.clone());
                }
                !overdue
            });
            watching |= !watched.is_empty();
        }
        due.into_iter().for_each(Waker::wake);
    }
    watching
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    #[test]
    fn an_ask_still_waiting_is_woken_from_outside_even_if_its_thread_is_blocked() {
        let (count, waker) = counter();
        let watch = watch(&waker);
        // This thread now blocks; only the watchdog can wake the ask.
        let mut waited = Duration::ZERO;
        while count.0.load(Relaxed) == 0 && waited < Duration::from_secs(5) {
            thread::sleep(TICK);
            waited += TICK;
        }
        assert_eq!(count.0.load(Relaxed), 1);
        assert!(waited <= TICK * 20, "woken after {waited:?}");
        assert!(watch.waited() >= TICK * 2);
    }

    #[test]
    fn an_ask_that_ended_is_never_woken() {
        let (count, waker) = counter();
        drop(watch(&waker));
        thread::sleep(TICK * (PATIENCE as u32 + 4));
        assert_eq!(count.0.load(Relaxed), 0);
        assert!(SLOT.with(|slot| lock(&slot.watched).is_empty()));
    }
}
