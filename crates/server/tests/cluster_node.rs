//! `referee serve --cluster`: real `referee` processes on loopback, real PostgreSQL (a fresh
//! schema per test) and real NATS. A node refuses to start without PostgreSQL; registers and
//! shows itself in `/api/cluster`; two nodes get different indices and disjoint room
//! numbers; a won round is committed under its room's claim (node and epoch); a node's
//! claims stop being live a lease after it is SIGKILLed, and at once when it is SIGTERMed;
//! a room whose claim is lost closes and tells its player and its spectator (line and JSON
//! protocols), and a win it can no longer commit is never announced.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::io::BufReader;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::cluster::{NodeProc, db_url, eventually, referee, services};
use common::http::http_get;
use common::ws::WsClient;
use common::{find_secret, listening_address};
use serde_json::json;

fn live_claims_of(node: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM room_claims WHERE node = '{node}' AND expires_at > clock_timestamp()"
    )
}

#[test]
fn cluster_with_sqlite_or_without_a_database_is_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("referee.db");
    let file = file.to_string_lossy();
    for db in [vec!["--db", &file], vec!["--no-db"], vec![]] {
        let output = referee()
            .args(["--cluster", "nats://127.0.0.1:4222", "--node", "a"])
            .args(&db)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{db:?}: {stderr}");
        assert!(
            stderr.contains("--cluster cannot run") && stderr.contains("--db postgres://"),
            "{db:?}: {stderr}"
        );
        assert!(!stderr.contains("listening"), "no port opened: {stderr}");
    }
    for args in [
        vec!["--cluster", "nats://127.0.0.1:4222"],
        vec!["--node", "a"],
        vec!["--cluster", "nats://127.0.0.1:4222", "--node", "a b"],
    ] {
        let output = referee().args(&args).output();
        let output = output.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test]
