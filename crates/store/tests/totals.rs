//! The running totals (schema version 2) against what the leaderboard used to count from
//! every round: the same answers, on a fresh file, on a version-1 file migrated with rounds
//! already in it, through the writer and through a separate reader; and the memory store
//! agrees. Then: a database file deleted or replaced under a store is refused, not written.

use std::fs;
use std::path::Path;

use referee_store::{
    LeaderEntry, Leaderboard, MemoryStore, RoundResult, SqliteReader, SqliteStore, Store,
    StoreError, StoreReader,
};
use rusqlite::{Connection, params};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const NAMES: &[&str] = &[
    "Ann", "ann", "Bo", "Cy", "Zoë", "ZOË", "dee", "Eve", "fay", "Gus",
];

/// A deterministic spread of wins over about ten days, named and not, some sharing a time.
fn rounds(seed: u64, count: u64, first_round: u64) -> Vec<RoundResult> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    (0..count)
        .map(|i| {
            let pick = next() as usize % (NAMES.len() + 2);
            let (winner, named) = match NAMES.get(pick) {
                Some(name) => ((*name).to_owned(), true),
                None => (format!("Player {pick}"), false),
            };
            RoundResult {
                game: "guess".into(),
                key: format!("{}/{}", 1 + i % 7, first_round + i),
                room: 1 + i % 7,
                round: first_round + i,
                winner,
                named,
                guesses: 1 + next() % 9,
                won_at_ms: DAY + (next() % (10 * DAY as u64)) as i64,
                log: None,
                credit: None,
            }
        })
        .collect()
}

/// What `SqliteStore::leaderboard` computed before the totals: a count over every round.
fn counted(path: &Path, limit: usize, now: i64, recent: i64) -> Leaderboard {
    let conn = Connection::open(path).unwrap_or_else(|err| panic!("{err}"));
    let rank = |since: i64| -> Vec<LeaderEntry> {
        let mut query = conn
            .prepare(
                "SELECT players.name, COUNT(*) AS wins
                 FROM rounds JOIN players ON players.key = rounds.player
                 WHERE rounds.won_at >= ?1
                 GROUP BY rounds.player ORDER BY wins DESC, players.name LIMIT ?2",
            )
            .unwrap_or_else(|err| panic!("{err}"));
        let rows = query
            .query_map(params![since, limit as i64], |row| {
                Ok(LeaderEntry {
                    name: row.get(0)?,
                    wins: row.get::<_, i64>(1)?.unsigned_abs(),
                })
            })
            .unwrap_or_else(|err| panic!("{err}"));
        rows.map(|row| row.unwrap_or_else(|err| panic!("{err}")))
            .collect()
    };
    Leaderboard {
        all_time: rank(i64::MIN),
        recent: rank(now.saturating_sub(recent)),
    }
}

fn counted_wins(path: &Path, name: &str) -> u64 {
    let conn = Connection::open(path).unwrap_or_else(|err| panic!("{err}"));
    conn.query_row(
        "SELECT COUNT(*) FROM rounds WHERE player = ?1",
        [referee_store::player_key(name)],
        |row| row.get::<_, i64>(0),
    )
    .map(i64::unsigned_abs)
    .unwrap_or_else(|err| panic!("{err}"))
}

/// Windows that start on an hour, inside one, before everything and after everything.
fn windows() -> Vec<(i64, i64)> {
    let now = 11 * DAY + 1_234_567;
    vec![
        (now, 7 * DAY),
        (now, 7 * DAY + 1),
        (now, 3 * DAY + 17 * HOUR + 59_999),
        (12 * DAY, 2 * DAY),
        (now, 1),
        (now, 0),
        (now, 100 * DAY),
        (5 * DAY + 30 * 60_000, 12 * HOUR),
    ]
}

/// The store, a separate reader and the old count all agree, for every window and limit.
fn assert_agrees(store: &mut SqliteStore, path: &Path) {
    let mut reader = SqliteReader::open(path).unwrap_or_else(|err| panic!("{err}"));
    for (now, recent) in windows() {
        for limit in [1, 3, 100] {
            let expected = counted(path, limit, now, recent);
            let written = store.leaderboard(None, limit, now, recent).ok();
            let read = reader.leaderboard(None, limit, now, recent).ok();
            assert_eq!(written.as_ref(), Some(&expected), "{now} {recent} {limit}");
            assert_eq!(
                read.as_ref(),
                Some(&expected),
                "reader: {now} {recent} {limit}"
            );
        }
    }
    for name in NAMES.iter().copied().chain(["nobody", "Player 3"]) {
        let expected = counted_wins(path, name);
        assert_eq!(store.wins_of(name).ok(), Some(expected), "{name}");
        assert_eq!(reader.wins_of(name).ok(), Some(expected), "reader: {name}");
    }
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn totals_answer_what_counting_every_round_answered() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    for (batch, seed) in (0..4).zip([7, 11, 13, 17]) {
        let rounds = rounds(seed, 300, batch * 1_000);
        assert!(store.record(&rounds).is_ok());
    }
    let board = store
        .leaderboard(None, 100, 11 * DAY, 7 * DAY)
        .unwrap_or_default();
    assert!(board.all_time.len() >= 6, "several players: {board:?}");
    assert!(board.recent.len() < board.all_time.len() || board.recent != board.all_time);
    assert_agrees(&mut store, &path);
    drop(store);
    let mut again = SqliteStore::open(&path, 2).unwrap_or_else(|err| panic!("{err}"));
    assert!(again.record(&rounds(23, 200, 0)).is_ok(), "a new run");
    assert_agrees(&mut again, &path);
}

