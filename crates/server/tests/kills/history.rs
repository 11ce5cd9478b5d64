//! The history checker of the kills test: what the players were told against what
//! PostgreSQL holds.
//!
//! - every win any player was told (round, winner) is a stored round of the room, with
//!   that winner — nothing acknowledged was lost;
//! - no two players were told different winners of one round, and no (room, round) is
//!   stored twice — nothing recorded twice;
//! - no result was committed under an epoch after a later epoch of its room was claimed
//!   (`PgClaims::commits_after_takeover`) — no commit by a fenced epoch.
//!
//! The wins told are written into a table of the test's own schema, so that the comparison
//! is one query each, in the database that holds the truth.
#![allow(unreachable_pub)]

use std::collections::BTreeMap;

use referee_store::pg_testing::TestSchema;

use super::bot::Told;

/// What the checker found: empty when the history holds.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    /// Distinct wins told, and rounds stored for the room.
    pub told: usize,
    pub stored: i64,
}

/// Checks `told` (every win told to any player of `room`) against the store.
pub async fn check(pg: &TestSchema, room: u64, told: &[Told]) -> Result<Findings, String> {
    let mut findings = Findings::default();
    let wins = distinct_wins(told, &mut findings.problems);
    findings.told = wins.len();
    write_told(pg, &wins)?;
    let count = |sql: String| pg.count(&sql);
    let lost = count(format!(
        "SELECT COUNT(*) FROM kills_told t WHERE NOT EXISTS (SELECT 1 FROM rounds r \
         WHERE r.room = {room} AND r.round = t.round AND r.winner = t.winner)"
    ))?;
    if lost > 0 {
        let first = first_lost(pg, room, &wins)?;
        findings.problems.push(format!(
            "{lost} win(s) told but not stored (first: {first:?})"
        ));
    }
    let twice = count(
        "SELECT COUNT(*) FROM (SELECT room, round FROM rounds GROUP BY room, round \
         HAVING COUNT(*) > 1) d"
            .into(),
    )?;
    if twice > 0 {
        findings
            .problems
            .push(format!("{twice} (room, round) stored more than once"));
    }
    findings.stored = count(format!("SELECT COUNT(*) FROM rounds WHERE room = {room}"))?;
    let late = crate::common::cluster::commits_after_takeover(pg).await?;
    if !late.is_empty() {
        findings
            .problems
            .push(format!("committed by a fenced epoch: {late:?}"));
    }
    Ok(findings)
}

/// One winner per round, whoever told it; two different winners of one round is a problem.
fn distinct_wins(told: &[Told], problems: &mut Vec<String>) -> BTreeMap<u64, String> {
    let mut wins = BTreeMap::new();
    for win in told {
        let first = wins.entry(win.round).or_insert_with(|| win.winner.clone());
        if *first != win.winner {
            problems.push(format!(
                "round {} told won by {first} and by {}",
                win.round, win.winner
            ));
        }
    }
    wins
}

fn write_told(pg: &TestSchema, wins: &BTreeMap<u64, String>) -> Result<(), String> {
    pg.execute("CREATE TABLE kills_told (round BIGINT PRIMARY KEY, winner TEXT NOT NULL)")?;
    let rows: Vec<String> = wins
        .iter()
        .map(|(round, winner)| format!("({round}, '{}')", winner.replace('\'', "''")))
        .collect();
    for chunk in rows.chunks(500) {
        pg.execute(&format!(
            "INSERT INTO kills_told VALUES {}",
            chunk.join(", ")
        ))?;
    }
    Ok(())
}

/// The first told win the store lacks, for the failure message.
fn first_lost(
    pg: &TestSchema,
    room: u64,
    wins: &BTreeMap<u64, String>,
) -> Result<Option<(u64, String)>, String> {
    for (round, winner) in wins {
        let stored = pg.count(&format!(
            "SELECT COUNT(*) FROM rounds WHERE room = {room} AND round = {round} \
             AND winner = '{}'",
            winner.replace('\'', "''")
        ))?;
        if stored == 0 {
            return Ok(Some((*round, winner.clone())));
        }
    }
    Ok(None)
}
