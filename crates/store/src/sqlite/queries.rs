//! The reads, shared by the writer's connection and the readers'. Both read the running
//! totals (migration 2), never count every round.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{HOUR_MS, LeaderEntry, Leaderboard, StoreError, hour_of};

/// All time: an index walk down `players_by_wins`. Recent: the hourly totals of the whole
/// hours inside the window, plus the rounds themselves for the hour the window starts in —
/// exact, and bounded by the window's activity, not by history.
pub(super) fn leaderboard(
    conn: &Connection,
    limit: usize,
    now_ms: i64,
    recent_ms: i64,
) -> Result<Leaderboard, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(Leaderboard {
        all_time: all_time(conn, limit)?,
        recent: recent(conn, limit, now_ms.saturating_sub(recent_ms))?,
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

fn recent(conn: &Connection, limit: i64, since: i64) -> Result<Vec<LeaderEntry>, StoreError> {
    let first_hour = hour_of(since);
    let next_hour_at = first_hour.saturating_add(1).saturating_mul(HOUR_MS);
    let mut query = conn.prepare_cached(
        "SELECT players.name, SUM(counted.wins) AS total
         FROM (
             SELECT player, wins FROM player_hours WHERE hour > ?1
             UNION ALL
             SELECT player, 1 FROM rounds
             WHERE won_at >= ?2 AND won_at < ?3 AND player IS NOT NULL
         ) AS counted
         JOIN players ON players.key = counted.player
         GROUP BY counted.player ORDER BY total DESC, players.name LIMIT ?4",
    )?;
    let rows = query.query_map(params![first_hour, since, next_hour_at, limit], entry)?;
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
