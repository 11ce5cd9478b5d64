//! Seats held across failovers, with real `referee` processes, NATS and PostgreSQL (skipped,
//! saying why, without them unless `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`).
//!
//! A room's host dies twice in a row. The player who left with the first host (Zed) keeps
//! his seat until the deadline the first adoption gave it, not a fresh window at the second;
//! the player who left with the second host is held a window from the second adoption. The
//! survivor hears the two leave apart by about the time between the two adoptions — at
//! once together when every adoption restarts every window (the pile-up the kills test saw).

mod common;

use std::time::{Duration, Instant};

use common::Client;
use common::cluster::{NodeProc, join_elsewhere, live_host, services};
use referee_store::pg_testing::TestSchema;

/// The window is 10 s, as long as a seat restored for a connected player is held at least.
const NODES: &[&str] = &[
    "--players-per-room",
    "4",
    "--lease-ms",
    "2000",
    "--reconnect-window",
    "10",
];

/// Sends a guess and waits until the player is seated again on the room's new host.
async fn back_after_failover(player: &mut Client) {
    player.send("5").await;
    tokio::time::timeout(Duration::from_secs(15), player.until_contains("was voided"))
        .await
        .unwrap_or_else(|_| panic!("the room never came back"));
}

/// Waits until the room's snapshot saved under `epoch` holds exactly `held` held seats.
async fn snapshot_holds(pg: &TestSchema, room: u64, epoch: u64, held: i64) {
    let sql = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' AND s.epoch = {epoch} \
         AND (SELECT COUNT(*) FROM jsonb_array_elements(s.body::jsonb -> 'room' -> 'seats') seat \
              WHERE seat ? 'held_until_ms') = {held}"
    );
    common::cluster::eventually(pg, &sql, 1).await;
}

#[tokio::test]
async fn a_seat_left_with_a_dead_host_is_not_held_again_by_the_next_failover() {
    let Some(pg) = services("cluster_held").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    let c = NodeProc::start(&pg, "c", NODES);
    let (_zed, room) = a.named_player("Zed").await;
    let (mut ann, _) = b.named_player("Ann").await;
    let (mut bob, _) = c.named_player("Bob").await;
    join_elsewhere(&mut ann, room).await;
    join_elsewhere(&mut bob, room).await;
    assert!(ann.play_round(20).await.is_some(), "Ann wins a round");
    // Every seat is in the snapshot saved after that win, none held.
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    common::cluster::eventually(&pg, &saved_after_win, 1).await;

    // First failover: Zed leaves with a; Ann and Bob are seated again on the new host, which
    // saves that only Zed's seat is held.
    a.signal("-KILL");
    back_after_failover(&mut ann).await;
    let first = Instant::now();
    back_after_failover(&mut bob).await;
    snapshot_holds(&pg, room, 2, 1).await;

    // Second failover: the new host dies with its own player.
    let host = live_host(&pg, room, &["b", "c"]).unwrap_or_else(|| panic!("no host"));
    let (dead, mut survivor, gone) = if host == "b" {
        (&b, bob, "Ann")
    } else {
        (&c, ann, "Bob")
    };
    dead.signal("-KILL");
    back_after_failover(&mut survivor).await;
    let second = Instant::now();
    let between = second - first;

    let mut left = Vec::new();
    while left.len() < 2 {
        let line = survivor.line().await;
        if line.ends_with(" left the room.") {
            left.push((line, Instant::now()));
        }
    }
    let (zed_left, gone_left) = (&left[0], &left[1]);
    assert_eq!(zed_left.0, "* Zed left the room.", "{left:?}");
    assert_eq!(gone_left.0, format!("* {gone} left the room."), "{left:?}");
    let apart = gone_left.1 - zed_left.1;
    eprintln!(
        "adoptions {between:?} apart; Zed left {:?} after the first, {gone} {apart:?} after Zed",
        zed_left.1 - first
    );
    assert!(
        zed_left.1 - first < Duration::from_secs(11),
        "Zed's seat outlived the window the first adoption gave it: {:?}",
        zed_left.1 - first
    );
    assert!(
        apart > between / 2,
        "the two seats went {apart:?} apart, the adoptions were {between:?} apart"
    );
}
