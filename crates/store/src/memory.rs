//! A store that keeps results in memory only: nothing survives a restart. For servers run
//! without a database file.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{LeaderEntry, Leaderboard, RoundResult, Store, StoreError, StoreReader};

/// Results in memory, for the life of the process. Clones (and readers) share them.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    tally: Arc<Mutex<Tally>>,
}

/// Running totals: what the leaderboard needs, not every round.
#[derive(Debug, Default)]
struct Tally {
    /// Per player (by lower-case name): the name as first written, and wins of all time.
    players: HashMap<String, (String, u64)>,
    /// Named wins by time, for the recent board.
    by_time: BTreeMap<i64, Vec<String>>,
}

impl Tally {
    fn add(&mut self, round: &RoundResult) {
        if !round.named {
            return;
        }
        let key = crate::player_key(&round.winner);
        self.players
            .entry(key.clone())
            .or_insert_with(|| (round.winner.clone(), 0))
            .1 += 1;
        self.by_time.entry(round.won_at_ms).or_default().push(key);
    }

    fn leaderboard(&self, limit: usize, now_ms: i64, recent_ms: i64) -> Leaderboard {
        let since = now_ms.saturating_sub(recent_ms);
        let mut recent: HashMap<&str, u64> = HashMap::new();
        for key in self.by_time.range(since..).flat_map(|(_, keys)| keys) {
            *recent.entry(key.as_str()).or_default() += 1;
        }
        let recent = recent
            .into_iter()
            .filter_map(|(key, wins)| self.players.get(key).map(|(name, _)| (name, wins)));
        let all_time = self.players.values().map(|(name, wins)| (name, *wins));
        Leaderboard {
            all_time: rank(all_time, limit),
            recent: rank(recent, limit),
        }
    }

    fn wins_of(&self, name: &str) -> u64 {
        self.players
            .get(&crate::player_key(name))
            .map_or(0, |(_, wins)| *wins)
    }
}

impl MemoryStore {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        // The tally is updated by plain additions: a panic elsewhere cannot leave it half-done.
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StoreReader for MemoryStore {
    fn leaderboard(
        &mut self,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        Ok(self.tally().leaderboard(limit, now_ms, recent_ms))
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        Ok(self.tally().wins_of(name))
    }
}

impl Store for MemoryStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let mut tally = self.tally();
        for round in rounds {
            tally.add(round);
        }
        Ok(())
    }

    /// A clone: the same tally, shared.
    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        Ok(Box::new(self.clone()))
    }
}

/// Most wins first, ties by name, at most `limit`.
fn rank<'a>(wins: impl Iterator<Item = (&'a String, u64)>, limit: usize) -> Vec<LeaderEntry> {
    let mut ranked: Vec<LeaderEntry> = wins
        .map(|(name, wins)| LeaderEntry {
            name: name.clone(),
            wins,
        })
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
        let board = StoreReader::leaderboard(&mut store, 10, 10, 100).unwrap_or_default();
        let names: Vec<_> = board
            .all_time
            .iter()
            .map(|e| (e.name.as_str(), e.wins))
            .collect();
        assert_eq!(names, vec![("ann", 2), ("Bo", 1), ("Cy", 1)]);
        assert_eq!(StoreReader::wins_of(&mut store, "ANN").ok(), Some(2));
    }

    #[test]
    fn recent_only_counts_the_window() {
        let mut store = MemoryStore::default();
        assert!(
            store
                .record(&[win("Old", true, 0), win("New", true, 95)])
                .is_ok()
        );
        let board = StoreReader::leaderboard(&mut store, 10, 100, 10).unwrap_or_default();
        assert_eq!(board.recent.len(), 1);
        assert_eq!(board.recent[0].name, "New");
        assert_eq!(board.all_time.len(), 2);
    }
}
