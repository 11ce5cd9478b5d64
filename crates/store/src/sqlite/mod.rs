//! [`SqliteStore`]: the embedded default, one file.
//!
//! Durability settings: write-ahead log, `synchronous = FULL` (every commit is synced to
//! disk, so a result survives even a power cut, not only a killed process). The log is
//! copied back into the file off the committing thread (`checkpoint.rs`).
//!
//! One writer: an advisory lock on `<file>.lock`, held for the life of the store, makes a
//! second server pointed at the same file fail at start-up instead of interleaving with the
//! first. Any number of readers ([`SqliteReader`], read-only connections on the same file):
//! in write-ahead-log mode they read while the writer commits, neither waiting for the other.
//!
//! Before each commit the store checks that the file at its path is still the one it opened
//! (and its `-wal` and `-shm` files too): a database deleted or replaced under a running
//! server makes every commit fail with [`StoreError::Gone`] instead of "succeeding" into a
//! file nobody will ever open again.

mod checkpoint;
mod files;
mod migrations;
mod queries;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use crate::{
    GameWins, Leaderboard, MatchRecord, RoundResult, Store, StoreError, StoreReader, hour_of,
};

use checkpoint::Checkpointer;
use files::{Files, Lock};

/// The writer's page cache, in KiB (SQLite takes a negative `cache_size` as KiB): grown as
/// needed up to this.
const CACHE_KIB: i64 = -32_768;

/// How long start-up waits for a lock held by someone else before calling it locked.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// Round results in a SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// This run of the server: room numbers restart at 1 on every start, so a round is
    /// identified by (run, room, round).
    run: i64,
    /// The files as opened, checked before each commit.
    files: Files,
    /// Copies the log back into the file, off this thread (`checkpoint.rs`).
    checkpointer: Option<Checkpointer>,
    /// Keeps other servers off the file; released on drop.
    _lock: Lock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("run", &self.run)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, checks it, applies the schema migrations
    /// and starts a new run. `now_ms` is the start time recorded for the run.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`], [`StoreError::Locked`], [`StoreError::ReadOnly`],
    /// [`StoreError::Open`] or [`StoreError::TooNew`]: each names the file and what to do.
    pub fn open(path: impl AsRef<Path>, now_ms: i64) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let lock = Lock::take(&path, BUSY_TIMEOUT)?;
        let classify = |err| classify(err, &path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(classify)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;
        configure(&conn).map_err(classify)?;
        check_integrity(&conn, &path)?;
        migrations::migrate(&mut conn, &path).map_err(|err| reclassify(err, &path))?;
        let run = conn
            .query_row(
                "INSERT INTO runs (started_at) VALUES (?1) RETURNING id",
                [now_ms],
                |row| row.get(0),
            )
            .map_err(classify)?;
        let files = Files::note(&path)?;
        let checkpointer = Checkpointer::start(&path);
        if checkpointer.is_some() {
            conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
                .map_err(classify)?;
        }
        Ok(SqliteStore {
            conn,
            path,
            run,
            files,
            checkpointer,
            _lock: lock,
        })
    }

    /// This run's number.
    pub fn run(&self) -> i64 {
        self.run
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One transaction: each result not stored yet (by key) with its totals and its log.
    /// Foreign keys are checked at commit, so that a round may go in before its player.
    fn insert(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.pragma_update(None, "defer_foreign_keys", "ON")?;
        for result in rounds {
            insert_one(&tx, self.run, result)?;
        }
        tx.commit()?;
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.committed();
        }
        Ok(())
    }
}

