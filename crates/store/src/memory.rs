//! A store that keeps results in memory only: nothing survives a restart. For servers run
//! without a database file.
//!
//! A server without a database still runs for weeks, and every round anyone wins lands
//! here: what grows with play is bounded. The last [`KEPT_MATCHES`] match logs, the keys of
//! the last [`KEPT_KEYS`] results (a result retried after that many others is stored twice,
//! which a retry never is: the recorder retries at once) and the last [`KEPT_RECENT`] named
//! wins for the recent board are kept; the oldest go first. What grows with *players* —
//! each named player's wins per game, for the all-time board — is kept whole: it grows with
//! names that have won a round, not with lines a client can send.
//!
//! **Logs written when read.** A match log handed over unwritten
//! ([`Store::record_unwritten`]) is kept so until someone reads that match (`match_by_id`,
//! `recent_matches`), then written once and kept written. Writing a log (its JSON, the
//! hash of the state it reached) costs more than the rest of a won round, and in a server
//! without a database nearly every match is never read; the bytes are the same either way.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{
    GameWins, LeaderEntry, Leaderboard, MatchRecord, RoundResult, Store, StoreError, StoreReader,
    UnwrittenLog,
};

/// Match logs kept by default (the newest).
pub(crate) const KEPT_MATCHES: usize = 10_000;

/// Result keys remembered by default, to skip a result stored again.
pub(crate) const KEPT_KEYS: usize = 100_000;

/// Named wins kept by default for the recent board (the newest).
pub(crate) const KEPT_RECENT: usize = 100_000;

/// Results in memory, for the life of the process. Clones (and readers) share them.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    tally: Arc<Mutex<Tally>>,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::with_limits(Limits::default())
    }
}

/// How much a [`MemoryStore`] keeps of what grows with play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Match logs (the newest).
    pub matches: usize,
    /// Result keys remembered to skip a result stored twice.
    pub keys: usize,
    /// Named wins for the recent board (the newest).
    pub recent: usize,
}

impl Default for Limits {
    /// 10,000 match logs, 100,000 keys, 100,000 recent wins.
    fn default() -> Limits {
        Limits {
            matches: KEPT_MATCHES,
            keys: KEPT_KEYS,
            recent: KEPT_RECENT,
        }
    }
}

/// Running totals: what the leaderboard needs, not every round.
#[derive(Debug, Default)]
struct Tally {
    limits: Limits,
    /// The keys stored lately: a result seen again is skipped.
    keys: HashSet<String>,
    /// Those keys, oldest first, to forget the oldest.
    key_order: VecDeque<String>,
    /// Named wins in `by_time`.
    recent_count: usize,
    /// Per player (by [`crate::player_key`]): the name as first written.
    names: HashMap<String, String>,
    /// Wins per (player, game).
    wins: HashMap<(String, String), u64>,
    /// Named wins by time, with their player and game, for the recent board; a queue per
    /// millisecond, so that forgetting the oldest of many wins in one millisecond is not a
    /// shift of all the others.
    by_time: BTreeMap<i64, VecDeque<(String, String)>>,
    /// Match logs, in the order stored.
    matches: VecDeque<Kept>,
}

/// A match as kept: written, or still as it was handed over.
enum Kept {
    Written(MatchRecord),
    /// Written when first read; `round` has no `log`.
    Unwritten {
        round: RoundResult,
        log: Box<dyn UnwrittenLog>,
    },
    /// Its log could not be written (the writer said why): not served.
    Unwritable {
        id: String,
    },
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kept::Written(record) => f.debug_tuple("Written").field(record).finish(),
            Kept::Unwritten { round, .. } => f.debug_tuple("Unwritten").field(&round.key).finish(),
            Kept::Unwritable { id } => f.debug_tuple("Unwritable").field(id).finish(),
        }
    }
}

impl Kept {
    fn id(&self) -> &str {
        match self {
            Kept::Written(record) => &record.id,
            Kept::Unwritten { round, .. } => &round.key,
            Kept::Unwritable { id } => id,
        }
    }

    /// The game and end time, to choose and order matches without writing them;
    /// `None` for a match that is not served.
    fn listed(&self) -> Option<(&str, i64)> {
        match self {
            Kept::Written(record) => Some((&record.game, record.ended_at_ms)),
            Kept::Unwritten { round, .. } => Some((&round.game, round.won_at_ms)),
            Kept::Unwritable { .. } => None,
        }
    }

    /// The record, written now if it was not yet (and kept written).
    fn record(&mut self) -> Option<&MatchRecord> {
        if let Kept::Unwritten { .. } = self {
            let id = self.id().to_owned();
            if let Kept::Unwritten { round, log } = std::mem::replace(self, Kept::Unwritable { id })
            {
                if let Some(log) = log.write() {
                    *self = Kept::Written(MatchRecord::of(&round, &log));
                }
            }
        }
        match self {
            Kept::Written(record) => Some(record),
            Kept::Unwritten { .. } | Kept::Unwritable { .. } => None,
        }
    }
}

