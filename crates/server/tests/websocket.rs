//! The JSON protocol over a real WebSocket against the real server: every operation, every
//! error, and browser players sharing rooms with netcat players.

mod common;

use common::ws::{Received, WsClient};
use common::{TestServer, room_of};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn server() -> TestServer {
    TestServer::start(|config| config).await
}

#[tokio::test]
async fn a_new_connection_is_welcomed_with_a_number_and_a_token_and_not_seated() {
    let server = server().await;
    let mut client = WsClient::connect(server.http, None).await;
    assert_eq!(client.welcome["type"], "welcome");
    assert_eq!(client.welcome["resumed"], false);
    let token = client.token();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    // Not seated until asked: a guess is refused.
    let id = client.request("guess", json!({"value": 3})).await;
    let reply = client.reply(id).await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["code"], "not_in_room");
    let other = WsClient::connect(server.http, None).await;
    assert_ne!(other.token(), token, "every player has their own token");
    assert_ne!(other.player(), client.player());
}

#[tokio::test]
async fn play_answers_with_the_seat_and_the_state_then_guesses_are_answered_by_id() {
    let server = server().await;
    let mut client = WsClient::connect(server.http, None).await;
    let id = client.request("play", json!({})).await;
    let joined = client.reply(id).await;
    assert_eq!(joined["type"], "joined");
    assert_eq!(joined["room"]["id"], 1);
    assert_eq!(joined["room"]["code"], Value::Null);
    assert_eq!(joined["capacity"], 3);
    assert_eq!(joined["members"][0]["player"], client.player());
    let state = client.reply(id).await;
    assert_eq!(state["type"], "state");
    let commitment = state["view"]["commitment"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(commitment.len(), 64, "{state}");
    assert_eq!(
        state["view"],
        json!({"round": 1, "max": 20, "points": 0, "guesses_this_round": 0,
            "commitment": commitment})
    );
    assert_eq!(
        state["text"],
        format!("Round 1: guess a number from 0 to 19. Commitment: {commitment}")
    );

    // Binary search to a win, each answer matched by its id.
    let (mut low, mut high) = (0, 19);
    let won = loop {
        let guess = (low + high) / 2;
        let id = client.request("guess", json!({"value": guess})).await;
        let answer = client.reply(id).await;
        assert_eq!(answer["type"], "event", "{answer}");
        let event = &answer["event"];
        assert_eq!(event["player"], client.player());
        match event["type"].as_str() {
            Some("hint") if event["hint"] == "higher" => low = guess + 1,
            Some("hint") => high = guess - 1,
            Some("won") => break (answer.clone(), id),
            other => panic!("unexpected event {other:?}: {answer}"),
        }
    };
    let (won, id) = won;
    assert_eq!(won["event"]["round"], 1);
    assert_eq!(won["event"]["points"], 1);
    assert_eq!(won["round"], 2, "the round being played once the win is in");
    // The next round starts, still an answer to the winning guess.
    let next = client.reply(id).await;
    let commitment = next["event"]["commitment"].as_str().unwrap_or_default();
    assert_eq!(commitment.len(), 64, "{next}");
    assert_eq!(
        next["event"],
        json!({"type": "round_started", "round": 2, "max": 20, "commitment": commitment})
    );
    let id = client.request("scores", json!({})).await;
    let scores = client.reply(id).await;
    assert_eq!(scores["type"], "scores");
    assert_eq!(scores["scores"][0]["points"], 1);
    assert_eq!(scores["scores"][0]["player"], client.player());
}

#[tokio::test]
async fn every_operation_is_answered_with_its_id() {
    let server = server().await;
    let mut ann = WsClient::connect(server.http, None).await;

    let id = ann.request("name", json!({"name": "Ann"})).await;
    let named = ann.reply(id).await;
    assert_eq!(
        (named["type"].as_str(), named["name"].as_str()),
        (Some("name_set"), Some("Ann"))
    );

    let id = ann.request("ping", json!({})).await;
    assert_eq!(ann.reply(id).await["type"], "pong");

    let id = ann.request("create", json!({})).await;
    let joined = ann.reply(id).await;
    assert_eq!(joined["type"], "joined");
    let code = joined["room"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(code.len(), 11, "ten letters in two groups: {joined}");
    assert_eq!(ann.reply(id).await["type"], "state");

    let mut bo = WsClient::connect(server.http, None).await;
    let joined = bo.join(&code.to_lowercase()).await;
    assert_eq!(
        joined["type"], "joined",
        "codes are case-insensitive: {joined}"
    );
    assert_eq!(joined["members"].as_array().map(Vec::len), Some(2));
    let arrived = ann.expect("member_joined").await;
    assert_eq!(arrived["player"], bo.player());

    let id = bo.request("chat", json!({"text": "gg <b>"})).await;
    let echo = bo.reply(id).await;
    assert_eq!(echo["type"], "chat");
    assert_eq!(echo["message"], "gg <b>");
    assert_eq!(echo["player"], bo.player());
    let heard = ann.expect("chat").await;
    assert_eq!(heard["message"], "gg <b>");
    assert!(
        heard.get("re").is_none(),
        "only the sender's copy answers the request"
    );

    let id = ann.request("rooms", json!({})).await;
    let rooms = ann.reply(id).await;
    assert_eq!(rooms["type"], "rooms");
    assert_eq!(rooms["total"], 0, "private rooms are not listed: {rooms}");

    let id = ann.request("top", json!({})).await;
    let top = ann.reply(id).await;
    assert_eq!(
        (top["type"].as_str(), top["code"].as_str()),
        (Some("error"), Some("no_leaderboard"))
    );

    let id = bo.request("leave", json!({})).await;
    let left = bo.reply(id).await;
    assert_eq!(left["type"], "left");
    assert_eq!(left["room"]["code"], code.as_str());
    assert_eq!(ann.expect("member_left").await["player"], bo.player());

    let id = bo.request("quit", json!({})).await;
    let (close, messages) = bo.until_closed().await;
    let bye = messages.iter().find(|m| m["type"] == "bye");
    assert_eq!(
        bye.map(|b| (&b["reason"], &b["re"])),
        Some((&json!("quit"), &json!(id)))
    );
    assert_eq!(close.map(|frame| u16::from(frame.code)), Some(1000));
}

#[tokio::test]
async fn malformed_messages_get_typed_errors_and_the_connection_stays_up() {
    let server = server().await;
    let mut client = WsClient::connect(server.http, None).await;
    let cases: [(&str, &str); 8] = [
        ("not json", "bad_request"),
        ("[1,2]", "bad_request"),
        (r#"{"id":3}"#, "bad_request"),
        (r#"{"id":4,"op":"dance"}"#, "unknown_op"),
        (r#"{"v":2,"id":5,"op":"play"}"#, "unsupported_version"),
        (r#"{"id":6,"op":"join"}"#, "bad_request"),
        (r#"{"id":7,"op":"guess","value":[1]}"#, "bad_request"),
        (r#"{"id":"x","op":"play"}"#, "bad_request"),
    ];
    for (text, code) in cases {
        client.send_text(text).await;
        let error = client.next().await;
        assert_eq!(error["type"], "error", "{text}: {error}");
        assert_eq!(error["code"], code, "{text}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    client.send_message(Message::binary(vec![1_u8, 2, 3])).await;
    let error = client.next().await;
    assert_eq!(error["code"], "not_text");
    // An unknown op keeps its id, so the client can match the error.
    client.send_text(r#"{"id":42,"op":"dance"}"#).await;
    assert_eq!(client.next().await["re"], 42);
    // Still up, and still playing.
    let joined = client.play().await;
    assert_eq!(joined["type"], "joined");
}

#[tokio::test]
async fn refused_joins_moves_and_texts_each_have_their_code() {
    let server = TestServer::start(|config| config.players_per_room(1)).await;
    let mut ann = WsClient::connect(server.http, None).await;
    let joined = ann.play().await;
    let room = joined["room"]["id"].to_string();
    let mut bo = WsClient::connect(server.http, None).await;

    let cases: [(&str, Value, &str); 4] = [
        ("join", json!({"room": "99"}), "no_such_room"),
        ("join", json!({"room": "QQQQQ"}), "no_such_room"),
        ("join", json!({"room": room}), "room_full"),
        ("chat", json!({"text": "hi"}), "not_in_room"),
    ];
    for (op, fields, code) in cases {
        let id = bo.request(op, fields.clone()).await;
        let reply = bo.reply(id).await;
        assert_eq!(reply["code"], code, "{op} {fields}: {reply}");
    }
    let id = ann.request("join", json!({"room": room})).await;
    assert_eq!(ann.reply(id).await["code"], "already_there");
    let id = ann.request("name", json!({"name": "two words"})).await;
    assert_eq!(ann.reply(id).await["code"], "bad_name");
    let id = ann.request("chat", json!({"text": "x".repeat(301)})).await;
    assert_eq!(ann.reply(id).await["code"], "bad_text");

    let id = ann.request("guess", json!({"value": "seven"})).await;
    let rejected = ann.reply(id).await;
    assert_eq!(rejected["type"], "rejected");
    assert_eq!(rejected["rejection"]["type"], "not_a_number");
    let id = ann.request("guess", json!({"value": 25})).await;
    let rejected = ann.reply(id).await;
    assert_eq!(
        rejected["rejection"],
        json!({"type": "out_of_range", "value": 25, "max": 20})
    );
}

#[tokio::test]
async fn a_guess_for_a_round_already_won_is_told_another_player_won_in_the_meantime() {
    let server = server().await;
    let mut ann = WsClient::connect(server.http, None).await;
    ann.play().await;
    let mut bo = WsClient::connect(server.http, None).await;
    bo.play().await;
    assert_eq!(ann.play_round(20).await, Some(1));
    // Bo's guess names round 1 explicitly: it reaches the referee after the win.
    let id = bo.request("guess", json!({"value": "5 @1"})).await;
    let late = bo.reply(id).await;
    assert_eq!(late["type"], "rejected", "{late}");
    assert_eq!(
        late["rejection"],
        json!({"type": "already_won", "round": 1, "winner": ann.player()})
    );
    assert!(
        late["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Sorry, another player won in the meantime!")),
        "{late}"
    );
}

#[tokio::test]
async fn browser_and_netcat_players_share_a_room() {
    let server = server().await;
    let (mut nc, nc_player, seat) = server.player().await;
    let room = room_of(&seat);
    let mut web = WsClient::connect(server.http, None).await;
    let joined = web.join(&room.to_string()).await;
    assert_eq!(joined["type"], "joined");
    let members: Vec<u64> = joined["members"]
        .as_array()
        .map(|m| m.iter().filter_map(|p| p["player"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(members, [nc_player, web.player()]);
    let (line, _) = nc.until_contains("joined the room").await;
    assert_eq!(line, format!("* Player {} joined the room.", web.player()));

    // Netcat chat reaches the browser as JSON; browser chat reaches netcat as a line.
    nc.send("/say hello from nc").await;
    let chat = web.expect("chat").await;
    assert_eq!(
        (chat["player"].as_u64(), chat["message"].as_str()),
        (Some(nc_player), Some("hello from nc"))
    );
    let id = web
        .request("chat", json!({"text": "hi from the web"}))
        .await;
    web.reply(id).await;
    let (line, _) = nc.until_contains("hi from the web").await;
    assert_eq!(line, format!("<Player {}> hi from the web", web.player()));

    // The netcat player's guesses appear on the browser's live feed; not the other way round.
    nc.send("10").await;
    let (feed, _) = web
        .until(|m| m["type"] == "event" && m["event"]["player"] == nc_player)
        .await;
    assert_eq!(feed["event"]["type"], "hint");
    assert!(
        feed.get("re").is_none(),
        "someone else's move answers none of my requests"
    );

    // The browser player wins; the netcat player is told at once.
    let won = web.play_round(20).await;
    let (line, _) = nc.until_contains(" won round ").await;
    match won {
        Some(round) => assert_eq!(
            line,
            format!(
                "* Player {} won round {round}: the number was {}. Salt: {}",
                web.player(),
                secret_of(&line),
                salt_of(&line)
            )
        ),
        None => panic!("the netcat player does not guess after 10: the browser must win ({line})"),
    }
}

fn secret_of(line: &str) -> String {
    line.split("the number was ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap_or_default()
        .to_owned()
}

/// The salt at the end of a `... Salt: HEX` line.
fn salt_of(line: &str) -> String {
    line.split("Salt: ").nth(1).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn spectators_see_the_live_feed_without_a_seat() {
    let server = server().await;
    let mut player = WsClient::connect(server.http, None).await;
    let joined = player.play().await;
    let room = joined["room"]["id"].to_string();
    let mut watcher = WsClient::connect(server.http, None).await;

    let id = watcher.request("watch", json!({"room": room})).await;
    let watching = watcher.reply(id).await;
    assert_eq!(watching["type"], "watching", "{watching}");
    assert_eq!(watching["members"][0]["player"], player.player());
    let scores = watcher.reply(id).await;
    assert_eq!(scores["type"], "scores");
    let state = watcher.reply(id).await;
    assert_eq!(state["type"], "state");

    // Watching takes no seat.
    let id = player.request("rooms", json!({})).await;
    let rooms = player.reply(id).await;
    assert_eq!(rooms["rooms"][0]["players"], 1, "{rooms}");

    // The player's moves and win reach the spectator.
    let round = player.play_round(20).await;
    assert_eq!(round, Some(1));
    let (won, skipped) = watcher
        .until(|m| m["type"] == "event" && m["event"]["type"] == "won")
        .await;
    assert_eq!(won["event"]["player"], player.player());
    assert!(
        skipped.iter().any(|m| m["event"]["type"] == "hint"),
        "the guesses before the win are on the feed: {skipped:?}"
    );

    // A spectator may not play or chat.
    for (op, fields) in [
        ("guess", json!({"value": 3})),
        ("chat", json!({"text": "hi"})),
    ] {
        let id = watcher.request(op, fields).await;
        assert_eq!(watcher.reply(id).await["code"], "spectating", "{op}");
    }
    let id = watcher.request("leave", json!({})).await;
    assert_eq!(watcher.reply(id).await["type"], "left");
    let id = watcher.request("scores", json!({})).await;
    assert_eq!(watcher.reply(id).await["code"], "not_in_room");
    let id = watcher.request("watch", json!({"room": "77"})).await;
    assert_eq!(watcher.reply(id).await["code"], "no_such_room");
}

/// The messages `client` gets up to and including the chat line `marker` (sent after what is
/// looked for: the room pushes in order, so anything sent to it before the chat comes first).
async fn up_to_chat(client: &mut WsClient, marker: &str) -> Vec<Value> {
    let (_, before) = client
        .until(|m| m["type"] == "chat" && m["message"] == marker)
        .await;
    before
}

fn hints_of(messages: &[Value], player: u64) -> usize {
    messages
        .iter()
        .filter(|m| m["type"] == "event" && m["event"]["type"] == "hint")
        .filter(|m| m["event"]["player"] == player)
        .count()
}

#[tokio::test]
async fn a_client_that_declines_the_feed_gets_only_what_concerns_it() {
    let server = server().await;
    let mut lean = WsClient::connect(server.http, None).await;
    let id = lean.request("play", json!({"feed": false})).await;
    let joined = lean.reply(id).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    let room = joined["room"]["id"].to_string();
    let mut full = WsClient::connect(server.http, None).await;
    assert_eq!(full.join(&room).await["type"], "joined");
    let mut quiet_watcher = WsClient::connect(server.http, None).await;
    let id = quiet_watcher
        .request("watch", json!({"room": room, "feed": false}))
        .await;
    assert_eq!(quiet_watcher.reply(id).await["type"], "watching");
    let mut watcher = WsClient::connect(server.http, None).await;
    let id = watcher.request("watch", json!({"room": room})).await;
    assert_eq!(watcher.reply(id).await["type"], "watching");

    // Each player guesses once (answered before the next: so in this order in the room),
    // then the full one says something everyone hears, after everything else.
    let mut heard_by = [Vec::new(), Vec::new()];
    // A guess that happens to win is answered by `won`, not a hint: guess again (a new
    // round, a new secret) until one is a hint.
    for (client, heard) in [&mut lean, &mut full].into_iter().zip(&mut heard_by) {
        for _ in 0..5 {
            let id = client.request("guess", json!({"value": 10})).await;
            let (answer, before) = client.until(|m| m["re"] == id).await;
            heard.extend(before);
            if answer["event"]["type"] == "hint" {
                break;
            }
        }
    }
    // Its own echo of the chat is read below, with the rest.
    full.request("chat", json!({"text": "marker"})).await;

    let (lean_id, full_id) = (lean.player(), full.player());
    let [mut lean_heard, mut full_heard] = heard_by;
    lean_heard.extend(up_to_chat(&mut lean, "marker").await);
    assert_eq!(
        hints_of(&lean_heard, full_id),
        0,
        "declined, yet fed: {lean_heard:?}"
    );
    full_heard.extend(up_to_chat(&mut full, "marker").await);
    assert_eq!(
        hints_of(&full_heard, lean_id),
        1,
        "the default follows the feed: {full_heard:?}"
    );
    let heard = up_to_chat(&mut quiet_watcher, "marker").await;
    assert_eq!(
        hints_of(&heard, lean_id) + hints_of(&heard, full_id),
        0,
        "{heard:?}"
    );
    let heard = up_to_chat(&mut watcher, "marker").await;
    assert_eq!(
        hints_of(&heard, lean_id) + hints_of(&heard, full_id),
        2,
        "{heard:?}"
    );

    // What is not feed still reaches the lean client: the round's end.
    full.play_round(20).await;
    let (won, _) = lean
        .until(|m| m["type"] == "event" && m["event"]["type"] == "won")
        .await;
    assert_eq!(won["event"]["player"], full_id);
}

#[tokio::test]
async fn netcat_players_can_watch_too() {
    let server = server().await;
    let mut player = WsClient::connect(server.http, None).await;
    let joined = player.play().await;
    let room = joined["room"]["id"].to_string();
    let (mut nc, _, _) = server.player().await; // seated in room 1 too: quick match
    nc.send("/leave").await;
    nc.until("* You left").await;
    nc.send(&format!("/watch {room}")).await;
    let (line, _) = nc.until("* You are watching").await;
    assert!(line.contains(&format!("room {room}")), "{line}");
    assert_eq!(player.play_round(20).await, Some(1));
    nc.until_contains(" won round 1").await;
    nc.send("5").await;
    let (line, _) = nc.until("error:").await;
    assert_eq!(
        line,
        "error: you are watching this room: /play or /join to take a seat."
    );
}

#[tokio::test]
async fn a_message_over_the_limit_gets_an_error_and_a_close() {
    let server = server().await;
    let mut client = WsClient::connect(server.http, None).await;
    let big = format!(r#"{{"op":"chat","text":"{}"}}"#, "x".repeat(2000));
    client.send_text(&big).await;
    let (close, messages) = client.until_closed().await;
    assert!(
        messages.iter().any(|m| m["code"] == "too_large"),
        "{messages:?}"
    );
    assert_eq!(close.map(|frame| u16::from(frame.code)), Some(1009));
}

#[tokio::test]
async fn over_the_connection_limit_a_websocket_is_refused_with_a_reason() {
    let server = TestServer::start(|config| config.max_connections(1)).await;
    let (_nc, _, _) = server.player().await;
    let mut refused = WsClient::connect_raw(server.http, None).await;
    let error = refused.next().await;
    assert_eq!(error["code"], "server_full", "{error}");
    match refused.receive().await {
        Received::Closed(frame) => assert_eq!(frame.map(|f| u16::from(f.code)), Some(1013)),
        Received::Json(other) => panic!("expected a close, got {other}"),
    }
}

#[tokio::test]
async fn shutdown_says_goodbye_to_websocket_players() {
    let server = server().await;
    let mut client = WsClient::connect(server.http, None).await;
    client.play().await;
    let stopping = tokio::spawn(server.shutdown());
    let (close, messages) = client.until_closed().await;
    let bye = messages.iter().find(|m| m["type"] == "bye");
    assert_eq!(
        bye.map(|b| &b["reason"]),
        Some(&json!("shutdown")),
        "{messages:?}"
    );
    assert_eq!(close.map(|frame| u16::from(frame.code)), Some(1001));
    assert!(matches!(stopping.await, Ok(Ok(()))));
}
