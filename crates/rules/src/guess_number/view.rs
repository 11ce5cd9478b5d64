//! What one player may see of a guess-the-number room: [`GuessView`].

use serde::{Deserialize, Serialize};

/// One player's view of a guess-the-number room. Never contains the secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuessView {
    /// The round being played.
    pub round: u64,
    /// Valid guesses are `0..max`.
    pub max: u32,
    /// This player's score (0 when not seated).
    pub points: u32,
    /// Guesses made so far this round, by all players.
    pub guesses_this_round: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_a_plain_object() {
        let view = GuessView {
            round: 2,
            max: 20,
            points: 1,
            guesses_this_round: 5,
        };
        assert_eq!(
            serde_json::to_string(&view).unwrap(),
            r#"{"round":2,"max":20,"points":1,"guesses_this_round":5}"#
        );
    }
}
