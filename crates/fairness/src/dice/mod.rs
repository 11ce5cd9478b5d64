//! Proof that Liar's Dice tables were refereed fairly, from what the players saw.
//!
//! Each player keeps a [`DiceLog`]: every line they wrote and read, in order (the load
//! generator's dice bots record exactly that). [`check_dice`] reads the logs of a run
//! together and finds every [`DiceViolation`] of the table's promises:
//!
//! * **one loser per challenge, the right one**: the count the call announces is the count
//!   of the face among the revealed dice; the caller loses if the bid holds, the bidder if
//!   it fails; the call is on the last bid; and everyone at the table was told the same
//!   outcome;
//! * **dice conserved**: a revealed hand has as many dice as its player was said to have,
//!   and each hand of a match starts with the dice of the one before less the loser's die
//!   (and the dice of any player who left), so the table loses exactly one die per
//!   challenge;
//! * **nobody acts out of turn**: every accepted bid or call is by the player whose turn
//!   it was (the hand's starter, then the `next` each bid names);
//! * **hidden dice stay hidden**: before the call a player hears no other player's dice,
//!   and the dice they are told are theirs are the ones the call reveals as theirs;
//! * **commitments open**: every revealed hand opens the commitment its hand line published
//!   (SHA-256, `referee_rules::verify_dice`, docs/protocol.md "Provably fair rounds");
//! * **one winner per match**, the last player with dice.
//!
//! A log need not start at a match's beginning or end at its end (bots sit down and stop
//! at any moment): what a log did not see is not checked, and a hand whose match the log
//! did not see begin is not checked against its commitments (the match number is hashed).
//!
//! # Example
//!
//! ```
//! use referee_fairness::dice::{DiceLog, check_dice};
//!
//! let mut ann = DiceLog::new("Ann", 2);
//! ann.heard("Match 1 begins: Ann, Bob.");
//! ann.heard("Bob wins match 1!");
//! assert_eq!(check_dice(&[ann]).map(|verdict| verdict.matches), Ok(1));
//! ```

mod call;
mod lines;
mod table;
mod violation;
mod walk;

pub use violation::{At, DiceVerdict, DiceViolation};

use std::collections::{BTreeMap, BTreeSet};

/// One line a player wrote or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiceSeen {
    /// A line the player wrote (`bid 3 5`, `liar`, `/play dice`).
    Sent(String),
    /// A line the player read.
    Heard(String),
}

/// Everything one player at a dice table wrote and read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiceLog {
    /// The player's name as the others see it (`Player 7`): the lines that say `You` are
    /// read as this name.
    pub name: String,
    /// The table (room) they sat at.
    pub room: u64,
    /// What they wrote and read, in order.
    pub seen: Vec<DiceSeen>,
}

impl DiceLog {
    /// An empty log.
    pub fn new(name: impl Into<String>, room: u64) -> Self {
        Self {
            name: name.into(),
            room,
            seen: Vec::new(),
        }
    }

    /// Notes a line written.
    pub fn sent(&mut self, line: impl Into<String>) {
        self.seen.push(DiceSeen::Sent(line.into()));
    }

    /// Notes a line read.
    pub fn heard(&mut self, line: impl Into<String>) {
        self.seen.push(DiceSeen::Heard(line.into()));
    }
}

/// What the logs say together, gathered while walking each one.
#[derive(Default)]
struct Shared {
    /// (room, match, hand) -> every outcome told, "caller/loser/count".
    outcomes: BTreeMap<(u64, u64, u64), BTreeSet<String>>,
    /// (room, match, hand, owner) of every hand that opened its commitment.
    opened: BTreeSet<(u64, u64, u64, String)>,
    /// (room, match) -> every winner announced.
    winners: BTreeMap<(u64, u64), BTreeSet<String>>,
    /// (room, match) -> the players told "You win".
    told_you_win: BTreeMap<(u64, u64), Vec<String>>,
}

/// Checks the logs of dice tables together.
///
/// # Errors
///
/// Every violation found, in the order found.
pub fn check_dice(logs: &[DiceLog]) -> Result<DiceVerdict, Vec<DiceViolation>> {
    let (mut shared, mut verdict, mut violations) =
        (Shared::default(), DiceVerdict::default(), Vec::new());
    for log in logs {
        walk::walk(log, &mut shared, &mut verdict, &mut violations);
    }
    for (&(room, match_no, hand), told) in &shared.outcomes {
        if told.len() > 1 {
            let told = told.iter().cloned().collect();
            violations.push(DiceViolation::LosersDiffer {
                room,
                match_no,
                hand,
                told,
            });
        }
    }
    for (&(room, match_no), winners) in &shared.winners {
        let you = shared
            .told_you_win
            .get(&(room, match_no))
            .map_or(0, Vec::len);
        if winners.len() > 1 || you > 1 {
            let mut winners: Vec<String> = winners.iter().cloned().collect();
            winners.extend(
                shared
                    .told_you_win
                    .get(&(room, match_no))
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            violations.push(DiceViolation::SeveralWinners {
                room,
                match_no,
                winners,
            });
        }
    }
    verdict.challenges = shared.outcomes.len() as u64;
    verdict.opened = shared.opened.len() as u64;
    verdict.matches = shared.winners.len() as u64;
    match violations.is_empty() {
        true => Ok(verdict),
        false => Err(violations),
    }
}

#[cfg(test)]
mod tests;
