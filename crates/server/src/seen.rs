//! The round a player has been shown, which is the round a plain guess is for.
//!
//! The writer raises it when it hands a frame that mentions a round to the socket — before
//! the write returns, since a quick client may answer before the writer task runs again, and
//! its guess must not be judged against the round before; the session raises
//! it when the player sits down (to the room's round at that moment, so that a guess typed
//! before the first line arrives still counts for the round it was meant for). Rounds are
//! numbered per room, so each seat gets a new *epoch*, packed above the round number: frames
//! from a room left behind, still in the writer's queue, can never lower it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bits of the packed value that hold the round number.
const ROUND_BITS: u32 = 44;
const ROUND_MASK: u64 = (1 << ROUND_BITS) - 1;
const MAX_EPOCH: u32 = (1 << (64 - ROUND_BITS)) - 1;

/// The packed value for round `round` of seat number `epoch`.
pub(crate) fn stamp(epoch: u32, round: u64) -> u64 {
    (u64::from(epoch.min(MAX_EPOCH)) << ROUND_BITS) | round.min(ROUND_MASK)
}

/// Shared by a connection's session (reads it) and writer (raises it).
#[derive(Debug, Clone, Default)]
pub(crate) struct SeenRound(Arc<AtomicU64>);

impl SeenRound {
    /// Raises it to `stamp` (never lowers it).
    pub(crate) fn observe(&self, stamp: u64) {
        self.0.fetch_max(stamp, Ordering::AcqRel);
    }

    /// The round last shown, in the current seat.
    pub(crate) fn round(&self) -> u64 {
        self.0.load(Ordering::Acquire) & ROUND_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_seat_starts_from_its_own_round_whatever_the_last_room_reached() {
        let seen = SeenRound::default();
        seen.observe(stamp(1, 40));
        seen.observe(stamp(2, 1));
        assert_eq!(seen.round(), 1);
        seen.observe(stamp(1, 41)); // a late frame from the room left behind
        assert_eq!(seen.round(), 1);
        seen.observe(stamp(2, 3));
        assert_eq!(seen.round(), 3);
    }

    #[test]
    fn rounds_within_a_seat_only_go_up() {
        let seen = SeenRound::default();
        seen.observe(stamp(1, 5));
        seen.observe(stamp(1, 4));
        assert_eq!(seen.round(), 5);
    }
}
