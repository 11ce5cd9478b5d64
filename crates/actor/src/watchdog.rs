//! A coarse, shared clock for the first milliseconds of every ask.
//!
//! An ask with a deadline needs a wake-up if its reply is late. A tokio timer per ask costs a
//! lock on the runtime's timer wheel to arm it and another to disarm it — 150 ns, about as
//! much as the whole round trip of an ask — and almost every ask is answered within
//! microseconds. So an ask first only *registers* here: its waker goes into its thread's
//! watch list (one uncontended lock) and comes out again when the ask ends. A watchdog thread
//! looks at every list each [`TICK`]; an ask still waiting after two ticks (5 to 10 ms) is
//! woken, from outside, and arms its real timer for the time it has certainly left.
//!
//! Waking from outside is what makes this robust: it does not depend on the asker's own
//! worker ever running again, so an ask times out even when the handler it waits for blocks
//! the very thread it was asked from.
//!
//! Registering must cost next to nothing, because it happens on almost every ask. So a task
//! keeps its registration between asks: each thread has a table of entries, found by the
//! identity of the asking task's waker, and an entry keeps that task's waker after its ask
//! ends. The next ask from the same task finds its entry and only marks it waiting — one
//! compare-and-swap, no lock, no waker clone — and marks it idle again when it ends. A task
//! may use its home slot or the next few (tasks whose wakers hash to the same slot keep an
//! entry each instead of evicting each other on every ask); an ask that finds all of them
//! taken (many asks from one task at once, a crowded table) falls back to a locked list.
//! The watchdog gives back the wakers of entries idle for a second, so that a finished
//! task's memory is not kept alive by its cached waker.
//!
//! The watchdog thread starts with the first registration and parks once nothing is waiting
//! and no entry holds a waker. So an ask that finds its task's cached entry (which holds a
//! waker) knows the watchdog is awake, and only a registration without one (a new entry, the
//! locked list) may have to wake it.

use std::sync::atomic::{
    AtomicBool, AtomicU64, AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed,
    Ordering::Release, Ordering::SeqCst,
};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::thread::{self, Thread};
use std::time::Duration;

use slab::Slab;

use crate::sync;

/// How often the watchdog looks.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// Ticks an ask may wait before the watchdog wakes it to arm its timer.
const PATIENCE: u64 = 2;

/// Ticks an entry may sit idle before the watchdog gives its waker back (one second).
const RELEASE_AFTER: u64 = 200;

/// How many shards there are; threads beyond that share them.
const SHARDS: usize = 32;
/// Entries per shard (a power of two).
const ENTRIES: usize = 1024;
/// How many entries from its home slot on a task may use.
const PROBES: usize = 4;

/// An entry's state, in one word so that one compare-and-swap moves it:
/// `FREE` (no waker), `BUSY` (being changed by whoever moved it there),
/// `idle(t)` (holds a waker, no ask waiting since tick `t`),
/// `waiting(t)` (an ask of the waker's task waits since tick `t`).
const FREE: u64 = 0;
const BUSY: u64 = 1;

const fn idle(tick: u64) -> u64 {
    2 + 2 * tick
}
const fn waiting(tick: u64) -> u64 {
    3 + 2 * tick
}
/// The tick of an `idle` or `waiting` state.
const fn tick_of(state: u64) -> u64 {
    (state - 2) / 2
}
const fn is_waiting(state: u64) -> bool {
    state >= 2 && state % 2 == 1
}
const fn is_idle(state: u64) -> bool {
    state >= 2 && state % 2 == 0
}

