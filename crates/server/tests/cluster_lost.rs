//! A move lost with its room's host, as a player on another node lives it: real `referee`
//! processes, a real NATS and PostgreSQL (skipped, saying why, without them unless
//! `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`).
//!
//! The host is paused (SIGSTOP) before the guess leaves, so the guess is certainly never
//! handled, then killed: the player must hear at once that their move may not have counted —
//! not nothing until the room is back a lease later — and then play on in the adopted room.

mod common;

use std::time::{Duration, Instant};

use common::cluster::{NodeProc, join_elsewhere, services};

/// A lease long enough that the room cannot be back before the player has been told (a
/// claim is free two thirds to all of a lease after the death: here 5.3 s at the earliest).
const NODES: &[&str] = &["--players-per-room", "3", "--lease-ms", "8000"];

/// The move's own wait (2 s), and room for a busy machine: told well before the room is back.
const TOLD_WITHIN: Duration = Duration::from_millis(4_500);

/// Waits until every thread of `node` is stopped: `kill` returns once the signal is sent,
/// and a thread busy elsewhere stops a moment later (a guess answered by a host signalled
/// just before was seen once in ~20 runs without this wait).
async fn stopped(node: &NodeProc) {
    let tasks = format!("/proc/{}/task", node.child.id());
    let started = Instant::now();
    loop {
        let states: Vec<String> = std::fs::read_dir(&tasks)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
                    .collect()
            })
            .unwrap_or_default();
        // The state follows the command's closing parenthesis: `T` is stopped.
        let all_stopped = !states.is_empty()
            && states.iter().all(|stat| {
                stat.rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('T'))
            });
        if all_stopped {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{states:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_guess_whose_host_dies_under_it_is_said_to_be_lost_and_the_room_plays_on() {
    let Some(pg) = services("cluster_lost").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", NODES);
    let b = NodeProc::start(&pg, "b", NODES);
    let (_zed, room) = a.player().await;
    let (mut ann, _) = b.player().await;
    join_elsewhere(&mut ann, room).await;
    assert!(
        ann.play_round(20).await.is_some(),
        "Ann, alone guessing, wins"
    );
    // The kill comes once the snapshot after that win (Ann's seat in it) is saved.
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    common::cluster::eventually(&pg, &saved_after_win, 1).await;

    // The gate: the host cannot take the guess (paused before it is sent), then dies.
    a.signal("-STOP");
    stopped(&a).await;
    ann.send("5").await;
    let sent = Instant::now();
    a.signal("-KILL");
    let told = tokio::time::timeout(TOLD_WITHIN, ann.until_contains("may not have counted"))
        .await
        .map(|(line, before)| (line, before, sent.elapsed()));
    let Ok((line, before, after)) = told else {
        common::cluster::print_logs([("b", b.log())], 40);
        panic!("Ann heard nothing of her move within {TOLD_WITHIN:?}");
    };
    assert!(line.starts_with("error: "), "{line}");
    assert!(
        before.iter().all(|line| !line.contains("was voided")),
        "told before the room is back: {before:?}"
    );
    eprintln!("told {after:?} after the guess: {line}");

    // The room comes back on b; Ann is seated again, told of the void, and plays on.
    let (voided, _) =
        tokio::time::timeout(Duration::from_secs(15), ann.until_contains("was voided"))
            .await
            .unwrap_or_else(|_| panic!("the room never came back"));
    eprintln!("{voided} ({:?} after the guess)", sent.elapsed());
    assert!(
        ann.play_round(20).await.is_some(),
        "Ann wins in the adopted room"
    );
    let won_on_b = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND claim_node = 'b' AND claim_epoch = 2"
    );
    assert_eq!(pg.count(&won_on_b), Ok(1));
    let late = common::cluster::commits_after_takeover(&pg).await;
    assert_eq!(late, Ok(Vec::new()), "a commit of a fenced epoch");
}
