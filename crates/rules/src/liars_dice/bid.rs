//! A bid and what a player may do: [`Bid`], [`DiceAction`], and the text
//! syntax `bid 3 5` / `liar`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DiceRejection;

/// "There are at least `quantity` dice showing `face` on the table."
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bid {
    /// How many dice, at least.
    pub quantity: u32,
    /// Which face, 1 to 6 (ones are not wild).
    pub face: u8,
}

impl Bid {
    /// The lowest bid there is: one one.
    pub const LOWEST: Bid = Bid {
        quantity: 1,
        face: 1,
    };

    /// Whether this bid raises `last`: a higher quantity, or the same
    /// quantity of a higher face.
    pub fn beats(self, last: Bid) -> bool {
        (self.quantity, self.face) > (last.quantity, last.face)
    }
}

impl fmt::Display for Bid {
    /// `3 fives`, `1 one`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = self.quantity != 1;
        write!(f, "{} {}", self.quantity, face_name(self.face, plural))
    }
}

/// `five`/`fives`, `six`/`sixes`; a face outside 1..=6 as its number.
pub(crate) fn face_name(face: u8, plural: bool) -> String {
    let (one, many) = match face {
        1 => ("one", "ones"),
        2 => ("two", "twos"),
        3 => ("three", "threes"),
        4 => ("four", "fours"),
        5 => ("five", "fives"),
        6 => ("six", "sixes"),
        _ => return face.to_string(),
    };
    if plural { many } else { one }.to_owned()
}

/// One move at a Liar's Dice table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiceAction {
    /// Raise the bid.
    Bid(Bid),
    /// Call liar on the last bid: every die is revealed.
    Liar,
}

/// Reads `bid QUANTITY FACE` or `liar` (any case, any spacing).
pub(super) fn parse(text: &str) -> Result<DiceAction, DiceRejection> {
    let syntax = || DiceRejection::Syntax {
        text: text.trim().chars().take(40).collect(),
    };
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    match words.as_slice() {
        [word] if word == "liar" => Ok(DiceAction::Liar),
        [word, quantity, face] if word == "bid" => {
            let quantity = quantity.parse().map_err(|_| syntax())?;
            let face = face.parse().map_err(|_| syntax())?;
            Ok(DiceAction::Bid(Bid { quantity, face }))
        }
        _ => Err(syntax()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(quantity: u32, face: u8) -> Bid {
        Bid { quantity, face }
    }

    #[test]
    fn higher_quantity_beats_any_face() {
        assert!(bid(4, 1).beats(bid(3, 6)));
    }

    #[test]
    fn same_quantity_needs_a_higher_face() {
        assert!(bid(3, 6).beats(bid(3, 5)));
        assert!(!bid(3, 5).beats(bid(3, 5)));
        assert!(!bid(3, 4).beats(bid(3, 5)));
    }

    #[test]
    fn lower_quantity_never_beats() {
        assert!(!bid(2, 6).beats(bid(3, 1)));
    }

    #[test]
    fn displays_in_words() {
        assert_eq!(bid(3, 5).to_string(), "3 fives");
        assert_eq!(bid(1, 6).to_string(), "1 six");
        assert_eq!(bid(2, 6).to_string(), "2 sixes");
    }

    #[test]
    fn parses_bid_and_liar() {
        assert_eq!(parse(" BID 3  5 "), Ok(DiceAction::Bid(bid(3, 5))));
        assert_eq!(parse("liar"), Ok(DiceAction::Liar));
    }

    #[test]
    fn parse_keeps_a_bad_face_for_the_rules_to_refuse() {
        assert_eq!(parse("bid 3 9"), Ok(DiceAction::Bid(bid(3, 9))));
    }

    #[test]
    fn refuses_other_text() {
        for text in ["bid 3", "bid x 5", "bid -1 5", "lie", "", "liar now"] {
            assert!(
                matches!(parse(text), Err(DiceRejection::Syntax { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn actions_serialize_tagged() {
        let json = serde_json::to_string(&DiceAction::Bid(bid(3, 5))).unwrap();
        assert_eq!(json, r#"{"type":"bid","quantity":3,"face":5}"#);
        let json = serde_json::to_string(&DiceAction::Liar).unwrap();
        assert_eq!(json, r#"{"type":"liar"}"#);
    }
}
