//! What can happen at a Liar's Dice table: [`DiceEvent`], with typed fields
//! for the JSON protocol.
//!
//! Only [`DiceEvent::Rolled`] carries unrevealed dice, and it is addressed to
//! their owner alone (see `Game::audience`); [`DiceEvent::Called`] reveals
//! every hand to everyone, as the rules say.
//!
//! Fairness: [`DiceEvent::HandStarted`] publishes, to everyone, one
//! [`DiceCommitment`] per player to that player's dice; the salts stay with
//! the rules until [`DiceEvent::Called`] reveals every [`Hand`] with its
//! salt, so anyone can check with [`crate::verify_dice`] that no die changed
//! after the roll. The owner's [`DiceEvent::Rolled`] carries no salt: the
//! owner knows their dice already, and keeping every salt in one place until
//! the call means no event addressed to one player can leak one (with a salt,
//! a commitment to 6^5 possible hands is brute-forced at once).

use serde::{Deserialize, Serialize};

use super::Bid;
use crate::{Commitment, Millis, PlayerId, Salt};

/// One player's dice, revealed at a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hand {
    /// Whose dice.
    pub player: PlayerId,
    /// The faces.
    pub dice: Vec<u8>,
    /// The salt of the commitment published when the hand started.
    pub salt: Salt,
}

/// The commitment to one player's dice, published when a hand starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceCommitment {
    /// Whose dice.
    pub player: PlayerId,
    /// `commit_dice(match, hand, player, dice, salt)` (see [`crate::commit_dice`]).
    pub commitment: Commitment,
}

/// How many dice one player has (public: counts, never faces).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceCount {
    /// Whose dice.
    pub player: PlayerId,
    /// How many.
    pub count: u32,
}

/// Something that happened at a Liar's Dice table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiceEvent {
    /// Two players sit: the match starts at `starts_at` unless the table
    /// fills first.
    CountdownStarted {
        /// The match about to start.
        match_no: u64,
        /// When it starts.
        starts_at: Millis,
        /// The countdown's length, in whole seconds.
        seconds: u64,
    },
    /// Fewer than two players are left: no match starts for now.
    CountdownCancelled {
        /// The match that will not start yet.
        match_no: u64,
    },
    /// A match began with these players, in turn order.
    MatchStarted {
        /// The match's number.
        match_no: u64,
        /// The players, in turn order.
        players: Vec<PlayerId>,
    },
    /// Everyone in the match rerolled; `starter` bids first.
    HandStarted {
        /// The match.
        match_no: u64,
        /// The hand's number within the match (from 1).
        hand: u64,
        /// Who bids first.
        starter: PlayerId,
        /// Dice per player still in the match.
        counts: Vec<DiceCount>,
        /// One commitment per player still in the match, in the same order,
        /// opened by the salts the call reveals.
        commitments: Vec<DiceCommitment>,
        /// When the starter's turn times out.
        deadline: Millis,
    },
    /// Your own dice for this hand: addressed to `player` only.
    Rolled {
        /// The hand they were rolled for.
        hand: u64,
        /// Whose dice.
        player: PlayerId,
        /// The faces.
        dice: Vec<u8>,
    },
    /// A player raised the bid.
    Bid {
        /// Who bid.
        player: PlayerId,
        /// The new bid.
        bid: Bid,
        /// Their turn ran out and the rules bid for them (the lowest bid).
        timed_out: bool,
        /// Whose turn it is now.
        next: PlayerId,
        /// When that turn times out.
        deadline: Millis,
    },
    /// A player called liar: every hand is revealed and one player loses a die.
    Called {
        /// Who called.
        caller: PlayerId,
        /// Who made the bid.
        bidder: PlayerId,
        /// The bid called.
        bid: Bid,
        /// How many dice show the bid's face.
        count: u32,
        /// Every hand in the match, revealed with its salt.
        hands: Vec<Hand>,
        /// Who loses a die: the caller if the bid holds, else the bidder.
        loser: PlayerId,
        /// The caller's turn ran out and the rules called for them.
        timed_out: bool,
    },
    /// A player lost their last die; they watch the rest of the match.
    Out {
        /// Who.
        player: PlayerId,
    },
    /// A player left mid-match; their dice leave the table.
    Forfeited {
        /// Who.
        player: PlayerId,
        /// How many dice left with them.
        dice_lost: u32,
        /// Whose turn it is now, if the turn moved.
        next: Option<PlayerId>,
    },
    /// Bots took the seats no human took, as the countdown ended (the host
    /// allows bots): the match starts with them.
    BotsSat {
        /// The bots, in seat order.
        bots: Vec<PlayerId>,
    },
    /// The bots stood up: their match ended, or the last human left (then
    /// the match, if any, ends with no winner).
    BotsLeft {
        /// The bots.
        bots: Vec<PlayerId>,
    },
    /// The last player with dice won the match.
    MatchWon {
        /// The match.
        match_no: u64,
        /// The winner.
        winner: PlayerId,
        /// Bids and calls made in the match, timeouts included.
        moves: u64,
        /// The winner's match wins in this room, this one included.
        wins: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolled_serializes_with_typed_fields() {
        let event = DiceEvent::Rolled {
            hand: 2,
            player: PlayerId(3),
            dice: vec![2, 5, 5, 6, 1],
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"type":"rolled","hand":2,"player":3,"dice":[2,5,5,6,1]}"#
        );
    }

    #[test]
    fn bid_serializes_with_a_nested_bid() {
        let event = DiceEvent::Bid {
            player: PlayerId(1),
            bid: Bid {
                quantity: 3,
                face: 5,
            },
            timed_out: false,
            next: PlayerId(2),
            deadline: Millis(30_000),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"type":"bid","player":1,"bid":{"quantity":3,"face":5},"timed_out":false,"next":2,"deadline":30000}"#
        );
    }
}
