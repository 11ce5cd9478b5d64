//! A room's head count, posted for the metrics without anyone having to ask the room.
//!
//! The room writes it at every checkpoint (so it is always the count of a consistent state,
//! also after a restart); the lobby, which holds every room's census, adds them up when the
//! metrics are read. Reading never waits on a room.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::members::Members;

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
    /// Posts the room's members as they are now.
    pub(super) fn post(&self, members: &Members) {
        self.0.seated.store(members.len(), Ordering::Relaxed);
        self.0.away.store(members.away(), Ordering::Relaxed);
        self.0.watching.store(members.watchers(), Ordering::Relaxed);
    }

    /// Counts a won round.
    pub(super) fn round_won(&self) {
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
