//! A failed-over room's scoreboard keeps the points of the rounds committed after its last
//! snapshot, with real `referee` processes, NATS and PostgreSQL (skipped, saying why, without
//! them unless `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`).
//!
//! A host saves a room's snapshot in the background after each committed win, so one killed
//! under load leaves a snapshot behind its records. Here that is made certain rather than
//! hoped for: the snapshot saved after Ann's first win is kept aside, Ann wins two more
//! rounds, the host is SIGKILLed, and the kept snapshot is put back in place of the newer ones
//! before the lease runs out — what the adopter finds had the saver fallen two wins behind.
//! Ann's next win on the new host must say she has four points (three before the death, one
//! after), not two.

mod common;

use std::time::Duration;

use common::Client;
use common::cluster::{
    NodeProc, PATIENCE, join_elsewhere, keep_snapshot_after_win, restore_kept_snapshot,
    rounds_stored, services,
};

const NODES: &[&str] = &[
    "--players-per-room",
    "4",
    "--lease-ms",
    "2000",
    "--reconnect-window",
    "10",
];

/// Plays a round of guess-the-number (numbers below `max`) to its end: the `Correct!` line
/// if this player won it. Fails the test after [`PATIENCE`], saying what was read.
async fn win_round(player: &mut Client, max: u32) -> Option<String> {
    let mut heard = Vec::new();
    match tokio::time::timeout(PATIENCE, play(player, max, &mut heard)).await {
        Ok(won) => won,
        Err(_) => panic!("no end to the round after {PATIENCE:?}; heard {heard:?}"),
    }
}

async fn play(player: &mut Client, max: u32, heard: &mut Vec<String>) -> Option<String> {
    let (mut low, mut high) = (0_i64, i64::from(max) - 1);
    loop {
        let guess = (low + high) / 2;
        player.send(&guess.to_string()).await;
        loop {
            let line = player.line().await;
            heard.push(line.clone());
            if line.starts_with("Higher!") {
                low = guess + 1;
            } else if line.starts_with("Lower!") {
                high = guess - 1;
            } else if line.starts_with("Correct!") {
                return Some(line);
            } else if line.starts_with("Sorry, another player won") || line.contains(" won round ")
            {
                return None;
            } else {
                continue;
            }
            break;
        }
    }
}

#[tokio::test]
async fn points_of_rounds_committed_after_the_last_snapshot_survive_a_failover() {
    let Some(pg) = services("cluster_points").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    // The room is a's (Zed opened it there); Ann plays in it from b.
    let (_zed, room) = a.named_player("Zed").await;
    let (mut ann, _) = b.named_player("Ann").await;
    join_elsewhere(&mut ann, room).await;
    let first = win_round(&mut ann, 20).await;
    assert!(first.is_some_and(|line| line.contains("now have 1 point")));

    // The snapshot saved after that win (round 2 in play, Ann at 1 point), kept aside.
    keep_snapshot_after_win(&pg, room).await;

    for points in [2, 3] {
        let won = win_round(&mut ann, 20).await;
        assert!(
            won.as_ref()
                .is_some_and(|line| line.contains(&format!("now have {points} points"))),
            "{won:?}"
        );
    }
    rounds_stored(&pg, room, 3).await;

    // The host dies; what it left is the snapshot of two wins ago.
    a.signal("-KILL");
    let _ = a.wait().await;
    restore_kept_snapshot(&pg, room).await;

    // Seated again on b, the room's new host.
    ann.send("5").await;
    tokio::time::timeout(Duration::from_secs(15), ann.until_contains("was voided"))
        .await
        .unwrap_or_else(|_| panic!("the room never came back"));
    let after = win_round(&mut ann, 20).await;
    assert!(
        after
            .as_ref()
            .is_some_and(|line| line.contains("now have 4 points")),
        "the rounds committed after the snapshot lost their points: {after:?}"
    );
    assert!(
        b.log().iter().any(
            |line| line.contains("points of rounds committed after the snapshot")
                && line.contains("credited=2")
        ),
        "b never credited the two rounds"
    );
}

/// A score belongs to a seat: Bob sits down after the snapshot the adopter finds and wins a
/// round before the host dies. That snapshot has no seat for him; the adopter seats him away
/// with the round's point, so that his next move takes the seat back — and his next win says
/// two points. Without that seat his session is told the room holds none for him.
#[tokio::test]
async fn a_winner_who_sat_down_after_the_last_snapshot_gets_his_seat_and_points_back() {
    let Some(pg) = services("cluster_points_late").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    let (_zed, room) = a.named_player("Zed").await;
    let (mut ann, _) = b.named_player("Ann").await;
    join_elsewhere(&mut ann, room).await;
    assert!(win_round(&mut ann, 20).await.is_some());

    // The snapshot saved after Ann's win, without Bob: kept aside before he sits down.
    keep_snapshot_after_win(&pg, room).await;
    let (mut bob, _) = b.named_player("Bob").await;
    join_elsewhere(&mut bob, room).await;
    let won = win_round(&mut bob, 20).await;
    assert!(
        won.as_ref()
            .is_some_and(|line| line.contains("now have 1 point")),
        "{won:?}"
    );
    rounds_stored(&pg, room, 2).await;

    a.signal("-KILL");
    let _ = a.wait().await;
    restore_kept_snapshot(&pg, room).await;

    // Bob moves: his session asks the room's new host for his seat back.
    bob.send("5").await;
    let back = tokio::time::timeout(Duration::from_secs(15), async {
        let mut heard = Vec::new();
        loop {
            let line = bob.line().await;
            if line.contains("was voided") {
                return Ok(heard);
            }
            if line.starts_with("error:") && !line.contains("stopped answering") {
                return Err(line);
            }
            heard.push(line);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the room never came back for Bob"));
    if let Err(refused) = back {
        panic!("Bob's seat was not kept: {refused}");
    }
    let after = win_round(&mut bob, 20).await;
    assert!(
        after
            .as_ref()
            .is_some_and(|line| line.contains("now have 2 points")),
        "Bob's round committed after the snapshot lost its point: {after:?}"
    );
    assert!(
        b.log().iter().any(
            |line| line.contains("points of rounds committed after the snapshot")
                && line.contains("seated=1")
        ),
        "b never seated Bob"
    );
}
