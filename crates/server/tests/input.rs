//! Bad input of every kind gets one clear `error:` line, and nothing else changes.

mod common;

use common::{Client, TestServer};

#[tokio::test]
async fn every_kind_of_bad_line_gets_an_error_and_the_session_goes_on() {
    let server = TestServer::start(|c| c.players_per_room(1)).await;
    let (mut me, _, _) = server.player().await;
    let cases: &[(&str, &str)] = &[
        (
            "/dance",
            "error: unknown command /dance (type /help for the list)",
        ),
        ("/name", "error: /name needs an argument: /name NAME"),
        ("/say", "error: /say needs an argument: /say TEXT"),
        (
            "/join",
            "error: /join needs an argument: /join ROOM (a room number or a code)",
        ),
        ("/quit now", "error: /quit takes no argument"),
        ("/score please", "error: /score takes no argument"),
        (
            "abc",
            "error: \"abc\" is not a number: type a number, or /help for commands.",
        ),
        (
            "25",
            "error: 25 is out of range: guess a number from 0 to 19.",
        ),
        (
            "-1",
            "error: -1 is out of range: guess a number from 0 to 19.",
        ),
        (
            "99999999999999999999999",
            "error: \"99999999999999999999999\" is not a number: type a number, or /help for commands.",
        ),
        (
            "3 @9",
            "error: round 9 has not started yet (this is round 1).",
        ),
        (
            "/name two words",
            "error: a name may only hold letters, digits, - and _",
        ),
        (
            "/name Player9",
            "error: names of the form \"Player N\" are reserved",
        ),
        (
            "/join 42",
            "error: no room 42 (type /rooms to list the public rooms)",
        ),
        (
            "/join NOPE1",
            "error: no room NOPE1 (type /rooms to list the public rooms)",
        ),
    ];
    for (line, expected) in cases {
        me.send(line).await;
        assert_eq!(&me.line().await, expected, "for {line:?}");
    }
    // Blank lines are ignored; the next answer is the /score's.
    me.send("").await;
    me.send("   ").await;
    me.send("/score").await;
    let scores = me.line().await;
    assert!(scores.starts_with("Scores in room 1: Player "), "{scores}");
    assert!(scores.ends_with(" 0."), "nothing counted: {scores}");
    assert_eq!(me.play_round(20).await, Some(1), "the game still works");
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes_are_refused_without_closing() {
    let server = TestServer::start(|c| c).await;
    let (mut me, _, _) = server.player().await;
    me.send_bytes(b"\xff\xfe\xfd\n").await;
    assert_eq!(me.line().await, "error: line is not valid UTF-8");
    me.send_bytes(b"1\x002\n").await;
    let nul = me.line().await;
    assert!(nul.starts_with("error: \"1?2\" is not a number"), "{nul}");
    me.send_bytes(b"\x00\x01\x02\r\n").await;
    assert!(me.line().await.starts_with("error: "));
    me.send("/help").await;
    assert_eq!(me.line().await, "Commands:");
}

#[tokio::test]
async fn chat_is_bounded() {
    let server = TestServer::start(|c| c).await;
    let (mut me, _, _) = server.player().await;
    me.send(&format!("/say {}", "x".repeat(301))).await;
    assert_eq!(
        me.line().await,
        "error: message too long (at most 300 characters)"
    );
}

#[tokio::test]
async fn a_line_over_the_limit_gets_an_error_and_the_connection_closes() {
    let server = TestServer::start(|c| c.max_line(64)).await;
    let (mut me, _, _) = server.player().await;
    let (mut other, _, _) = server.player().await;
    me.send(&"9".repeat(65)).await;
    let (refused, _) = me.until("error:").await;
    assert_eq!(refused, "error: line too long (the limit is 64 bytes)");
    assert_eq!(me.until_closed().await, Vec::<String>::new());
    // The room carries on for the others.
    other.send("/score").await;
    let (scores, _) = other.until("Scores").await;
    assert!(scores.starts_with("Scores in room 1"), "{scores}");
}

#[tokio::test]
async fn a_line_that_never_ends_is_cut_off_at_the_limit() {
    let server = TestServer::start(|c| c.max_line(1024)).await;
    let mut me = Client::connect(server.addr).await;
    me.greeting().await;
    // 10 MB without a newline: the server stops reading after the limit.
    // Writing may fail part-way once the server has closed: that is the point.
    let chunk = vec![b'7'; 64 * 1024];
    for _ in 0..160 {
        if tokio::io::AsyncWriteExt::write_all(me.writer_mut(), &chunk)
            .await
            .is_err()
        {
            break;
        }
    }
    let rest = me.until_closed().await;
    assert_eq!(
        rest.first().map(String::as_str),
        Some("error: line too long (the limit is 1024 bytes)")
    );
}
