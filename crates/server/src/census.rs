//! What the metrics count of the rooms: each room's head count, and what the room actors
//! have done, added up over the whole server.
//!
//! The room writes its [`Census`] at every checkpoint (so it is always the count of a
//! consistent state, also after a restart); the lobby, which holds every room's census, adds
//! them up into a [`ServerCensus`] when the metrics are read. Reading never waits on a room.
//! Plain counters: no actor, no room, no lobby types, so that room, lobby and metrics all
//! depend on this module and it on none of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// How many people one room holds: seated (connected or away) and watching.
#[derive(Debug, Default, Clone)]
pub(crate) struct Census(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    seated: AtomicUsize,
    away: AtomicUsize,
    watching: AtomicUsize,
    won: AtomicU64,
}

/// A census read: numbers of one room, or the sum over many.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadCount {
    /// Seated players, away ones included.
    pub(crate) seated: usize,
    /// Seated players whose connection dropped (kept for a reconnection).
    pub(crate) away: usize,
    /// Spectators.
    pub(crate) watching: usize,
    /// Rounds won in the room so far.
    pub(crate) won: u64,
}

impl std::ops::Add for HeadCount {
    type Output = HeadCount;

    fn add(self, other: HeadCount) -> HeadCount {
        HeadCount {
            seated: self.seated + other.seated,
            away: self.away + other.away,
            watching: self.watching + other.watching,
            won: self.won + other.won,
        }
    }
}

impl Census {
    /// Posts a room's members as they are now: `seated` (away ones included), `away`,
    /// `watching`. Rounds won are counted apart ([`Census::round_won`]).
    pub(crate) fn post(&self, seated: usize, away: usize, watching: usize) {
        self.0.seated.store(seated, Ordering::Relaxed);
        self.0.away.store(away, Ordering::Relaxed);
        self.0.watching.store(watching, Ordering::Relaxed);
    }

    /// Counts a won round.
    pub(crate) fn round_won(&self) {
        self.0.won.fetch_add(1, Ordering::Relaxed);
    }

    /// The last count posted.
    pub(crate) fn read(&self) -> HeadCount {
        HeadCount {
            seated: self.0.seated.load(Ordering::Relaxed),
            away: self.0.away.load(Ordering::Relaxed),
            watching: self.0.watching.load(Ordering::Relaxed),
            won: self.0.won.load(Ordering::Relaxed),
        }
    }
}

/// What the actors of one kind have done, added up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActorTotals {
    /// Messages handled.
    pub(crate) handled: u64,
    /// Messages waiting in the mailboxes now.
    pub(crate) queued: u64,
    /// Restarts after a panic.
    pub(crate) restarts: u64,
}

impl ActorTotals {
    /// Adds one actor's statistics.
    pub(crate) fn add(&mut self, stats: &referee_actor::ActorStats) {
        self.handled += stats.handled;
        self.queued += stats.mailbox_len as u64;
        self.restarts += u64::from(stats.restarts);
    }
}

/// The whole server's rooms, as the lobby counts them for the metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerCensus {
    /// Rooms open.
    pub(crate) rooms: usize,
    /// People in them.
    pub(crate) heads: HeadCount,
    /// What the room actors have done, gone ones included.
    pub(crate) rooms_actors: ActorTotals,
}
