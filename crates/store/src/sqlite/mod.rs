//! [`SqliteStore`]: the embedded default, one file.
//!
//! Durability settings: write-ahead log, `synchronous = FULL` (every commit is synced to
//! disk, so a result survives even a power cut, not only a killed process), and an exclusive
//! lock held for the life of the store, so that a second server pointed at the same file
//! fails at start-up instead of interleaving with the first.

mod migrations;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use crate::{LeaderEntry, Leaderboard, RoundResult, Store, StoreError};

/// How long start-up waits for a lock held by someone else before calling it locked.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// Round results in a SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// This run of the server: room numbers restart at 1 on every start, so a round is
    /// identified by (run, room, round).
    run: i64,
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
        Ok(SqliteStore { conn, path, run })
    }

    /// This run's number.
    pub fn run(&self) -> i64 {
        self.run
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rank(&self, since: Option<i64>, limit: usize) -> Result<Vec<LeaderEntry>, StoreError> {
        let mut query = self.conn.prepare_cached(
            "SELECT players.name, COUNT(*) AS wins
             FROM rounds JOIN players ON players.key = rounds.player
             WHERE rounds.won_at >= ?1
             GROUP BY rounds.player ORDER BY wins DESC, players.name LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = query.query_map(params![since.unwrap_or(i64::MIN), limit], |row| {
            Ok(LeaderEntry {
                name: row.get(0)?,
                wins: row.get::<_, i64>(1)?.unsigned_abs(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Store for SqliteStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut player = tx.prepare_cached(
                "INSERT INTO players (key, name, first_win_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO NOTHING",
            )?;
            let mut round = tx.prepare_cached(
                "INSERT INTO rounds (run, room, round, winner, player, won_at, guesses)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for result in rounds {
                let key = result.named.then(|| player_key(&result.winner));
                if let Some(key) = &key {
                    player.execute(params![key, result.winner, result.won_at_ms])?;
                }
                round.execute(params![
                    self.run,
                    to_i64(result.room),
                    to_i64(result.round),
                    result.winner,
                    key,
                    result.won_at_ms,
                    to_i64(result.guesses),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn leaderboard(
        &mut self,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        Ok(Leaderboard {
            all_time: self.rank(None, limit)?,
            recent: self.rank(Some(now_ms.saturating_sub(recent_ms)), limit)?,
        })
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        let wins: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM rounds WHERE player = ?1",
            [player_key(name)],
            |row| row.get(0),
        )?;
        Ok(wins.unsigned_abs())
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Reading the schema first makes a file that is not a database fail here, clearly.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the database is not in write-ahead-log mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Take the exclusive lock now, not at the first write.
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
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

/// One player per name, whatever its case (Unicode lower case, not only ASCII).
fn player_key(name: &str) -> String {
    name.to_lowercase()
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
