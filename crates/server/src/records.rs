//! The recorder: the persistence actor. The store (and its database connection) lives here
//! and nowhere else; it only writes. Reads go to the board (`board.rs`), on a connection of
//! their own, and never wait in this mailbox.
//!
//! **Group commit.** Rooms send `Save`s; the recorder gathers them and commits a batch in one
//! transaction as soon as nothing else waits in its mailbox (`Context::queued() == 0`), or
//! when the batch is full. While one commit syncs to disk, the next saves queue up and go
//! together into the following one: under load, one sync serves many rounds; at rest, a save
//! is committed at once.
//!
//! **Durable before announced.** Each `Save` carries a one-shot `done` channel, answered
//! only after its transaction has committed. The room holds the win's announcement until
//! then. Before answering, the recorder moves the commit counter of [`StoreStatus`]: a board
//! read that starts after the announcement sees the counter moved and reads afresh.
//!
//! **Fenced, on a cluster node.** A save there carries its room's claim (`cluster/`); the
//! batch is still one transaction, in which each room's results are stored only if its claim
//! still holds (`Store::record_fenced_groups`). A room whose claim failed is answered with a
//! fenced [`StorageFailed`] — it closes and never announces the win — while the others are
//! committed; a fenced write is never retried. Saves without a claim (a server on its own)
//! are committed exactly as before.
//!
//! **Keys.** Each result is stored under a key unique across servers and runs: the recorder
//! gives a result that has none (`key` empty) `<run>/<won at>/<room>/<round>`, where `<run>`
//! is a random id drawn when the recorder starts and `<won at>` the win's time in
//! milliseconds, zero-padded ([`TIME_DIGITS`]). Room numbers restart with the process and
//! other nodes use them too; the run id keeps the keys apart, and the same result saved
//! again, or a batch retried after a lost connection (which may have committed), is stored
//! once. The time makes a run's keys sort in the order its wins came, so the stores' key
//! indexes (a result's and its match's) take each batch at their right edge: with
//! `<run>/<room>/<round>` nearly every win of a batch landed on an index page of its own, and
//! a commit wrote more than twice the bytes (docs/PERFORMANCE.md §4).
//! **A store that is away.** A transient failure (PostgreSQL restarting, unreachable, a lock)
//! is retried with growing pauses for up to [`AWAY_LIMIT`]: the batch's wins stay held, not
//! announced, and are committed once the store is back; past it they are answered with the
//! error. Other failures are retried [`ATTEMPTS`] times.
//!
//! **Match logs are written here.** A room hands over a won match's log unwritten
//! ([`UnwrittenLog`]): the recorder writes its JSON and hashes the state it reached when the
//! save arrives, before the commit. Writing a log costs more than the rest of a win (~60k
//! instructions, docs/PERFORMANCE.md §7); here it is off the room's task, which every move of
//! the room waits behind, and the bytes stored are the same (`room/recording_tests.rs`).
//! A store in memory (`--no-db`) takes the logs unwritten
//! ([`Store::takes_unwritten_logs`]) and writes one only when someone reads its match.
//!
//! The store is synchronous (SQLite, PostgreSQL), so the recorder runs on a thread of its own
//! — unless the store never blocks ([`Store::blocks`]: the memory store of `--no-db`), when it
//! is a task of the runtime like any other actor.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::gauge::Gauge;
use referee_actor::{
    Actor, ActorBuilder, ActorHandle, Answer, Context, Message, ReplyTo, StopReason,
};
use referee_store::{Fence, RoundResult, Store, StoreError};
use std::sync::Arc;

/// Digits a key's time (milliseconds since 1970) is padded to, so that keys sort as their
/// times do (until the year 2286).
const TIME_DIGITS: usize = 13;
/// Rounds committed together at most.
pub(crate) const DEFAULT_MAX_BATCH: usize = 1024;
/// Attempts at committing a batch before its saves are answered with the error.
const ATTEMPTS: u32 = 3;
/// How long a batch is retried while the store is away (a transient error), at most: the
/// same as a room waits for a commit before calling a win unconfirmed.
pub(crate) const AWAY_LIMIT: Duration = Duration::from_secs(30);
/// The longest pause between two attempts while the store is away.
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// Leaderboard "recent": the last seven days.
pub(crate) const RECENT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A handle to the recorder actor.
pub(crate) type RecorderHandle = ActorHandle<Recorder>;

