//! What a game decides for good: an [`Outcome`] (recorded durably before it is
//! announced) and a [`Score`] line.
//!
//! Guess-the-number's outcome is a won round; Liar's Dice's is a won match.
//! Either way the server saves it and holds every push until the save is
//! committed, so whoever is told "you won" can find the win in the records.

use serde::{Deserialize, Serialize};

use crate::PlayerId;

/// A decided round or match, as the server records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The number of the round (guess-the-number) or match (Liar's Dice)
    /// that was decided: `Game::round` before the deciding move.
    pub round: u64,
    /// Who won it.
    pub winner: PlayerId,
    /// How many moves it took, all players together.
    pub moves: u64,
}

/// One line of a scoreboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Whose score this is.
    pub player: PlayerId,
    /// Points (won rounds or matches) so far in this room.
    pub points: u32,
}

impl Score {
    /// The scoreboard of a points table, in the order [`crate::Game::scores`] promises:
    /// highest points first, ties by [`PlayerId`] ascending.
    pub fn board<'a>(points: impl IntoIterator<Item = (&'a PlayerId, &'a u32)>) -> Vec<Score> {
        let mut scores: Vec<Score> = points
            .into_iter()
            .map(|(&player, &points)| Score { player, points })
            .collect();
        scores.sort_by(|a, b| b.points.cmp(&a.points).then(a.player.cmp(&b.player)));
        scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_serializes_with_bare_player_id() {
        let json = serde_json::to_string(&Score {
            player: PlayerId(1),
            points: 3,
        })
        .unwrap();
        assert_eq!(json, r#"{"player":1,"points":3}"#);
    }
}
