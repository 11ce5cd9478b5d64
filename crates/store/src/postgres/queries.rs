//! The statements: a batch committed in one transaction, and the reads, all over running
//! totals (as SQLite's, `crate::sqlite::queries`).

use std::collections::{BTreeMap, HashSet};

use postgres::{Client, Row, Transaction};

use super::prepared::Prepared;

use crate::{
    Fence, GameWins, HOUR_MS, LeaderEntry, Leaderboard, MatchRecord, RoundResult, StoreError,
    hour_of,
};

type Result<T> = std::result::Result<T, postgres::Error>;

/// One transaction for the whole batch; `Ok` once `COMMIT` returned.
pub(super) fn record(
    client: &mut Client,
    prepared: &mut Prepared,
    rounds: &[RoundResult],
) -> Result<()> {
    let mut tx = client.transaction()?;
    let rows: Vec<_> = rounds.iter().map(|result| (result, None)).collect();
    insert(&mut tx, prepared, &rows)?;
    tx.commit()
}

/// [`record`], if `fence` is still the room's live claim (checked under a share lock on the
/// claim, held to `COMMIT`: see `crate::claims`). The inner `Err`: fenced, nothing stored.
pub(super) fn record_fenced(
    client: &mut Client,
    prepared: &mut Prepared,
    fence: &Fence,
    rounds: &[RoundResult],
) -> Result<std::result::Result<(), StoreError>> {
    let mut tx = client.transaction()?;
    if !super::claims::holds(&mut tx, prepared, fence)? {
        return Ok(Err(super::claims::fenced(fence)));
    }
    let rows: Vec<_> = rounds.iter().map(|result| (result, Some(fence))).collect();
    insert(&mut tx, prepared, &rows)?;
    tx.commit()?;
    Ok(Ok(()))
}

/// [`record_fenced`] for several rooms in one transaction: each group is stored if its own
/// fence holds (every claim checked in one statement, each holding one share-locked to
/// `COMMIT`), and answered `Fenced` otherwise, storing nothing of it.
pub(super) fn record_fenced_groups(
    client: &mut Client,
    prepared: &mut Prepared,
    groups: &[(Fence, Vec<RoundResult>)],
) -> Result<Vec<std::result::Result<(), StoreError>>> {
    let mut tx = client.transaction()?;
    let fences: Vec<&Fence> = groups.iter().map(|(fence, _)| fence).collect();
    // One statement for every room's check: a round trip per room would cost the batch.
    let holding = super::claims::holding(&mut tx, prepared, &fences)?;
    let mut answers = Vec::with_capacity(groups.len());
    let mut rows = Vec::new();
    for (fence, rounds) in groups {
        if !holding.contains(&(fence.room.clone(), fence.epoch)) {
            answers.push(Err(super::claims::fenced(fence)));
            continue;
        }
        rows.extend(rounds.iter().map(|result| (result, Some(fence))));
        answers.push(Ok(()));
    }
    insert(&mut tx, prepared, &rows)?;
    tx.commit()?;
    Ok(answers)
}

/// A result as the batch writes it: its claim, if any, and its winner's player key (a named
/// winner's: computed once, for the result's row and for the totals).
struct Batched<'a> {
    result: &'a RoundResult,
    fence: Option<&'a Fence>,
    player: Option<String>,
}

/// One column of the batch, as an array parameter.
fn column<'a, T>(rows: &[&'a Batched<'a>], value: impl Fn(&'a Batched<'a>) -> T) -> Vec<T> {
    rows.iter().map(|row| value(row)).collect()
}