/// Why a save or a query failed (the store's error, as text: it is sent to several waiters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {why}")]
pub(crate) struct StorageFailed {
    /// The store's error.
    pub(crate) why: String,
    /// Refused by the room's fence (a cluster node that lost its claim): the room must stop
    /// and the win is never announced.
    pub(crate) fenced: bool,
}

impl StorageFailed {
    /// A failure of the store.
    pub(crate) fn new(why: impl Into<String>) -> Self {
        StorageFailed {
            why: why.into(),
            fenced: false,
        }
    }

    /// A write refused by its fence.
    pub(crate) fn fenced(why: impl Into<String>) -> Self {
        StorageFailed {
            why: why.into(),
            fenced: true,
        }
    }
}

/// What the recorder tells the rest of the server without being asked: how many commits it
/// has made (the board's cache is stale once this moves) and whether the last one failed
/// (`/healthz`).
#[derive(Debug, Default)]
pub(crate) struct StoreStatus {
    commits: AtomicU64,
    failure: Mutex<Option<String>>,
    /// 1 while the store works, 0 after a failed commit (`referee_storage_healthy`).
    healthy: Gauge,
}

impl StoreStatus {
    /// A status that also sets `healthy` (a metrics gauge).
    pub(crate) fn new(healthy: Gauge) -> Self {
        healthy.set(1);
        StoreStatus {
            commits: AtomicU64::new(0),
            failure: Mutex::new(None),
            healthy,
        }
    }

    /// Commits made so far.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Why the last commit failed, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::AcqRel);
        self.set_failure(None);
    }

    fn set_failure(&self, failure: Option<String>) {
        self.healthy.set(i64::from(failure.is_none()));
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = failure;
    }
}

/// The persistence actor's state.
pub(crate) struct Recorder {
    store: Box<dyn Store>,
    batch: Vec<Pending>,
    max_batch: usize,
    status: Arc<StoreStatus>,
    /// This run's random id: the first part of every key the recorder gives.
    run: String,
    /// How long a batch is retried while the store is away ([`AWAY_LIMIT`]; shorter in
    /// tests).
    away_limit: Duration,
}

impl Recorder {
    /// Spawns the recorder, on a thread of its own if its store [`blocks`](Store::blocks),
    /// else as a task of the current runtime; it reports to `status`.
    pub(crate) fn spawn(
        store: Box<dyn Store>,
        max_batch: usize,
        status: Arc<StoreStatus>,
    ) -> io::Result<RecorderHandle> {
        let recorder = Recorder {
            store,
            batch: Vec::new(),
            max_batch: max_batch.max(1),
            status,
            run: format!(
                "{:016x}{:016x}",
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
            away_limit: AWAY_LIMIT,
        };
        let builder = ActorBuilder::new().name("recorder").mailbox_capacity(4096);
        if recorder.store.blocks() {
            builder.spawn_thread(recorder)
        } else {
            // A store in memory (`--no-db`) commits in microseconds: on the runtime, a save
            // and its answer are two task wake-ups, where a thread of its own costs a futex
            // wake and two context switches each way (docs/PERFORMANCE.md §3).
            Ok(builder.spawn(recorder))
        }
    }

    /// Commits the batch in one transaction and answers every save in it. A cluster node's
    /// saves carry their room's fence: theirs go in one transaction too, each room's results
    /// stored only if its fence holds.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let (unfenced, fenced): (Vec<Pending>, Vec<Pending>) =
            batch.into_iter().partition(|save| save.fence.is_none());
        if !unfenced.is_empty() {
            self.commit_unfenced(unfenced);
        }
        if !fenced.is_empty() {
            self.commit_fenced(fenced);
        }
    }

