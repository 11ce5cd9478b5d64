//! Why a Liar's Dice move was refused: [`DiceRejection`].

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Bid;
use crate::PlayerId;

/// Why a move was refused. The state is then exactly unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DiceRejection {
    /// Not `bid QUANTITY FACE` or `liar`.
    #[error("not a move: {text:?}")]
    Syntax {
        /// What was typed (at most 40 characters).
        text: String,
    },
    /// The player is not at this table.
    #[error("player {player} is not at this table")]
    NotSeated {
        /// Who tried.
        player: PlayerId,
    },
    /// No match is being played (waiting for players, or a countdown).
    #[error("no match is being played")]
    NoMatch,
    /// The player watches this match: they arrived after it started, or
    /// lost all their dice.
    #[error("player {player} is not in this match")]
    NotInMatch {
        /// Who tried.
        player: PlayerId,
    },
    /// Someone else must act.
    #[error("not your turn: it is player {turn}'s")]
    NotYourTurn {
        /// Whose turn it is.
        turn: PlayerId,
    },
    /// Faces go from 1 to 6.
    #[error("face {face} is not between 1 and 6")]
    BadFace {
        /// The face asked for.
        face: u8,
    },
    /// A bid names between 1 die and every die on the table.
    #[error("a bid is for 1 to {dice} dice, not {quantity}")]
    BadQuantity {
        /// The quantity asked for.
        quantity: u32,
        /// Dice on the table.
        dice: u32,
    },
    /// The bid does not raise the last one.
    #[error("{bid} is not higher than {last}")]
    NotHigher {
        /// The refused bid.
        bid: Bid,
        /// The bid to beat.
        last: Bid,
    },
    /// `liar` before anyone bid this hand.
    #[error("there is no bid to call")]
    NoBidToCall,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_reason_tag() {
        let json = serde_json::to_string(&DiceRejection::NotYourTurn { turn: PlayerId(2) });
        assert_eq!(json.unwrap(), r#"{"reason":"not_your_turn","turn":2}"#);
    }
}