async fn a_node_shows_itself_and_without_cluster_the_endpoint_is_a_json_404() {
    let Some(pg) = services("cluster_shows_itself").await else {
        return;
    };
    let node = NodeProc::start(&pg, "alpha", &[]);
    let view = node.cluster().await;
    assert_eq!(view["node"], "alpha", "{view}");
    assert_eq!(view["index"], 1, "{view}");
    assert!(view["nats_rtt_us"].is_u64(), "{view}");
    let nodes = view["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 1, "{view}");
    assert_eq!(nodes[0]["live"], true, "{view}");
    assert_eq!(nodes[0]["addresses"]["tcp"], node.tcp.to_string(), "{view}");
    let (_player, room) = node.player().await;
    let room = format!("room/{room}");
    eventually(&pg, &live_claims_of("alpha"), 1).await;
    // The answer is kept for a second: wait for a read made since the player came.
    let view = node
        .cluster_until("the player's claim", |view| {
            view["claims"]["alpha"][0]["room"] == room.as_str()
        })
        .await;
    assert_eq!(view["players"], 1, "{view}");
    assert_eq!(view["claims"]["alpha"][0]["room"], room.as_str(), "{view}");
    assert_eq!(view["claims"]["alpha"][0]["live"], true, "{view}");
    assert_eq!(view["leases"][0]["room"], room.as_str(), "{view}");

    let mut alone = referee()
        .args(["--no-db"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stderr = BufReader::new(alone.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let _tcp = listening_address(&mut stderr);
    let http = listening_address(&mut stderr);
    let (status, body) = http_get(http, "/api/cluster").await;
    let _ = alone.kill();
    let _ = alone.wait();
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains(r#""error":"this server is not in a cluster""#),
        "{body}"
    );
}

#[tokio::test]
async fn two_nodes_get_their_own_indices_and_room_numbers_and_keep_them() {
    let Some(pg) = services("cluster_two_nodes").await else {
        return;
    };
    let (a, b) = (
        NodeProc::start(&pg, "a", &[]),
        NodeProc::start(&pg, "b", &[]),
    );
    let (ia, ib) = (
        a.cluster().await["index"].clone(),
        b.cluster().await["index"].clone(),
    );
    let (ia, ib) = (ia.as_u64().unwrap_or(0), ib.as_u64().unwrap_or(0));
    assert!(ia >= 1 && ib >= 1 && ia != ib, "{ia} {ib}");
    let (_pa, room_a) = a.player().await;
    let (_pb, room_b) = b.player().await;
    assert_eq!(room_a, ia * 1_000_000_000 + 1);
    assert_eq!(room_b, ib * 1_000_000_000 + 1);
    let two_live = |view: &serde_json::Value| {
        let nodes = view["nodes"].as_array().into_iter().flatten();
        nodes.filter(|n| n["live"] == true).count() == 2
    };
    let nodes = a.cluster_until("both nodes live", two_live).await["nodes"].clone();
    let live: Vec<_> = nodes
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["live"] == true)
        .map(|n| n["name"].clone())
        .collect();
    assert_eq!(live.len(), 2, "{nodes}");
    // The same name gets its index back.
    drop(a);
    let again = NodeProc::start(&pg, "a", &[]);
    assert_eq!(again.cluster().await["index"].as_u64(), Some(ia));
}

#[tokio::test]
async fn a_win_is_committed_under_the_rooms_claim_and_sigkill_lets_the_lease_run_out() {
    let Some(pg) = services("cluster_fenced_win").await else {
        return;
    };
    let node = NodeProc::start(&pg, "n1", &["--lease-ms", "1000"]);
    let (mut player, room) = node.player().await;
    let room = format!("room/{room}");
    let won = player.play_round(20).await;
    assert!(won.is_some(), "alone in the room, the player wins");
    let fenced = format!(
        "SELECT COUNT(*) FROM rounds WHERE claim_room = '{room}' AND claim_node = 'n1' \
         AND claim_epoch = 1"
    );
    assert_eq!(pg.count(&fenced), Ok(1), "the win carries its claim");
    assert_eq!(pg.count("SELECT COUNT(*) FROM rounds"), Ok(1));
    // Renewed: still live well past the first lease.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pg.count(&live_claims_of("n1")), Ok(1), "renewed");
    node.signal("-KILL");
    let (_, _) = node.wait().await;
    let waited = eventually(&pg, &live_claims_of("n1"), 0).await;
    assert!(
        waited <= Duration::from_millis(1500),
        "ran out after {waited:?}"
    );
}

#[tokio::test]
async fn sigterm_releases_the_claims_at_once() {
    let Some(pg) = services("cluster_sigterm").await else {
        return;
    };
    // A lease of a minute: only a release can end it within the test.
    let node = NodeProc::start(&pg, "n1", &["--lease-ms", "60000"]);
    let (mut player, _room) = node.player().await;
    assert!(player.play_round(20).await.is_some());
    eventually(&pg, &live_claims_of("n1"), 1).await;
    node.signal("-TERM");
    let (status, log) = node.wait().await;
    assert!(status.success(), "{status:?}: {log:?}");
    assert_eq!(pg.count(&live_claims_of("n1")), Ok(0), "{log:?}");
    let left = "SELECT COUNT(*) FROM cluster_nodes WHERE name = 'n1' AND left_at IS NOT NULL";
    assert_eq!(pg.count(left), Ok(1), "marked gone");
}

#[tokio::test]
async fn a_room_whose_claim_is_lost_closes_and_never_announces_a_win_it_could_not_commit() {
    let Some(pg) = services("cluster_lost_claim").await else {
        return;
    };
    // A long lease: the keeper will not notice before the commit does.
    let node = NodeProc::start(&pg, "n1", &["--lease-ms", "60000"]);
    let (mut player, room) = node.player().await;
    eventually(&pg, &live_claims_of("n1"), 1).await;
    let secret = find_secret(&mut player).await;
    // Another node "takes" the room: its lease ends by the database's clock.
    let taken =
        format!("UPDATE room_claims SET expires_at = clock_timestamp() WHERE room = 'room/{room}'");
    pg.execute(&taken).unwrap_or_else(|e| panic!("{e}"));
    player.send(&secret.to_string()).await;
    let (closed, before) = player.until_contains("lost its claim").await;
    assert!(
        !before.iter().any(|line| line.starts_with("Correct!")),
        "a fenced win is never announced: {before:?}"
    );
    assert!(closed.contains(&format!("room {room} closed")), "{closed}");
    assert_eq!(pg.count("SELECT COUNT(*) FROM rounds"), Ok(0));
    player.send("5").await;
    let (gone, _) = player.until_contains("room").await;
    assert!(gone.contains("closed"), "{gone}");
    // The node serves on: a new player gets a new room, claimed.
    let (_again, next) = node.player().await;
    assert_ne!(next, room);
    let next_live = format!(
        "SELECT COUNT(*) FROM room_claims WHERE room = 'room/{next}' \
         AND expires_at > clock_timestamp()"
    );
    eventually(&pg, &next_live, 1).await;
}

#[tokio::test]
async fn a_room_whose_lease_is_taken_is_closed_by_the_keeper_and_its_player_told() {
    let Some(pg) = services("cluster_lease_taken").await else {
        return;
    };
    // Renewed every 300 ms: the keeper learns of the loss at its next renewal.
    let node = NodeProc::start(&pg, "n1", &["--lease-ms", "900"]);
    let (mut player, room) = node.player().await;
    // A browser spectator: the JSON protocol hears it too.
    let mut watcher = WsClient::connect(node.http, None).await;
    let id = watcher.request("watch", json!({"room": room})).await;
    let watching = watcher.reply(id).await;
    assert_eq!(watching["type"], "watching", "{watching}");
    eventually(&pg, &live_claims_of("n1"), 1).await;
    let taken =
        format!("UPDATE room_claims SET expires_at = clock_timestamp() WHERE room = 'room/{room}'");
    pg.execute(&taken).unwrap_or_else(|e| panic!("{e}"));
    // No move: the player hears it from the room, which the keeper had closed.
    let (closed, _) = player.until_contains("lost its claim").await;
    assert!(closed.contains(&format!("room {room} closed")), "{closed}");
    let (lost, _) = watcher.until(|m| m["type"] == "error").await;
    assert_eq!(lost["code"], "host_lost", "{lost}");
    // Counted. (The room itself, its snapshot left, may be adopted again at once — by this
    // node, the only one — as a room whose host lost it.)
    let (_, metrics) = http_get(node.http, "/metrics").await;
    assert!(
        metrics.contains("referee_cluster_leases_lost_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn unreachable_nats_stops_the_start_with_a_clear_error() {
    let Some(pg) = services("cluster_no_nats").await else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = closed.local_addr().map(|a| a.port()).unwrap_or(1);
    drop(closed);
    let nats = format!("nats://127.0.0.1:{port}");
    let started = Instant::now();
    let output = referee()
        .args(["--db", &db_url(&pg), "--cluster", &nats, "--node", "n1"])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("referee: cannot reach NATS at {nats}")),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        pg.count("SELECT COUNT(*) FROM cluster_nodes"),
        Ok(0),
        "not registered"
    );
}

#[tokio::test]
async fn a_node_restarted_at_once_numbers_past_its_earlier_rooms_and_adopts_them() {
    let Some(pg) = services("cluster_restart").await else {
        return;
    };
    let node = NodeProc::start(&pg, "n1", &["--lease-ms", "1000"]);
    let (_player, room) = node.player().await;
    eventually(&pg, &live_claims_of("n1"), 1).await;
    // Killed once the room's snapshot holds the player's seat (saved in the background; a
    // room killed before it has none, and nobody to come back to it).
    let seated = format!(
        "SELECT COUNT(*) FROM room_snapshots WHERE room = 'room/{room}' \
         AND body LIKE '%\"seats\":[{{%'"
    );
    eventually(&pg, &seated, 1).await;
    node.signal("-KILL");
    let _ = node.wait().await;
    // Started again within the lease: its new rooms are numbered past the old one, so it
    // plays at once, committing under a claim of its own.
    let again = NodeProc::start(&pg, "n1", &["--lease-ms", "1000"]);
    let (mut player, fresh) = again.player().await;
    assert!(fresh > room, "{fresh} after {room}");
    assert!(player.play_round(20).await.is_some());
    let first = format!(
        "SELECT COUNT(*) FROM rounds WHERE claim_room = 'room/{fresh}' AND claim_epoch = 1"
    );
    assert_eq!(
        pg.count(&first),
        Ok(1),
        "committed under the new room's claim"
    );
    // The old room, whose player may come back, is adopted once its lease runs out.
    let adopted = format!(
        "SELECT COUNT(*) FROM room_claims WHERE room = 'room/{room}' AND node = 'n1' \
         AND epoch = 2 AND expires_at > clock_timestamp()"
    );
    eventually(&pg, &adopted, 1).await;
}