    /// Commits saves without a fence (a server on its own) and answers them.
    fn commit_unfenced(&mut self, batch: Vec<Pending>) {
        let rounds = batch.len();
        let (results, dones): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|save| ((save.result, save.log), save.done))
            .unzip();
        let outcome = if self.store.takes_unwritten_logs() {
            // Memory: no transient failure to retry (and the logs are consumed).
            self.store
                .record_unwritten(results)
                .map_err(|err| StorageFailed::new(err.to_string()))
        } else {
            // Every log was written when its save arrived (`answer`).
            let results: Vec<RoundResult> = results.into_iter().map(|(result, _)| result).collect();
            self.retrying(|store| store.record(&results))
        };
        self.report(&outcome, rounds);
        for done in dones {
            // A room that stopped waiting has nothing more to learn.
            let _ = done.send(outcome.clone());
        }
    }

    /// Reports a commit's outcome to the status (a failure also to the log).
    fn report<T>(&self, outcome: &Result<T, StorageFailed>, rounds: usize) {
        match outcome {
            Ok(_) => self.status.committed(),
            Err(err) => {
                tracing::error!(rounds, %err, "could not save round results");
                self.status.set_failure(Some(err.to_string()));
            }
        }
    }

    /// One transaction, retried: a few times after a failure, for up to [`AWAY_LIMIT`] while
    /// the store is away. Pausing blocks only this actor's own thread; saves queue meanwhile
    /// and go into the next batch.
    fn retrying<T>(
        &mut self,
        mut commit: impl FnMut(&mut dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StorageFailed> {
        let mut pause = Duration::from_millis(10);
        let mut attempt = 1;
        let started = Instant::now();
        loop {
            let err = match commit(self.store.as_mut()) {
                Ok(done) => return Ok(done),
                Err(err) => err,
            };
            let retry = if err.is_transient() {
                started.elapsed() + pause < self.away_limit
            } else {
                attempt < ATTEMPTS
            };
            if !retry {
                return Err(StorageFailed::new(err.to_string()));
            }
            tracing::warn!(attempt, %err, "commit failed; retrying");
            self.status.set_failure(Some(err.to_string()));
            std::thread::sleep(pause);
            pause = (pause * 5).min(MAX_PAUSE);
            attempt += 1;
        }
    }

    /// Commits a cluster node's saves, each room's under its fence, in one transaction, and
    /// answers each save with its room's outcome: a room whose fence failed learns it is
    /// fenced (and closes), the others are committed all the same.
    fn commit_fenced(&mut self, batch: Vec<Pending>) {
        let mut rooms: Vec<(Fence, Vec<Pending>)> = Vec::new();
        let mut at: HashMap<Fence, usize> = HashMap::new();
        for save in batch {
            let Some(fence) = save.fence.clone() else {
                continue;
            };
            let index = *at.entry(fence.clone()).or_insert_with(|| {
                rooms.push((fence, Vec::new()));
                rooms.len() - 1
            });
            if let Some((_, saves)) = rooms.get_mut(index) {
                saves.push(save);
            }
        }
        let groups: Vec<(Fence, Vec<RoundResult>)> = rooms
            .iter()
            .map(|(fence, saves)| {
                (
                    fence.clone(),
                    saves.iter().map(|s| s.result.clone()).collect(),
                )
            })
            .collect();
        let rounds = groups.iter().map(|(_, results)| results.len()).sum();
        let outcome = self.retrying(|store| store.record_fenced_groups(&groups));
        self.report(&outcome, rounds);
        for (at, (fence, saves)) in rooms.into_iter().enumerate() {
            let answer = match &outcome {
                Ok(answers) => match answers.get(at) {
                    Some(Ok(())) => Ok(()),
                    Some(Err(err)) => {
                        tracing::warn!(room = %fence.room, epoch = fence.epoch, %err, "fenced");
                        Err(StorageFailed::fenced(err.to_string()))
                    }
                    None => Err(StorageFailed::new("the store gave no answer for this room")),
                },
                Err(err) => Err(err.clone()),
            };
            for save in saves {
                let _ = save.done.send(answer.clone());
            }
        }
    }

    /// The key of a result that has none: unique across runs and servers, the same for the
    /// same result, and sorting after the keys of earlier wins (see the module's docs).
    fn key(&self, result: &RoundResult) -> String {
        format!(
            "{}/{:0width$}/{}/{}",
            self.run,
            result.won_at_ms.max(0),
            result.room,
            result.round,
            width = TIME_DIGITS
        )
    }
}

impl Actor for Recorder {
    /// Whatever is still batched is committed before the recorder goes: a graceful shutdown
    /// loses nothing.
    async fn stopped(&mut self, _reason: &StopReason) {
        self.flush();
    }
}

/// Save a won round. Answered once the round is durable (or the save failed): the
/// recorder keeps the reply slot until the batch it joined is committed.
pub(crate) struct Save {
    pub(crate) result: RoundResult,
    /// The match's log, still to be written: the recorder writes it into `result.log`
    /// before the commit (see [`UnwrittenLog`]). `None`: `result.log` is stored as it is.
    pub(crate) log: Option<Box<dyn UnwrittenLog>>,
    /// In a cluster: the room's claim, which the commit must still hold.
    pub(crate) fence: Option<Fence>,
}

/// A won match's log as the room hands it over: unwritten. Writing it (JSON, and hashing
/// the state it reached) costs more than the rest of a win; the recorder does it, on its
/// own thread, so that the room's task — which every guess of the room waits behind — does
/// not (or leaves it to a store in memory, which writes it if it is ever read). Generic
/// over the game on the room's side, not here: the recorder serves every room.
pub(crate) use referee_store::UnwrittenLog;

impl Message for Save {
    type Reply = Result<(), StorageFailed>;
}

/// A save waiting in the batch, with its asker's reply slot.
struct Pending {
    result: RoundResult,
    /// The log, still unwritten, for a store that takes it so.
    log: Option<Box<dyn UnwrittenLog>>,
    fence: Option<Fence>,
    done: ReplyTo<Result<(), StorageFailed>>,
}

impl Answer<Save> for Recorder {
    fn answer(
        &mut self,
        save: Save,
        done: ReplyTo<Result<(), StorageFailed>>,
        ctx: &mut Context<Self>,
    ) {
        let mut result = save.result;
        let fence = save.fence;
        let log = match save.log {
            Some(log) if fence.is_none() && self.store.takes_unwritten_logs() => Some(log),
            Some(log) => {
                result.log = log.write();
                None
            }
            None => None,
        };
        if result.key.is_empty() {
            result.key = self.key(&result);
        }
        self.batch.push(Pending {
            result,
            log,
            fence,
            done,
        });
        if ctx.queued() == 0 || self.batch.len() >= self.max_batch {
            self.flush();
        }
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use referee_actor::Timeout;
    use referee_store::{MemoryStore, StoreReader};

    use super::*;

    /// Memory behind a door: the first `away` commits find the store unreachable. It says
    /// whether it `blocks`, and notes the thread of its last commit in `on`.
    struct Away {
        inner: MemoryStore,
        away: usize,
        calls: Arc<AtomicUsize>,
        blocks: bool,
        on: Arc<Mutex<Option<std::thread::ThreadId>>>,
    }

    impl Store for Away {
        fn blocks(&self) -> bool {
            self.blocks
        }
        fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
            *self.on.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(std::thread::current().id());
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.away {
                return Err(StoreError::Unreachable {
                    url: "postgres://test@127.0.0.1/x".into(),
                    detail: "connection refused".into(),
                });
            }
            self.inner.record(rounds)
        }
        fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
            self.inner.reader()
        }
    }

    impl StoreReader for Away {
        fn leaderboard(
            &mut self,
            game: Option<&str>,
            limit: usize,
            now_ms: i64,
            recent_ms: i64,
        ) -> Result<referee_store::Leaderboard, StoreError> {
            self.inner.leaderboard(game, limit, now_ms, recent_ms)
        }
        fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
            self.inner.wins_of(name)
        }
        fn games_of(&mut self, name: &str) -> Result<Vec<referee_store::GameWins>, StoreError> {
            self.inner.games_of(name)
        }
        fn match_by_id(
            &mut self,
            id: &str,
        ) -> Result<Option<referee_store::MatchRecord>, StoreError> {
            self.inner.match_by_id(id)
        }
        fn recent_matches(
            &mut self,
            game: Option<&str>,
            limit: usize,
        ) -> Result<Vec<referee_store::MatchRecord>, StoreError> {
            self.inner.recent_matches(game, limit)
        }
    }

    fn spawn(away: usize, away_limit: Duration) -> (RecorderHandle, MemoryStore, Arc<AtomicUsize>) {
        let inner = MemoryStore::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let store = Away {
            inner: inner.clone(),
            away,
            calls: calls.clone(),
            blocks: true,
            on: Arc::default(),
        };
        let recorder = Recorder {
            store: Box::new(store),
            batch: Vec::new(),
            max_batch: 16,
            status: Arc::new(StoreStatus::default()),
            run: "test-run".into(),
            away_limit,
        };
        let handle = ActorBuilder::new()
            .spawn_thread(recorder)
            .unwrap_or_else(|e| panic!("{e}"));
        (handle, inner, calls)
    }

    fn win() -> Save {
        Save {
            result: RoundResult {
                game: "guess".into(),
                key: String::new(),
                room: 3,
                round: 9,
                winner: "Ann".into(),
                named: true,
                guesses: 2,
                won_at_ms: 1,
                log: None,
                credit: None,
            },
            log: None,
            fence: None,
        }
    }

    #[tokio::test]
    async fn a_store_that_is_away_a_while_gets_the_win_when_it_is_back() {
        let (recorder, mut stored, calls) = spawn(5, AWAY_LIMIT);
        let outcome = recorder.ask_with(win(), Timeout::Never).await;
        assert!(matches!(outcome, Ok(Ok(()))), "{outcome:?}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            6,
            "five refusals, then the commit"
        );
        assert_eq!(stored.wins_of("Ann").ok(), Some(1));
        let kept = stored.recent_matches(None, 1).ok();
        assert_eq!(kept, Some(Vec::new()));
    }

    #[tokio::test]
    async fn a_store_away_past_the_limit_fails_the_save() {
        let (recorder, mut stored, calls) = spawn(usize::MAX, Duration::from_secs(1));
        let outcome = recorder.ask_with(win(), Timeout::Never).await;
        assert!(
            matches!(&outcome, Ok(Err(StorageFailed { why, .. })) if why.contains("cannot reach")),
            "{outcome:?}"
        );
        assert!(
            calls.load(Ordering::SeqCst) > ATTEMPTS as usize,
            "retried while away"
        );
        assert_eq!(stored.wins_of("Ann").ok(), Some(0));
    }

    #[tokio::test]
    async fn a_result_without_a_key_gets_the_runs_key() {
        let (recorder, mut stored, _) = spawn(0, AWAY_LIMIT);
        let logged = || {
            let mut save = win();
            save.result.log = Some(referee_store::MatchLog {
                config: "{}".into(),
                seed: 1,
                actions: "[]".into(),
            });
            save
        };
        let first = recorder.ask_with(logged(), Timeout::Never).await;
        let again = recorder.ask_with(logged(), Timeout::Never).await;
        assert!(matches!((first, again), (Ok(Ok(())), Ok(Ok(())))));
        let ids: Vec<String> = stored
            .recent_matches(None, 10)
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            ids,
            vec!["test-run/0000000000001/3/9"],
            "one result, under the run's key"
        );
        assert_eq!(stored.wins_of("Ann").ok(), Some(1));
    }

    /// Keys sort as their wins came, whatever the rooms and rounds: the stores' key indexes
    /// then take each batch at one end instead of a page per win (docs/PERFORMANCE.md §4).
    #[test]
    fn a_runs_keys_sort_in_the_order_of_their_wins() {
        let keys = Recorder {
            store: Box::new(MemoryStore::default()),
            batch: Vec::new(),
            max_batch: 16,
            status: Arc::new(StoreStatus::default()),
            run: "run".into(),
            away_limit: AWAY_LIMIT,
        };
        let won = [
            (10, 1, 9_999),
            (9, 2, 10_000),
            (2, 10, 10_001),
            (100, 3, 1_764_930_000_123),
        ];
        let given: Vec<String> = won
            .iter()
            .map(|&(room, round, won_at_ms)| {
                let mut save = win();
                save.result.room = room;
                save.result.round = round;
                save.result.won_at_ms = won_at_ms;
                keys.key(&save.result)
            })
            .collect();
        let mut sorted = given.clone();
        sorted.sort();
        assert_eq!(given, sorted, "keys in the order of their wins");
        assert_eq!(given[3], "run/1764930000123/100/3");
    }

    /// A store that never blocks is driven from the runtime, so that a save and its answer
    /// are task wake-ups (here: on the test's only thread); one that may block gets a thread
    /// of its own, so that a slow commit holds no worker.
    #[tokio::test(flavor = "current_thread")]
    async fn a_store_that_never_blocks_commits_on_the_runtime_any_other_on_a_thread_of_its_own() {
        let here = std::thread::current().id();
        for blocks in [false, true] {
            let on = Arc::new(Mutex::new(None));
            let store = Away {
                inner: MemoryStore::default(),
                away: 0,
                calls: Arc::default(),
                blocks,
                on: on.clone(),
            };
            let recorder = Recorder::spawn(Box::new(store), 16, Arc::default())
                .unwrap_or_else(|e| panic!("{e}"));
            let outcome = recorder.ask_with(win(), Timeout::Never).await;
            assert!(matches!(outcome, Ok(Ok(()))), "{outcome:?}");
            let committed_on = *on.lock().unwrap_or_else(PoisonError::into_inner);
            assert!(committed_on.is_some(), "committed");
            assert_eq!(
                committed_on == Some(here),
                !blocks,
                "a store that blocks: {blocks}; committed on the runtime's thread: {}",
                committed_on == Some(here)
            );
        }
    }
}
