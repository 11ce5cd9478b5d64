//! One contract, three stores: every behaviour the recorder and the leaderboard rely on,
//! run against the memory store, SQLite (a real file) and PostgreSQL (a fresh schema per
//! test, dropped after; skipped, saying why, when no PostgreSQL is reachable — unless
//! `REFEREE_REQUIRE_POSTGRES=1`).

use std::path::PathBuf;

use referee_store::pg_testing::TestSchema;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use referee_store::{
    GameWins, MatchLog, MemoryStore, RoundResult, SqliteStore, Store, StoreError, StoreReader,
    UnwrittenLog,
};
use tempfile::TempDir;

/// A place a store lives, able to open it again (the same records).
enum Backend {
    Memory(MemoryStore),
    Sqlite(TempDir),
    Postgres(TestSchema),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Memory(_) => "memory",
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn sqlite_path(dir: &TempDir) -> PathBuf {
        dir.path().join("referee.db")
    }

    /// A store on these records (for memory: the same one, shared).
    fn open(&self) -> Box<dyn Store> {
        let name = self.name();
        let fail = |err: StoreError| -> ! { panic!("{name}: cannot open: {err}") };
        match self {
            Backend::Memory(store) => Box::new(store.clone()),
            Backend::Sqlite(dir) => {
                Box::new(SqliteStore::open(Self::sqlite_path(dir), 1).unwrap_or_else(|e| fail(e)))
            }
            Backend::Postgres(pg) => Box::new(pg.store().unwrap_or_else(|e| fail(e))),
        }
    }

    /// Makes every insert of a round won by `winner` fail inside the database (none for
    /// memory, which cannot fail).
    fn fail_on(&self, winner: &str) -> bool {
        match self {
            Backend::Memory(_) => false,
            Backend::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(Self::sqlite_path(dir))
                    .unwrap_or_else(|e| panic!("{e}"));
                let sql = format!(
                    "CREATE TRIGGER fail BEFORE INSERT ON rounds WHEN NEW.winner = '{winner}'
                     BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
                );
                conn.execute_batch(&sql).unwrap_or_else(|e| panic!("{e}"));
                true
            }
            Backend::Postgres(pg) => {
                let sql = format!(
                    "CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         IF NEW.winner = '{winner}' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                         RETURN NEW;
                     END $$;
                     CREATE TRIGGER fail BEFORE INSERT ON rounds FOR EACH ROW EXECUTE FUNCTION fail();"
                );
                pg.execute(&sql).unwrap_or_else(|e| panic!("{e}"));
                true
            }
        }
    }
}

/// Every backend available to `test`: memory, SQLite, and PostgreSQL if reachable.
fn backends(test: &str) -> Vec<Backend> {
    let mut all = vec![
        Backend::Memory(MemoryStore::default()),
        Backend::Sqlite(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))),
    ];
    if let Some(pg) = TestSchema::create(test).unwrap_or_else(|e| panic!("{e}")) {
        all.push(Backend::Postgres(pg));
    }
    all
}

fn win(game: &str, key: &str, name: &str, at: i64) -> RoundResult {
    RoundResult {
        game: game.into(),
        key: key.into(),
        room: 1,
        round: 1,
        winner: name.into(),
        named: !name.starts_with("Player "),
        guesses: 5,
        won_at_ms: at,
        log: None,
        credit: None,
    }
}

fn guess(key: &str, name: &str) -> RoundResult {
    win("guess", key, name, 1_000)
}

fn all_time(store: &mut dyn Store, game: Option<&str>) -> Vec<(String, u64)> {
    store
        .leaderboard(game, 10, 10_000, 1_000_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .all_time
        .into_iter()
        .map(|e| (e.name, e.wins))
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(n, w)| ((*n).to_owned(), *w)).collect()
}

#[test]
fn committed_results_are_there_when_opened_again() {
    for backend in backends("reopen") {
        let mut store = backend.open();
        let batch = [
            guess("r/1", "Ann"),
            guess("r/2", "Ann"),
            guess("r/3", "Bo"),
            guess("r/4", "Player 4"),
        ];
        assert!(store.record(&batch).is_ok(), "{}", backend.name());
        drop(store);
        let mut again = backend.open();
        assert_eq!(
            all_time(&mut *again, None),
            pairs(&[("Ann", 2), ("Bo", 1)]),
            "{}: unnamed winners are not ranked",
            backend.name()
        );
        assert_eq!(again.wins_of("ann").ok(), Some(2), "{}", backend.name());
    }
}

