//! How a Liar's Dice table is set up: [`DiceConfig`], validated on
//! construction (and when read back from a match log).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Millis;

/// The settings of a Liar's Dice table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct DiceConfig {
    players: u8,
    turn_time: Millis,
    countdown: Millis,
    /// Bots fill the empty seats when the countdown ends (see `bots.rs`).
    bots: bool,
}

/// Why a [`DiceConfig`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum DiceConfigError {
    /// A table seats 2 to 6 players.
    #[error("a table seats {min} to {max} players, not {players}")]
    Players {
        /// The requested table size.
        players: u8,
        /// [`DiceConfig::MIN_PLAYERS`].
        min: u8,
        /// [`DiceConfig::MAX_PLAYERS`].
        max: u8,
    },
    /// A turn needs some time.
    #[error("the turn time must be at least {min}")]
    TurnTime {
        /// The shortest accepted turn time.
        min: Millis,
    },
}

/// A config as read from bytes, before [`DiceConfig::new`] checks it.
#[derive(Deserialize)]
struct Unchecked {
    players: u8,
    turn_time: Millis,
    countdown: Millis,
    /// Absent in configs written before bots existed.
    #[serde(default)]
    bots: bool,
}

impl TryFrom<Unchecked> for DiceConfig {
    type Error = DiceConfigError;

    fn try_from(raw: Unchecked) -> Result<Self, DiceConfigError> {
        Ok(DiceConfig::new(raw.players, raw.turn_time, raw.countdown)?.with_bots(raw.bots))
    }
}

impl DiceConfig {
    /// The fewest players at a table.
    pub const MIN_PLAYERS: u8 = 2;
    /// The most players at a table.
    pub const MAX_PLAYERS: u8 = 6;
    /// Dice each player starts a match with.
    pub const DICE_EACH: u8 = 5;
    /// The shortest accepted turn time.
    pub const MIN_TURN_TIME: Millis = Millis(100);

    /// A table of `players` seats, with `turn_time` per turn and a
    /// `countdown` from the second player sitting to the match start.
    ///
    /// # Errors
    ///
    /// [`DiceConfigError::Players`] outside 2..=6 players,
    /// [`DiceConfigError::TurnTime`] for a turn shorter than 100 ms.
    pub fn new(players: u8, turn_time: Millis, countdown: Millis) -> Result<Self, DiceConfigError> {
        if !(Self::MIN_PLAYERS..=Self::MAX_PLAYERS).contains(&players) {
            return Err(DiceConfigError::Players {
                players,
                min: Self::MIN_PLAYERS,
                max: Self::MAX_PLAYERS,
            });
        }
        if turn_time < Self::MIN_TURN_TIME {
            return Err(DiceConfigError::TurnTime {
                min: Self::MIN_TURN_TIME,
            });
        }
        Ok(DiceConfig {
            players,
            turn_time,
            countdown,
            bots: false,
        })
    }

    /// Lets bots take the seats no human took when the countdown ends, so
    /// one person can play at once: the countdown then starts as soon as
    /// one player sits (off by default).
    pub fn with_bots(mut self, bots: bool) -> Self {
        self.bots = bots;
        self
    }

    /// Whether bots fill empty seats when the countdown ends.
    pub fn bots(&self) -> bool {
        self.bots
    }

    /// How many players must sit for the countdown to start: 2, or 1 when
    /// bots fill the rest.
    pub fn to_count_down(&self) -> usize {
        if self.bots { 1 } else { 2 }
    }

    /// Seats at the table: a match starts at once when they are all taken.
    pub fn players(&self) -> u8 {
        self.players
    }

    /// How long a player has to act before the timeout action.
    pub fn turn_time(&self) -> Millis {
        self.turn_time
    }

    /// How long after the second player sits a match starts anyway.
    pub fn countdown(&self) -> Millis {
        self.countdown
    }
}

impl Default for DiceConfig {
    /// 4 players, 30 s turns, a 15 s countdown.
    fn default() -> Self {
        DiceConfig {
            players: 4,
            turn_time: Millis::from_secs(30),
            countdown: Millis::from_secs(15),
            bots: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_one_or_seven_players() {
        let (turn, countdown) = (Millis::from_secs(30), Millis::from_secs(15));
        assert!(DiceConfig::new(1, turn, countdown).is_err());
        assert!(DiceConfig::new(7, turn, countdown).is_err());
        assert!(DiceConfig::new(2, turn, countdown).is_ok());
        assert!(DiceConfig::new(6, turn, countdown).is_ok());
    }

    #[test]
    fn refuses_a_zero_turn_time() {
        let err = DiceConfig::new(4, Millis::ZERO, Millis::ZERO).unwrap_err();
        assert!(matches!(err, DiceConfigError::TurnTime { .. }));
    }

    #[test]
    fn deserializing_checks_too() {
        let json = r#"{"players":9,"turn_time":30000,"countdown":0}"#;
        assert!(serde_json::from_str::<DiceConfig>(json).is_err());
        let json = r#"{"players":3,"turn_time":30000,"countdown":0}"#;
        assert_eq!(
            serde_json::from_str::<DiceConfig>(json).unwrap().players(),
            3
        );
    }

    #[test]
    fn bots_are_off_unless_asked_and_read_back() {
        assert!(!DiceConfig::default().bots());
        let json = r#"{"players":3,"turn_time":30000,"countdown":0}"#;
        assert!(!serde_json::from_str::<DiceConfig>(json).unwrap().bots());
        let config = DiceConfig::default().with_bots(true);
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<DiceConfig>(&json).unwrap(), config);
        assert_eq!(config.to_count_down(), 1);
    }
}
