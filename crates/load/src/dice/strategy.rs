//! A simple, legal Liar's Dice strategy. Pure: the randomness is the caller's seeded RNG.
//!
//! The bot knows its own dice and the number of dice on the table. For each face it expects
//! its own count plus a sixth of the others' dice. It calls liar when the bid exceeds that
//! expectation by more than a random slack (between 0 and 1.5 dice, so bots differ and
//! bluffs sometimes pass), otherwise it raises by one step: the same quantity of a higher
//! face, or one more of any face, whichever its dice make most plausible (ties drawn at
//! random). A raise never bids more dice than the table holds, and when no raise is left it
//! calls: every move it makes is legal.

use rand::RngExt;

/// A dice move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// `bid QUANTITY FACE`.
    Bid {
        /// How many dice.
        quantity: u32,
        /// Which face.
        face: u8,
    },
    /// `liar`.
    Liar,
}

impl Move {
    /// The line that says it: `bid 3 5` or `liar`.
    pub fn line(self) -> String {
        match self {
            Move::Bid { quantity, face } => format!("bid {quantity} {face}"),
            Move::Liar => "liar".to_owned(),
        }
    }
}

/// The move for `mine` (the bot's faces) with `total` dice on the table and `bid` the
/// current bid (quantity, face), if any.
pub fn choose(mine: &[u8], total: u32, bid: Option<(u32, u8)>, rng: &mut impl rand::Rng) -> Move {
    let total = total
        .max(u32::try_from(mine.len()).unwrap_or(u32::MAX))
        .max(1);
    let expected = |face: u8| expected(mine, total, face);
    let Some((quantity, face)) = bid else {
        let face = best_face(mine, rng, |_| true);
        return Move::Bid { quantity: 1, face };
    };
    let slack = rng.random_range(0.0..1.5);
    if f64::from(quantity) > expected(face) + slack {
        return Move::Liar;
    }
    let same = (quantity <= total && face < 6).then(|| {
        let face = best_face(mine, rng, |candidate| candidate > face);
        (quantity, face)
    });
    let more = (quantity < total).then(|| (quantity + 1, best_face(mine, rng, |_| true)));
    let plausibility = |(quantity, face): (u32, u8)| expected(face) - f64::from(quantity);
    let raise = match (same, more) {
        (Some(same), Some(more)) if plausibility(more) > plausibility(same) => Some(more),
        (Some(same), _) => Some(same),
        (None, more) => more,
    };
    match raise {
        Some((quantity, face)) => Move::Bid { quantity, face },
        None => Move::Liar,
    }
}

/// Dice showing `face` the bot expects on the table: its own, and a sixth of the others'.
fn expected(mine: &[u8], total: u32, face: u8) -> f64 {
    let own = mine.iter().filter(|&&die| die == face).count() as f64;
    let others = f64::from(total) - mine.len() as f64;
    own + others.max(0.0) / 6.0
}

/// The allowed face the bot holds most of; ties (and a hand without any) drawn at random.
fn best_face(mine: &[u8], rng: &mut impl rand::Rng, allowed: impl Fn(u8) -> bool) -> u8 {
    let faces: Vec<u8> = (1..=6).filter(|&face| allowed(face)).collect();
    let count = |face: u8| mine.iter().filter(|&&die| die == face).count();
    let most = faces.iter().map(|&face| count(face)).max().unwrap_or(0);
    let best: Vec<u8> = faces.into_iter().filter(|&f| count(f) == most).collect();
    match best.len() {
        0 => 6,
        n => best[rng.random_range(0..n)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_first_bid_is_one_of_the_face_held_most() {
        let mut rng = StdRng::seed_from_u64(1);
        let first = choose(&[2, 5, 5, 6, 1], 20, None, &mut rng);
        assert_eq!(
            first,
            Move::Bid {
                quantity: 1,
                face: 5
            }
        );
        assert_eq!(first.line(), "bid 1 5");
    }

    #[test]
    fn an_implausible_bid_is_called() {
        let mut rng = StdRng::seed_from_u64(2);
        // 9 sixes among 10 dice, the bot holding none of them.
        assert_eq!(
            choose(&[1, 2, 3, 4, 5], 10, Some((9, 6)), &mut rng),
            Move::Liar
        );
        assert_eq!(Move::Liar.line(), "liar");
    }

    #[test]
    fn the_highest_bid_there_is_can_only_be_called() {
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(choose(&[6, 6], 2, Some((2, 6)), &mut rng), Move::Liar);
    }

    proptest! {
        /// Whatever it holds and whatever was bid, the bot's move is legal: a raise of the
        /// bid within the dice on the table, or a call on an existing bid.
        #[test]
        fn every_move_is_legal(
            mine in proptest::collection::vec(1_u8..=6, 1..=5),
            others in 1_u32..=25,
            bid in proptest::option::of((1_u32..=30, 1_u8..=6)),
            seed: u64,
        ) {
            let total = others + mine.len() as u32;
            let bid = bid.filter(|(quantity, _)| *quantity <= total);
            let mut rng = StdRng::seed_from_u64(seed);
            match choose(&mine, total, bid, &mut rng) {
                Move::Liar => prop_assert!(bid.is_some()),
                Move::Bid { quantity, face } => {
                    prop_assert!((1..=total).contains(&quantity));
                    prop_assert!((1..=6).contains(&face));
                    if let Some(last) = bid {
                        prop_assert!((quantity, face) > last);
                    }
                }
            }
        }
    }
}
