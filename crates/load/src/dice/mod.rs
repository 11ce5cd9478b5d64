//! Liar's Dice bots (`referee load --game dice`): they sit at dice tables through the line
//! protocol and play legal moves from what they are told.
//!
//! A [`DiceBrain`] is pure, like the guess [`Brain`](crate::Brain): one line in, one
//! [`DiceReaction`] out, no I/O, no clock; its randomness is a [`StdRng`] seeded per bot
//! (`--seed` plus the bot's number), so a run's decisions are reproducible given the same
//! lines. [`line`](mod@line) reads the lines, [`strategy`] picks the move, `play.rs` drives
//! one bot over TCP and times its moves.
//!
//! # Rules the brain follows
//!
//! * It knows its dice from `Your dice:` (the roll after each `Hand` line, or the status
//!   line a player gets on sitting down), the dice on the table from the `Hand` line, the
//!   bid from the last `bid` line.
//! * It is its turn after `Hand H: you start.`, a line ending `Your turn.`, or a status line
//!   saying `your turn (…)`; any other bid, a call or a new hand ends it.
//! * At most one move is outstanding; it is answered by the line that reports it (`You bid
//!   …`, `You call liar …`) or by a refusal (`Not your turn: …`, …, counted as rejections:
//!   a correct bot gets none). The move a bot did not make (`(time ran out)`) answers
//!   nothing and is counted as a time-out.
//! * A hand is counted by the bot that called it, a match by the bot that won it: each is
//!   counted once per table.
//!
//! # Example
//!
//! ```
//! use referee_load::dice::DiceBrain;
//! use referee_load::dice::strategy::Move;
//!
//! let mut brain = DiceBrain::new(7);
//! brain.on_line("Hand 1: you start. Dice: Player 1 5, Player 2 5. Commitments: ….");
//! let first = brain.on_line("Your dice: 6 3 5 5 5");
//! // It opens on the face it holds most of (one five, or two when it bluffs).
//! let Some(Move::Bid { quantity, face: 5 }) = first.send else { panic!("{:?}", first.send) };
//! let answered = brain.on_line(&format!("You bid {quantity} five. Player 2's turn."));
//! assert!(answered.answered && answered.send.is_none());
//! ```

pub mod line;
pub(crate) mod play;
pub mod strategy;
mod transcript;

pub use transcript::{Said, Transcript};

use rand::SeedableRng;
use rand::rngs::StdRng;

use line::DiceHeard;
use strategy::Move;

/// What the driver should do and count after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiceReaction {
    /// The line answers the bot's outstanding move (accepted or refused).
    pub answered: bool,
    /// A move to write now.
    pub send: Option<Move>,
    /// The bot called liar: a hand ended (counted once per table).
    pub hand: bool,
    /// The bot won a match (counted once per table).
    pub match_won: bool,
    /// A refusal of one of the bot's moves, or an `error:` line.
    pub rejected: bool,
    /// The referee moved for the bot: its clock ran out.
    pub timed_out: bool,
}

/// One dice bot's decision state.
#[derive(Debug)]
pub struct DiceBrain {
    rng: StdRng,
    /// The bot's dice this hand, once told.
    dice: Option<Vec<u8>>,
    /// All dice on the table this hand, once told.
    total: Option<u32>,
    /// The bid to beat: (quantity, face).
    bid: Option<(u32, u8)>,
    my_turn: bool,
    /// A move was sent and is not answered yet.
    pending: bool,
    /// The bot's player id, from the welcome.
    player: Option<u64>,
    /// The bot's table, from the last `You joined room` line.
    room: Option<u64>,
}

impl DiceBrain {
    /// A brain whose random choices come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            dice: None,
            total: None,
            bid: None,
            my_turn: false,
            pending: false,
            player: None,
            room: None,
        }
    }

    /// The line that asks for a seat at a dice table, sent on connecting.
    pub const SIT: &'static str = "/play dice";

    /// The bot's player id, once the welcome was heard.
    pub fn player(&self) -> Option<u64> {
        self.player
    }

    /// The room the bot last joined.
    pub fn room(&self) -> Option<u64> {
        self.room
    }

    /// Whether a move is waiting for its answer.
    pub fn outstanding(&self) -> bool {
        self.pending
    }

    /// Reacts to one line (without its line ending). Never panics.
    pub fn on_line(&mut self, line: &str) -> DiceReaction {
        let mut reaction = DiceReaction::default();
        self.apply(line::heard(line), &mut reaction);
        if self.my_turn && !self.pending {
            if let Some(dice) = &self.dice {
                let total = self
                    .total
                    .unwrap_or(u32::try_from(dice.len() + 1).unwrap_or(1));
                let chosen = strategy::choose(dice, total, self.bid, &mut self.rng);
                (self.my_turn, self.pending) = (false, true);
                reaction.send = Some(chosen);
            }
        }
        reaction
    }

    fn apply(&mut self, heard: DiceHeard, reaction: &mut DiceReaction) {
        match heard {
            DiceHeard::Welcome { player } => self.player = Some(player),
            DiceHeard::Joined { room } => {
                self.room = Some(room);
                self.end_hand();
            }
            DiceHeard::Hand { mine, total } => {
                self.end_hand();
                (self.total, self.my_turn) = (total, mine);
            }
            DiceHeard::Dice {
                faces,
                my_turn,
                bid,
            } => {
                self.dice = Some(faces);
                self.my_turn |= my_turn;
                self.bid = bid.or(self.bid);
            }
            DiceHeard::Bid {
                quantity,
                face,
                mine,
                timed_out,
                my_turn,
            } => {
                (self.bid, self.my_turn) = (Some((quantity, face)), my_turn);
                self.own_move(mine, timed_out, reaction);
            }
            DiceHeard::Called { mine, timed_out } => {
                self.end_hand();
                reaction.hand = mine;
                self.own_move(mine, timed_out, reaction);
            }
            DiceHeard::Forfeited { dice, my_turn } => {
                self.total = self.total.map(|total| total.saturating_sub(dice));
                self.my_turn |= my_turn;
            }
            DiceHeard::MatchWon { mine } => {
                self.end_hand();
                reaction.match_won = mine;
            }
            DiceHeard::Rejected => {
                reaction.rejected = true;
                reaction.answered = std::mem::take(&mut self.pending);
            }
            DiceHeard::Ignored => {}
        }
    }

    /// A bid or call by the bot answers its move; one the referee made for it (its clock
    /// ran out) does not.
    fn own_move(&mut self, mine: bool, timed_out: bool, reaction: &mut DiceReaction) {
        match (mine, timed_out) {
            (true, false) => reaction.answered = std::mem::take(&mut self.pending),
            (true, true) => reaction.timed_out = true,
            (false, _) => {}
        }
    }

    fn end_hand(&mut self) {
        (self.dice, self.bid, self.my_turn) = (None, None, false);
    }
}

#[cfg(test)]
mod tests;
