//! What a guess-the-number player can do, and the line syntax for it.
//!
//! The syntax is a whole number (`7`, `+7`, `-3`), optionally followed by
//! `@` and a round number (`7 @3`: "guess 7 in round 3"). Without `@`, the
//! guess is for the round the player had been shown.

use serde::{Deserialize, Serialize};

use super::GuessRejection;

/// A move in guess-the-number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuessAction {
    /// Guess the secret number.
    Guess {
        /// The guessed number; any integer parses, the range is checked by
        /// the rules so the player learns the valid range.
        value: i64,
        /// The round this guess is for; `None` means the round the player
        /// had been shown (the `seen_round` passed to `apply`).
        round: Option<u64>,
    },
}

/// Parses a typed line into a guess (see the module docs for the syntax).
pub(super) fn parse(text: &str) -> Result<GuessAction, GuessRejection> {
    let trimmed = text.trim();
    parse_guess(trimmed).ok_or_else(|| GuessRejection::not_a_number(trimmed))
}

fn parse_guess(text: &str) -> Option<GuessAction> {
    let (value, round) = match text.split_once('@') {
        Some((value, round)) => (value.trim_end(), Some(round.parse().ok()?)),
        None => (text, None),
    };
    let value = value.parse().ok()?;
    Some(GuessAction::Guess { value, round })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(value: i64, round: Option<u64>) -> Result<GuessAction, GuessRejection> {
        Ok(GuessAction::Guess { value, round })
    }

    fn is_not_a_number(result: Result<GuessAction, GuessRejection>) -> bool {
        matches!(result, Err(GuessRejection::NotANumber { .. }))
    }

    #[test]
    fn parse_accepts_a_plain_number() {
        assert_eq!(parse("7"), guess(7, None));
    }

    #[test]
    fn parse_trims_whitespace() {
        assert_eq!(parse("  12\t\r\n"), guess(12, None));
    }

    #[test]
    fn parse_accepts_signed_numbers() {
        assert_eq!(parse("-3"), guess(-3, None));
        assert_eq!(parse("+4"), guess(4, None));
    }

    #[test]
    fn parse_accepts_explicit_round() {
        assert_eq!(parse("7 @3"), guess(7, Some(3)));
    }

    #[test]
    fn parse_accepts_explicit_round_without_space() {
        assert_eq!(parse("7@3"), guess(7, Some(3)));
    }

    #[test]
    fn parse_rejects_empty_text() {
        assert_eq!(
            parse("   "),
            Err(GuessRejection::NotANumber {
                text: String::new()
            })
        );
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        for text in [
            "abc", "7x", "1 2", "@3", "7 @", "7 @x", "7 @-1", "7 @3 @4", "½", "--1",
        ] {
            assert!(is_not_a_number(parse(text)), "{text:?} should be rejected");
        }
    }

    #[test]
    fn parse_rejects_numbers_overflowing_i64() {
        assert!(is_not_a_number(parse("99999999999999999999999999")));
    }

    #[test]
    fn parse_rejects_rounds_overflowing_u64() {
        assert!(is_not_a_number(parse("1 @99999999999999999999999999")));
    }

    #[test]
    fn parse_keeps_the_trimmed_text_in_the_rejection() {
        assert_eq!(
            parse(" abc "),
            Err(GuessRejection::NotANumber { text: "abc".into() })
        );
    }
}
