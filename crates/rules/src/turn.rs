//! Whose move it is: [`Turn`], as the state says it.
//!
//! A race (guess-the-number) lets everyone act at once; a turn-based game
//! names one player; between matches nobody may act. The rules, not the
//! server, refuse an action out of turn, with their own typed rejection;
//! `Turn` only lets a server, a bot or a page show who is expected to act.

use serde::{Deserialize, Serialize};

use crate::PlayerId;

/// Who may act now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "player", rename_all = "snake_case")]
pub enum Turn {
    /// Every seated player, concurrently (a race).
    Everyone,
    /// Only this player.
    Player(PlayerId),
    /// Nobody (e.g. between matches, while a countdown runs).
    Nobody,
}

impl Turn {
    /// Whether `player` may act now.
    pub fn allows(self, player: PlayerId) -> bool {
        match self {
            Turn::Everyone => true,
            Turn::Player(turn) => turn == player,
            Turn::Nobody => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_player_may_act() {
        assert!(Turn::Player(PlayerId(1)).allows(PlayerId(1)));
        assert!(!Turn::Player(PlayerId(1)).allows(PlayerId(2)));
    }

    #[test]
    fn everyone_and_nobody() {
        assert!(Turn::Everyone.allows(PlayerId(9)));
        assert!(!Turn::Nobody.allows(PlayerId(9)));
    }

    #[test]
    fn serializes_tagged() {
        let json = serde_json::to_string(&Turn::Player(PlayerId(3))).unwrap();
        assert_eq!(json, r#"{"type":"player","player":3}"#);
    }
}
