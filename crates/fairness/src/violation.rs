//! What the checker finds: the promises broken, or what it established when none was.

use std::collections::BTreeMap;
use std::fmt;

/// A broken promise, with where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// More than one player was told they won the round.
    SeveralWinners {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// Who was told so.
        winners: Vec<String>,
    },
    /// Players in one room were told different winners or secrets for one round.
    Disagreement {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// What each announcement said, as "winner/secret".
        told: Vec<String>,
    },
    /// An answer that does not fit the guess it answers (or an answer with no guess).
    WrongAnswer {
        /// The player.
        player: String,
        /// The guess, if any was outstanding.
        guess: Option<(i64, u64)>,
        /// The answer.
        line: String,
    },
    /// A hint or a win that contradicts the round's secret.
    AgainstTheSecret {
        /// The player.
        player: String,
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// The secret announced for it.
        secret: i64,
        /// The answer.
        line: String,
    },
    /// "Another player won" for a round nobody was told they won, or told to its winner.
    FalseMeantime {
        /// The player.
        player: String,
        /// The room.
        room: u64,
        /// The round.
        round: u64,
    },
    /// Players in one room heard different commitments for one round.
    CommitmentsDiffer {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// The commitments heard.
        heard: Vec<String>,
    },
    /// A win revealed a secret and salt (or no salt) that do not open the commitment
    /// published when the round started: the secret was not the one committed to.
    BrokenCommitment {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// The commitment heard at the round's start.
        commitment: String,
        /// The secret the win revealed.
        secret: i64,
        /// The salt the win revealed, if any.
        salt: Option<String>,
    },
    /// A room's scoreboard differs from the wins its players were told about.
    Scoreboard {
        /// The room.
        room: u64,
        /// The scoreboard line.
        line: String,
        /// Wins counted from the logs, per player.
        counted: BTreeMap<String, u64>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What the checker established when nothing was violated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Rounds won, over all rooms.
    pub rounds: u64,
    /// Guesses checked.
    pub guesses: u64,
    /// "Another player won" answers checked.
    pub meantimes: u64,
    /// Won rounds whose revealed secret and salt opened the commitment heard at the round's
    /// start (a round whose start no log heard is not checked).
    pub opened: u64,
}
