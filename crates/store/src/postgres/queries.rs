//! The statements: a batch committed in one transaction, and the reads, all over running
//! totals (as SQLite's, `crate::sqlite::queries`).

use postgres::{Client, Row, Transaction};

use crate::{
    Fence, GameWins, HOUR_MS, LeaderEntry, Leaderboard, MatchRecord, RoundResult, StoreError,
    hour_of,
};

type Result<T> = std::result::Result<T, postgres::Error>;

/// One transaction for the whole batch; `Ok` once `COMMIT` returned.
pub(super) fn record(client: &mut Client, rounds: &[RoundResult]) -> Result<()> {
    let mut tx = client.transaction()?;
    for result in rounds {
        insert_one(&mut tx, result, None)?;
    }
    tx.commit()
}

/// [`record`], if `fence` is still the room's live claim (checked under a share lock on the
/// claim, held to `COMMIT`: see `crate::claims`). The inner `Err`: fenced, nothing stored.
pub(super) fn record_fenced(
    client: &mut Client,
    fence: &Fence,
    rounds: &[RoundResult],
) -> Result<std::result::Result<(), StoreError>> {
    let mut tx = client.transaction()?;
    if !super::claims::holds(&mut tx, fence)? {
        return Ok(Err(super::claims::fenced(fence)));
    }
    for result in rounds {
        insert_one(&mut tx, result, Some(fence))?;
    }
    tx.commit()?;
    Ok(Ok(()))
}

/// [`record_fenced`] for several rooms in one transaction: each group is stored if its own
/// fence holds (every claim checked in one statement, each holding one share-locked to
/// `COMMIT`), and answered `Fenced` otherwise, storing nothing of it.
pub(super) fn record_fenced_groups(
    client: &mut Client,
    groups: &[(Fence, Vec<RoundResult>)],
) -> Result<Vec<std::result::Result<(), StoreError>>> {
    let mut tx = client.transaction()?;
    let fences: Vec<&Fence> = groups.iter().map(|(fence, _)| fence).collect();
    // One statement for every room's check: a round trip per room would cost the batch.
    let holding = super::claims::holding(&mut tx, &fences)?;
    let mut answers = Vec::with_capacity(groups.len());
    for (fence, rounds) in groups {
        if !holding.contains(&(fence.room.clone(), fence.epoch)) {
            answers.push(Err(super::claims::fenced(fence)));
            continue;
        }
        for result in rounds {
            insert_one(&mut tx, result, Some(fence))?;
        }
        answers.push(Ok(()));
    }
    tx.commit()?;
    Ok(answers)
}

/// Stores one result unless its key is stored already (by this batch, an earlier one, or
/// another node), then its totals and its log.
fn insert_one(tx: &mut Transaction<'_>, result: &RoundResult, fence: Option<&Fence>) -> Result<()> {
    let player = result.named.then(|| crate::player_key(&result.winner));
    let epoch = fence.map(|f| to_i64(f.epoch));
    let inserted = tx.execute(
        "INSERT INTO rounds (key, game, room, round, winner, player, won_at, guesses,
                             claim_room, claim_node, claim_epoch, committed_at,
                             credit_player, credit_points)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 CASE WHEN $11::BIGINT IS NULL THEN NULL ELSE clock_timestamp() END, $12, $13)
         ON CONFLICT (key) DO NOTHING",
        &[
            &result.key,
            &result.game,
            &to_i64(result.room),
            &to_i64(result.round),
            &result.winner,
            &player,
            &result.won_at_ms,
            &to_i64(result.guesses),
            &fence.map(|f| f.room.as_str()),
            &fence.map(|f| f.node.as_str()),
            &epoch,
            &result
                .credit
                .map(|credit| i64::from_ne_bytes(credit.player.to_ne_bytes())),
            &result.credit.map(|credit| i64::from(credit.points)),
        ],
    )?;
    if inserted == 0 {
        return Ok(());
    }
    if let Some(player) = &player {
        tx.execute(
            "INSERT INTO players (key, name, first_win_at, wins) VALUES ($1, $2, $3, 1)
             ON CONFLICT (key) DO UPDATE SET wins = players.wins + 1",
            &[player, &result.winner, &result.won_at_ms],
        )?;
        tx.execute(
            "INSERT INTO player_games (player, game, wins) VALUES ($1, $2, 1)
             ON CONFLICT (player, game) DO UPDATE SET wins = player_games.wins + 1",
            &[player, &result.game],
        )?;
        tx.execute(
            "INSERT INTO player_hours (hour, player, game, wins) VALUES ($1, $2, $3, 1)
             ON CONFLICT (hour, player, game) DO UPDATE SET wins = player_hours.wins + 1",
            &[&hour_of(result.won_at_ms), player, &result.game],
        )?;
    }
    if let Some(log) = &result.log {
        tx.execute(
            "INSERT INTO matches (id, game, room, config, seed, actions, winner, ended_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &result.key,
                &result.game,
                &to_i64(result.room),
                &log.config,
                &i64::from_ne_bytes(log.seed.to_ne_bytes()),
                &log.actions,
                &result.winner,
                &result.won_at_ms,
            ],
        )?;
    }
    Ok(())
}

