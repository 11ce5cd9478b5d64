//! A store that keeps results in memory only: nothing survives a restart. For servers run
//! without a database file.

use std::collections::BTreeMap;

use crate::{LeaderEntry, Leaderboard, RoundResult, Store, StoreError};

/// Results in memory, for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    rounds: Vec<RoundResult>,
}

impl Store for MemoryStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        self.rounds.extend_from_slice(rounds);
        Ok(())
    }

    fn leaderboard(
        &mut self,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        let since = now_ms.saturating_sub(recent_ms);
        Ok(Leaderboard {
            all_time: rank(self.rounds.iter(), limit),
            recent: rank(self.rounds.iter().filter(|r| r.won_at_ms >= since), limit),
        })
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        let wins = self
            .rounds
            .iter()
            .filter(|r| r.named && r.winner.eq_ignore_ascii_case(name))
            .count();
        Ok(wins as u64)
    }
}

/// Wins per named player (names compared case-insensitively, first spelling kept), most
/// first, ties by name.
fn rank<'a>(rounds: impl Iterator<Item = &'a RoundResult>, limit: usize) -> Vec<LeaderEntry> {
    let mut wins: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for round in rounds.filter(|r| r.named) {
        let entry = wins
            .entry(round.winner.to_lowercase())
            .or_insert_with(|| (round.winner.clone(), 0));
        entry.1 += 1;
    }
    let mut ranked: Vec<LeaderEntry> = wins
        .into_values()
        .map(|(name, wins)| LeaderEntry { name, wins })
        .collect();
    ranked.sort_by(|a, b| b.wins.cmp(&a.wins).then_with(|| a.name.cmp(&b.name)));
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(name: &str, named: bool, at: i64) -> RoundResult {
        RoundResult {
            room: 1,
            round: 1,
            winner: name.into(),
            named,
            guesses: 3,
            won_at_ms: at,
        }
    }

    #[test]
    fn ranks_named_players_by_wins_then_name() {
        let mut store = MemoryStore::default();
        let wins = [
            win("Bo", true, 1),
            win("ann", true, 2),
            win("Ann", true, 3),
            win("Player 7", false, 4),
            win("Cy", true, 5),
        ];
        assert!(store.record(&wins).is_ok());
        let board = store.leaderboard(10, 10, 100).unwrap_or_default();
        let names: Vec<_> = board
            .all_time
            .iter()
            .map(|e| (e.name.as_str(), e.wins))
            .collect();
        assert_eq!(names, vec![("ann", 2), ("Bo", 1), ("Cy", 1)]);
        assert_eq!(store.wins_of("ANN").ok(), Some(2));
    }

    #[test]
    fn recent_only_counts_the_window() {
        let mut store = MemoryStore::default();
        assert!(
            store
                .record(&[win("Old", true, 0), win("New", true, 95)])
                .is_ok()
        );
        let board = store.leaderboard(10, 100, 10).unwrap_or_default();
        assert_eq!(board.recent.len(), 1);
        assert_eq!(board.recent[0].name, "New");
        assert_eq!(board.all_time.len(), 2);
    }
}