/// Stores one result unless its key is stored already.
fn insert_one(
    tx: &rusqlite::Transaction<'_>,
    run: i64,
    result: &RoundResult,
) -> Result<(), StoreError> {
    let key = result.named.then(|| player_key(&result.winner));
    let inserted = tx
        .prepare_cached(
            "INSERT INTO rounds (run, room, round, winner, player, won_at, guesses, game, key,
                                 credit_player, credit_points)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            run,
            to_i64(result.room),
            to_i64(result.round),
            result.winner,
            key,
            result.won_at_ms,
            to_i64(result.guesses),
            result.game,
            result.key,
            result
                .credit
                .map(|credit| i64::from_ne_bytes(credit.player.to_ne_bytes())),
            result.credit.map(|credit| i64::from(credit.points)),
        ])?;
    if inserted == 0 {
        return Ok(());
    }
    if let Some(key) = &key {
        tx.prepare_cached(
            "INSERT INTO players (key, name, first_win_at, wins) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (key) DO UPDATE SET wins = wins + 1",
        )?
        .execute(params![key, result.winner, result.won_at_ms])?;
        tx.prepare_cached(
            "INSERT INTO player_games (player, game, wins) VALUES (?1, ?2, 1)
             ON CONFLICT (player, game) DO UPDATE SET wins = wins + 1",
        )?
        .execute(params![key, result.game])?;
        tx.prepare_cached(
            "INSERT INTO player_hours (hour, player, game, wins) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (hour, player, game) DO UPDATE SET wins = wins + 1",
        )?
        .execute(params![hour_of(result.won_at_ms), key, result.game])?;
    }
    if let Some(log) = &result.log {
        tx.prepare_cached(
            "INSERT INTO matches (id, game, room, config, seed, actions, winner, ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            result.key,
            result.game,
            to_i64(result.room),
            log.config,
            // Stored as the same 64 bits, read back with the reverse cast.
            i64::from_ne_bytes(log.seed.to_ne_bytes()),
            log.actions,
            result.winner,
            result.won_at_ms,
        ])?;
    }
    Ok(())
}

/// The reads, the same on the writer's connection and on a reader's: both hold `conn`.
macro_rules! reads {
    ($ty:ty) => {
        impl StoreReader for $ty {
            fn leaderboard(
                &mut self,
                game: Option<&str>,
                limit: usize,
                now_ms: i64,
                recent_ms: i64,
            ) -> Result<Leaderboard, StoreError> {
                queries::leaderboard(&self.conn, game, limit, now_ms, recent_ms)
            }

            fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
                queries::wins_of(&self.conn, name)
            }

            fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError> {
                queries::games_of(&self.conn, name)
            }

            fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError> {
                queries::match_by_id(&self.conn, id)
            }

            fn recent_matches(
                &mut self,
                game: Option<&str>,
                limit: usize,
            ) -> Result<Vec<MatchRecord>, StoreError> {
                queries::recent_matches(&self.conn, game, limit)
            }
        }
    };
}

reads!(SqliteStore);

impl Store for SqliteStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        self.files.check()?;
        self.insert(rounds)
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        Ok(Box::new(SqliteReader::open(&self.path)?))
    }
}

/// A read-only connection on a store's file: the leaderboard and tallies, read while the
/// writer commits.
pub struct SqliteReader {
    conn: Connection,
}

impl std::fmt::Debug for SqliteReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReader").finish_non_exhaustive()
    }
}

impl SqliteReader {
    /// Opens the database at `path` for reading. Open the [`SqliteStore`] first: it creates
    /// and migrates the file.
    ///
    /// # Errors
    /// [`StoreError::Open`], [`StoreError::Corrupt`] ... as for [`SqliteStore::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|err| classify(err, path))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| classify(err, path))?;
        Ok(SqliteReader { conn })
    }
}

reads!(SqliteReader);

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Reading the schema first makes a file that is not a database fail here, clearly.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the database is not in write-ahead-log mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The result keys' indexes take inserts all over (keys start with the run, then room
    // and round): a page cache of 2 MB, SQLite's default, reads pages back for every batch.
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    // Find out now, not at the first win, whether the file can be written.
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
}

fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|err| classify(err, path))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: verdict,
        })
    }
}

/// Turns a SQLite error at start-up into the operator-facing error it means.
fn classify(err: rusqlite::Error, path: &Path) -> StoreError {
    let path = path.to_owned();
    let detail = err.to_string();
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path, detail }
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path, detail },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::Open { path, detail }
        }
        _ => StoreError::Sqlite(err),
    }
}

fn reclassify(err: StoreError, path: &Path) -> StoreError {
    match err {
        StoreError::Sqlite(err) => classify(err, path),
        other => other,
    }
}

/// One player per name as players see it: see [`crate::player_key`].
fn player_key(name: &str) -> String {
    crate::player_key(name)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