impl Tally {
    /// Counts `round`; keeps its match, written or `unwritten` (if it has one).
    fn add(&mut self, round: &RoundResult, unwritten: Option<Box<dyn UnwrittenLog>>) {
        let limits = self.limits;
        if !self.keys.insert(round.key.clone()) {
            return;
        }
        self.key_order.push_back(round.key.clone());
        while self.key_order.len() > limits.keys {
            if let Some(old) = self.key_order.pop_front() {
                self.keys.remove(&old);
            }
        }
        let kept = match (unwritten, &round.log) {
            (Some(log), _) => Some(Kept::Unwritten {
                round: RoundResult {
                    log: None,
                    ..round.clone()
                },
                log,
            }),
            (None, Some(log)) => Some(Kept::Written(MatchRecord::of(round, log))),
            (None, None) => None,
        };
        if let Some(kept) = kept {
            self.matches.push_back(kept);
            while self.matches.len() > limits.matches {
                self.matches.pop_front();
            }
        }
        if !round.named {
            return;
        }
        let key = crate::player_key(&round.winner);
        self.names
            .entry(key.clone())
            .or_insert_with(|| round.winner.clone());
        *self
            .wins
            .entry((key.clone(), round.game.clone()))
            .or_default() += 1;
        self.by_time
            .entry(round.won_at_ms)
            .or_default()
            .push_back((key, round.game.clone()));
        self.recent_count += 1;
        while self.recent_count > limits.recent {
            self.forget_oldest_win();
        }
    }

    /// Drops the oldest named win from the recent board's list.
    fn forget_oldest_win(&mut self) {
        let Some(mut oldest) = self.by_time.first_entry() else {
            self.recent_count = 0;
            return;
        };
        let wins = oldest.get_mut();
        if wins.pop_front().is_some() {
            self.recent_count -= 1;
        }
        if wins.is_empty() {
            oldest.remove();
        }
    }

