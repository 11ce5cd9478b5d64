//! Faults inside the server: a referee that panics is restarted from the room's last
//! consistent state and its players keep playing; a room that keeps crashing is closed; a
//! connection task that fails ends that connection only. Faults are injected with the
//! test-only `/fault` commands (`ServerConfig::allow_faults`).

mod common;

use common::{TestServer, room_of};

#[tokio::test]
async fn a_crashed_referee_restarts_from_the_last_state_and_nobody_leaves() {
    let server = TestServer::start(|c| c.players_per_room(2).allow_faults(true)).await;
    let (mut ann, ann_id, _) = server.player().await;
    let (mut bo, bo_id, _) = server.player().await;
    let (mut other, _, seat) = server.player().await;
    assert_eq!(room_of(&seat), 2);
    assert_eq!(ann.play_round(20).await, Some(1));
    let (round_2, _) = ann.until("Round 2").await;
    bo.send("/fault room").await;
    let restarted = "* The referee hit a problem and restarted; seats and scores are kept.";
    for player in [&mut ann, &mut bo] {
        assert_eq!(player.until(restarted).await.0, restarted);
        // The restarted referee keeps the round's secret: the same commitment stands.
        assert_eq!(player.line().await, round_2);
    }
    ann.send("/score").await;
    assert_eq!(
        ann.line().await,
        format!("Scores in room 1: Player {ann_id} 1, Player {bo_id} 0."),
        "the score won before the crash is kept"
    );
    assert_eq!(ann.play_round(20).await, Some(2), "the game goes on");
    // The room next door never noticed.
    other.send("/score").await;
    let (scores, skipped) = other.until("Scores").await;
    assert!(scores.starts_with("Scores in room 2"), "{scores}");
    assert!(
        skipped.iter().all(|line| !line.contains("referee")),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn a_room_that_keeps_crashing_is_closed_and_its_players_move_on() {
    let server = TestServer::start(|c| c.players_per_room(1).allow_faults(true)).await;
    let (mut me, _, _) = server.player().await;
    for _ in 0..4 {
        me.send("/fault room").await;
    }
    me.send("/score").await;
    let (closed, _) = me.until("error:").await;
    assert_eq!(
        closed,
        "error: your room closed; type /play to join another"
    );
    me.send("/play").await;
    let (seat, _) = me.until("* You joined").await;
    assert!(seat.starts_with("* You joined room 2"), "{seat}");
    // The lobby learns of the death from the room's end: ask until it has.
    let mut rooms = String::new();
    for _ in 0..100 {
        me.send("/rooms").await;
        rooms = me.until("Public rooms").await.0;
        if !rooms.contains("room 1 ") {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(
        !rooms.contains("room 1 "),
        "the dead room is forgotten: {rooms}"
    );
}

#[tokio::test]
async fn a_failing_connection_task_ends_that_connection_only() {
    let server = TestServer::start(|c| c.players_per_room(2).allow_faults(true)).await;
    let (mut ann, _, _) = server.player().await;
    let (mut bo, bo_id, _) = server.player().await;
    bo.send("/fault session").await;
    assert!(
        bo.until_closed().await.is_empty(),
        "the failed task closed its connection"
    );
    // The room finds Bo gone at its next push to him, and frees his seat.
    ann.send("/say anyone there?").await;
    let left = format!("* Player {bo_id} left the room.");
    assert_eq!(ann.until(&left).await.0, left);
    assert_eq!(ann.play_round(20).await, Some(1));
    let (_newcomer, _, seat) = server.player().await;
    assert!(seat.starts_with("* You joined room 1 (2/2"), "{seat}");
}
