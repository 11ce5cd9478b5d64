//! A short memory of who won recent rounds, so a late guess can be told
//! "another player won in the meantime" together with who.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::PlayerId;

/// How many past rounds' winners are remembered.
pub(super) const REMEMBERED_ROUNDS: usize = 16;

/// The winners of the last [`REMEMBERED_ROUNDS`] rounds, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RecentWinners {
    winners: VecDeque<(u64, PlayerId)>,
}

impl RecentWinners {
    /// Remembers that `winner` won `round`, forgetting the oldest if full.
    pub(super) fn record(&mut self, round: u64, winner: PlayerId) {
        if self.winners.len() == REMEMBERED_ROUNDS {
            self.winners.pop_front();
        }
        self.winners.push_back((round, winner));
    }

    /// Who won `round`, if it is recent enough to be remembered.
    pub(super) fn winner_of(&self, round: u64) -> Option<PlayerId> {
        self.winners
            .iter()
            .find(|(won, _)| *won == round)
            .map(|(_, winner)| *winner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn winners_of_rounds(rounds: u64) -> RecentWinners {
        let mut winners = RecentWinners::default();
        for round in 1..=rounds {
            winners.record(round, PlayerId(round * 10));
        }
        winners
    }

    #[test]
    fn unknown_round_has_no_winner() {
        assert_eq!(RecentWinners::default().winner_of(1), None);
    }

    #[test]
    fn remembers_a_recorded_winner() {
        assert_eq!(winners_of_rounds(3).winner_of(2), Some(PlayerId(20)));
    }

    #[test]
    fn remembers_exactly_the_last_remembered_rounds() {
        let winners = winners_of_rounds(100);
        let oldest = 100 - REMEMBERED_ROUNDS as u64 + 1;
        assert_eq!(winners.winner_of(oldest), Some(PlayerId(oldest * 10)));
        assert_eq!(winners.winner_of(oldest - 1), None);
    }

    #[test]
    fn never_holds_more_than_the_remembered_rounds() {
        assert_eq!(winners_of_rounds(200).winners.len(), REMEMBERED_ROUNDS);
    }
}
