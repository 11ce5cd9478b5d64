//! What can happen in guess-the-number: [`GuessEvent`] and its [`Hint`].

use serde::{Deserialize, Serialize};

use crate::PlayerId;
use crate::commitment::{Commitment, Salt};

/// Where the secret lies relative to a wrong guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// The secret is higher than the guess.
    Higher,
    /// The secret is lower than the guess.
    Lower,
}

impl Hint {
    /// The lowercase word for this hint: `higher` or `lower`.
    pub fn word(self) -> &'static str {
        match self {
            Hint::Higher => "higher",
            Hint::Lower => "lower",
        }
    }
}

/// Something that happened in a guess-the-number room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuessEvent {
    /// A wrong guess, with the direction to the secret.
    Hint {
        /// The round the guess counted in.
        round: u64,
        /// Who guessed.
        player: PlayerId,
        /// The guessed number.
        value: u32,
        /// Where the secret lies relative to `value`.
        hint: Hint,
    },
    /// A right guess: the round is over and `player` won it.
    Won {
        /// The round that was won.
        round: u64,
        /// The winner.
        player: PlayerId,
        /// The number that was guessed.
        secret: u32,
        /// The salt of the round's commitment, revealed so anyone can check
        /// `secret` against the commitment published at the round's start.
        salt: Salt,
        /// Guesses made in the round by everyone, the winning one included.
        guesses: u64,
        /// The winner's score after this win.
        points: u32,
    },
    /// A new round began (always right after a [`GuessEvent::Won`]).
    RoundStarted {
        /// The new round's number.
        round: u64,
        /// The exclusive upper bound of the new secret.
        max: u32,
        /// The commitment to the new round's secret (see [`crate::commitment`]).
        commitment: Commitment,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "000102030405060708090a0b0c0d0e0f";
    const COMMITMENT: &str = "58f90d9dfb598e76a8c0fe4e95cdf8715f494d22153abfba53a60af3d1417e62";

    fn json(event: &GuessEvent) -> String {
        serde_json::to_string(event).unwrap()
    }

    #[test]
    fn hint_words_are_lowercase() {
        assert_eq!(Hint::Higher.word(), "higher");
        assert_eq!(Hint::Lower.word(), "lower");
    }

    #[test]
    fn hint_event_serializes_tagged() {
        let event = GuessEvent::Hint {
            round: 1,
            player: PlayerId(7),
            value: 10,
            hint: Hint::Higher,
        };
        assert_eq!(
            json(&event),
            r#"{"type":"hint","round":1,"player":7,"value":10,"hint":"higher"}"#
        );
    }

    #[test]
    fn won_event_serializes_tagged() {
        let event = GuessEvent::Won {
            round: 2,
            player: PlayerId(3),
            secret: 5,
            salt: SALT.parse().unwrap(),
            guesses: 4,
            points: 1,
        };
        assert_eq!(
            json(&event),
            format!(
                r#"{{"type":"won","round":2,"player":3,"secret":5,"salt":"{SALT}","guesses":4,"points":1}}"#
            )
        );
    }

    #[test]
    fn round_started_serializes_in_snake_case() {
        let event = GuessEvent::RoundStarted {
            round: 3,
            max: 20,
            commitment: COMMITMENT.parse().unwrap(),
        };
        assert_eq!(
            json(&event),
            format!(r#"{{"type":"round_started","round":3,"max":20,"commitment":"{COMMITMENT}"}}"#)
        );
    }

    #[test]
    fn events_round_trip_through_json() {
        let events = [
            GuessEvent::Hint {
                round: 9,
                player: PlayerId(1),
                value: 0,
                hint: Hint::Lower,
            },
            GuessEvent::Won {
                round: 4,
                player: PlayerId(2),
                secret: 7,
                salt: SALT.parse().unwrap(),
                guesses: 3,
                points: 2,
            },
            GuessEvent::RoundStarted {
                round: 5,
                max: 20,
                commitment: COMMITMENT.parse().unwrap(),
            },
        ];
        for event in events {
            let back: GuessEvent = serde_json::from_str(&json(&event)).unwrap();
            assert_eq!(back, event);
        }
    }
}
