//! A simple bidding strategy for Liar's Dice bots: [`choose`].
//!
//! It takes a [`DiceView`] — what one player may know: their own dice, every
//! player's dice count, the standing bid, whose turn — and nothing else, so
//! by its type it cannot see another player's dice. Randomness comes in as
//! an argument, as everywhere in the rules.
//!
//! The reasoning: each unknown die shows a given face with probability 1/6
//! (ones are not wild), so the expected number of dice showing `face` is the
//! bot's own count of `face` plus a sixth of the others' dice. A standing
//! bid well above that expectation is called; otherwise the bot raises to
//! the smallest bid on a face it holds the most of that stays plausible,
//! sometimes bluffing one higher. It never calls a bid its own dice already
//! make true.

use rand::RngExt;

use super::{Bid, DiceAction, DiceView};
use crate::PlayerId;

/// How far above its expectation a bid may go before the bot doubts it, at
/// least; a random share of [`DOUBT_SPREAD`] more makes bots differ.
const DOUBT_FROM: f64 = 0.5;
/// See [`DOUBT_FROM`].
const DOUBT_SPREAD: f64 = 1.0;
/// How often (1 in this many raises) the bot bids one higher than it needs.
const BLUFF_ONE_IN: u32 = 5;

/// What `me` plays now, seeing only `view` (its own); `None` when it is not
/// `me`'s turn or `me` holds no dice. Always a legal action otherwise.
pub fn choose(view: &DiceView, me: PlayerId, rng: &mut dyn rand::Rng) -> Option<DiceAction> {
    if !view.playing || view.turn != Some(me) {
        return None;
    }
    let own = view.dice.as_deref()?;
    let total = view.seats.iter().map(|seat| seat.dice_count).sum();
    choose_from(own, total, view.bid, rng)
}

/// [`choose`] from the least a player must know: their own faces `own`, the number of dice
/// on the table `total`, and the standing bid — for a client that reads these off the wire
/// (the load generator's bots) rather than holding a [`DiceView`]. `None` when `own` is
/// empty. Always a legal action otherwise.
pub fn choose_from(
    own: &[u8],
    total: u32,
    bid: Option<Bid>,
    rng: &mut dyn rand::Rng,
) -> Option<DiceAction> {
    if own.is_empty() {
        return None;
    }
    let odds = Odds::new(own, total);
    if let Some(bid) = bid {
        let doubt = DOUBT_FROM + rng.random::<f64>() * DOUBT_SPREAD;
        let implausible = f64::from(bid.quantity) > odds.expected(bid.face) + doubt;
        if implausible && odds.held(bid.face) < bid.quantity {
            return Some(DiceAction::Liar);
        }
    }
    match odds.raise(bid, rng) {
        Some(bid) => Some(DiceAction::Bid(bid)),
        // No higher bid exists: calling is all that is legal (there is a bid).
        None => bid.map(|_| DiceAction::Liar),
    }
}

/// What the bot knows: its own dice and how many dice are on the table.
struct Odds<'a> {
    own: &'a [u8],
    total: u32,
}

impl<'a> Odds<'a> {
    fn new(own: &'a [u8], total: u32) -> Self {
        let own_count = u32::try_from(own.len()).unwrap_or(u32::MAX);
        Odds {
            own,
            total: total.max(own_count),
        }
    }

    /// How many of the bot's own dice show `face`.
    fn held(&self, face: u8) -> u32 {
        let held = self.own.iter().filter(|&&die| die == face).count();
        u32::try_from(held).unwrap_or(u32::MAX)
    }

    /// Dice on the table the bot cannot see.
    fn unknown(&self) -> u32 {
        let own = u32::try_from(self.own.len()).unwrap_or(u32::MAX);
        self.total.saturating_sub(own)
    }

    /// The expected number of dice showing `face` on the table.
    fn expected(&self, face: u8) -> f64 {
        f64::from(self.held(face)) + f64::from(self.unknown()) / 6.0
    }

    /// The smallest bid on `face` that beats `last`, if one fits the table.
    fn lowest_on(&self, face: u8, last: Option<Bid>) -> Option<Bid> {
        let quantity = match last {
            None => 1,
            Some(last) if face > last.face => last.quantity,
            Some(last) => last.quantity.checked_add(1)?,
        };
        (quantity <= self.total).then_some(Bid { quantity, face })
    }

    /// A raise: the lowest bid on the face the bot holds most of (ties by
    /// chance) among the plausible ones, else the lowest raise of all; now
    /// and then one higher. `None` when nothing beats `last`.
    fn raise(&self, last: Option<Bid>, rng: &mut dyn rand::Rng) -> Option<Bid> {
        let candidates: Vec<Bid> = (1..=6)
            .filter_map(|face| self.lowest_on(face, last))
            .collect();
        let plausible: Vec<Bid> = candidates
            .iter()
            .copied()
            .filter(|bid| f64::from(bid.quantity) <= self.expected(bid.face) + DOUBT_FROM)
            .collect();
        let pool = if plausible.is_empty() {
            let lowest = candidates.iter().map(|bid| bid.quantity).min()?;
            candidates
                .into_iter()
                .filter(|bid| bid.quantity == lowest)
                .collect()
        } else {
            plausible
        };
        let best = pool.iter().map(|bid| self.held(bid.face)).max()?;
        let pool: Vec<Bid> = pool
            .into_iter()
            .filter(|bid| self.held(bid.face) == best)
            .collect();
        let mut bid = *pool.get(rng.random_range(0..pool.len()))?;
        if rng.random_range(0..BLUFF_ONE_IN) == 0 && bid.quantity < self.total {
            bid.quantity += 1;
        }
        Some(bid)
    }
}

#[cfg(test)]
mod tests;
