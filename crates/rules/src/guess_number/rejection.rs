//! Why a guess was refused: [`GuessRejection`].
//!
//! The `Display` texts are short technical messages for logs; what a player
//! reads comes from the `Render` impl.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::PlayerId;

/// Why a guess-the-number action was refused. The game state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuessRejection {
    /// The player has not sat down in this game.
    #[error("player {player} is not seated")]
    NotSeated {
        /// Who tried to guess.
        player: PlayerId,
    },
    /// The guess was for a round that someone already won ("another player
    /// won in the meantime").
    #[error("round {round} is already over")]
    AlreadyWon {
        /// The round the guess was for.
        round: u64,
        /// Who won it; `None` when the round is too old to remember.
        winner: Option<PlayerId>,
    },
    /// The guess was for a round that has not started.
    #[error("round {round} has not started (current round {current})")]
    FutureRound {
        /// The round the guess was for.
        round: u64,
        /// The round being played.
        current: u64,
    },
    /// The guess named a round that never exists: rounds are numbered from 1
    /// (`7 @0`).
    #[error("there is no round {round} (rounds start at 1)")]
    NoSuchRound {
        /// The round the guess was for.
        round: u64,
    },
    /// The guess lies outside `0..max`.
    #[error("guess {value} is outside 0..{max}")]
    OutOfRange {
        /// The guessed number.
        value: i64,
        /// The exclusive upper bound of valid guesses.
        max: u32,
    },
    /// The text was not a guess.
    #[error("not a number: {text:?}")]
    NotANumber {
        /// The offending text, trimmed, cut to [`GuessRejection::EXCERPT_CHARS`]
        /// characters, with control characters replaced by `?` so it can be
        /// echoed on a line safely.
        text: String,
    },
}

impl GuessRejection {
    /// How many characters of unparsable text a [`GuessRejection::NotANumber`]
    /// keeps.
    pub const EXCERPT_CHARS: usize = 32;

    /// A [`GuessRejection::NotANumber`] quoting a safe excerpt of `text`.
    pub(super) fn not_a_number(text: &str) -> Self {
        let text = text
            .chars()
            .take(Self::EXCERPT_CHARS)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        GuessRejection::NotANumber { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str) -> String {
        match GuessRejection::not_a_number(text) {
            GuessRejection::NotANumber { text } => text,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn not_a_number_keeps_short_text() {
        assert_eq!(excerpt("abc"), "abc");
    }

    #[test]
    fn not_a_number_truncates_to_32_chars() {
        assert_eq!(excerpt(&"x".repeat(100)), "x".repeat(32));
    }

    #[test]
    fn not_a_number_truncates_on_char_boundaries() {
        assert_eq!(excerpt(&"é".repeat(40)).chars().count(), 32);
    }

    #[test]
    fn not_a_number_replaces_control_characters() {
        assert_eq!(excerpt("a\u{1b}[2Jb\0"), "a?[2Jb?");
    }

    #[test]
    fn display_is_a_short_technical_message() {
        let rejection = GuessRejection::OutOfRange { value: 25, max: 20 };
        assert_eq!(rejection.to_string(), "guess 25 is outside 0..20");
    }

    #[test]
    fn serializes_tagged_in_snake_case() {
        let rejection = GuessRejection::AlreadyWon {
            round: 3,
            winner: Some(PlayerId(7)),
        };
        let json = serde_json::to_string(&rejection).unwrap();
        assert_eq!(json, r#"{"type":"already_won","round":3,"winner":7}"#);
    }

    #[test]
    fn unknown_winner_serializes_as_null() {
        let rejection = GuessRejection::AlreadyWon {
            round: 3,
            winner: None,
        };
        let json = serde_json::to_string(&rejection).unwrap();
        assert_eq!(json, r#"{"type":"already_won","round":3,"winner":null}"#);
    }
}