#[test]
fn a_failed_batch_leaves_the_totals_as_they_were() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    assert!(store.record(&rounds(3, 50, 0)).is_ok());
    let mut twice = rounds(5, 20, 100);
    let mut boom = rounds(3, 1, 0).remove(0);
    boom.key = "boom".into();
    boom.winner = "Boom".into();
    twice.push(boom); // the database refuses this one: the whole batch fails
    let conn = Connection::open(&path).unwrap_or_else(|err| panic!("{err}"));
    conn.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON rounds WHEN NEW.winner = 'Boom'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert!(store.record(&twice).is_err());
    assert_agrees(&mut store, &path);
}

/// The schema of version 1, as the previous release created it.
const VERSION_1: &str = "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL);
     CREATE TABLE players (key TEXT PRIMARY KEY, name TEXT NOT NULL, first_win_at INTEGER NOT NULL);
     CREATE TABLE rounds (
         id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id),
         room INTEGER NOT NULL, round INTEGER NOT NULL, winner TEXT NOT NULL,
         player TEXT REFERENCES players(key), won_at INTEGER NOT NULL,
         guesses INTEGER NOT NULL, UNIQUE (run, room, round));
     CREATE INDEX rounds_by_player ON rounds(player, won_at);
     CREATE INDEX rounds_by_time ON rounds(won_at);
     PRAGMA user_version = 1;";

/// Writes rounds as the version-1 store did (no totals).
fn write_version_1(path: &Path, rounds: &[RoundResult]) {
    let mut conn = Connection::open(path).unwrap_or_else(|err| panic!("{err}"));
    conn.execute_batch(VERSION_1)
        .unwrap_or_else(|err| panic!("{err}"));
    let tx = conn.transaction().unwrap_or_else(|err| panic!("{err}"));
    tx.execute("INSERT INTO runs (id, started_at) VALUES (1, 0)", [])
        .unwrap_or_else(|err| panic!("{err}"));
    for r in rounds {
        let key = r.named.then(|| r.winner.to_lowercase());
        if let Some(key) = &key {
            tx.execute(
                "INSERT INTO players (key, name, first_win_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO NOTHING",
                params![key, r.winner, r.won_at_ms],
            )
            .unwrap_or_else(|err| panic!("{err}"));
        }
        tx.execute(
            "INSERT INTO rounds (run, room, round, winner, player, won_at, guesses)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                r.room as i64,
                r.round as i64,
                r.winner,
                key,
                r.won_at_ms,
                r.guesses as i64
            ],
        )
        .unwrap_or_else(|err| panic!("{err}"));
    }
    tx.commit().unwrap_or_else(|err| panic!("{err}"));
}

#[test]
fn a_version_1_file_is_migrated_with_its_totals_backfilled() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    write_version_1(&path, &rounds(29, 1_000, 0));
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let conn = Connection::open(&path).unwrap_or_else(|err| panic!("{err}"));
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap_or(0);
    assert_eq!(version, 5);
    assert_agrees(&mut store, &path);
    // Everything stored before was guess-the-number: its board is the all-games board.
    for (now, recent) in windows() {
        let all = store.leaderboard(None, 100, now, recent).ok();
        assert!(all.is_some());
        assert_eq!(store.leaderboard(Some("guess"), 100, now, recent).ok(), all);
    }
    let keys: i64 = conn
        .query_row("SELECT COUNT(DISTINCT key) FROM rounds", [], |row| {
            row.get(0)
        })
        .unwrap_or(0);
    assert_eq!(keys, 1_000, "every old round has a key of its own");
    let credited: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM rounds WHERE credit_player IS NOT NULL OR credit_points IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap_or(-1);
    assert_eq!(credited, 0, "an old round says nothing of its credit");
    assert!(store.record(&rounds(31, 300, 5_000)).is_ok());
    assert_agrees(&mut store, &path);
}

