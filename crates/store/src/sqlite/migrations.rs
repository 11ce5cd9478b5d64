//! The schema, as numbered migrations. The file's `PRAGMA user_version` says which have run;
//! start-up applies the missing ones in order, each in its own transaction.

use std::path::Path;

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};

use crate::StoreError;

/// One step of the schema: SQL, or Rust where SQL cannot say it (a key computed by a Rust
/// function).
enum Migration {
    Sql(&'static str),
    Code(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`. Append only.
const MIGRATIONS: &[Migration] = &[
    // 1: runs of the server, the players who chose a name, and every won round.
    Migration::Sql(
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
    ),
    // 2: running totals, kept by every commit in its own transaction, so that the
    // leaderboard is an index walk instead of a count over every round ever won. Backfilled
    // from the rounds already stored. An hour is `floor(won_at / 3600000)`.
    Migration::Sql(
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
    ),
    // 3: players keyed by what they look like, not by their lower case alone: `Ａｌｉｃｅ`
    // and the Cyrillic `Аӏісе` are `Alice` (`crate::player_key`). Entries whose names now
    // share a key are merged: wins added up, the earliest first win and its spelling kept.
    Migration::Code(rekey_players),
    // 4: more than one game, and results keyed so that a retried commit never counts twice.
    // Rounds carry their game and a key unique across servers and runs (older rounds get
    // one made of their run, room and round), which replaces `UNIQUE (run, room, round)`
    // (the table is rebuilt: SQLite cannot drop a constraint); totals are kept per game too (`player_games`,
    // and the hourly ones rebuilt with a game column); matches keep their log, under their
    // result's key. Everything stored so far was guess-the-number.
    Migration::Sql(
        "CREATE TABLE keyed_rounds (
         id INTEGER PRIMARY KEY,
         run INTEGER NOT NULL REFERENCES runs(id),
         room INTEGER NOT NULL,
         round INTEGER NOT NULL,
         winner TEXT NOT NULL,
         player TEXT REFERENCES players(key),
         won_at INTEGER NOT NULL,
         guesses INTEGER NOT NULL,
         game TEXT NOT NULL DEFAULT 'guess',
         key TEXT UNIQUE                -- NULL only for rows written by hand
     );
     INSERT INTO keyed_rounds (id, run, room, round, winner, player, won_at, guesses, key)
         SELECT id, run, room, round, winner, player, won_at, guesses,
                'sqlite-run-' || run || '/' || room || '/' || round
         FROM rounds;
     DROP TABLE rounds;
     ALTER TABLE keyed_rounds RENAME TO rounds;
     CREATE INDEX rounds_by_player ON rounds(player, won_at);
     CREATE INDEX rounds_by_time ON rounds(won_at);
     CREATE INDEX rounds_by_game_time ON rounds(game, won_at);
     CREATE TABLE player_games (
         player TEXT NOT NULL REFERENCES players(key),
         game TEXT NOT NULL,
         wins INTEGER NOT NULL,
         PRIMARY KEY (player, game)
     ) WITHOUT ROWID;
     CREATE INDEX player_games_by_wins ON player_games(game, wins DESC);
     INSERT INTO player_games (player, game, wins)
         SELECT key, 'guess', wins FROM players WHERE wins > 0;
     CREATE TABLE player_game_hours (
         hour INTEGER NOT NULL,
         player TEXT NOT NULL REFERENCES players(key),
         game TEXT NOT NULL DEFAULT 'guess',
         wins INTEGER NOT NULL,
         PRIMARY KEY (hour, player, game)
     ) WITHOUT ROWID;
     INSERT INTO player_game_hours (hour, player, game, wins)
         SELECT hour, player, 'guess', wins FROM player_hours;
     DROP TABLE player_hours;
     ALTER TABLE player_game_hours RENAME TO player_hours;
     CREATE TABLE matches (
         id TEXT PRIMARY KEY,
         game TEXT NOT NULL,
         room INTEGER NOT NULL,
         config TEXT NOT NULL,
         seed INTEGER NOT NULL,
         actions TEXT NOT NULL,
         winner TEXT NOT NULL,
         ended_at INTEGER NOT NULL
     );
     CREATE INDEX matches_by_time ON matches(ended_at);",
    ),
    // 5: what each round gave whom on its room's scoreboard (`crate::Credit`): the winner's
    // player id in the room (its 64 bits as a signed integer) and the points. NULL for the
    // rounds stored before. Kept as PostgreSQL keeps them, where a failed-over room reads
    // them back; one schema of results for both.
    Migration::Sql(
        "ALTER TABLE rounds ADD COLUMN credit_player INTEGER;
     ALTER TABLE rounds ADD COLUMN credit_points INTEGER;",
    ),
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > LATEST {
        return Err(StoreError::TooNew {
            db: path.display().to_string(),
            found,
            known: LATEST,
        });
    }
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        let tx = conn.transaction()?;
        match sql {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Code(step) => step(&tx)?,
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

/// Migration 3: every player's key recomputed with [`crate::player_key`], entries that now
/// share a key merged. Foreign keys are checked at commit, once everything has moved.
fn rekey_players(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut players: Vec<(String, String, i64, i64)> = {
        let mut query = tx.prepare("SELECT key, name, first_win_at, wins FROM players")?;
        let rows = query.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    // The earliest first win gives the merged entry its spelling.
    players.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.1.cmp(&b.1)));
    let mut merged: HashMap<String, (String, i64, i64)> = HashMap::new();
    let mut moved: Vec<(String, String)> = Vec::new();
    for (old, name, first, wins) in players {
        let new = crate::player_key(&name);
        let entry = merged.entry(new.clone()).or_insert((name, first, 0));
        entry.2 += wins;
        if new != old {
            moved.push((old, new));
        }
    }
    if moved.is_empty() {
        return Ok(());
    }
    let hours: Vec<(i64, String, i64)> = {
        let mut query = tx.prepare("SELECT hour, player, wins FROM player_hours")?;
        let rows = query.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let renamed: HashMap<&str, &str> = moved
        .iter()
        .map(|(old, new)| (old.as_str(), new.as_str()))
        .collect();
    // Rounds move through a key no name can have (names hold no control characters), so
    // that a key that is both someone's old key and someone else's new one moves once.
    {
        let mut park = tx.prepare("UPDATE rounds SET player = char(1) || ?2 WHERE player = ?1")?;
        for (old, new) in &moved {
            park.execute(params![old, new])?;
        }
    }
    tx.execute(
        "UPDATE rounds SET player = substr(player, 2) WHERE player LIKE char(1) || '%'",
        [],
    )?;
    let mut hourly: HashMap<(i64, &str), i64> = HashMap::new();
    for (hour, player, wins) in &hours {
        let key = renamed.get(player.as_str()).copied().unwrap_or(player);
        *hourly.entry((*hour, key)).or_default() += wins;
    }
    tx.execute("DELETE FROM player_hours", [])?;
    tx.execute("DELETE FROM players", [])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO players (key, name, first_win_at, wins) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (key, (name, first, wins)) in &merged {
            insert.execute(params![key, name, first, wins])?;
        }
        let mut insert =
            tx.prepare("INSERT INTO player_hours (hour, player, wins) VALUES (?1, ?2, ?3)")?;
        for ((hour, player), wins) in &hourly {
            insert.execute(params![hour, player, wins])?;
        }
    }
    tracing::info!(merged = moved.len(), "player keys recomputed");
    Ok(())
}