/// Stores each result unless its key is stored already (by this batch, an earlier one, or
/// another node), then the totals and logs of those stored: one statement per table for the
/// whole batch, its rows passed as arrays (`unnest`), where a statement per result cost a
/// round trip or two each (docs/PERFORMANCE.md §4).
fn insert(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    results: &[(&RoundResult, Option<&Fence>)],
) -> Result<()> {
    // The first of a key wins, as when they went in one at a time.
    let mut seen = HashSet::new();
    let rows: Vec<Batched<'_>> = results
        .iter()
        .filter(|(result, _)| seen.insert(result.key.as_str()))
        .map(|&(result, fence)| Batched {
            result,
            fence,
            player: result.named.then(|| crate::player_key(&result.winner)),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let rows: Vec<&Batched<'_>> = rows.iter().collect();
    let stored: HashSet<String> = insert_rounds(tx, prepared, &rows)?;
    let stored: Vec<&Batched<'_>> = rows
        .into_iter()
        .filter(|row| stored.contains(&row.result.key))
        .collect();
    add_totals(tx, prepared, &stored)?;
    insert_logs(tx, prepared, &stored)
}

/// The results' rows, each skipped if its key is stored; the keys stored now.
fn insert_rounds(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    rows: &[&Batched<'_>],
) -> Result<HashSet<String>> {
    let stored = prepared.query(
        tx,
        "INSERT INTO rounds (key, game, room, round, winner, player, won_at, guesses,
                             claim_room, claim_node, claim_epoch, committed_at,
                             credit_player, credit_points)
         SELECT key, game, room, round, winner, player, won_at, guesses,
                claim_room, claim_node, claim_epoch,
                CASE WHEN claim_epoch IS NULL THEN NULL ELSE clock_timestamp() END,
                credit_player, credit_points
         FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[],
                     $6::TEXT[], $7::BIGINT[], $8::BIGINT[], $9::TEXT[], $10::TEXT[],
                     $11::BIGINT[], $12::BIGINT[], $13::BIGINT[])
              AS r(key, game, room, round, winner, player, won_at, guesses,
                   claim_room, claim_node, claim_epoch, credit_player, credit_points)
         ON CONFLICT (key) DO NOTHING
         RETURNING key",
        &[
            &column(rows, |row| row.result.key.as_str()),
            &column(rows, |row| row.result.game.as_str()),
            &column(rows, |row| to_i64(row.result.room)),
            &column(rows, |row| to_i64(row.result.round)),
            &column(rows, |row| row.result.winner.as_str()),
            &column(rows, |row| row.player.as_deref()),
            &column(rows, |row| row.result.won_at_ms),
            &column(rows, |row| to_i64(row.result.guesses)),
            &column(rows, |row| row.fence.map(|f| f.room.as_str())),
            &column(rows, |row| row.fence.map(|f| f.node.as_str())),
            &column(rows, |row| row.fence.map(|f| to_i64(f.epoch))),
            // Stored as the same 64 bits, read back with the reverse cast.
            &column(rows, |row| {
                row.result
                    .credit
                    .map(|credit| i64::from_ne_bytes(credit.player.to_ne_bytes()))
            }),
            &column(rows, |row| {
                row.result.credit.map(|credit| i64::from(credit.points))
            }),
        ],
    )?;
    Ok(stored.iter().map(|row| row.get(0)).collect())
}

/// The running totals of the named winners among `stored`: each player's, per game and per
/// hour, added up first (a statement may not update one row twice), in key order (as every
/// writer takes their locks, so that two batches never wait on each other in a circle).
fn add_totals(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    stored: &[&Batched<'_>],
) -> Result<()> {
    // player key -> (name as first written, first win, wins)
    let mut players: BTreeMap<&str, (&str, i64, i64)> = BTreeMap::new();
    let mut games: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    let mut hours: BTreeMap<(i64, &str, &str), i64> = BTreeMap::new();
    for row in stored {
        let (Some(key), result) = (row.player.as_deref(), row.result) else {
            continue;
        };
        players
            .entry(key)
            .or_insert((result.winner.as_str(), result.won_at_ms, 0))
            .2 += 1;
        *games.entry((key, result.game.as_str())).or_insert(0) += 1;
        *hours
            .entry((hour_of(result.won_at_ms), key, result.game.as_str()))
            .or_insert(0) += 1;
    }
    if players.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = players.keys().copied().collect();
    let names: Vec<&str> = players.values().map(|p| p.0).collect();
    let firsts: Vec<i64> = players.values().map(|p| p.1).collect();
    let wins: Vec<i64> = players.values().map(|p| p.2).collect();
    prepared.execute(
        tx,
        "INSERT INTO players (key, name, first_win_at, wins)
         SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[])
         ON CONFLICT (key) DO UPDATE SET wins = players.wins + EXCLUDED.wins",
        &[&keys, &names, &firsts, &wins],
    )?;
    let game_players: Vec<&str> = games.keys().map(|(p, _)| *p).collect();
    let game_names: Vec<&str> = games.keys().map(|(_, g)| *g).collect();
    let game_wins: Vec<i64> = games.values().copied().collect();
    prepared.execute(
        tx,
        "INSERT INTO player_games (player, game, wins)
         SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[])
         ON CONFLICT (player, game) DO UPDATE SET wins = player_games.wins + EXCLUDED.wins",
        &[&game_players, &game_names, &game_wins],
    )?;
    let hour_numbers: Vec<i64> = hours.keys().map(|(h, ..)| *h).collect();
    let hour_players: Vec<&str> = hours.keys().map(|(_, p, _)| *p).collect();
    let hour_games: Vec<&str> = hours.keys().map(|(.., g)| *g).collect();
    let hour_wins: Vec<i64> = hours.values().copied().collect();
    prepared.execute(
        tx,
        "INSERT INTO player_hours (hour, player, game, wins)
         SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])
         ON CONFLICT (hour, player, game) DO UPDATE SET wins = player_hours.wins + EXCLUDED.wins",
        &[&hour_numbers, &hour_players, &hour_games, &hour_wins],
    )?;
    Ok(())
}

/// The match logs of the results stored now that carry one.
fn insert_logs(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    stored: &[&Batched<'_>],
) -> Result<()> {
    let logged: Vec<(&RoundResult, &crate::MatchLog)> = stored
        .iter()
        .filter_map(|row| row.result.log.as_ref().map(|log| (row.result, log)))
        .collect();
    if logged.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = logged.iter().map(|(r, _)| r.key.as_str()).collect();
    let games: Vec<&str> = logged.iter().map(|(r, _)| r.game.as_str()).collect();
    let rooms: Vec<i64> = logged.iter().map(|(r, _)| to_i64(r.room)).collect();
    let configs: Vec<&str> = logged.iter().map(|(_, l)| l.config.as_str()).collect();
    // Stored as the same 64 bits, read back with the reverse cast.
    let seeds: Vec<i64> = logged
        .iter()
        .map(|(_, l)| i64::from_ne_bytes(l.seed.to_ne_bytes()))
        .collect();
    let actions: Vec<&str> = logged.iter().map(|(_, l)| l.actions.as_str()).collect();
    let winners: Vec<&str> = logged.iter().map(|(r, _)| r.winner.as_str()).collect();
    let ended: Vec<i64> = logged.iter().map(|(r, _)| r.won_at_ms).collect();
    prepared.execute(
        tx,
        "INSERT INTO matches (id, game, room, config, seed, actions, winner, ended_at)
         SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::BIGINT[],
                              $6::TEXT[], $7::TEXT[], $8::BIGINT[])",
        &[
            &ids, &games, &rooms, &configs, &seeds, &actions, &winners, &ended,
        ],
    )?;
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
