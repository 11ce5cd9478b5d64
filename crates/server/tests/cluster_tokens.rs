//! Tokens valid cluster-wide: a WebSocket player whose node dies presents their token (and
//! their room) to another node and is back in the same seat, same number and name; a forged
//! token, or a real token for a seat that is not its player's, makes a new player, told why.
//! Real `referee` processes, real PostgreSQL, real NATS.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::cluster::{NodeProc, PATIENCE, eventually, services};
use common::ws::WsClient;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One seat per room (each player alone in a room of their node), a short lease.
const FLAGS: &[&str] = &["--players-per-room", "1", "--lease-ms", "2000"];

#[tokio::test]
async fn a_websocket_player_whose_node_is_killed_is_back_in_the_same_seat_on_another_node() {
    let Some(pg) = services("cluster_tokens_failover").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", FLAGS);
    let b = NodeProc::start(&pg, "b", FLAGS);
    let (mut ann, room) = a.ws_player("Ann").await;
    let (player, token) = (ann.player(), ann.token());
    assert!(ann.play_round(20).await.is_some(), "Ann, alone, wins");
    // The kill comes once the snapshot taken after that win is saved.
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    eventually(&pg, &saved_after_win, 1).await;

    a.signal("-KILL");
    let killed = Instant::now();
    ann.drop_connection();
    // Node b does not know the token: it checks its signature, asks the room (adopted by b
    // once a's lease runs out) whether Ann sits there, and gives her the seat back.
    let mut back = WsClient::come_back(b.http, &token, room).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), player, "the same player");
    assert_eq!(back.welcome["name"], "Ann", "{}", back.welcome);
    assert_eq!(back.token(), token, "the token stays hers");
    let joined = back.expect("joined").await;
    assert_eq!(joined["room"]["id"], room, "{joined}");
    let took = killed.elapsed();
    assert!(took < PATIENCE, "back after {took:?}");
    eprintln!("back in her seat {took:?} after the kill");

    // She plays on there: a win, committed once under the new claim.
    assert!(back.play_round(20).await.is_some(), "Ann wins on node b");
    let rounds = format!("SELECT COUNT(*) FROM rounds WHERE room = {room} AND winner = 'Ann'");
    eventually(&pg, &rounds, 2).await;
    let under_b = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND claim_node = 'b' AND claim_epoch = 2"
    );
    assert_eq!(pg.count(&under_b), Ok(1));
    // Her score in the room counts both wins.
    let id = back.request("scores", json!({})).await;
    let scores = back.reply(id).await;
    assert!(
        scores.to_string().contains("\"points\":2"),
        "two points: {scores}"
    );
}

#[tokio::test]
async fn a_forged_token_or_another_players_seat_is_refused_with_a_clear_error() {
    let Some(pg) = services("cluster_tokens_refused").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", FLAGS);
    let b = NodeProc::start(&pg, "b", FLAGS);
    let (ann, ann_room) = a.ws_player("Ann").await;
    let (bob, bob_room) = a.ws_player("Bob").await;
    assert_ne!(ann_room, bob_room);
    let token = ann.token();

    // The signature over another player's number: forged.
    let forged = token.replacen(
        &format!("v1.{}.", ann.player()),
        &format!("v1.{}.", bob.player()),
        1,
    );
    assert_ne!(forged, token);
    let mut mallory = WsClient::come_back(b.http, &forged, bob_room).await;
    assert_eq!(mallory.welcome["resumed"], false, "{}", mallory.welcome);
    assert_ne!(mallory.player(), bob.player());
    let error = mallory.refusal().await;
    assert_eq!(error["code"], "bad_token", "{error}");
    assert!(
        error.to_string().contains("signature does not match"),
        "{error}"
    );

    // Ann's own token, for Bob's room: the room holds no seat of hers.
    let mut nosy = WsClient::come_back(b.http, &token, bob_room).await;
    assert_eq!(nosy.welcome["resumed"], false, "{}", nosy.welcome);
    assert_ne!(nosy.player(), ann.player());
    let error = nosy.refusal().await;
    assert_eq!(error["code"], "bad_token", "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("room {bob_room} holds no seat of yours")),
        "{error}"
    );

    // Bob is still alone in his seat, as he was.
    let mut bob = bob;
    let id = bob.request("who", json!({})).await;
    let who = bob.reply(id).await;
    let members = who["members"].as_array().cloned().unwrap_or_default();
    assert_eq!(members.len(), 1, "{who}");
    assert_eq!(members[0]["player"], bob.player(), "{who}");

    // On her own node, Ann's signed token resumes her parked seat as on one server.
    let (ann_id, ann_token) = (ann.player(), ann.token());
    ann.close().await;
    let mut again = WsClient::connect(a.http, Some(&ann_token)).await;
    assert_eq!(again.welcome["resumed"], true, "{}", again.welcome);
    assert_eq!(again.player(), ann_id);
    let joined = again.expect("joined").await;
    assert_eq!(joined["room"]["id"], ann_room, "{joined}");
}

#[tokio::test]
async fn a_nodes_public_url_is_announced_and_the_other_nodes_pages_may_reach_it() {
    let Some(pg) = services("cluster_tokens_public_url").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", FLAGS);
    let mut flags = FLAGS.to_vec();
    flags.extend(["--public-url", "http://b.test:8080/"]);
    let b = NodeProc::start(&pg, "b", &flags);
    // Each hears the other's address (announcements every 500 ms); a shows b's to its page.
    hears(&a, "http://b.test:8080").await;
    hears(&b, &format!("http://{}", a.http)).await;
    // Its game page may open a WebSocket to b; nothing else is loosened.
    let mut stream = tokio::net::TcpStream::connect(a.http)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = common::http::fetch(&mut stream, "/", "").await;
    let policy = page
        .lines()
        .find(|line| {
            line.to_ascii_lowercase()
                .starts_with("content-security-policy:")
        })
        .unwrap_or_else(|| panic!("no policy: {page}"));
    assert!(
        policy.contains("connect-src 'self' ws://b.test:8080;"),
        "{policy}"
    );
    // Node b lets node a's page open a WebSocket, and not a stranger's.
    assert_eq!(handshake(b.http, &format!("http://{}", a.http)).await, 101);
    assert_eq!(handshake(b.http, "http://evil.test").await, 403);
}

/// Waits until `node` has heard of a node whose page is `page`.
async fn hears(node: &NodeProc, page: &str) {
    let started = Instant::now();
    loop {
        let cluster = node.cluster().await;
        let peers = cluster["peers"].as_array().cloned().unwrap_or_default();
        if peers.iter().any(|peer| peer["http"] == page) {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{page} never heard: {cluster}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status of a WebSocket handshake with `/ws` of `http` from a page of `origin`.
async fn handshake(http: SocketAddr, origin: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(http)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let headers = format!(
        "Origin: {origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    let request = format!("GET /ws HTTP/1.1\r\nHost: {http}\r\n{headers}\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = [0_u8; 12];
    let read = tokio::time::timeout(common::TIMEOUT, stream.read_exact(&mut first)).await;
    assert!(matches!(read, Ok(Ok(_))), "no answer to the handshake");
    common::http::status_of(&String::from_utf8_lossy(&first))
}
