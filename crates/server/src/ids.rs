//! Numbers the server hands out: player numbers, room numbers, and bots' numbers.
//!
//! A bot's number is made from its room's number and its seat among the bots
//! ([`bot_id`]), in a range no player number reaches and a JavaScript number still holds
//! exactly (below 2^53), so bots need no counter and their names follow from their numbers.

use std::sync::atomic::{AtomicU64, Ordering};

use referee_rules::PlayerId;

/// A room's number, shown to players (`room 3`) and used by `/join 3`.
pub(crate) type RoomId = u64;

/// Hands out player numbers, 1, 2, 3… for the life of the server.
#[derive(Debug, Default)]
pub(crate) struct PlayerIds(AtomicU64);

impl PlayerIds {
    pub(crate) fn next(&self) -> PlayerId {
        PlayerId(self.0.fetch_add(1, Ordering::Relaxed) + 1)
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
