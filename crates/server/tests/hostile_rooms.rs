//! Attacks on private rooms and held seats (issue #14), with honest players beside: guessing
//! codes from one connection and from many, watching unseen, holding seats by the thousand,
//! and a burst of reconnections with one token. Every client is on 127.0.0.1.

mod common;

use common::http::http_get;
use common::ws::{Received, WsClient};
use common::{Client, TIMEOUT, TestServer};
use serde_json::{Value, json};

/// A code that names no room (the real ones are drawn at random: this one is astronomically
/// unlikely to be one; `n` makes each guess different).
fn wrong_code(n: usize) -> String {
    let letters = b"ABCDEFGHJK";
    let tail: String = (0..5).map(|i| char::from(letters[(n + i) % 10])).collect();
    format!("ZZZZZ-{tail}")
}

/// Opens a private room over TCP; returns the host and the code.
async fn private_room(server: &TestServer) -> (Client, u64, String) {
    let (mut host, host_id, _) = server.player().await;
    host.send("/new").await;
    let (opened, _) = host.until("* You joined private room").await;
    let code = opened
        .rsplit("/join ")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(code.len(), 11, "{opened}");
    (host, host_id, code)
}

/// A number from `/api/status`'s JSON.
async fn status(server: &TestServer, key: &str) -> u64 {
    let (code, body) = http_get(server.http, "/api/status").await;
    assert_eq!(code, 200, "{body}");
    let status: Value = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
    status[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

/// A counter from `/metrics` (0 if not there yet).
async fn counter(server: &TestServer, series: &str) -> u64 {
    let (_, text) = http_get(server.http, "/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn guessing_codes_from_one_connection_is_cut_off_and_finds_nothing() {
    let server =
        TestServer::start(|c| c.failed_lookups_per_client(3).failed_lookups_per_ip(100)).await;
    let (mut host, _, code) = private_room(&server).await;
    let (mut guesser, _, _) = server.player().await;
    // Three failures fit in the burst; the fourth is made but spends what is left.
    for n in 0..4 {
        guesser.send(&format!("/join {}", wrong_code(n))).await;
        let (refused, _) = guesser.until("error: ").await;
        assert!(refused.starts_with("error: no room"), "{refused}");
    }
    // From now on nothing is looked up: not even the right code gets in.
    for wanted in [wrong_code(9), code.clone()] {
        guesser.send(&format!("/watch {wanted}")).await;
        let (refused, _) = guesser.until("error: ").await;
        assert!(refused.starts_with("error: too many tries"), "{refused}");
    }
    guesser.send(&format!("/join {code}")).await;
    assert!(
        guesser
            .until("error: ")
            .await
            .0
            .starts_with("error: too many tries")
    );

    // An honest friend on the same address, with the code, walks in; the host hears only them.
    let (mut friend, friend_id, _) = server.player().await;
    friend
        .send(&format!("/join {}", code.to_lowercase().replace('-', " ")))
        .await;
    assert!(
        friend
            .until("* You joined private room")
            .await
            .0
            .contains(&code)
    );
    let (heard, _) = host.until("* ").await;
    assert_eq!(heard, format!("* Player {friend_id} joined the room."));
    assert_eq!(
        counter(
            &server,
            "referee_room_lookups_refused_total{scope=\"client\"}"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn guessing_codes_from_many_connections_is_cut_off_by_address() {
    let server =
        TestServer::start(|c| c.failed_lookups_per_client(100).failed_lookups_per_ip(4)).await;
    let (_host, _, code) = private_room(&server).await;
    // Five connections from one address, one guess each: the fifth spends the address's last.
    let mut guessers = Vec::new();
    for n in 0..5 {
        let (mut guesser, _, _) = server.player().await;
        guesser.send(&format!("/watch {}", wrong_code(n))).await;
        assert!(
            guesser
                .until("error: ")
                .await
                .0
                .starts_with("error: no room")
        );
        guessers.push(guesser);
    }
    // A sixth connection, line protocol, and a seventh, JSON: both refused unmade.
    let (mut sixth, _, _) = server.player().await;
    sixth.send(&format!("/watch {code}")).await;
    assert!(
        sixth
            .until("error: ")
            .await
            .0
            .starts_with("error: too many tries")
    );
    let mut json = WsClient::connect(server.http, None).await;
    let id = json.request("join", json!({"room": code})).await;
    let refused = json.reply(id).await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("too_many_attempts")),
        "{refused}"
    );
    assert_eq!(
        counter(&server, "referee_room_lookups_refused_total{scope=\"ip\"}").await,
        2
    );
    // A public room joined by number is no failure, and is still found.
    let id = json.request("play", json!({})).await;
    assert_eq!(json.reply(id).await["type"], "joined");
}

#[tokio::test]
async fn members_are_told_who_watches_and_who_lists_them() {
    let server = TestServer::start(|c| c).await;
    let (mut host, host_id, code) = private_room(&server).await;
    // A browser member too, for the JSON pushes.
    let mut member = WsClient::connect(server.http, None).await;
    assert_eq!(member.join(&code).await["type"], "joined");
    host.until("* ").await;

    let (mut watcher, watcher_id, _) = server.player().await;
    watcher.send(&format!("/watch {code}")).await;
    watcher.until("* You are watching").await;
    assert_eq!(
        host.until("* ").await.0,
        format!("* Player {watcher_id} is watching.")
    );
    let arrived = member.expect("spectator_joined").await;
    assert_eq!(arrived["player"], watcher_id);

    host.send("/who").await;
    let (who, _) = host.until("In private room").await;
    assert_eq!(
        who,
        format!(
            "In private room {code}: 2/3 players: Player {host_id}, Player {}; watching: Player {watcher_id}.",
            member.player()
        )
    );
    let id = member.request("who", json!({})).await;
    let listed = member.reply(id).await;
    assert_eq!(listed["type"], "who");
    assert_eq!(listed["spectators"][0]["player"], watcher_id);

    watcher.send("/leave").await;
    assert_eq!(
        host.until("* ").await.0,
        format!("* Player {watcher_id} stopped watching.")
    );
    assert_eq!(member.expect("spectator_left").await["player"], watcher_id);
}

#[tokio::test]
async fn the_owner_can_close_a_private_room_to_spectators() {
    let server = TestServer::start(|c| c).await;
    let (mut host, _, code) = private_room(&server).await;
    let (mut watcher, watcher_id, _) = server.player().await;
    watcher.send(&format!("/watch {code}")).await;
    watcher.until("* You are watching").await;
    host.until("* ").await;

    // A guest who did not open the room may not decide.
    let (mut guest, _, _) = server.player().await;
    guest.send(&format!("/join {code}")).await;
    guest.until("* You joined").await;
    guest.send("/spectators off").await;
    assert!(
        guest
            .until("error: ")
            .await
            .0
            .starts_with("error: only the player who opened")
    );

    host.send("/spectators off").await;
    let (_, before) = host.until("* Nobody may watch").await;
    assert!(
        before.contains(&format!("* Player {watcher_id} stopped watching.")),
        "{before:?}"
    );
    assert!(watcher.until("* You left").await.0.contains(&code));
    // Sent away, the spectator reads nothing more of the room.
    for command in ["/who", "/score"] {
        watcher.send(command).await;
        let (refused, _) = watcher.until("error: ").await;
        assert!(
            refused.starts_with("error: you are not in a room"),
            "{command}: {refused}"
        );
    }

    let (mut other, _, _) = server.player().await;
    other.send(&format!("/watch {code}")).await;
    let (refused, _) = other.until("error: ").await;
    assert_eq!(
        refused,
        format!("error: private room {code} does not allow spectators")
    );
    let mut json = WsClient::connect(server.http, None).await;
    let id = json.request("watch", json!({"room": code})).await;
    assert_eq!(json.reply(id).await["code"], "spectators_forbidden");
    // A refusal of a room that exists is no failed lookup: no lockout follows.
    for _ in 0..6 {
        other.send(&format!("/watch {code}")).await;
        assert!(
            other
                .until("error: ")
                .await
                .0
                .contains("does not allow spectators")
        );
    }

    host.send("/spectators on").await;
    host.until("* Spectators may watch").await;
    other.send(&format!("/watch {code}")).await;
    other.until("* You are watching").await;
}

#[tokio::test]
async fn the_park_and_drop_loop_stays_under_the_cap() {
    const CAP: u64 = 6;
    const LOOPS: u64 = 30;
    let server = TestServer::start(|c| c.max_parked(CAP as usize).max_parked_per_ip(1_000)).await;
    let (mut honest, _, _) = server.player().await;
    for _ in 0..LOOPS {
        let mut client = WsClient::connect(server.http, None).await;
        let id = client.request("create", json!({})).await;
        assert_eq!(client.reply(id).await["type"], "joined");
        client.close().await;
    }
    // Every park past the cap gave up the oldest held seat (bounded wait: each poll asks).
    let series = "referee_parked_seats_released_total{cap=\"total\"}";
    let mut released = 0;
    for _ in 0..200 {
        released = counter(&server, series).await;
        if released == LOOPS - CAP {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(released, LOOPS - CAP);
    let mut rooms = u64::MAX;
    for _ in 0..200 {
        rooms = status(&server, "rooms").await;
        if rooms <= CAP + 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(
        rooms <= CAP + 1,
        "{rooms} rooms: the held ones and the honest player's"
    );
    assert!(status(&server, "away").await <= CAP);
    // The honest player was answered throughout.
    honest.send("/ping").await;
    assert_eq!(honest.until("pong").await.0, "pong");
    assert!(honest.play_round(20).await.is_some());
}

#[tokio::test]
async fn one_address_holds_only_so_many_seats() {
    const PER_IP: u64 = 3;
    let server =
        TestServer::start(|c| c.max_parked(1_000).max_parked_per_ip(PER_IP as usize)).await;
    for _ in 0..10 {
        let mut client = WsClient::connect(server.http, None).await;
        let id = client.request("create", json!({})).await;
        client.reply(id).await;
        client.close().await;
    }
    let series = "referee_parked_seats_released_total{cap=\"ip\"}";
    let mut released = 0;
    for _ in 0..200 {
        released = counter(&server, series).await;
        if released == 10 - PER_IP {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(released, 10 - PER_IP);
}

/// What became of one connection of the burst.
enum Fate {
    /// Told `bye` `replaced`, then closed.
    Replaced,
    /// Seated (for now).
    Seated(Box<WsClient>),
}

/// Reads one connection of the burst until it is told it was replaced, or is shown its room.
async fn first_fate(mut client: WsClient) -> Fate {
    loop {
        match client.receive().await {
            Received::Json(message) if message["type"] == "bye" => {
                assert_eq!(message["reason"], "replaced", "{message}");
                let (close, _) = client.until_closed().await;
                assert!(close.is_some(), "a close frame follows");
                return Fate::Replaced;
            }
            Received::Json(message) if message["type"] == "state" => {
                return Fate::Seated(Box::new(client));
            }
            Received::Json(_) => {}
            Received::Closed(frame) => panic!("closed without a bye: {frame:?}"),
        }
    }
}

#[tokio::test]
async fn a_burst_of_reconnections_with_one_token_seats_exactly_one() {
    let server = TestServer::start(|c| c).await;
    let mut ann = WsClient::connect(server.http, None).await;
    ann.play().await;
    let mut bo = WsClient::connect(server.http, None).await;
    bo.play().await;
    ann.expect("member_joined").await;
    let (player, token) = (ann.player(), ann.token());
    ann.close().await;
    bo.expect("member_away").await;

    let burst: Vec<_> = (0..5)
        .map(|_| {
            let (http, token) = (server.http, token.clone());
            tokio::spawn(async move { WsClient::connect_raw(http, Some(&token)).await })
        })
        .collect();
    let mut clients = Vec::new();
    for connecting in burst {
        match tokio::time::timeout(TIMEOUT, connecting).await {
            Ok(Ok(client)) => clients.push(client),
            other => panic!("a connection of the burst failed: {}", other.is_ok()),
        }
    }
    let mut replaced = 0;
    let mut seated = Vec::new();
    for client in clients {
        match first_fate(client).await {
            Fate::Replaced => replaced += 1,
            Fate::Seated(client) => seated.push(client),
        }
    }
    // Every resume has been handled now (each refusal above came with a newer resume), so
    // the seat's first holder has been kicked: its next word is its goodbye, not a pong.
    let mut winners = Vec::new();
    for mut client in seated {
        let id = client.request("ping", json!({})).await;
        let (answer, _) = client.until(|m| m["re"] == id || m["type"] == "bye").await;
        if answer["type"] == "bye" {
            assert_eq!(answer["reason"], "replaced", "{answer}");
            client.until_closed().await;
            replaced += 1;
        } else {
            winners.push(client);
        }
    }
    assert_eq!((winners.len(), replaced), (1, 4));
    let Some(mut winner) = winners.pop() else {
        return;
    };
    // The one left plays in the seat and is answered; the room sees the player back.
    let id = winner.request("guess", json!({"value": 1})).await;
    assert_eq!(winner.reply(id).await["type"], "event");
    let (seen, _) = bo
        .until(|m| m["type"] == "event" && m["event"]["player"] == player)
        .await;
    assert_eq!(seen["event"]["value"], 1);
}
