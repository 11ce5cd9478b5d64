//! Claims of rooms by nodes, against a real PostgreSQL (a fresh schema per test; skipped,
//! saying why, when none is reachable, unless `REFEREE_REQUIRE_POSTGRES=1`): one holder at a
//! time, epochs that only grow, leases that run out, and fenced writes that a node which lost
//! its claim can never make.
//!
//! A lease running out is played by setting its expiry to the past in the database (what the
//! database's clock would do a little later), not by waiting.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use referee_store::pg_testing::TestSchema;
use referee_store::{
    Claimed, Claims, Fence, Lease, MemoryStore, PgClaims, RoundResult, Store, StoreError,
    StoreReader,
};

const LEASE: Duration = Duration::from_secs(30);

fn schema(test: &str) -> Option<TestSchema> {
    TestSchema::create(test).unwrap_or_else(|e| panic!("{e}"))
}

fn claims(pg: &TestSchema) -> PgClaims {
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    store.claims().unwrap_or_else(|e| panic!("{e}"))
}

fn won(claimed: Result<Claimed, StoreError>) -> Lease {
    match claimed {
        Ok(Claimed::Won(lease)) => lease,
        other => panic!("expected the claim to be won: {other:?}"),
    }
}

fn win(key: &str) -> RoundResult {
    RoundResult {
        game: "guess".into(),
        key: key.into(),
        room: 1,
        round: 1,
        winner: "Ann".into(),
        named: true,
        guesses: 3,
        won_at_ms: 1_000,
        log: None,
        credit: None,
    }
}