/// A cached registration, owned by one task's waker.
struct Entry {
    state: AtomicU64,
    /// The identity of the cached waker (its data and vtable addresses), written only by
    /// whoever holds the entry `BUSY` or `waiting`.
    data: AtomicUsize,
    vtable: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

/// One shard: the cached entries, and the locked list for asks that find theirs taken.
struct Shard {
    used: AtomicBool,
    entries: [Entry; ENTRIES],
    listed: Mutex<Slab<(u64, Waker)>>,
}

/// A registration, ended when dropped.
pub(crate) struct Watch {
    place: Place,
    /// The tick at which the ask started waiting.
    since: u64,
}

enum Place {
    Cached(&'static Entry),
    Listed(&'static Shard, usize),
}

static TICKS: AtomicU64 = AtomicU64::new(0);
static LISTS: [Shard; SHARDS] = [const {
    Shard {
        used: AtomicBool::new(false),
        entries: [const {
            Entry {
                state: AtomicU64::new(FREE),
                data: AtomicUsize::new(0),
                vtable: AtomicUsize::new(0),
                waker: Mutex::new(None),
            }
        }; ENTRIES],
        listed: Mutex::new(Slab::new()),
    }
}; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
static WATCHDOG: OnceLock<Option<Thread>> = OnceLock::new();
#[cfg(not(loom))]
static PARKING: Parking = Parking::new();
#[cfg(loom)]
loom::lazy_static! {
    static ref PARKING: Parking = Parking::new();
}

/// The handshake that lets the watchdog park without missing a registration: a
/// registration is written, then [`registered`](Self::registered) looks whether the watchdog
/// parked; the watchdog says it parks, then looks at the registrations once more
/// ([`park_unless`](Self::park_unless)). With a `SeqCst` fence on each side between the write
/// and the read, at least one of the two sees the other's write: the watchdog finds the
/// registration, or the registration finds it parked and unparks it. Model-checked
/// (`loom_registration_racing_the_watchdogs_park_is_never_missed`).
pub(crate) struct Parking {
    parked: sync::AtomicBool,
}

impl Parking {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Parking {
            parked: sync::AtomicBool::new(false),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Parking {
            parked: sync::AtomicBool::new(false),
        }
    }

    /// After a registration is written: whether the watchdog parked and this caller must
    /// unpark it (only one caller is told so).
    fn registered(&self) -> bool {
        sync::fence(SeqCst);
        self.parked.load(Relaxed) && self.parked.swap(false, Relaxed)
    }

    /// The watchdog found nothing to watch: it parks with `park` unless `busy`, looking
    /// again after saying it parks, finds something.
    fn park_unless(&self, busy: impl FnOnce() -> bool, park: impl FnOnce()) {
        self.parked.store(true, Relaxed);
        sync::fence(SeqCst);
        if !busy() {
            park();
        }
        self.parked.store(false, Relaxed);
    }
}

thread_local! {
    /// This thread's shard.
    static SHARD: &'static Shard = {
        let shard = &LISTS[NEXT_SHARD.fetch_add(1, Relaxed) % SHARDS];
        shard.used.store(true, Relaxed);
        shard
    };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The identity `Waker::will_wake` compares.
fn identity(waker: &Waker) -> (usize, usize) {
    (
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    )
}

/// Spreads a waker's data address over the table.
fn slot_of(data: usize) -> usize {
    let mixed = (data as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // The top bits of the product are the well-mixed ones: take as many as index the table.
    usize::try_from(mixed >> (64 - ENTRIES.trailing_zeros())).unwrap_or(0) % ENTRIES
}

/// Registers an ask that starts waiting, by the task its `waker` wakes.
pub(crate) fn watch(waker: &Waker) -> Watch {
    let since = TICKS.load(Relaxed);
    let shard = SHARD.with(|shard| *shard);
    let (data, vtable) = identity(waker);
    let home = slot_of(data);
    let place = match probes(shard, home).find_map(|entry| reclaim(entry, data, vtable, since)) {
        // The entry held a waker: the watchdog has not parked (see the module docs).
        Some(entry) => Place::Cached(entry),
        None => {
            let place = watch_anew(shard, home, waker, since);
            wake_watchdog();
            place
        }
    };
    Watch { place, since }
}

/// The entries a task may use: its home slot and the next few, so that tasks whose wakers
/// hash to the same slot each keep an entry of their own instead of taking it from each
/// other on every ask.
fn probes(shard: &'static Shard, home: usize) -> impl Iterator<Item = &'static Entry> {
    (0..PROBES).map(move |step| &shard.entries[(home + step) % ENTRIES])
}

/// Marks `entry` waiting if it is this task's and idle.
#[inline]
fn reclaim(
    entry: &'static Entry,
    data: usize,
    vtable: usize,
    since: u64,
) -> Option<&'static Entry> {
    let state = entry.state.load(Acquire);
    let mine = entry.data.load(Relaxed) == data && entry.vtable.load(Relaxed) == vtable;
    if !(is_idle(state) && mine) {
        return None;
    }
    entry
        .state
        .compare_exchange(state, waiting(since), AcqRel, Relaxed)
        .ok()?;
    // Between the reads above and the swap, the entry may have been freed and taken over by
    // another task (and be idle again): check it is still this task's.
    if entry.data.load(Relaxed) == data && entry.vtable.load(Relaxed) == vtable {
        return Some(entry);
    }
    entry.state.store(idle(since), Release);
    None
}

/// A task without an entry of its own (its first ask, or its entry was given back or taken
/// over): takes a free entry among its probes, else an idle one, else goes on the locked
/// list.
#[cold]
#[inline(never)]
fn watch_anew(shard: &'static Shard, home: usize, waker: &Waker, since: u64) -> Place {
    let free = probes(shard, home).find_map(|entry| claim(entry, waker, since, |s| s == FREE));
    match free.or_else(|| probes(shard, home).find_map(|entry| claim(entry, waker, since, is_idle)))
    {
        Some(entry) => Place::Cached(entry),
        None => Place::Listed(shard, lock(&shard.listed).insert((since, waker.clone()))),
    }
}

/// Takes `entry` for `waker`'s task, marked waiting, if its state passes `takeable`.
fn claim(
    entry: &'static Entry,
    waker: &Waker,
    since: u64,
    takeable: impl Fn(u64) -> bool,
) -> Option<&'static Entry> {
    let state = entry.state.load(Acquire);
    if !takeable(state) {
        return None;
    }
    entry
        .state
        .compare_exchange(state, BUSY, AcqRel, Relaxed)
        .ok()?;
    let (data, vtable) = identity(waker);
    let old = lock(&entry.waker).replace(waker.clone());
    entry.data.store(data, Relaxed);
    entry.vtable.store(vtable, Relaxed);
    entry.state.store(waiting(since), Release);
    drop(old);
    Some(entry)
}

impl Watch {
    /// Replaces the registered waker if it would not wake `waker`'s task.
    pub(crate) fn rewake(&self, waker: &Waker) {
        match self.place {
            Place::Cached(entry) => {
                // This ask owns the entry while it waits: nobody else writes it.
                let mut registered = lock(&entry.waker);
                if !registered.as_ref().is_some_and(|r| r.will_wake(waker)) {
                    let (data, vtable) = identity(waker);
                    entry.data.store(data, Relaxed);
                    entry.vtable.store(vtable, Relaxed);
                    *registered = Some(waker.clone());
                }
            }
            Place::Listed(shard, key) => {
                let mut listed = lock(&shard.listed);
                if let Some((_, registered)) = listed.get_mut(key) {
                    if !registered.will_wake(waker) {
                        *registered = waker.clone();
                    }
                }
            }
        }
    }

    /// Whether the watchdog has (or is about to have) woken this ask: `PATIENCE` ticks
    /// have been counted since it registered.
    pub(crate) fn overdue(&self) -> bool {
        self.ticks() >= PATIENCE
    }

    /// How long the ask has certainly waited. It registered somewhere within a tick, so of
    /// `n` ticks counted since, only `n - 1` whole ticks surely passed: a deadline computed
    /// from this may fire up to a tick late, never early.
    pub(crate) fn waited(&self) -> Duration {
        let ticks = self.ticks().saturating_sub(1);
        TICK.saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
    }

    fn ticks(&self) -> u64 {
        TICKS.load(Relaxed).saturating_sub(self.since)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        match self.place {
            Place::Cached(entry) => entry.state.store(idle(TICKS.load(Relaxed)), Release),
            Place::Listed(shard, key) => {
                lock(&shard.listed).try_remove(key);
            }
        }
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
    if PARKING.registered() {
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
            // A registration from now on unparks us, or leaves the unpark token.
            PARKING.park_unless(|| sweep(tick), thread::park);
        }
    }
}

/// Wakes every ask that has waited `PATIENCE` ticks and gives back the wakers of entries
/// idle for `RELEASE_AFTER` ticks; returns whether anything is still watched or cached.
fn sweep(tick: u64) -> bool {
    let mut busy = false;
    for shard in LISTS.iter().filter(|shard| shard.used.load(Relaxed)) {
        let mut due = Vec::new();
        for entry in &shard.entries {
            busy |= sweep_entry(entry, tick, &mut due);
        }
        {
            let mut listed = lock(&shard.listed);
            listed.retain(|_, (since, waker)| {
                let overdue = tick.saturating_sub(*since) >= PATIENCE;
                if overdue {
                    due.push(waker.clone());
                }
                !overdue
            });
            busy |= !listed.is_empty();
        }
        due.into_iter().for_each(Waker::wake);
    }
    busy
}

/// One cached entry: collects its waker into `due` if its ask is overdue (it stays
/// registered until the ask ends), frees it if idle too long. Whether it still holds a waker.
fn sweep_entry(entry: &Entry, tick: u64, due: &mut Vec<Waker>) -> bool {
    let state = entry.state.load(Acquire);
    if is_waiting(state) {
        if tick.saturating_sub(tick_of(state)) >= PATIENCE {
            due.extend(lock(&entry.waker).clone());
        }
        return true;
    }
    if is_idle(state) && tick.saturating_sub(tick_of(state)) >= RELEASE_AFTER {
        if entry
            .state
            .compare_exchange(state, BUSY, AcqRel, Relaxed)
            .is_ok()
        {
            let old = lock(&entry.waker).take();
            entry.data.store(0, Relaxed);
            entry.vtable.store(0, Relaxed);
            entry.state.store(FREE, Release);
            drop(old);
            return false;
        }
        return true;
    }
    state != FREE
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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

    /// Whether an ask of `waker`'s task is registered as waiting on this thread's shard.
    fn watched(waker: &Waker) -> bool {
        let (data, vtable) = identity(waker);
        SHARD.with(|shard| {
            let cached = shard.entries.iter().any(|entry| {
                is_waiting(entry.state.load(Acquire))
                    && entry.data.load(Relaxed) == data
                    && entry.vtable.load(Relaxed) == vtable
            });
            let listed = lock(&shard.listed)
                .iter()
                .any(|(_, (_, other))| other.will_wake(waker));
            cached || listed
        })
    }

    /// Waits (bounded) until `done` holds.
    fn eventually(limit: Duration, done: impl Fn() -> bool) -> Duration {
        let mut waited = Duration::ZERO;
        while !done() && waited < limit {
            thread::sleep(TICK);
            waited += TICK;
        }
        waited
    }

    #[test]
    fn an_ask_still_waiting_is_woken_from_outside_even_if_its_thread_is_blocked() {
        let (count, waker) = counter();
        let watch = watch(&waker);
        // This thread now blocks; only the watchdog can wake the ask.
        let waited = eventually(Duration::from_secs(5), || count.0.load(Relaxed) > 0);
        assert!(count.0.load(Relaxed) >= 1);
        assert!(waited <= TICK * 20, "woken after {waited:?}");
        assert!(watch.overdue());
        assert!(watch.waited() >= TICK, "{:?}", watch.waited());
    }

    #[test]
    fn an_ask_that_ended_is_never_woken() {
        let (count, waker) = counter();
        let watch = watch(&waker);
        assert!(watched(&waker));
        drop(watch);
        assert!(!watched(&waker), "the ended ask is still registered");
        thread::sleep(TICK * (PATIENCE as u32 + 4));
        assert_eq!(count.0.load(Relaxed), 0);
    }

    #[test]
    fn a_task_keeps_its_entry_from_one_ask_to_the_next() {
        let (_count, waker) = counter();
        let entry_of = |watch: &Watch| match watch.place {
            Place::Cached(entry) => Some(std::ptr::from_ref(entry)),
            Place::Listed(..) => None,
        };
        let first = watch(&waker);
        let first_entry = entry_of(&first);
        drop(first);
        let second = watch(&waker);
        assert!(first_entry.is_some());
        assert_eq!(entry_of(&second), first_entry);
    }

    #[test]
    fn two_asks_of_one_task_at_once_are_both_woken() {
        let (count, waker) = counter();
        let first = watch(&waker);
        let second = watch(&waker);
        // The second finds the task's entry taken by the first: it gets another of its
        // probes (or, were they all taken, the locked list).
        match (&first.place, &second.place) {
            (Place::Cached(a), Place::Cached(b)) => assert!(!std::ptr::eq(*a, *b)),
            (Place::Cached(_), Place::Listed(..)) => {}
            _ => panic!("the first ask of a task must get a cached entry"),
        }
        let waited = eventually(Duration::from_secs(5), || count.0.load(Relaxed) >= 2);
        assert!(
            count.0.load(Relaxed) >= 2,
            "woken {count} times",
            count = count.0.load(Relaxed)
        );
        assert!(waited <= TICK * 20, "woken after {waited:?}");
        drop((first, second));
    }

    #[test]
    fn tasks_whose_wakers_share_a_home_slot_keep_an_entry_each() {
        // Wakers until two share a home slot (the table has 1,024: a few hundred suffice).
        let wakers: Vec<_> = (0..2_000).map(|_| counter()).collect();
        let mut homes = std::collections::HashMap::new();
        let (a, b) = wakers
            .iter()
            .find_map(|(_, waker)| {
                let home = slot_of(identity(waker).0);
                homes
                    .insert(home, waker)
                    .map(|other| (other.clone(), waker.clone()))
            })
            .expect("two wakers with the same home slot");
        let entry_of = |watch: &Watch| match watch.place {
            Place::Cached(entry) => Some(std::ptr::from_ref(entry)),
            Place::Listed(..) => None,
        };
        let (first_a, first_b) = (watch(&a), watch(&b));
        let (entry_a, entry_b) = (entry_of(&first_a), entry_of(&first_b));
        drop((first_a, first_b));
        // Asking again, each finds its own entry: neither evicted the other.
        let (again_a, again_b) = (watch(&a), watch(&b));
        assert!(entry_a.is_some() && entry_b.is_some());
        assert_ne!(entry_a, entry_b);
        assert_eq!(entry_of(&again_a), entry_a);
        assert_eq!(entry_of(&again_b), entry_b);
    }

    #[test]
    fn an_idle_entry_gives_its_waker_back() {
        let (count, waker) = counter();
        drop(watch(&waker));
        // `count` and `waker` hold two references; the cached waker held a third.
        let limit = TICK * (RELEASE_AFTER as u32 * 3);
        eventually(limit, || Arc::strong_count(&count) == 2);
        assert_eq!(
            Arc::strong_count(&count),
            2,
            "the idle entry kept its waker"
        );
    }
}

/// Model test of the parking handshake with loom (docs/semantics.md, "Model-checked
/// invariants"). Modelled: [`Parking`] itself, as `run` and `wake_watchdog` call it, with a
/// registration written as `claim` writes one (an entry's state, stored `Release`) and a
/// sweep that reads it as `sweep_entry` does (`Acquire`). Not modelled: the tables, the
/// ticks, the real thread (statics of std types).
#[cfg(all(test, loom))]
mod loom_model {
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicU64;
    use loom::thread;

    use super::*;

    #[test]
    fn loom_registration_racing_the_watchdogs_park_is_never_missed() {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        builder.check(|| {
            let parking = Arc::new(Parking::new());
            let entry = Arc::new(AtomicU64::new(FREE));
            let watchdog = {
                let (parking, entry) = (parking.clone(), entry.clone());
                // Its first sweep found nothing: it parks unless the second finds the entry.
                // Parked for good (a missed registration), loom reports the deadlock.
                thread::spawn(move || {
                    parking.park_unless(|| is_waiting(entry.load(Acquire)), thread::park);
                })
            };
            entry.store(waiting(0), Release);
            if parking.registered() {
                watchdog.thread().unpark();
            }
            watchdog.join().unwrap();
        });
    }
}
