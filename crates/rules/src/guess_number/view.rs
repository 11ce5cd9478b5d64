//! What one player may see of a guess-the-number room: [`GuessView`].

use serde::{Deserialize, Serialize};

use crate::commitment::Commitment;

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
    /// The commitment to this round's secret, published at its start, so a
    /// player who joins mid-round can check the win too.
    pub commitment: Commitment,
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
            commitment: crate::commit_guess(2, 7, &crate::Salt::from_bytes([0; 16])),
        };
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"round":2,"max":20,"points":1,"guesses_this_round":5,"commitment":"{}"}}"#,
                view.commitment
            )
        );
        assert_eq!(serde_json::from_str::<GuessView>(&json).unwrap(), view);
    }
}
