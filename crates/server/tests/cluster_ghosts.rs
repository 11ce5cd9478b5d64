//! Seats of players whose node is gone, or out of their reach: a dead node's players
//! seated in a quiet room on another node are told away, held for the reconnect window and
//! freed (`room/ghosts.rs`); a player who came back through another node keeps the seat
//! when their old, still living node's parking lot gives it up (`seating.rs`).
//! Real `referee` processes, real PostgreSQL, real NATS.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::Client;
use common::cluster::{NodeProc, PATIENCE, join_elsewhere, services};
use common::ws::WsClient;
use serde_json::{Value, json};

/// A WebSocket player on the node at `http`, named `name`.
async fn named(http: SocketAddr, name: &str) -> WsClient {
    let mut player = WsClient::connect(http, None).await;
    let id = player.request("name", json!({"name": name})).await;
    let renamed = player.reply(id).await;
    assert_ne!(renamed["type"], "error", "{renamed}");
    player
}

/// Seats a WebSocket player in room `room` of another node, asking again while their node
/// has not heard of it yet (rooms are announced twice a second).
async fn ws_join_elsewhere(player: &mut WsClient, room: u64) {
    let started = Instant::now();
    loop {
        let joined = player.join(&room.to_string()).await;
        if joined["type"] == "joined" {
            assert_eq!(joined["room"]["id"], room, "{joined}");
            return;
        }
        assert_eq!(joined["code"], "no_such_room", "{joined}");
        assert!(started.elapsed() < PATIENCE, "room {room} never seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The players seated in the room of `player`'s seat (`who`).
async fn seated(player: &mut WsClient) -> Vec<Value> {
    let id = player.request("who", json!({})).await;
    let who = player.reply(id).await;
    who["members"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_dead_nodes_player_in_a_quiet_room_elsewhere_is_told_away_then_the_seat_is_freed() {
    let Some(pg) = services("cluster_ghosts_dead_node").await else {
        return;
    };
    let flags = ["--players-per-room", "3", "--reconnect-window", "3"];
    let a = NodeProc::start(&pg, "a", &flags);
    let b = NodeProc::start(&pg, "b", &flags);
    let c = NodeProc::start(&pg, "c", &flags);
    // The room is hosted on c; Bob sits in it from b, Ann (with a token) from a: full.
    let (_host, room) = c.player().await;
    let mut bob = Client::connect(b.tcp).await;
    bob.greeting().await;
    join_elsewhere(&mut bob, room).await;
    let mut ann = named(a.http, "Ann").await;
    ws_join_elsewhere(&mut ann, room).await;
    bob.until_contains("* Ann joined the room.").await;

    // Node a dies. The room is quiet: nobody moves, nothing is pushed to Ann.
    a.signal("-KILL");
    let killed = Instant::now();
    ann.drop_connection();
    bob.until_contains("* Ann lost their connection; their seat is kept for 3 s.")
        .await;
    let away = killed.elapsed();
    bob.until_contains("* Ann left the room.").await;
    let left = killed.elapsed();
    eprintln!("Ann told away {away:?} and gone {left:?} after her node was killed");
    // Away once the database shows a silent for 5 s (heartbeats each second), then held.
    assert!(away < Duration::from_secs(9), "away after {away:?}");
    assert!(
        left - away >= Duration::from_millis(2_500),
        "the seat was held for the window: away {away:?}, left {left:?}"
    );

    // Her seat is free: a new player takes it.
    let mut dee = Client::connect(b.tcp).await;
    dee.greeting().await;
    join_elsewhere(&mut dee, room).await;
    bob.until_contains(" joined the room.").await;
}

#[tokio::test]
async fn a_player_back_through_another_node_keeps_the_seat_their_old_nodes_lot_gives_up() {
    let Some(pg) = services("cluster_ghosts_lot").await else {
        return;
    };
    let window = Duration::from_secs(2);
    let flags = ["--players-per-room", "1", "--reconnect-window", "2"];
    let a = NodeProc::start(&pg, "a", &flags);
    let b = NodeProc::start(&pg, "b", &flags);
    let mut ann = named(a.http, "Ann").await;
    let joined = ann.play().await;
    let room = joined["room"]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no room in {joined}"));
    let (player, token) = (ann.player(), ann.token());

    // Her connection to a drops; a lives on and parks her seat for the window. She comes
    // back through b with her token, into the same seat.
    ann.drop_connection();
    let dropped = Instant::now();
    let mut back = WsClient::connect(b.http, Some(&format!("{token}&room={room}"))).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), player);
    back.expect("joined").await;

    // Past the window a's parking lot gives the seat it parked up: the room (on a) must
    // see that this seating no longer holds the seat.
    let ignored = "leave: a departure from a seating that no longer holds the seat";
    let deadline = dropped + window + PATIENCE;
    loop {
        let members = seated(&mut back).await;
        assert!(
            members.iter().any(|m| m["player"] == player),
            "{:?} after the drop, Ann is not seated: {members:?}",
            dropped.elapsed()
        );
        if a.log().iter().any(|line| line.contains(ignored)) {
            break;
        }
        assert!(Instant::now() < deadline, "a's parking lot never gave up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "a's stale leave came {:?} after the drop",
        dropped.elapsed()
    );
    // She is still seated and plays.
    assert!(
        seated(&mut back)
            .await
            .iter()
            .any(|m| m["player"] == player),
        "Ann lost her seat"
    );
    assert!(back.play_round(20).await.is_some(), "Ann, alone, wins");
}