#[test]
fn ties_rank_by_name_and_names_are_one_player_whatever_they_look_like() {
    for backend in backends("ranking") {
        let mut store = backend.open();
        let batch = [
            guess("1", "Zoë"),
            guess("2", "zoë"),
            guess("3", "ZOË"),
            guess("4", "Bo"),
            guess("5", "Alice"),
            guess("6", "Ａｌｉｃｅ"),
            guess("7", "Cy"),
        ];
        assert!(store.record(&batch).is_ok());
        assert_eq!(
            all_time(&mut *store, None),
            pairs(&[("Zoë", 3), ("Alice", 2), ("Bo", 1), ("Cy", 1)]),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn recent_wins_count_only_inside_the_window() {
    for backend in backends("recent") {
        let mut store = backend.open();
        let batch = [win("guess", "a", "Old", 0), win("guess", "b", "New", 9_000)];
        assert!(store.record(&batch).is_ok());
        let board = store
            .leaderboard(None, 10, 10_000, 5_000)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(board.all_time.len(), 2, "{}", backend.name());
        let recent: Vec<_> = board.recent.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(recent, vec!["New"], "{}", backend.name());
    }
}

#[test]
fn a_key_already_stored_is_skipped_within_and_across_batches() {
    for backend in backends("idempotent") {
        let mut store = backend.open();
        let first = [guess("run-a/1/1", "Ann"), guess("run-a/1/1", "Ann")];
        assert!(store.record(&first).is_ok(), "{}", backend.name());
        // A retried batch (as after a lost connection), with one new result in it.
        let retried = [guess("run-a/1/1", "Ann"), guess("run-a/1/2", "Bo")];
        let outcome = store.record(&retried);
        assert!(outcome.is_ok(), "{}: {outcome:?}", backend.name());
        assert_eq!(
            all_time(&mut *store, None),
            pairs(&[("Ann", 1), ("Bo", 1)]),
            "{}",
            backend.name()
        );
        let recent = store.leaderboard(None, 10, 10_000, 1_000_000);
        let recent = recent.unwrap_or_else(|e| panic!("{e}")).recent;
        assert_eq!(recent.len(), 2, "{}", backend.name());
        assert!(recent.iter().all(|e| e.wins == 1), "{}", backend.name());
        // The same room and round in another run is another key: stored.
        assert!(store.record(&[guess("run-b/1/1", "Ann")]).is_ok());
        assert_eq!(store.wins_of("Ann").ok(), Some(2), "{}", backend.name());
    }
}

#[test]
fn a_failed_batch_stores_nothing() {
    for backend in backends("failedbatch") {
        let mut store = backend.open();
        assert!(store.record(&[guess("1", "Ann")]).is_ok());
        if !backend.fail_on("Boom") {
            continue;
        }
        let batch = [guess("2", "Bo"), guess("3", "Boom")];
        assert!(store.record(&batch).is_err(), "{}", backend.name());
        assert_eq!(store.wins_of("Bo").ok(), Some(0), "{}", backend.name());
        assert_eq!(
            all_time(&mut *store, None),
            pairs(&[("Ann", 1)]),
            "{}",
            backend.name()
        );
        // The store goes on: the next batch is stored.
        assert!(
            store.record(&[guess("2", "Bo")]).is_ok(),
            "{}",
            backend.name()
        );
        assert_eq!(store.wins_of("Bo").ok(), Some(1), "{}", backend.name());
    }
}

#[test]
fn leaderboards_are_kept_per_game() {
    for backend in backends("pergame") {
        let mut store = backend.open();
        let batch = [
            win("guess", "g1", "Ann", 1_000),
            win("guess", "g2", "Ann", 1_000),
            win("dice", "d1", "Bo", 1_000),
            win("dice", "d2", "Bo", 9_500),
            win("dice", "d3", "Ann", 9_500),
        ];
        assert!(store.record(&batch).is_ok());
        let name = backend.name();
        assert_eq!(
            all_time(&mut *store, Some("guess")),
            pairs(&[("Ann", 2)]),
            "{name}"
        );
        assert_eq!(
            all_time(&mut *store, Some("dice")),
            pairs(&[("Bo", 2), ("Ann", 1)]),
            "{name}"
        );
        assert_eq!(
            all_time(&mut *store, None),
            pairs(&[("Ann", 3), ("Bo", 2)]),
            "{name}"
        );
        assert!(all_time(&mut *store, Some("chess")).is_empty(), "{name}");
        let recent = store.leaderboard(Some("dice"), 10, 10_000, 1_000);
        let recent: Vec<_> = recent
            .unwrap_or_else(|e| panic!("{e}"))
            .recent
            .into_iter()
            .map(|e| (e.name, e.wins))
            .collect();
        assert_eq!(recent, pairs(&[("Ann", 1), ("Bo", 1)]), "{name}");
        let games = store.games_of("ANN").unwrap_or_else(|e| panic!("{e}"));
        let expected = vec![
            GameWins {
                game: "dice".into(),
                wins: 1,
            },
            GameWins {
                game: "guess".into(),
                wins: 2,
            },
        ];
        assert_eq!(games, expected, "{name}");
        assert_eq!(store.wins_of("ann").ok(), Some(3), "{name}");
    }
}

fn with_log(game: &str, key: &str, name: &str, at: i64) -> RoundResult {
    let mut result = win(game, key, name, at);
    result.room = 7;
    result.log = Some(MatchLog {
        config: r#"{"dice":5}"#.into(),
        seed: u64::MAX - 3,
        actions: format!(r#"[{{"bid":"{key}"}}]"#),
    });
    result
}

#[test]
fn a_match_log_is_stored_with_its_result() {
    for backend in backends("matches") {
        let mut store = backend.open();
        let batch = [
            with_log("dice", "m1", "Ann", 1_000),
            with_log("dice", "m2", "Bo", 3_000),
            with_log("guess", "m3", "Cy", 2_000),
            guess("plain", "Di"),
            with_log("dice", "m1", "Ann", 1_000), // a retry: not stored twice
        ];
        assert!(store.record(&batch).is_ok(), "{}", backend.name());
        let name = backend.name();
        let found = store.match_by_id("m1").unwrap_or_else(|e| panic!("{e}"));
        let found = found.unwrap_or_else(|| panic!("{name}: m1 not found"));
        assert_eq!(
            (
                found.game.as_str(),
                found.room,
                found.winner.as_str(),
                found.ended_at_ms
            ),
            ("dice", 7, "Ann", 1_000),
            "{name}"
        );
        assert_eq!(found.seed, u64::MAX - 3, "{name}");
        assert_eq!(found.config, r#"{"dice":5}"#, "{name}");
        assert_eq!(found.actions, r#"[{"bid":"m1"}]"#, "{name}");
        assert_eq!(store.match_by_id("plain").ok(), Some(None), "{name}");
        assert_eq!(store.match_by_id("nope").ok(), Some(None), "{name}");
        let ids = |list: Vec<referee_store::MatchRecord>| -> Vec<String> {
            list.into_iter().map(|m| m.id).collect()
        };
        let dice = store
            .recent_matches(Some("dice"), 10)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(dice), vec!["m2", "m1"], "{name}: newest first");
        let all = store
            .recent_matches(None, 2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(all), vec!["m2", "m3"], "{name}");
    }
}

/// A log handed over unwritten: counts how often it is written.
struct Counted {
    log: Option<MatchLog>,
    writes: Arc<AtomicUsize>,
}

impl UnwrittenLog for Counted {
    fn write(self: Box<Self>) -> Option<MatchLog> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.log
    }
}

#[test]
fn a_log_handed_over_unwritten_is_stored_as_if_written() {
    for backend in backends("unwritten") {
        let name = backend.name();
        let mut store = backend.open();
        let writes = Arc::new(AtomicUsize::new(0));
        let unwritten = |result: RoundResult| {
            let mut round = result.clone();
            round.log = None;
            let log: Box<dyn UnwrittenLog> = Box::new(Counted {
                log: result.log,
                writes: Arc::clone(&writes),
            });
            (round, Some(log))
        };
        let mut unwritable = unwritten(with_log("dice", "u3", "Cy", 3_000));
        if let Some(log) = unwritable.1.as_mut() {
            *log = Box::new(Counted {
                log: None,
                writes: Arc::clone(&writes),
            });
        }
        let batch = vec![
            unwritten(with_log("dice", "u1", "Ann", 1_000)),
            unwritten(with_log("dice", "u2", "Bo", 2_000)),
            unwritable,
            (guess("u4", "Di"), None),
        ];
        assert!(store.record_unwritten(batch).is_ok(), "{name}");
        let lazy = store.takes_unwritten_logs();
        assert_eq!(
            lazy,
            name == "memory",
            "{name}: only memory keeps logs unwritten"
        );
        let at_commit = writes.load(Ordering::SeqCst);
        assert_eq!(
            at_commit,
            if lazy { 0 } else { 3 },
            "{name}: written at commit"
        );
        let found = store.match_by_id("u1").unwrap_or_else(|e| panic!("{e}"));
        let found = found.unwrap_or_else(|| panic!("{name}: u1 not found"));
        let expected = with_log("dice", "u1", "Ann", 1_000);
        let log = expected.log.unwrap_or_else(|| panic!("a log"));
        assert_eq!(
            (
                found.room,
                found.winner.as_str(),
                found.ended_at_ms,
                found.seed
            ),
            (7, "Ann", 1_000, log.seed),
            "{name}"
        );
        assert_eq!(
            (found.config, found.actions),
            (log.config, log.actions),
            "{name}"
        );
        assert_eq!(
            writes.load(Ordering::SeqCst),
            if lazy { 1 } else { 3 },
            "{name}"
        );
        // Read again: written once.
        assert!(store.match_by_id("u1").ok().flatten().is_some(), "{name}");
        assert_eq!(
            writes.load(Ordering::SeqCst),
            if lazy { 1 } else { 3 },
            "{name}"
        );
        // A log that could not be written: the match is not served, the win still counts.
        assert_eq!(store.match_by_id("u3").ok(), Some(None), "{name}");
        assert_eq!(store.wins_of("Cy").ok(), Some(1), "{name}");
        let listed: Vec<String> = store
            .recent_matches(None, 10)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(listed, vec!["u2", "u1"], "{name}");
        assert_eq!(
            writes.load(Ordering::SeqCst),
            3,
            "{name}: each log written once"
        );
    }
}

#[test]
fn a_log_whose_result_fails_is_not_stored_either() {
    for backend in backends("logatomic") {
        let mut store = backend.open();
        if !backend.fail_on("Boom") {
            continue;
        }
        let batch = [
            with_log("dice", "m1", "Ann", 1_000),
            with_log("dice", "m2", "Boom", 1),
        ];
        assert!(store.record(&batch).is_err(), "{}", backend.name());
        assert_eq!(
            store.match_by_id("m1").ok(),
            Some(None),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn a_reader_sees_every_commit_that_returned() {
    for backend in backends("reader") {
        let mut store = backend.open();
        let mut reader = store.reader().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reader.wins_of("Ann").ok(), Some(0), "{}", backend.name());
        assert!(store.record(&[with_log("guess", "k", "Ann", 5)]).is_ok());
        assert_eq!(reader.wins_of("ann").ok(), Some(1), "{}", backend.name());
        let board = reader.leaderboard(Some("guess"), 10, 10, 100);
        assert_eq!(
            board.map(|b| b.all_time.len()).ok(),
            Some(1),
            "{}",
            backend.name()
        );
        assert!(
            matches!(reader.match_by_id("k"), Ok(Some(_))),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn a_schema_newer_than_this_build_is_refused() {
    for backend in backends("toonew") {
        match &backend {
            Backend::Memory(_) => continue,
            Backend::Sqlite(dir) => {
                drop(backend.open());
                let conn = rusqlite::Connection::open(Backend::sqlite_path(dir))
                    .unwrap_or_else(|e| panic!("{e}"));
                conn.pragma_update(None, "user_version", 99)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            Backend::Postgres(pg) => {
                drop(backend.open());
                pg.execute("INSERT INTO referee_schema (version) VALUES (99)")
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let err = match &backend {
            Backend::Sqlite(dir) => SqliteStore::open(Backend::sqlite_path(dir), 2).err(),
            Backend::Postgres(pg) => pg.store().err(),
            Backend::Memory(_) => None,
        };
        assert!(
            matches!(err, Some(StoreError::TooNew { found: 99, .. })),
            "{}: {err:?}",
            backend.name()
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("newer"), "{text}");
    }
}
