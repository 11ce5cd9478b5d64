//! Reconnection: a browser player whose connection drops keeps seat and score for the window,
//! gets them back with their token, and loses them after it.

mod common;

use std::time::Duration;

use common::TestServer;
use common::ws::WsClient;
use serde_json::json;

/// Two browser players in one room; the first has won round 1.
async fn two_players(server: &TestServer) -> (WsClient, WsClient, u64) {
    let mut ann = WsClient::connect(server.http, None).await;
    let room = ann.play().await["room"]["id"].as_u64().unwrap_or_default();
    let mut bo = WsClient::connect(server.http, None).await;
    bo.play().await;
    ann.expect("member_joined").await;
    assert_eq!(ann.play_round(20).await, Some(1));
    (ann, bo, room)
}

#[tokio::test]
async fn a_dropped_player_comes_back_to_the_same_seat_with_the_same_score() {
    let server = TestServer::start(|config| config).await;
    let (ann, mut bo, room) = two_players(&server).await;
    let (player, token) = (ann.player(), ann.token());
    ann.close().await; // as a page does when it reloads

    let away = bo.expect("member_away").await;
    assert_eq!(away["player"], player);
    assert_eq!(away["seconds"], 30);

    let mut back = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.player(), player);
    assert_eq!(back.token(), token, "the token stays the same");
    let joined = back.expect("joined").await;
    assert_eq!(joined["room"]["id"], room);
    let state = back.expect("state").await;
    assert_eq!(state["view"]["points"], 1, "the score was kept: {state}");
    assert_eq!(state["view"]["round"], 2);
    assert_eq!(bo.expect("member_back").await["player"], player);

    // And plays on in that seat: Bo sees the returning player's guesses on the feed.
    let id = back.request("guess", json!({"value": 0})).await;
    let answer = back.reply(id).await;
    assert_eq!(answer["type"], "event", "{answer}");
    let (seen, _) = bo
        .until(|m| m["type"] == "event" && m["event"]["player"] == player)
        .await;
    assert_eq!(seen["event"]["value"], 0);
}

#[tokio::test]
async fn an_abrupt_drop_is_noticed_and_parked_too() {
    let server = TestServer::start(|config| config).await;
    let (ann, mut bo, _) = two_players(&server).await;
    let (player, token) = (ann.player(), ann.token());
    ann.drop_connection(); // no close frame: the network went away
    assert_eq!(bo.expect("member_away").await["player"], player);
    let mut back = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(back.welcome["resumed"], true);
    assert_eq!(back.expect("state").await["view"]["points"], 1);
}

#[tokio::test]
async fn after_the_window_the_seat_is_freed_and_the_token_is_void() {
    let window = Duration::from_millis(300);
    let server = TestServer::start(|config| config.reconnect_window(window)).await;
    let (ann, mut bo, room) = two_players(&server).await;
    let (player, token) = (ann.player(), ann.token());
    ann.close().await;
    bo.expect("member_away").await;
    // Bo's next message about Ann is that she left: the window passed (TIMEOUT bounds it).
    let left = bo.expect("member_left").await;
    assert_eq!(left["player"], player);

    let id = bo.request("scores", json!({})).await;
    let scores = bo.reply(id).await;
    assert_eq!(
        scores["scores"].as_array().map(Vec::len),
        Some(1),
        "{scores}"
    );
    let id = bo.request("rooms", json!({})).await;
    let rooms = bo.reply(id).await;
    assert_eq!(
        rooms["rooms"][0],
        json!({"id": room, "players": 1, "capacity": 3})
    );

    let mut late = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(late.welcome["resumed"], false);
    assert_ne!(late.player(), player, "a new player");
    assert_eq!(late.expect("error").await["code"], "bad_token");
}

#[tokio::test]
async fn the_token_used_while_the_first_connection_is_open_takes_the_seat_over() {
    let server = TestServer::start(|config| config).await;
    let (mut first, mut bo, room) = two_players(&server).await;
    let (player, token) = (first.player(), first.token());

    let mut second = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(second.welcome["resumed"], true);
    assert_eq!(second.player(), player);
    assert_eq!(second.expect("joined").await["room"]["id"], room);
    assert_eq!(second.expect("state").await["view"]["points"], 1);

    let (close, messages) = first.until_closed().await;
    let bye = messages.iter().find(|m| m["type"] == "bye");
    assert_eq!(
        bye.map(|b| &b["reason"]),
        Some(&json!("replaced")),
        "{messages:?}"
    );
    assert_eq!(close.map(|frame| u16::from(frame.code)), Some(1000));

    // One seat, one owner: Bo still sees two players.
    let id = bo.request("scores", json!({})).await;
    let scores = bo.reply(id).await;
    assert_eq!(
        scores["scores"].as_array().map(Vec::len),
        Some(2),
        "{scores}"
    );
}

#[tokio::test]
async fn a_player_who_quits_is_gone_for_good() {
    let server = TestServer::start(|config| config).await;
    let (mut ann, mut bo, _) = two_players(&server).await;
    let (player, token) = (ann.player(), ann.token());
    ann.request("quit", json!({})).await;
    ann.until_closed().await;
    assert_eq!(bo.expect("member_left").await["player"], player);
    let mut again = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(again.welcome["resumed"], false);
    assert_eq!(again.expect("error").await["code"], "bad_token");
}

#[tokio::test]
async fn a_player_in_the_lobby_keeps_number_and_name_across_a_reload() {
    let server = TestServer::start(|config| config).await;
    let mut ann = WsClient::connect(server.http, None).await;
    let id = ann.request("name", json!({"name": "Ann"})).await;
    ann.reply(id).await;
    let (player, token) = (ann.player(), ann.token());
    ann.close().await;
    let back = WsClient::connect(server.http, Some(&token)).await;
    assert_eq!(back.welcome["resumed"], true);
    assert_eq!(back.player(), player);
    assert_eq!(back.welcome["name"], "Ann");
}

#[tokio::test]
async fn a_made_up_token_gives_a_new_player() {
    let server = TestServer::start(|config| config).await;
    let mut guess = WsClient::connect(server.http, Some("00000000000000000000000000000000")).await;
    assert_eq!(guess.welcome["resumed"], false);
    assert_eq!(guess.expect("error").await["code"], "bad_token");
    let long = "f".repeat(500);
    let mut long = WsClient::connect(server.http, Some(&long)).await;
    assert_eq!(long.welcome["resumed"], false);
    assert_eq!(long.expect("error").await["code"], "bad_token");
}
