//! Numbers the server hands out: player numbers and room numbers.

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

/// The name a player has until they choose one.
pub(crate) fn default_name(player: PlayerId) -> String {
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
}
