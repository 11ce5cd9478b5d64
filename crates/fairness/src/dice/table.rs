//! What a walk through one player's log knows of the table at each line: the hand being
//! played and where the walk stands. Kept apart from the walk and from the judging of a call,
//! which both read it.

use std::collections::BTreeMap;

use super::{At, DiceLog};

/// The hand being played, as far as this log knows it.
pub(super) struct Hand {
    pub(super) no: u64,
    /// Whose turn it is.
    pub(super) turn: String,
    /// The last bid: (quantity, face, bidder).
    pub(super) bid: Option<(u32, u8, String)>,
    /// Dice per player at the hand's start (less those who left).
    pub(super) counts: BTreeMap<String, u32>,
    /// name -> (player id, commitment).
    pub(super) commitments: BTreeMap<String, (u64, String)>,
    /// The `Your dice:` line this player read in this hand, and its faces.
    pub(super) mine: Option<(Vec<u8>, String)>,
    /// Every line read in this hand before its call.
    pub(super) heard: Vec<String>,
}

/// The walk's state.
pub(super) struct Walk<'a> {
    pub(super) log: &'a DiceLog,
    pub(super) match_no: Option<u64>,
    pub(super) hand: Option<Hand>,
    /// The dice each player holds now, once a hand line told; `None` between matches.
    pub(super) counts: Option<BTreeMap<String, u32>>,
}

impl Walk<'_> {
    /// Where the walk is, for a violation.
    pub(super) fn at(&self) -> At {
        At {
            player: self.log.name.clone(),
            room: self.log.room,
            match_no: self.match_no,
            hand: self.hand.as_ref().map_or(0, |hand| hand.no),
        }
    }
}