/// All time from the totals (all games, or one game's); recent from the hourly totals of the
/// whole hours in the window plus the rounds of the hour it starts in — exact.
pub(super) fn leaderboard(
    client: &mut Client,
    game: Option<&str>,
    limit: usize,
    now_ms: i64,
    recent_ms: i64,
) -> Result<Leaderboard> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let all_time = match game {
        None => client.query(
            "SELECT name, wins FROM players WHERE wins > 0 ORDER BY wins DESC, name LIMIT $1",
            &[&limit],
        )?,
        Some(game) => client.query(
            "SELECT players.name, player_games.wins FROM player_games
             JOIN players ON players.key = player_games.player
             WHERE player_games.game = $1 AND player_games.wins > 0
             ORDER BY player_games.wins DESC, players.name LIMIT $2",
            &[&game, &limit],
        )?,
    };
    let since = now_ms.saturating_sub(recent_ms);
    let first_hour = hour_of(since);
    let next_hour_at = first_hour.saturating_add(1).saturating_mul(HOUR_MS);
    let recent = client.query(
        "SELECT players.name, SUM(counted.wins)::BIGINT AS total
         FROM (
             SELECT player, wins FROM player_hours
             WHERE hour > $1 AND ($5::TEXT IS NULL OR game = $5)
             UNION ALL
             SELECT player, 1::BIGINT FROM rounds
             WHERE won_at >= $2 AND won_at < $3 AND player IS NOT NULL
               AND ($5::TEXT IS NULL OR game = $5)
         ) AS counted
         JOIN players ON players.key = counted.player
         GROUP BY counted.player, players.name ORDER BY total DESC, players.name LIMIT $4",
        &[&first_hour, &since, &next_hour_at, &limit, &game],
    )?;
    Ok(Leaderboard {
        all_time: all_time.iter().map(entry).collect(),
        recent: recent.iter().map(entry).collect(),
    })
}

fn entry(row: &Row) -> LeaderEntry {
    LeaderEntry {
        name: row.get(0),
        wins: row.get::<_, i64>(1).unsigned_abs(),
    }
}

/// A point lookup of the running total (`key`: [`crate::player_key`]).
pub(super) fn wins_of(client: &mut Client, key: &str) -> Result<u64> {
    let row = client.query_opt("SELECT wins FROM players WHERE key = $1", &[&key])?;
    Ok(row.map_or(0, |row| row.get::<_, i64>(0).unsigned_abs()))
}

/// The player's per-game totals, by game.
pub(super) fn games_of(client: &mut Client, key: &str) -> Result<Vec<GameWins>> {
    let rows = client.query(
        "SELECT game, wins FROM player_games WHERE player = $1 AND wins > 0 ORDER BY game",
        &[&key],
    )?;
    Ok(rows
        .iter()
        .map(|row| GameWins {
            game: row.get(0),
            wins: row.get::<_, i64>(1).unsigned_abs(),
        })
        .collect())
}

const MATCH: &str = "SELECT id, game, room, config, seed, actions, winner, ended_at FROM matches";

fn match_record(row: &Row) -> MatchRecord {
    MatchRecord {
        id: row.get(0),
        game: row.get(1),
        room: row.get::<_, i64>(2).unsigned_abs(),
        config: row.get(3),
        seed: u64::from_ne_bytes(row.get::<_, i64>(4).to_ne_bytes()),
        actions: row.get(5),
        winner: row.get(6),
        ended_at_ms: row.get(7),
    }
}

/// A match by its result's key.
pub(super) fn match_by_id(client: &mut Client, id: &str) -> Result<Option<MatchRecord>> {
    let row = client.query_opt(&format!("{MATCH} WHERE id = $1"), &[&id])?;
    Ok(row.as_ref().map(match_record))
}

/// The latest matches, newest first.
pub(super) fn recent_matches(
    client: &mut Client,
    game: Option<&str>,
    limit: usize,
) -> Result<Vec<MatchRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client.query(
        &format!(
            "{MATCH} WHERE ($1::TEXT IS NULL OR game = $1) ORDER BY ended_at DESC, id DESC LIMIT $2"
        ),
        &[&game, &limit],
    )?;
    Ok(rows.iter().map(match_record).collect())
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