/// What the database's clock does once the lease's time is up.
fn expire(pg: &TestSchema, room: &str) {
    pg.execute(&format!(
        "UPDATE room_claims SET expires_at = clock_timestamp() - INTERVAL '1 millisecond' \
         WHERE room = '{room}'"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
}

fn count(pg: &TestSchema, sql: &str) -> i64 {
    pg.count(sql).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_free_room_is_won_at_epoch_one_and_held_against_every_other_node() {
    let Some(pg) = schema("claim_free") else {
        return;
    };
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let before = Instant::now();
    let lease = won(a.claim("guess/1", "node-a", LEASE));
    assert_eq!(lease.fence.epoch, 1);
    assert_eq!(lease.fence.node, "node-a");
    assert!(
        lease.valid_until <= Instant::now() + LEASE && lease.valid_until >= before + LEASE,
        "the local deadline is the lease from before the statement"
    );
    for (claims, node) in [(&mut b, "node-b"), (&mut a, "node-a")] {
        match claims.claim("guess/1", node, LEASE) {
            Ok(Claimed::Held(holder)) => {
                assert_eq!((holder.node.as_str(), holder.epoch), ("node-a", 1));
                assert!(holder.expires_in_ms > 20_000, "{holder:?}");
            }
            other => panic!("a live lease must hold against {node}: {other:?}"),
        }
    }
    let other = won(b.claim("guess/2", "node-b", LEASE));
    assert_eq!(other.fence.epoch, 1, "epochs are per room");
    let listed = a.claims().unwrap_or_else(|e| panic!("{e}"));
    let rooms: Vec<_> = listed
        .iter()
        .map(|c| (c.room.as_str(), c.node.as_str(), c.epoch, c.live))
        .collect();
    assert_eq!(
        rooms,
        vec![
            ("guess/1", "node-a", 1, true),
            ("guess/2", "node-b", 1, true)
        ]
    );
}

#[test]
fn a_released_room_goes_to_the_next_claimer_under_the_next_epoch() {
    let Some(pg) = schema("claim_release") else {
        return;
    };
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let first = won(a.claim("dice/7", "node-a", LEASE));
    assert_eq!(a.release(&first.fence).ok(), Some(true));
    assert_eq!(
        a.release(&first.fence).ok(),
        Some(false),
        "released already"
    );
    let second = won(b.claim("dice/7", "node-b", LEASE));
    assert_eq!(second.fence.epoch, 2);
    assert!(
        matches!(a.renew(&first.fence, LEASE), Ok(None)),
        "the old claim is lost for good"
    );
    assert!(
        matches!(b.renew(&second.fence, LEASE), Ok(Some(_))),
        "the new holder renews"
    );
}

#[test]
fn many_leases_are_renewed_in_one_statement_each_answered_in_order() {
    let Some(pg) = schema("claim_renew_all") else {
        return;
    };
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let held: Vec<Lease> = (0..50)
        .map(|n| won(a.claim(&format!("guess/{n}"), "node-a", LEASE)))
        .collect();
    // Room 7 runs out and node b takes it; room 9 is released.
    expire(&pg, "guess/7");
    let taken = won(b.claim("guess/7", "node-b", LEASE));
    assert!(matches!(a.release(&held[9].fence), Ok(true)));
    let before = count(
        &pg,
        "SELECT COUNT(*) FROM room_claims WHERE expires_at > clock_timestamp() + INTERVAL '40 seconds'",
    );
    assert_eq!(before, 0, "every lease still under 30 s");
    let fences: Vec<_> = held.iter().map(|lease| lease.fence.clone()).collect();
    let renewed = a
        .renew_all(&fences, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(renewed.len(), 50);
    for (n, answer) in renewed.iter().enumerate() {
        match answer {
            Some(lease) => {
                assert!(n != 7 && n != 9, "room {n} renewed though lost");
                assert_eq!(lease.fence, fences[n], "answers in the order asked");
            }
            None => assert!(n == 7 || n == 9, "room {n} not renewed"),
        }
    }
    let extended = count(
        &pg,
        "SELECT COUNT(*) FROM room_claims WHERE expires_at > clock_timestamp() + INTERVAL '40 seconds'",
    );
    assert_eq!(
        extended, 48,
        "the 48 held, and only they, run 60 s from now"
    );
    assert!(
        matches!(b.renew(&taken.fence, LEASE), Ok(Some(_))),
        "b's claim untouched"
    );
    assert_eq!(a.renew_all(&[], LEASE).map(|v| v.len()).ok(), Some(0));
}

#[test]
fn a_lease_that_ran_out_cannot_be_renewed_and_is_taken_over() {
    let Some(pg) = schema("claim_expire") else {
        return;
    };
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let first = won(a.claim("guess/3", "node-a", LEASE));
    assert!(matches!(a.renew(&first.fence, LEASE), Ok(Some(_))));
    expire(&pg, "guess/3");
    assert!(
        matches!(a.renew(&first.fence, LEASE), Ok(None)),
        "a lease past its expiry is not renewed: the node claims again, under a new epoch"
    );
    let second = won(b.claim("guess/3", "node-b", LEASE));
    assert_eq!(second.fence.epoch, 2);
    let listed = b.claims().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].node.as_str(), listed[0].live), ("node-b", true));
}

#[test]
fn a_node_that_lost_its_claim_commits_nothing() {
    let Some(pg) = schema("claim_fenced") else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let old = won(a.claim("guess/4", "node-a", LEASE));
    store
        .record_fenced(&old.fence, &[win("k1")])
        .unwrap_or_else(|e| panic!("{e}"));
    expire(&pg, "guess/4");
    let new = won(b.claim("guess/4", "node-b", LEASE));

    let refused = store.record_fenced(&old.fence, &[win("k2")]);
    assert!(
        matches!(&refused, Err(StoreError::Fenced { epoch: 1, node, .. }) if node == "node-a"),
        "{refused:?}"
    );
    assert!(
        !refused.is_err_and(|e| e.is_transient()),
        "not to be retried"
    );
    store
        .record_fenced(&new.fence, &[win("k3")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        count(&pg, "SELECT COUNT(*) FROM rounds WHERE key = 'k2'"),
        0
    );
    assert_eq!(
        count(&pg, "SELECT players.wins FROM players"),
        2,
        "the totals too"
    );
    let by_epoch = count(
        &pg,
        "SELECT COUNT(*) FROM rounds WHERE claim_room = 'guess/4' AND \
         ((key = 'k1' AND claim_epoch = 1 AND claim_node = 'node-a') OR \
          (key = 'k3' AND claim_epoch = 2 AND claim_node = 'node-b'))",
    );
    assert_eq!(
        by_epoch, 2,
        "each result keeps the claim it was committed under"
    );

    // A fence naming a room never claimed is refused as well.
    let stranger = Fence {
        room: "guess/99".into(),
        node: "node-a".into(),
        epoch: 1,
    };
    assert!(matches!(
        store.record_fenced(&stranger, &[win("k4")]),
        Err(StoreError::Fenced { .. })
    ));
}

#[test]
fn rooms_committed_together_are_each_fenced_by_their_own_claim() {
    let Some(pg) = schema("claim_groups") else {
        return;
    };
    let mut a = claims(&pg);
    let kept = won(a.claim("guess/1", "node-a", LEASE)).fence;
    let lost = won(a.claim("guess/2", "node-a", LEASE)).fence;
    expire(&pg, "guess/2");
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let groups = vec![
        (kept.clone(), vec![win("k1"), win("k2")]),
        (lost.clone(), vec![win("l1")]),
    ];
    let answers = store
        .record_fenced_groups(&groups)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(answers[0].is_ok(), "{answers:?}");
    assert!(
        matches!(&answers[1], Err(StoreError::Fenced { room, .. }) if room == "guess/2"),
        "{answers:?}"
    );
    let stored = "SELECT COUNT(*) FROM rounds WHERE claim_room = 'guess/1' AND claim_epoch = 1";
    assert_eq!(count(&pg, stored), 2);
    assert_eq!(
        count(&pg, "SELECT COUNT(*) FROM rounds"),
        2,
        "nothing of the lost room"
    );
    assert_eq!(store.wins_of("Ann").ok(), Some(2));
}

#[test]
fn snapshots_are_fenced_and_the_next_host_reads_the_last_one() {
    let Some(pg) = schema("claim_snapshot") else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    assert_eq!(b.snapshot_of("dice/5").ok(), Some(None));
    let old = won(a.claim("dice/5", "node-a", LEASE));
    store
        .save_snapshot(&old.fence, r#"{"hand":1}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .save_snapshot(&old.fence, r#"{"hand":2}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    expire(&pg, "dice/5");
    let new = won(b.claim("dice/5", "node-b", LEASE));
    assert!(matches!(
        store.save_snapshot(&old.fence, r#"{"hand":3}"#),
        Err(StoreError::Fenced { .. })
    ));
    let restored = b
        .snapshot_of("dice/5")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a snapshot was saved"));
    assert_eq!(
        restored.body, r#"{"hand":2}"#,
        "the last one its host saved"
    );
    assert_eq!((restored.epoch, restored.node.as_str()), (1, "node-a"));
    store
        .save_snapshot(&new.fence, r#"{"hand":2,"restarted":true}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let saved = b.snapshot_of("dice/5").ok().flatten().map(|s| s.epoch);
    assert_eq!(saved, Some(2));
}

/// Several rooms' snapshots in one call: each fenced by its own claim, the later of two of
/// one room kept, the lost room's left as its last host saved it.
#[test]
fn snapshots_saved_together_are_each_fenced_by_their_own_claim() {
    let Some(pg) = schema("claim_snapshots") else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let (mut a, mut b) = (claims(&pg), claims(&pg));
    let kept = won(a.claim("guess/1", "node-a", LEASE));
    let lost = won(a.claim("guess/2", "node-a", LEASE));
    store
        .save_snapshot(&lost.fence, r#"{"round":1}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    expire(&pg, "guess/2");
    let _taken = won(b.claim("guess/2", "node-b", LEASE));
    let batch = [
        (kept.fence.clone(), r#"{"round":4}"#.to_owned()),
        (lost.fence.clone(), r#"{"round":2}"#.to_owned()),
        (kept.fence.clone(), r#"{"round":5}"#.to_owned()),
    ];
    let answers = store
        .save_snapshots(&batch)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(
        matches!(&answers[1], Err(StoreError::Fenced { room, .. }) if room == "guess/2"),
        "{answers:?}"
    );
    let mut body = |room: &str| {
        b.snapshot_of(room)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|saved| saved.body)
    };
    assert_eq!(
        body("guess/1").as_deref(),
        Some(r#"{"round":5}"#),
        "the later"
    );
    assert_eq!(
        body("guess/2").as_deref(),
        Some(r#"{"round":1}"#),
        "what its last host saved"
    );
}

#[test]
fn orphans_are_rooms_with_a_snapshot_whose_host_is_gone_and_retired_rooms_are_not() {
    let Some(pg) = schema("claim_orphans") else {
        return;
    };
    let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut a = claims(&pg);
    let rooms = |claims: &mut PgClaims| -> Vec<String> {
        let orphans = claims.orphans().unwrap_or_else(|e| panic!("{e}"));
        orphans.into_iter().map(|orphan| orphan.room).collect()
    };
    // Live with a snapshot; dead with a snapshot; dead without one; released with one;
    // retired (closed for good).
    let live = won(a.claim("room/1", "node-a", LEASE));
    let dead = won(a.claim("room/2", "node-a", LEASE));
    won(a.claim("room/3", "node-a", LEASE));
    let released = won(a.claim("room/4", "node-a", LEASE));
    let retired = won(a.claim("room/5", "node-a", LEASE));
    for lease in [&live, &dead, &released, &retired] {
        store
            .save_snapshot(&lease.fence, "{}")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    expire(&pg, "room/2");
    expire(&pg, "room/3");
    assert!(a.release(&released.fence).unwrap_or_else(|e| panic!("{e}")));
    assert!(a.retire(&retired.fence).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(rooms(&mut a), vec!["room/2", "room/4"]);

    // A node that lost its claim retires nothing: the room stays an orphan for the next host.
    assert!(!a.retire(&dead.fence).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(rooms(&mut a), vec!["room/2", "room/4"]);
    // Adopted (claimed again), it is no orphan any more.
    won(a.claim("room/2", "node-b", LEASE));
    assert_eq!(rooms(&mut a), vec!["room/4"]);
}

#[test]
fn nodes_racing_for_the_same_rooms_never_both_win() {
    let Some(pg) = schema("claim_race") else {
        return;
    };
    const NODES: usize = 4;
    const ROOMS: usize = 25;
    let barrier = Arc::new(Barrier::new(NODES));
    let winners = Arc::new(Mutex::new(BTreeMap::<usize, Vec<String>>::new()));
    let threads: Vec<_> = (0..NODES)
        .map(|n| {
            let mut claims = claims(&pg);
            let (barrier, winners) = (barrier.clone(), winners.clone());
            std::thread::spawn(move || {
                let node = format!("node-{n}");
                barrier.wait();
                for room in 0..ROOMS {
                    let claimed = claims.claim(&format!("race/{room}"), &node, LEASE);
                    if let Ok(Claimed::Won(_)) = claimed {
                        if let Ok(mut winners) = winners.lock() {
                            winners.entry(room).or_default().push(node.clone());
                        }
                    } else if !matches!(claimed, Ok(Claimed::Held(_))) {
                        panic!("{node}: {claimed:?}");
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread
            .join()
            .unwrap_or_else(|_| panic!("a node's thread panicked"));
    }
    let winners = winners.lock().map(|w| w.clone()).unwrap_or_default();
    assert_eq!(winners.len(), ROOMS, "every room was won");
    for (room, nodes) in winners {
        assert_eq!(nodes.len(), 1, "room {room} won by {nodes:?}");
    }
}

/// The fence's real promise: once a node has claimed epoch *e*, no write of an earlier epoch
/// lands any more, even one already in flight when the lease ran out. Two nodes keep
/// claiming the room and committing under their claim, while a third thread makes leases
/// run out at any moment (mid-commit included). Each claimer counts, right after winning,
/// the results of every earlier epoch; at the end those counts must still be exact. One node
/// commits with `record_fenced`, the other with `record_fenced_groups`.
#[test]
fn no_write_of_an_earlier_epoch_lands_after_a_new_claim() {
    let Some(pg) = schema("claim_fence_race") else {
        return;
    };
    const ATTEMPTS: usize = 150;
    const BATCH: usize = 8;
    let seen = Arc::new(Mutex::new(Vec::<(u64, i64)>::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let nodes: Vec<_> = (0..2)
        .map(|n| {
            let mut claims = claims(&pg);
            let mut store = pg.store().unwrap_or_else(|e| panic!("{e}"));
            let (seen, url, schema) = (seen.clone(), pg.url().to_owned(), pg.schema().to_owned());
            let done = done.clone();
            std::thread::spawn(move || {
                let node = format!("node-{n}");
                let mut lease: Option<Lease> = None;
                for i in 0..ATTEMPTS {
                    let Some(held) = lease.clone() else {
                        if let Ok(Claimed::Won(new)) = claims.claim("hot", &node, LEASE) {
                            let before = earlier_epochs(&url, &schema, new.fence.epoch);
                            if let Ok(mut seen) = seen.lock() {
                                seen.push((new.fence.epoch, before));
                            }
                            lease = Some(new);
                        }
                        continue;
                    };
                    // A batch of several: a commit that takes a while, for leases to run out in.
                    let batch: Vec<_> = (0..BATCH)
                        .map(|k| win(&format!("{node}/{i}/{k}")))
                        .collect();
                    // Node 1 commits as a cluster node's recorder does: in groups.
                    let committed = if n == 0 {
                        store.record_fenced(&held.fence, &batch)
                    } else {
                        let groups = [(held.fence.clone(), batch)];
                        store
                            .record_fenced_groups(&groups)
                            .and_then(|mut answers| answers.pop().unwrap_or(Ok(())))
                    };
                    match committed {
                        Ok(()) => {}
                        Err(StoreError::Fenced { .. }) => lease = None,
                        Err(other) => panic!("{node}: {other}"),
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let clock = {
        let (url, schema) = (pg.url().to_owned(), pg.schema().to_owned());
        let done = done.clone();
        std::thread::spawn(move || {
            let mut client = connect(&url, &schema);
            // Bounded: at most this many polls, and none once both nodes are done. A lease is
            // made to run out once a commit landed since the last time, so that every epoch
            // gets to commit something (on a busy machine a fixed pace could starve them all).
            let mut last = 0;
            for _ in 0..ATTEMPTS * 200 {
                if done.load(Ordering::SeqCst) == 2 {
                    break;
                }
                let landed: i64 = client
                    .query_one("SELECT COUNT(*) FROM rounds", &[])
                    .map(|row| row.get(0))
                    .unwrap_or_else(|e| panic!("{e}"));
                if landed > last {
                    last = landed;
                    client
                        .batch_execute("UPDATE room_claims SET expires_at = clock_timestamp()")
                        .unwrap_or_else(|e| panic!("{e}"));
                } else {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    for thread in nodes.into_iter().chain([clock]) {
        thread
            .join()
            .unwrap_or_else(|_| panic!("a thread panicked"));
    }
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(seen.len() >= 3, "the room changed hands: {seen:?}");
    for (epoch, counted) in seen {
        let now = earlier_epochs(pg.url(), pg.schema(), epoch);
        assert_eq!(
            now, counted,
            "a result of an epoch before {epoch} landed after epoch {epoch} was claimed"
        );
    }
    assert!(
        count(&pg, "SELECT COUNT(*) FROM rounds") > 0,
        "results were committed"
    );
    let late = claims(&pg).commits_after_takeover();
    assert_eq!(late.ok(), Some(Vec::new()), "the audit agrees");
}

/// How many results were committed under an epoch before `epoch`.
fn earlier_epochs(url: &str, schema: &str, epoch: u64) -> i64 {
    let mut client = connect(url, schema);
    let epoch = i64::try_from(epoch).unwrap_or(i64::MAX);
    client
        .query_one(
            "SELECT COUNT(*) FROM rounds WHERE claim_room = 'hot' AND claim_epoch < $1",
            &[&epoch],
        )
        .map(|row| row.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn connect(url: &str, schema: &str) -> postgres::Client {
    let mut config: postgres::Config = url.parse().unwrap_or_else(|e| panic!("{e}"));
    config.options(&format!("-c search_path={schema}"));
    config
        .connect(postgres::NoTls)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn stores_without_claims_say_so() {
    let mut store = MemoryStore::default();
    let fence = Fence {
        room: "guess/1".into(),
        node: "solo".into(),
        epoch: 1,
    };
    let refused = store.record_fenced(&fence, &[win("k")]);
    assert!(
        matches!(&refused, Err(StoreError::Unsupported { .. })),
        "{refused:?}"
    );
    assert!(matches!(
        store.save_snapshot(&fence, "{}"),
        Err(StoreError::Unsupported { .. })
    ));
    assert_eq!(store.wins_of("Ann").ok(), Some(0));
}
