//! Spectators on other nodes follow a room that moved: three `referee` processes of one
//! cluster (real PostgreSQL, real NATS), a room hosted on node a, Ann playing in it from b,
//! and two spectators — Sam on b (netcat), Tia on c (WebSocket, JSON) — watching it. The
//! host leaves (SIGTERM: handed over) or dies (SIGKILL: adopted from its snapshot); each
//! spectator, without typing anything, reads the room's `watching` again from its new host
//! (after a failure, `round_voided` first, as players do), then sees Ann's next guess.
//! Whichever of b and c takes the room, one spectator is on a third node.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::time::{Duration, Instant};

use common::Client;
use common::cluster::{NodeProc, PATIENCE, join_elsewhere, services};
use common::ws::WsClient;
use referee_store::pg_testing::TestSchema;
use serde_json::{Value, json};

/// Four seats (Zed, Ann, and Sam's quick match before he watches), a wide range (a guess
/// almost never wins), a short lease: a killed host's room is back about a second later.
const FLAGS: &[&str] = &[
    "--players-per-room",
    "4",
    "--lease-ms",
    "1000",
    "--max",
    "1000",
];

/// From the signal to a spectator's `watching` on the room's new host: the handover or the
/// lease (≤ 3 s measured after a SIGKILL at lease 1 s), the adoption, and room for a busy
/// machine. Without the word a spectator hears nothing more at all.
const TOLD_WITHIN: Duration = Duration::from_secs(5);

/// The guess Ann makes once the room has moved (a win, 1 in 1,000, is seen as well).
const GUESS: &str = "500";

/// The cluster, the room on a, Ann seated in it from b, Sam watching from b, Tia from c.
struct Watched {
    nodes: [NodeProc; 3],
    room: u64,
    ann: Client,
    sam: Client,
    tia: WsClient,
}

async fn room_on_a_watched_from_b_and_c(pg: &TestSchema) -> Watched {
    let a = NodeProc::start(pg, "a", FLAGS);
    let b = NodeProc::start(pg, "b", FLAGS);
    let c = NodeProc::start(pg, "c", FLAGS);
    let (_zed, room) = a.player().await;
    let (mut ann, _) = b.player().await;
    join_elsewhere(&mut ann, room).await;
    ann.send("/name Ann").await;
    ann.until_contains("You are now known as Ann").await;
    let (mut sam, _) = b.player().await;
    watch_tcp(&mut sam, room).await;
    let mut tia = WsClient::connect(c.http, None).await;
    watch_ws(&mut tia, room).await;
    Watched {
        nodes: [a, b, c],
        room,
        ann,
        sam,
        tia,
    }
}

