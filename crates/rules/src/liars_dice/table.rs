//! One match in play: the [`Table`] — who sits in which order, their dice,
//! the bid, whose turn it is and until when.
//!
//! Kept apart from the room-level state (`LiarsDice`: who is seated,
//! countdowns, match wins) so that the hand mechanics — rolling, bidding,
//! calling, forfeiting — read as one small unit.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{
    Bid, DiceAction, DiceCommitment, DiceConfig, DiceCount, DiceEvent, DiceRejection, Hand,
};
use crate::{Commitment, Millis, PlayerId, Salt, commit_dice};

/// One player in the match; out of the match's play once `dice` is empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Seat {
    pub(super) player: PlayerId,
    /// This hand's faces; unrevealed until a call.
    pub(super) dice: Vec<u8>,
    /// This hand's salt; unrevealed until a call.
    pub(super) salt: Salt,
    /// This hand's published commitment to `dice` with `salt`.
    pub(super) commitment: Commitment,
}

/// A match in play.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Table {
    pub(super) match_no: u64,
    /// In turn order. A player who leaves is removed; one who is out stays
    /// with no dice (and is skipped).
    pub(super) seats: Vec<Seat>,
    pub(super) hand: u64,
    /// The last bid this hand, and who made it.
    pub(super) bid: Option<(Bid, PlayerId)>,
    pub(super) turn: PlayerId,
    pub(super) deadline: Millis,
    /// Bids and calls so far, timeouts included.
    pub(super) moves: u64,
}

impl Table {
    /// A match between `players` (in turn order), each with a full cup,
    /// its first hand rolled; the first player starts.
    pub(super) fn deal(
        match_no: u64,
        players: &[PlayerId],
        now: Millis,
        config: &DiceConfig,
        rng: &mut dyn rand::Rng,
    ) -> (Table, Vec<DiceEvent>) {
        let cup = vec![0; usize::from(DiceConfig::DICE_EACH)];
        let seats = players
            .iter()
            .map(|&player| Seat {
                player,
                dice: cup.clone(),
                // Placeholders: `start_hand` below rolls, salts and commits.
                salt: Salt::from_bytes([0; Salt::LEN]),
                commitment: crate::commit_bytes(b"", &[]),
            })
            .collect();
        let first = players.first().copied().unwrap_or(PlayerId(0));
        let mut table = Table {
            match_no,
            seats,
            hand: 0,
            bid: None,
            turn: first,
            deadline: now,
            moves: 0,
        };
        let started = DiceEvent::MatchStarted {
            match_no,
            players: players.to_vec(),
        };
        let mut events = vec![started];
        events.extend(table.start_hand(first, now, config, rng));
        (table, events)
    }

    pub(super) fn seat(&self, player: PlayerId) -> Option<&Seat> {
        self.seats.iter().find(|seat| seat.player == player)
    }

    fn index(&self, player: PlayerId) -> Option<usize> {
        self.seats.iter().position(|seat| seat.player == player)
    }

    /// Every die on the table.
    pub(super) fn dice_total(&self) -> u32 {
        self.seats.iter().map(|seat| count(&seat.dice)).sum()
    }

    /// The only player with dice left, if there is exactly one.
    pub(super) fn winner(&self) -> Option<PlayerId> {
        let mut alive = self.seats.iter().filter(|seat| !seat.dice.is_empty());
        match (alive.next(), alive.next()) {
            (Some(seat), None) => Some(seat.player),
            _ => None,
        }
    }

    /// The first player with dice at or after seat `index`, going round.
    fn alive_from(&self, index: usize) -> Option<PlayerId> {
        let len = self.seats.len();
        (0..len)
            .map(|step| &self.seats[(index + step) % len])
            .find(|seat| !seat.dice.is_empty())
            .map(|seat| seat.player)
    }

    /// The next player with dice after `player`.
    fn next_after(&self, player: PlayerId) -> PlayerId {
        let index = self.index(player).map_or(0, |index| index + 1);
        self.alive_from(index).unwrap_or(player)
    }

    /// Everyone rerolls, then each player with dice gets a fresh salt (drawn
    /// after every die, in seat order, so a seeded game replays) and a
    /// commitment to their dice; `starter` bids first.
    fn start_hand(
        &mut self,
        starter: PlayerId,
        now: Millis,
        config: &DiceConfig,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        self.hand += 1;
        self.bid = None;
        self.turn = starter;
        self.deadline = now + config.turn_time();
        for seat in &mut self.seats {
            seat.dice
                .iter_mut()
                .for_each(|die| *die = rng.random_range(1..=6));
        }
        let (match_no, hand) = (self.match_no, self.hand);
        for seat in self.seats.iter_mut().filter(|seat| !seat.dice.is_empty()) {
            seat.salt = Salt::draw(rng);
            seat.commitment = commit_dice(match_no, hand, seat.player, &seat.dice, &seat.salt);
        }
        let alive = self.seats.iter().filter(|seat| !seat.dice.is_empty());
        let counts = alive
            .clone()
            .map(|seat| DiceCount {
                player: seat.player,
                count: count(&seat.dice),
            })
            .collect();
        let commitments = alive
            .clone()
            .map(|seat| DiceCommitment {
                player: seat.player,
                commitment: seat.commitment,
            })
            .collect();
        let started = DiceEvent::HandStarted {
            match_no: self.match_no,
            hand: self.hand,
            starter,
            counts,
            commitments,
            deadline: self.deadline,
        };
        let rolled = alive.map(|seat| DiceEvent::Rolled {
            hand: self.hand,
            player: seat.player,
            dice: seat.dice.clone(),
        });
        std::iter::once(started).chain(rolled).collect()
    }

