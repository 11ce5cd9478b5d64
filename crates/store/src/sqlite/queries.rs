//! The reads, shared by the writer's connection and the readers'. Both read the running
//! totals (migration 2), never count every round.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{GameWins, HOUR_MS, LeaderEntry, Leaderboard, MatchRecord, StoreError, hour_of};

/// All time: an index walk down `players_by_wins`. Recent: the hourly totals of the whole
/// hours inside the window, plus the rounds themselves for the hour the window starts in —
/// exact, and bounded by the window's activity, not by history.
pub(super) fn leaderboard(
    conn: &Connection,
    game: Option<&str>,
    limit: usize,
    now_ms: i64,
    recent_ms: i64,
) -> Result<Leaderboard, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(Leaderboard {
        all_time: match game {
            None => all_time(conn, limit)?,
            Some(game) => all_time_in(conn, game, limit)?,
        },
        recent: recent(conn, game, limit, now_ms.saturating_sub(recent_ms))?,
    })
}

fn all_time(conn: &Connection, limit: i64) -> Result<Vec<LeaderEntry>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT name, wins FROM players WHERE wins > 0
         ORDER BY wins DESC, name LIMIT ?1",
    )?;
    let rows = query.query_map([limit], entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One game's: an index walk down `player_games_by_wins`.
fn all_time_in(conn: &Connection, game: &str, limit: i64) -> Result<Vec<LeaderEntry>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT players.name, player_games.wins FROM player_games
         JOIN players ON players.key = player_games.player
         WHERE player_games.game = ?1 AND player_games.wins > 0
         ORDER BY player_games.wins DESC, players.name LIMIT ?2",
    )?;
    let rows = query.query_map(params![game, limit], entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn recent(
    conn: &Connection,
    game: Option<&str>,
    limit: i64,
    since: i64,
) -> Result<Vec<LeaderEntry>, StoreError> {
    let first_hour = hour_of(since);
    let next_hour_at = first_hour.saturating_add(1).saturating_mul(HOUR_MS);
    let mut query = conn.prepare_cached(
        "SELECT players.name, SUM(counted.wins) AS total
         FROM (
             SELECT player, wins FROM player_hours
             WHERE hour > ?1 AND (?5 IS NULL OR game = ?5)
             UNION ALL
             SELECT player, 1 FROM rounds
             WHERE won_at >= ?2 AND won_at < ?3 AND player IS NOT NULL
               AND (?5 IS NULL OR game = ?5)
         ) AS counted
         JOIN players ON players.key = counted.player
         GROUP BY counted.player ORDER BY total DESC, players.name LIMIT ?4",
    )?;
    let rows = query.query_map(params![first_hour, since, next_hour_at, limit, game], entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<LeaderEntry> {
    Ok(LeaderEntry {
        name: row.get(0)?,
        wins: row.get::<_, i64>(1)?.unsigned_abs(),
    })
}

/// A point lookup of the running total.
pub(super) fn wins_of(conn: &Connection, name: &str) -> Result<u64, StoreError> {
    let wins: Option<i64> = conn
        .query_row(
            "SELECT wins FROM players WHERE key = ?1",
            [super::player_key(name)],
            |row| row.get(0),
        )
        .optional()?;
    Ok(wins.unwrap_or(0).unsigned_abs())
}

/// The player's per-game totals.
pub(super) fn games_of(conn: &Connection, name: &str) -> Result<Vec<GameWins>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT game, wins FROM player_games WHERE player = ?1 AND wins > 0 ORDER BY game",
    )?;
    let rows = query.query_map([super::player_key(name)], |row| {
        Ok(GameWins {
            game: row.get(0)?,
            wins: row.get::<_, i64>(1)?.unsigned_abs(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const MATCH_COLUMNS: &str = "id, game, room, config, seed, actions, winner, ended_at";

fn match_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<MatchRecord> {
    Ok(MatchRecord {
        id: row.get(0)?,
        game: row.get(1)?,
        room: row.get::<_, i64>(2)?.unsigned_abs(),
        config: row.get(3)?,
        seed: u64::from_ne_bytes(row.get::<_, i64>(4)?.to_ne_bytes()),
        actions: row.get(5)?,
        winner: row.get(6)?,
        ended_at_ms: row.get(7)?,
    })
}

/// A match by its result's key.
pub(super) fn match_by_id(conn: &Connection, id: &str) -> Result<Option<MatchRecord>, StoreError> {
    let sql = format!("SELECT {MATCH_COLUMNS} FROM matches WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], match_record)
        .optional()?)
}

/// The latest matches, newest first.
pub(super) fn recent_matches(
    conn: &Connection,
    game: Option<&str>,
    limit: usize,
) -> Result<Vec<MatchRecord>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {MATCH_COLUMNS} FROM matches WHERE (?1 IS NULL OR game = ?1)
         ORDER BY ended_at DESC, id DESC LIMIT ?2"
    );
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map(params![game, limit], match_record)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
