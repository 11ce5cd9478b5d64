//! The load bots' moves: the rules' own bot strategy (`referee_rules::dice_strategy`, the
//! one `--dice-bots` plays with), fed with what a bot reads off the wire — its faces, the
//! dice on the table, the standing bid — and written back as a line. Pure: the randomness is
//! the caller's seeded RNG. Every move it makes is legal.

use referee_rules::dice_strategy::choose_from;
use referee_rules::{Bid, DiceAction};

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
    let bid = bid.map(|(quantity, face)| Bid { quantity, face });
    match choose_from(mine, total.max(1), bid, rng) {
        Some(DiceAction::Bid(Bid { quantity, face })) => Move::Bid { quantity, face },
        // A call, or no dice to bid with (the server says so; a bot never gets here).
        Some(DiceAction::Liar) | None => Move::Liar,
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
