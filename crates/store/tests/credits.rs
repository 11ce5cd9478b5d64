//! What each round gave whom on its room's scoreboard ([`Credit`]), and the rounds a failed-
//! over room reads back ([`Claims::rounds_since`]): those committed under the snapshot's
//! claim or a later one, from the round the snapshot had in play. PostgreSQL (a fresh schema
//! per test; skipped, saying why, when none is reachable, unless
//! `REFEREE_REQUIRE_POSTGRES=1`) and SQLite (the columns, and a file from before them).

use std::time::Duration;

use referee_store::pg_testing::TestSchema;
use referee_store::{
    Claimed, Claims, CommittedRound, Credit, Fence, PgClaims, RoundResult, SqliteStore, Store,
};
use rusqlite::Connection;

const LEASE: Duration = Duration::from_secs(30);
const ROOM: &str = "room/42";

fn win(key: &str, round: u64, credit: Option<Credit>) -> RoundResult {
    RoundResult {
        game: "guess".into(),
        key: key.into(),
        room: 42,
        round,
        winner: "Ann".into(),
        named: true,
        guesses: 3,
        won_at_ms: 1_000,
        log: None,
        credit,
    }
}

fn ann(points: u32) -> Option<Credit> {
    Some(Credit {
        // Ids use all 64 bits: the top one must come back as it went in.
        player: (1 << 63) | 7,
        points,
    })
}

fn fence(claims: &mut PgClaims, node: &str) -> Fence {
    match claims.claim(ROOM, node, LEASE) {
        Ok(Claimed::Won(lease)) => lease.fence,
        other => panic!("expected the claim to be won: {other:?}"),
    }
}

fn rounds_and_credits(rounds: &[CommittedRound]) -> Vec<(u64, u64, Option<Credit>)> {
    rounds
        .iter()
        .map(|round| (round.round, round.epoch, round.credit))
        .collect()
}

#[test]
fn a_failover_reads_back_the_rounds_its_snapshot_does_not_hold_with_their_credits() {
    let Some(pg) = TestSchema::create("credits_since").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut claims = store.claims().unwrap_or_else(|e| panic!("{e}"));
    // Epoch 1 wins rounds 1 to 3; its last snapshot has round 2 in play.
    let first = fence(&mut claims, "node-a");
    for round in 1..=3 {
        let result = win(&format!("a/{round}"), round, ann(1));
        store
            .record_fenced(&first, &[result])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Another room's round, and an unfenced one with this room's number: never read back.
    let other = Fence {
        room: "room/43".into(),
        ..first.clone()
    };
    assert!(matches!(
        claims.claim("room/43", "node-a", LEASE),
        Ok(Claimed::Won(_))
    ));
    store
        .record_fenced(&other, &[win("b/9", 9, ann(1))])
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .record(&[win("c/9", 9, ann(1))])
        .unwrap_or_else(|e| panic!("{e}"));

    let behind = claims
        .rounds_since(ROOM, 1, 2)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rounds_and_credits(&behind),
        vec![(2, 1, ann(1)), (3, 1, ann(1))],
        "the rounds from the one the snapshot had in play"
    );
    assert_eq!(behind[0].winner, "Ann");
    assert!(
        claims
            .rounds_since(ROOM, 1, 4)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty(),
        "a snapshot not behind has nothing to read back"
    );

    // Epoch 2 takes over; a round committed without a credit (stored before credits were
    // kept) comes back without one. A snapshot saved under epoch 2 does not read epoch 1's.
    claims.release(&first).unwrap_or_else(|e| panic!("{e}"));
    let second = fence(&mut claims, "node-b");
    assert_eq!(second.epoch, 2);
    store
        .record_fenced(&second, &[win("d/5", 5, None), win("d/6", 6, ann(2))])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rounds_and_credits(
            &claims
                .rounds_since(ROOM, 1, 3)
                .unwrap_or_else(|e| panic!("{e}"))
        ),
        vec![(3, 1, ann(1)), (5, 2, None), (6, 2, ann(2))]
    );
    assert_eq!(
        rounds_and_credits(
            &claims
                .rounds_since(ROOM, 2, 1)
                .unwrap_or_else(|e| panic!("{e}"))
        ),
        vec![(5, 2, None), (6, 2, ann(2))],
        "only the snapshot's epoch and later"
    );
}

#[test]
fn sqlite_keeps_each_rounds_credit_and_null_for_rounds_without_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("referee.db");
    let mut store = SqliteStore::open(&path, 1).unwrap_or_else(|e| panic!("{e}"));
    store
        .record(&[win("k/1", 1, ann(3)), win("k/2", 2, None)])
        .unwrap_or_else(|e| panic!("{e}"));
    let conn = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut query = conn
        .prepare("SELECT round, credit_player, credit_points FROM rounds ORDER BY round")
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = query
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .and_then(Iterator::collect)
        .unwrap_or_else(|e| panic!("{e}"));
    let player = i64::from_ne_bytes(((1_u64 << 63) | 7).to_ne_bytes());
    assert_eq!(rows, vec![(1, Some(player), Some(3)), (2, None, None)]);
}
