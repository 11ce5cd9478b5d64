//! The schema, as numbered migrations. The file's `PRAGMA user_version` says which have run;
//! start-up applies the missing ones in order, each in its own transaction.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: runs of the server, the players who chose a name, and every won round.
    "CREATE TABLE runs (
         id INTEGER PRIMARY KEY,
         started_at INTEGER NOT NULL
     );
     CREATE TABLE players (
         key TEXT PRIMARY KEY,          -- the name in lower case (Unicode): one player per name
         name TEXT NOT NULL,            -- the name as first written
         first_win_at INTEGER NOT NULL
     );
     CREATE TABLE rounds (
         id INTEGER PRIMARY KEY,
         run INTEGER NOT NULL REFERENCES runs(id),
         room INTEGER NOT NULL,
         round INTEGER NOT NULL,
         winner TEXT NOT NULL,
         player TEXT REFERENCES players(key),   -- NULL when the winner had no name
         won_at INTEGER NOT NULL,
         guesses INTEGER NOT NULL,
         UNIQUE (run, room, round)
     );
     CREATE INDEX rounds_by_player ON rounds(player, won_at);
     CREATE INDEX rounds_by_time ON rounds(won_at);",
    // 2: running totals, kept by every commit in its own transaction, so that the
    // leaderboard is an index walk instead of a count over every round ever won. Backfilled
    // from the rounds already stored. An hour is `floor(won_at / 3600000)`.
    "ALTER TABLE players ADD COLUMN wins INTEGER NOT NULL DEFAULT 0;
     UPDATE players SET wins = (SELECT COUNT(*) FROM rounds WHERE rounds.player = players.key);
     CREATE INDEX players_by_wins ON players(wins DESC, name);
     CREATE TABLE player_hours (
         hour INTEGER NOT NULL,
         player TEXT NOT NULL REFERENCES players(key),
         wins INTEGER NOT NULL,
         PRIMARY KEY (hour, player)
     ) WITHOUT ROWID;
     INSERT INTO player_hours (hour, player, wins)
         SELECT (won_at - ((won_at % 3600000) + 3600000) % 3600000) / 3600000 AS hour,
                player, COUNT(*)
         FROM rounds WHERE player IS NOT NULL GROUP BY hour, player;",
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > LATEST {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            known: LATEST,
        });
    }
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}