    /// The hand in play rolled again, its bid forgotten; the player whose turn it was starts.
    pub(super) fn redeal(
        &mut self,
        now: Millis,
        config: &DiceConfig,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        self.start_hand(self.turn, now, config, rng)
    }

    /// Whether `player` may act now.
    pub(super) fn check_turn(&self, player: PlayerId) -> Result<(), DiceRejection> {
        match self.seat(player) {
            Some(seat) if !seat.dice.is_empty() => {}
            _ => return Err(DiceRejection::NotInMatch { player }),
        }
        if self.turn == player {
            Ok(())
        } else {
            Err(DiceRejection::NotYourTurn { turn: self.turn })
        }
    }

    /// Whether `bid` is a legal raise now.
    pub(super) fn check_bid(&self, bid: Bid) -> Result<(), DiceRejection> {
        if !(1..=6).contains(&bid.face) {
            return Err(DiceRejection::BadFace { face: bid.face });
        }
        let dice = self.dice_total();
        if bid.quantity == 0 || bid.quantity > dice {
            return Err(DiceRejection::BadQuantity {
                quantity: bid.quantity,
                dice,
            });
        }
        match self.bid {
            Some((last, _)) if !bid.beats(last) => Err(DiceRejection::NotHigher { bid, last }),
            _ => Ok(()),
        }
    }

    /// Every legal move of `player` now (none out of turn).
    pub(super) fn legal_actions(&self, player: PlayerId) -> Vec<DiceAction> {
        if self.check_turn(player).is_err() {
            return Vec::new();
        }
        let mut actions: Vec<DiceAction> = (1..=self.dice_total())
            .flat_map(|quantity| (1..=6).map(move |face| Bid { quantity, face }))
            .filter(|bid| self.bid.is_none_or(|(last, _)| bid.beats(last)))
            .map(DiceAction::Bid)
            .collect();
        if self.bid.is_some() {
            actions.push(DiceAction::Liar);
        }
        actions
    }

    /// `player` raises to `bid` (already checked); the turn passes on.
    pub(super) fn raise(
        &mut self,
        player: PlayerId,
        bid: Bid,
        timed_out: bool,
        now: Millis,
        config: &DiceConfig,
    ) -> DiceEvent {
        self.moves += 1;
        self.bid = Some((bid, player));
        self.turn = self.next_after(player);
        self.deadline = now + config.turn_time();
        DiceEvent::Bid {
            player,
            bid,
            timed_out,
            next: self.turn,
            deadline: self.deadline,
        }
    }

    /// `caller` calls liar: every hand is revealed, the loser loses a die,
    /// and — unless the match is over — the loser (or the next player with
    /// dice) starts a new hand.
    ///
    /// # Errors
    ///
    /// [`DiceRejection::NoBidToCall`] before the first bid of a hand.
    pub(super) fn call(
        &mut self,
        caller: PlayerId,
        timed_out: bool,
        now: Millis,
        config: &DiceConfig,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<DiceEvent>, DiceRejection> {
        let (bid, bidder) = self.bid.ok_or(DiceRejection::NoBidToCall)?;
        self.moves += 1;
        let hands = self.reveal();
        let count = hands
            .iter()
            .flat_map(|hand| &hand.dice)
            .filter(|&&die| die == bid.face)
            .count();
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let loser = if count >= bid.quantity {
            caller
        } else {
            bidder
        };
        let mut events = vec![DiceEvent::Called {
            caller,
            bidder,
            bid,
            count,
            hands,
            loser,
            timed_out,
        }];
        let loser_index = self.index(loser).unwrap_or(0);
        let cup = &mut self.seats[loser_index].dice;
        cup.pop();
        if cup.is_empty() {
            events.push(DiceEvent::Out { player: loser });
        }
        if self.winner().is_none() {
            let starter = self.alive_from(loser_index).unwrap_or(loser);
            events.extend(self.start_hand(starter, now, config, rng));
        }
        Ok(events)
    }

    /// Every hand still in play.
    fn reveal(&self) -> Vec<Hand> {
        self.seats
            .iter()
            .filter(|seat| !seat.dice.is_empty())
            .map(|seat| Hand {
                player: seat.player,
                dice: seat.dice.clone(),
                salt: seat.salt,
            })
            .collect()
    }

    /// `player` left: their dice leave the table. If they made the standing
    /// bid, it no longer means anything, so the next player starts a new
    /// hand; if it was their turn, it passes on. Nothing for a player who
    /// was out already.
    pub(super) fn forfeit(
        &mut self,
        player: PlayerId,
        now: Millis,
        config: &DiceConfig,
        rng: &mut dyn rand::Rng,
    ) -> Vec<DiceEvent> {
        let Some(index) = self.index(player) else {
            return Vec::new();
        };
        let next = self.next_after(player);
        let seat = self.seats.remove(index);
        if seat.dice.is_empty() {
            return Vec::new();
        }
        let dice_lost = count(&seat.dice);
        let was_bidder = self.bid.is_some_and(|(_, bidder)| bidder == player);
        let was_turn = self.turn == player;
        let forfeited = |next| DiceEvent::Forfeited {
            player,
            dice_lost,
            next,
        };
        if self.winner().is_some() {
            return vec![forfeited(None)];
        }
        if was_bidder {
            let mut events = vec![forfeited(Some(next))];
            events.extend(self.start_hand(next, now, config, rng));
            return events;
        }
        if was_turn {
            self.turn = next;
            self.deadline = now + config.turn_time();
            return vec![forfeited(Some(next))];
        }
        vec![forfeited(None)]
    }
}

/// A cup's size as a count.
fn count(dice: &[u8]) -> u32 {
    u32::try_from(dice.len()).unwrap_or(u32::MAX)
}
