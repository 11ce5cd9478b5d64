//! Numbers the server hands out: player numbers, room numbers, and bots' numbers.
//!
//! A bot's number is made from its room's number and its seat among the bots
//! ([`bot_id`]), in a range no player number reaches and a JavaScript number still holds
//! exactly (below 2^53), so bots need no counter and their names follow from their numbers.

use std::sync::atomic::{AtomicU64, Ordering};

use referee_rules::PlayerId;

/// A room's number, shown to players (`room 3`) and used by `/join 3`.
pub(crate) type RoomId = u64;

/// Hands out player numbers, 1, 2, 3… for the life of the server — or, on a cluster node,
/// from the first number of the node's own range, wrapping within it
/// (`cluster::NUMBERS_PER_NODE`), so that no two nodes hand out the same number.
#[derive(Debug)]
pub(crate) struct PlayerIds {
    handed: AtomicU64,
    first: u64,
    /// How many numbers the range holds (`u64::MAX` for a server on its own).
    range: u64,
}

impl Default for PlayerIds {
    fn default() -> Self {
        PlayerIds {
            handed: AtomicU64::new(0),
            first: 1,
            range: u64::MAX,
        }
    }
}

impl PlayerIds {
    /// Numbers from `first`, `range` of them, then again from `first`; the first handed is
    /// `first + start` (a restarted cluster node starts elsewhere in its range than its
    /// earlier run, whose players' seats may still be held in rooms other nodes adopted).
    pub(crate) fn in_range_from(first: u64, range: u64, start: u64) -> Self {
        PlayerIds {
            handed: AtomicU64::new(start),
            first,
            range: range.max(1),
        }
    }

    pub(crate) fn next(&self) -> PlayerId {
        let handed = self.handed.fetch_add(1, Ordering::Relaxed);
        PlayerId(self.first.saturating_add(handed % self.range))
    }
}

/// The first bot number: 2^52.
const BOTS_FROM: u64 = 1 << 52;

/// The most bots one room's numbers have room for.
const BOTS_PER_ROOM: u64 = 8;

/// The number of the `k`th bot (from 1) of room `room`.
pub(crate) fn bot_id(room: RoomId, k: usize) -> PlayerId {
    let k = u64::try_from(k).unwrap_or(0) % BOTS_PER_ROOM;
    let room = room % ((BOTS_FROM - 1) / BOTS_PER_ROOM);
    PlayerId(BOTS_FROM + room * BOTS_PER_ROOM + k)
}

/// Whether `player` is a bot's number.
pub(crate) fn is_bot(player: PlayerId) -> bool {
    (BOTS_FROM..2 * BOTS_FROM).contains(&player.0)
}

/// The name a player has until they choose one; a bot's name (`Bot 2`).
pub(crate) fn default_name(player: PlayerId) -> String {
    if is_bot(player) {
        return format!("Bot {}", (player.0 - BOTS_FROM) % BOTS_PER_ROOM);
    }
    format!("Player {player}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_numbers_start_at_one_and_increase() {
        let ids = PlayerIds::default();
        assert_eq!(ids.next(), PlayerId(1));
        assert_eq!(ids.next(), PlayerId(2));
        assert_eq!(default_name(PlayerId(2)), "Player 2");
    }

    #[test]
    fn a_nodes_numbers_stay_in_its_range_and_wrap_within_it() {
        let ids = PlayerIds::in_range_from(2_000_000_001, 3, 0);
        let handed: Vec<u64> = (0..4).map(|_| ids.next().0).collect();
        assert_eq!(
            handed,
            [2_000_000_001, 2_000_000_002, 2_000_000_003, 2_000_000_001]
        );
        let later_run = PlayerIds::in_range_from(2_000_000_001, 3, 2);
        let handed: Vec<u64> = (0..2).map(|_| later_run.next().0).collect();
        assert_eq!(handed, [2_000_000_003, 2_000_000_001]);
    }

    #[test]
    fn bots_are_numbered_per_room_apart_from_players_and_named_plainly() {
        let (one, two) = (bot_id(7, 1), bot_id(7, 2));
        assert_ne!(one, two);
        assert_ne!(one, bot_id(8, 1));
        assert!(is_bot(one) && is_bot(bot_id(u64::MAX, 5)));
        assert!(!is_bot(PlayerId(2)) && !is_bot(PlayerId(u64::MAX)));
        assert!(bot_id(u64::MAX, 5).0 < 1 << 53, "exact in JavaScript");
        assert_eq!(default_name(two), "Bot 2");
    }
}