#[test]
fn look_alike_names_of_an_old_file_are_merged_into_one_entry() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    // Version 1 kept these apart (lower case only): full-width Latin, whole-script Cyrillic.
    let spellings = [
        "Alice",
        "\u{ff21}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}",
        "\u{410}\u{4cf}\u{456}\u{441}\u{435}",
        "Bob",
    ];
    let old: Vec<RoundResult> = (0..8u64)
        .map(|i| RoundResult {
            game: "guess".into(),
            key: format!("{}/{}", 1, i + 1),
            room: 1,
            round: i + 1,
            winner: spellings[i as usize % spellings.len()].to_owned(),
            named: true,
            guesses: 3,
            won_at_ms: DAY + i as i64 * HOUR,
            log: None,
            credit: None,
        })
        .collect();
    write_version_1(&path, &old);
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let board = store
        .leaderboard(None, 10, 2 * DAY, 7 * DAY)
        .unwrap_or_else(|err| panic!("{err}"));
    let alice = LeaderEntry {
        name: "Alice".into(),
        wins: 6,
    };
    let bob = LeaderEntry {
        name: "Bob".into(),
        wins: 2,
    };
    assert_eq!(board.all_time, vec![alice.clone(), bob.clone()]);
    assert_eq!(board.recent, vec![alice, bob]);
    assert_eq!(store.wins_of("ALICE").ok(), Some(6));
    // New wins under any spelling join the same entry; the old count agrees with the totals.
    let more = RoundResult {
        game: "guess".into(),
        key: format!("{}/{}", 2, 1),
        room: 2,
        round: 1,
        winner: spellings[2].to_owned(),
        named: true,
        guesses: 1,
        won_at_ms: DAY + 20 * HOUR,
        log: None,
        credit: None,
    };
    assert!(store.record(&[more]).is_ok());
    assert_eq!(store.wins_of("alice").ok(), Some(7));
    assert_agrees(&mut store, &path);
}

#[test]
fn the_memory_store_ranks_as_the_sqlite_store_does() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut sqlite = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let mut memory = MemoryStore::default();
    let mut memory_reader = memory.reader().unwrap_or_else(|err| panic!("{err}"));
    for seed in [41, 43] {
        let batch = rounds(seed, 400, seed * 1_000);
        assert!(sqlite.record(&batch).is_ok());
        assert!(memory.record(&batch).is_ok());
    }
    for (now, recent) in windows() {
        for limit in [1, 4, 100] {
            let expected = sqlite.leaderboard(None, limit, now, recent).ok();
            assert!(expected.is_some());
            assert_eq!(memory.leaderboard(None, limit, now, recent).ok(), expected);
            assert_eq!(
                memory_reader.leaderboard(None, limit, now, recent).ok(),
                expected
            );
        }
    }
    for name in NAMES {
        assert_eq!(
            memory.wins_of(name).ok(),
            sqlite.wins_of(name).ok(),
            "{name}"
        );
    }
}

#[test]
fn a_reader_reads_while_the_writer_holds_the_file() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let mut reader = store.reader().unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(reader.wins_of("Ann").ok(), Some(0));
    let win = RoundResult {
        game: "guess".into(),
        key: format!("{}/{}", 1, 1),
        room: 1,
        round: 1,
        winner: "Ann".into(),
        named: true,
        guesses: 2,
        won_at_ms: DAY,
        log: None,
        credit: None,
    };
    assert!(store.record(&[win]).is_ok());
    assert_eq!(
        reader.wins_of("ann").ok(),
        Some(1),
        "the commit is visible at once"
    );
    let again = SqliteStore::open(&path, 2).err();
    assert!(
        matches!(again, Some(StoreError::Locked { .. })),
        "{again:?}"
    );
}

fn one_win(round: u64) -> [RoundResult; 1] {
    [RoundResult {
        game: "guess".into(),
        key: format!("1/{round}"),
        room: 1,
        round,
        winner: "Ann".into(),
        named: true,
        guesses: 2,
        won_at_ms: DAY,
        log: None,
        credit: None,
    }]
}

#[test]
fn a_deleted_database_is_refused_not_written() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    assert!(store.record(&one_win(1)).is_ok());
    assert!(fs::remove_file(&path).is_ok());
    let err = store.record(&one_win(2)).err();
    assert!(matches!(err, Some(StoreError::Gone { .. })), "{err:?}");
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("deleted"), "{message}");
}

#[test]
fn a_replaced_database_is_refused_not_written() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let other = dir.path().join("other.db");
    drop(SqliteStore::open(&other, 1).unwrap_or_else(|err| panic!("{err}")));
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    assert!(fs::remove_file(&path).is_ok());
    assert!(fs::copy(&other, &path).is_ok(), "another file in its place");
    let err = store.record(&one_win(1)).err();
    assert!(matches!(err, Some(StoreError::Gone { .. })), "{err:?}");
    assert_eq!(
        counted_wins(&path, "Ann"),
        0,
        "nothing written to the newcomer"
    );
}

#[test]
fn a_deleted_write_ahead_log_is_refused_too() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    assert!(store.record(&one_win(1)).is_ok());
    assert!(fs::remove_file(dir.path().join("referee.db-wal")).is_ok());
    let err = store.record(&one_win(2)).err();
    assert!(matches!(err, Some(StoreError::Gone { .. })), "{err:?}");
}
