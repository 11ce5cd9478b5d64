//! An idle player told at once that their room came back on another node: real `referee`
//! processes, a real NATS and PostgreSQL (skipped, saying why, without them unless
//! `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`).
//!
//! Bob, on node b, sits in a room hosted on a and sends nothing more. a is SIGKILLed; b adopts
//! the room a lease later and tells Bob's session, on the member subject the room's snapshot
//! carried, that the room is back (`room/wire/back.rs`): Bob reads that his round was voided
//! — seated again — without a keystroke, within a bound. Without that word he hears nothing
//! until he moves (his seat held at least 10 s).

mod common;

use std::time::{Duration, Instant};

use common::cluster::{NodeProc, join_elsewhere, services};

/// A short lease: the room is back about a second after the kill (p50 1.43 s, max 3.0 s over
/// 120 kills under load, docs/CLUSTER.md).
const NODES: &[&str] = &["--players-per-room", "2", "--lease-ms", "1000"];

/// From the kill to the idle player's `round_voided`: the adoption (≤ 3 s measured) and room
/// for a busy machine. Without the word, nothing comes for 10 s at least.
const TOLD_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn an_idle_player_on_another_node_is_seated_again_as_soon_as_the_room_is_back() {
    let Some(pg) = services("cluster_back").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    let (_ann, room) = a.player().await;
    let (mut bob, _) = b.player().await;
    join_elsewhere(&mut bob, room).await;
    // The kill comes once a snapshot saved since Bob sat down says where his session is.
    let reach_saved = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.body::jsonb -> 'room' -> 'seats') seat \
                     WHERE seat ? 'reach')"
    );
    common::cluster::eventually(&pg, &reach_saved, 1).await;

    a.signal("-KILL");
    let killed = Instant::now();
    let told = tokio::time::timeout(TOLD_WITHIN, bob.until_contains("was voided")).await;
    let after = killed.elapsed();
    if told.is_err() {
        common::cluster::print_logs([("b", b.log())], 40);
    }
    let (voided, skipped) =
        told.unwrap_or_else(|_| panic!("Bob, idle, heard nothing within {TOLD_WITHIN:?}"));
    eprintln!("Bob told {after:?} after the kill: {voided} (after {skipped:?})");
    assert!(
        voided.contains(&format!("room {room}")),
        "the voided round is his room's: {voided}"
    );
    // b's log is read by a thread of its own: the line may come a moment after the frame.
    let logged = Instant::now();
    while !b
        .log()
        .iter()
        .any(|line| line.contains("seat taken back on the room's new host"))
    {
        assert!(
            logged.elapsed() < Duration::from_secs(5),
            "b's session never took the seat back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Seated for real: Bob plays on and wins a round in the adopted room.
    assert!(bob.play_round(20).await.is_some(), "Bob plays on");
}
