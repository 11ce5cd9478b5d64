//! What the dice checker finds: the promises of a dice table broken, or what it checked.

use std::collections::BTreeMap;
use std::fmt;

/// Where in a log something was seen: the log's player, their table and the hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The player whose log it is.
    pub player: String,
    /// Their table (room).
    pub room: u64,
    /// The match, when the log heard it begin.
    pub match_no: Option<u64>,
    /// The hand.
    pub hand: u64,
}

/// A broken promise of a Liar's Dice table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiceViolation {
    /// A challenge lost by the wrong player, or announced with a wrong count, or called on
    /// a bid other than the last one, or whose verdict names neither caller nor bidder.
    WrongLoser {
        /// Where.
        at: At,
        /// What is wrong.
        reason: String,
        /// The call's line.
        line: String,
    },
    /// Players at one table were told different outcomes (caller, loser, count) of one
    /// challenge: a challenge has exactly one loser.
    LosersDiffer {
        /// The table.
        room: u64,
        /// The match.
        match_no: u64,
        /// The hand.
        hand: u64,
        /// Each outcome told, as "caller/loser/count".
        told: Vec<String>,
    },
    /// The dice on the table after a hand are not those before it less the loser's die
    /// (and any forfeited dice), or a revealed hand has another number of dice than its
    /// player had.
    DiceNotConserved {
        /// Where (the hand whose counts are wrong).
        at: At,
        /// The counts expected.
        expected: BTreeMap<String, u32>,
        /// The counts announced or revealed.
        got: BTreeMap<String, u32>,
    },
    /// An action accepted from a player whose turn it was not.
    OutOfTurn {
        /// Where.
        at: At,
        /// Who acted.
        actor: String,
        /// Whose turn it was.
        turn: String,
        /// The line.
        line: String,
    },
    /// A player saw dice that were not theirs before the call revealed them (or was told
    /// "your dice" that the call then showed were not theirs).
    HiddenDiceSeen {
        /// Where (the player who saw them).
        at: At,
        /// Whose dice they were, when known.
        owner: Option<String>,
        /// The line.
        line: String,
    },
    /// A revealed hand does not open the commitment published for it at the hand's start
    /// (or none was published).
    BrokenCommitment {
        /// Where.
        at: At,
        /// Whose hand.
        owner: String,
        /// The faces revealed.
        faces: Vec<u8>,
    },
    /// More than one winner of one match.
    SeveralWinners {
        /// The table.
        room: u64,
        /// The match.
        match_no: u64,
        /// Who was said to win it (a name twice: told "You win" in two logs).
        winners: Vec<String>,
    },
}

impl fmt::Display for DiceViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What the dice checker established when nothing was violated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiceVerdict {
    /// Distinct challenges (table, match, hand) checked.
    pub challenges: u64,
    /// Distinct revealed hands that opened their commitment.
    pub opened: u64,
    /// Accepted actions (bids and calls) checked against the turn, over all logs.
    pub actions: u64,
    /// Distinct matches (table, match) won.
    pub matches: u64,
    /// Hands whose dice counts were checked against the previous hand's.
    pub conserved: u64,
}