/// `/watch room` from another node, retrying while that node has not heard of the room.
async fn watch_tcp(spectator: &mut Client, room: u64) {
    let started = Instant::now();
    loop {
        spectator.send(&format!("/watch {room}")).await;
        loop {
            let line = spectator.line().await;
            if line.starts_with(&format!("* You are watching room {room} ")) {
                return;
            }
            if line.starts_with("error: no room") {
                break;
            }
            assert!(!line.starts_with("error:"), "unexpected answer: {line}");
        }
        assert!(started.elapsed() < PATIENCE, "room {room} never seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `watch` over the WebSocket, retrying likewise.
async fn watch_ws(spectator: &mut WsClient, room: u64) {
    let started = Instant::now();
    loop {
        let id = spectator
            .request("watch", json!({"room": room.to_string()}))
            .await;
        let reply = spectator.reply(id).await;
        if reply["type"] == "watching" {
            assert_eq!(reply["room"]["id"], room, "{reply}");
            return;
        }
        assert_eq!(reply["type"], "error", "{reply}");
        assert!(
            started.elapsed() < PATIENCE,
            "room {room} never seen: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sam's `watching` line again, and the lines before it; `None` if not within the bound.
async fn sam_watches_again(sam: &mut Client, room: u64) -> Option<(Duration, Vec<String>)> {
    let since = Instant::now();
    let watching = format!("* You are watching room {room} ");
    let (_, skipped) = tokio::time::timeout(TOLD_WITHIN, sam.until(&watching))
        .await
        .ok()?;
    Some((since.elapsed(), skipped))
}

/// Tia's `watching` message again, and the messages before it; `None` if not within the bound.
async fn tia_watches_again(tia: &mut WsClient, room: u64) -> Option<(Duration, Vec<Value>)> {
    let since = Instant::now();
    let (watching, skipped) = tokio::time::timeout(
        TOLD_WITHIN,
        tia.until(|message| message["type"] == "watching"),
    )
    .await
    .ok()?;
    assert_eq!(watching["room"]["id"], room, "another room: {watching}");
    Some((since.elapsed(), skipped))
}

/// Both spectators told within the bound (the nodes' logs printed if not).
async fn both_watch_again(
    watched: &mut Watched,
    how: &str,
    signalled: Instant,
) -> (Vec<String>, Vec<Value>) {
    let room = watched.room;
    let (sam, tia) = tokio::join!(
        sam_watches_again(&mut watched.sam, room),
        tia_watches_again(&mut watched.tia, room),
    );
    let [_, b, c] = &watched.nodes;
    if sam.is_none() || tia.is_none() {
        common::cluster::print_logs([("b", b.log()), ("c", c.log())], 40);
    }
    let adopter = common::cluster::adopter(&[("b", b), ("c", c)]);
    eprintln!(
        "{how}, spectators watching again: Sam (b) {:?}, Tia (c) {:?} after the signal \
         ({:?} since); adopted by {adopter}",
        sam.as_ref().map(|(after, _)| after),
        tia.as_ref().map(|(after, _)| after),
        signalled.elapsed(),
    );
    let (_, sam) = sam.unwrap_or_else(|| panic!("Sam, on b, heard nothing within {TOLD_WITHIN:?}"));
    let (_, tia) = tia.unwrap_or_else(|| panic!("Tia, on c, heard nothing within {TOLD_WITHIN:?}"));
    for line in &sam {
        assert!(!line.starts_with("error:"), "Sam was told: {line}");
    }
    for message in &tia {
        assert_ne!(message["type"], "error", "Tia was told: {message}");
    }
    (sam, tia)
}

/// Ann guesses on the room's new host; both spectators see it there.
async fn both_see_anns_guess(watched: &mut Watched) {
    watched.ann.send(GUESS).await;
    let guess: i64 = GUESS.parse().unwrap_or_else(|e| panic!("{e}"));
    let seen = async {
        let sam = async {
            loop {
                let line = watched.sam.line().await;
                if line.contains(&format!("Ann guessed {GUESS}")) || line.contains("Ann won round")
                {
                    return line;
                }
            }
        };
        let tia = watched.tia.until(|message| {
            let event = &message["event"];
            message["type"] == "event"
                && (event["value"].as_i64() == Some(guess) || event["type"] == "won")
        });
        tokio::join!(sam, tia)
    };
    let (sam, (tia, _)) = tokio::time::timeout(PATIENCE, seen)
        .await
        .unwrap_or_else(|_| panic!("a spectator did not see Ann's guess"));
    eprintln!("after the move: Sam read {sam:?}, Tia {tia}");
}

#[tokio::test]
async fn spectators_on_other_nodes_follow_a_handed_over_room_to_its_new_host() {
    let Some(pg) = services("cluster_watch_handover").await else {
        return;
    };
    let mut watched = room_on_a_watched_from_b_and_c(&pg).await;
    watched.nodes[0].signal("-TERM");
    let (sam, tia) = both_watch_again(&mut watched, "SIGTERM", Instant::now()).await;
    for line in &sam {
        assert!(!line.contains("was voided"), "handed over, voided: {line}");
    }
    for message in &tia {
        assert_ne!(
            message["type"], "round_voided",
            "handed over, voided: {message}"
        );
    }
    both_see_anns_guess(&mut watched).await;
}

#[tokio::test]
async fn spectators_on_other_nodes_follow_a_killed_hosts_room_to_its_new_host() {
    let Some(pg) = services("cluster_watch_failover").await else {
        return;
    };
    let mut watched = room_on_a_watched_from_b_and_c(&pg).await;
    // The kill comes once a snapshot saved since both started watching says where they are.
    let room = watched.room;
    let both_saved = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND jsonb_array_length(COALESCE(s.body::jsonb -> 'room' -> 'watchers', '[]')) = 2"
    );
    common::cluster::eventually(&pg, &both_saved, 1).await;
    watched.nodes[0].signal("-KILL");
    let (sam, tia) = both_watch_again(&mut watched, "SIGKILL", Instant::now()).await;
    // Told as the players are: the round in play was voided.
    assert!(
        sam.iter().any(
            |line| line.contains(&format!("room {room} moved to another server"))
                && line.contains("was voided")
        ),
        "Sam was not told the round was voided: {sam:#?}"
    );
    assert!(
        tia.iter().any(|message| message["type"] == "round_voided"),
        "Tia was not told the round was voided: {tia:#?}"
    );
    both_see_anns_guess(&mut watched).await;
}