    fn leaderboard(
        &self,
        game: Option<&str>,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Leaderboard {
        let wanted = |g: &str| game.is_none_or(|game| game == g);
        let since = now_ms.saturating_sub(recent_ms);
        let mut recent: HashMap<&str, u64> = HashMap::new();
        for (key, _) in self
            .by_time
            .range(since..)
            .flat_map(|(_, wins)| wins)
            .filter(|(_, g)| wanted(g))
        {
            *recent.entry(key.as_str()).or_default() += 1;
        }
        let mut all_time: HashMap<&str, u64> = HashMap::new();
        for ((key, _), wins) in self.wins.iter().filter(|((_, g), _)| wanted(g)) {
            *all_time.entry(key.as_str()).or_default() += wins;
        }
        Leaderboard {
            all_time: rank(self.named(all_time), limit),
            recent: rank(self.named(recent), limit),
        }
    }

    fn named<'a>(
        &'a self,
        wins: HashMap<&'a str, u64>,
    ) -> impl Iterator<Item = (&'a String, u64)> + 'a {
        wins.into_iter()
            .filter_map(|(key, wins)| self.names.get(key).map(|name| (name, wins)))
    }

    fn games_of(&self, name: &str) -> Vec<GameWins> {
        let key = crate::player_key(name);
        let mut games: Vec<GameWins> = self
            .wins
            .iter()
            .filter(|((player, _), _)| *player == key)
            .map(|((_, game), wins)| GameWins {
                game: game.clone(),
                wins: *wins,
            })
            .collect();
        games.sort_by(|a, b| a.game.cmp(&b.game));
        games
    }

    /// Chooses the newest first, then writes (and copies) only those.
    fn recent_matches(&mut self, game: Option<&str>, limit: usize) -> Vec<MatchRecord> {
        let mut found: Vec<(i64, &str, usize)> = self
            .matches
            .iter()
            .enumerate()
            .filter_map(|(at, kept)| {
                let (of, ended) = kept.listed()?;
                game.is_none_or(|game| game == of)
                    .then_some((ended, kept.id(), at))
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(a.1)));
        found.truncate(limit);
        let chosen: Vec<usize> = found.into_iter().map(|(_, _, at)| at).collect();
        chosen
            .into_iter()
            .filter_map(|at| self.matches.get_mut(at)?.record().cloned())
            .collect()
    }

    fn match_by_id(&mut self, id: &str) -> Option<MatchRecord> {
        self.matches
            .iter_mut()
            .find(|kept| kept.id() == id)?
            .record()
            .cloned()
    }
}

impl MemoryStore {
    /// A store that keeps at most `limits` of what grows with play.
    pub fn with_limits(limits: Limits) -> MemoryStore {
        MemoryStore {
            tally: Arc::new(Mutex::new(Tally {
                limits,
                ..Tally::default()
            })),
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        // The tally is updated by plain additions: a panic elsewhere cannot leave it half-done.
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StoreReader for MemoryStore {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        Ok(self.tally().leaderboard(game, limit, now_ms, recent_ms))
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        Ok(self.tally().games_of(name).iter().map(|g| g.wins).sum())
    }

    fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError> {
        Ok(self.tally().games_of(name))
    }

    fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError> {
        Ok(self.tally().match_by_id(id))
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MatchRecord>, StoreError> {
        Ok(self.tally().recent_matches(game, limit))
    }
}

impl Store for MemoryStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let mut tally = self.tally();
        for round in rounds {
            tally.add(round, None);
        }
        Ok(())
    }

    fn takes_unwritten_logs(&self) -> bool {
        true
    }

    fn blocks(&self) -> bool {
        false
    }

    /// Keeps the logs unwritten: each is written when its match is first read.
    fn record_unwritten(
        &mut self,
        rounds: Vec<(RoundResult, Option<Box<dyn UnwrittenLog>>)>,
    ) -> Result<(), StoreError> {
        let mut tally = self.tally();
        for (round, log) in rounds {
            tally.add(&round, log);
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
            game: "guess".into(),
            key: format!("{name}@{at}"),
            room: 1,
            round: 1,
            winner: name.into(),
            named,
            guesses: 3,
            won_at_ms: at,
            log: None,
            credit: None,
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
        let board = StoreReader::leaderboard(&mut store, None, 10, 10, 100).unwrap_or_default();
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
        let board = StoreReader::leaderboard(&mut store, None, 10, 100, 10).unwrap_or_default();
        assert_eq!(board.recent.len(), 1);
        assert_eq!(board.recent[0].name, "New");
        assert_eq!(board.all_time.len(), 2);
    }

    fn small() -> MemoryStore {
        MemoryStore::with_limits(Limits {
            matches: 3,
            keys: 4,
            recent: 2,
        })
    }

    fn logged(at: i64) -> RoundResult {
        RoundResult {
            log: Some(crate::MatchLog {
                config: "{}".into(),
                seed: at.unsigned_abs(),
                actions: "[]".into(),
            }),
            ..win(&format!("P{at}"), true, at)
        }
    }

    #[test]
    fn keeps_only_the_newest_match_logs() {
        let mut store = small();
        let rounds: Vec<_> = (1..=5).map(logged).collect();
        assert!(store.record(&rounds).is_ok());
        let kept = StoreReader::recent_matches(&mut store, None, 10).unwrap_or_default();
        let ends: Vec<_> = kept.iter().map(|m| m.ended_at_ms).collect();
        assert_eq!(ends, vec![5, 4, 3]);
    }

    /// A log handed over unwritten that counts its writes.
    struct Counted(Arc<std::sync::atomic::AtomicUsize>, crate::MatchLog);

    impl UnwrittenLog for Counted {
        fn write(self: Box<Self>) -> Option<crate::MatchLog> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(self.1)
        }
    }

    #[test]
    fn only_the_logs_read_are_ever_written() {
        let mut store = MemoryStore::default();
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let rounds = (1..=5)
            .map(|at| {
                let mut round = logged(at);
                let log = round.log.take().unwrap_or_else(|| panic!("a log"));
                let log: Box<dyn UnwrittenLog> = Box::new(Counted(Arc::clone(&writes), log));
                (round, Some(log))
            })
            .collect();
        assert!(store.record_unwritten(rounds).is_ok());
        let writes = || writes.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(writes(), 0);
        let newest = StoreReader::recent_matches(&mut store, None, 2).unwrap_or_default();
        let ends: Vec<_> = newest.iter().map(|m| m.ended_at_ms).collect();
        assert_eq!(ends, vec![5, 4]);
        assert_eq!(writes(), 2, "only the two listed");
        let one = StoreReader::match_by_id(&mut store, "P1@1").unwrap_or_default();
        assert_eq!(one.map(|m| m.seed), Some(1));
        assert_eq!(writes(), 3);
        let all = StoreReader::recent_matches(&mut store, None, 10).unwrap_or_default();
        assert_eq!(all.len(), 5);
        assert_eq!(writes(), 5, "each written once");
    }

    #[test]
    fn the_recent_board_keeps_the_newest_wins_and_all_time_keeps_every_one() {
        let mut store = small();
        let rounds: Vec<_> = (1..=5).map(|at| win("Ann", true, at)).collect();
        assert!(store.record(&rounds).is_ok());
        let board = StoreReader::leaderboard(&mut store, None, 10, 10, 100).unwrap_or_default();
        assert_eq!(board.recent.first().map(|e| e.wins), Some(2));
        assert_eq!(board.all_time.first().map(|e| e.wins), Some(5));
    }

    #[test]
    fn a_key_is_forgotten_only_after_as_many_others() {
        let mut store = small();
        assert!(store.record(&[win("Ann", true, 1)]).is_ok());
        // Seen again while remembered: skipped.
        assert!(store.record(&[win("Ann", true, 1)]).is_ok());
        assert_eq!(StoreReader::wins_of(&mut store, "Ann").ok(), Some(1));
        let others: Vec<_> = (2..=5).map(|at| win("Bo", true, at)).collect();
        assert!(store.record(&others).is_ok());
        let tally = store.tally();
        assert_eq!(tally.keys.len(), 4);
        assert!(!tally.keys.contains("Ann@1"));
    }
}
