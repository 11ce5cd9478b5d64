//! Connections coming and going: disconnects mid-round, slow readers, limits, idle clients,
//! half-closed sockets and graceful shutdown. The room always plays on for the others.

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use referee_server::RateLimit;
use tokio::net::TcpSocket;

#[tokio::test]
async fn a_player_who_disconnects_mid_round_leaves_cleanly_and_the_room_plays_on() {
    let server = TestServer::start(|c| c).await;
    let (mut ann, _, _) = server.player().await;
    let (mut bo, _, _) = server.player().await;
    let (mut cy, cy_id, _) = server.player().await;
    cy.send("10").await;
    let answer = cy.line().await; // mid-round, with a guess made
    assert!(
        answer.starts_with("Higher!") || answer.starts_with("Lower!"),
        "{answer}"
    );
    drop(cy);
    let left = format!("* Player {cy_id} left the room.");
    assert_eq!(ann.until(&left).await.0, left);
    assert_eq!(bo.until(&left).await.0, left);
    ann.send("/rooms").await;
    let (rooms, _) = ann.until("Public rooms").await;
    assert!(rooms.contains("room 1 (2/3 players)"), "{rooms}");
    let won = ann.play_round(20).await;
    assert_eq!(won, Some(1), "the round goes on without the leaver");
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_without_stalling_its_room() {
    let server = TestServer::start(|c| {
        c.players_per_room(2)
            .outbox_capacity(8)
            .send_buffer(Some(4096))
            .rate_limit(RateLimit::OFF)
    })
    .await;
    let (mut ann, _, _) = server.player().await;
    ann.send("/name AnnWithALongName").await;
    ann.until("* You are now known as").await;
    // A client with a tiny receive buffer that reads its greeting, then nothing more.
    let socket = TcpSocket::new_v4().unwrap_or_else(|err| panic!("{err}"));
    let _ = socket.set_recv_buffer_size(4096);
    let stream = socket
        .connect(server.addr)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let mut sleeper = Client::from_stream(stream);
    let (sleeper_id, _) = sleeper.greeting().await;
    let dropped = format!("* Player {sleeper_id} was disconnected (too slow).");
    // Ann wins round after round; every win and every new round is pushed to the sleeper too
    // (chat would not do: it is dropped for a reader that falls behind, not forced on it).
    let mut rounds = 0;
    let mut seen_drop = false;
    while !seen_drop && rounds < 20_000 {
        let (mut low, mut high) = (0, 19);
        loop {
            let guess = (low + high) / 2;
            ann.send(&guess.to_string()).await;
            let answer = loop {
                let line = ann.line().await;
                if line == dropped {
                    seen_drop = true;
                } else if line.starts_with("Higher!")
                    || line.starts_with("Lower!")
                    || line.starts_with("Correct!")
                {
                    break line;
                }
            };
            if answer.starts_with("Higher!") {
                low = guess + 1;
            } else if answer.starts_with("Lower!") {
                high = guess - 1;
            } else {
                ann.until("Round").await;
                break;
            }
        }
        rounds += 1;
    }
    assert!(
        seen_drop,
        "the slow client was never dropped ({rounds} rounds)"
    );
    // Ann's own requests were answered all along; one more, to be sure.
    ann.send("/score").await;
    let (scores, _) = ann.until("Scores").await;
    assert_eq!(
        scores,
        format!("Scores in room 1: AnnWithALongName {rounds}.")
    );
    let received = sleeper.until_closed().await;
    assert!(
        received.len() < rounds * 2,
        "the sleeper was cut off: {} of {} lines",
        received.len(),
        rounds * 2
    );
}

#[tokio::test]
async fn connections_past_the_limit_get_one_line_and_are_closed() {
    let server = TestServer::start(|c| c.max_connections(2)).await;
    let (_a, _, _) = server.player().await;
    let (_b, _, _) = server.player().await;
    let mut third = Client::connect(server.addr).await;
    assert_eq!(
        third.until_closed().await,
        vec!["error: the server is full (2 connections); try again later".to_owned()]
    );
}

#[tokio::test]
async fn a_freed_slot_can_be_taken_again() {
    let server = TestServer::start(|c| c.max_connections(1)).await;
    let (first, _, _) = server.player().await;
    drop(first);
    // The slot comes back once the first connection's task has finished.
    let mut admitted = false;
    for _ in 0..200 {
        let mut next = Client::connect(server.addr).await;
        if next.line().await.starts_with("Welcome") {
            admitted = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(admitted);
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_a_goodbye() {
    let server = TestServer::start(|c| c.idle_timeout(Duration::from_millis(200))).await;
    let (mut me, _, _) = server.player().await;
    assert_eq!(
        me.until_closed().await,
        vec!["Goodbye! (no input for too long)".to_owned()]
    );
}

#[tokio::test]
async fn a_half_closed_client_still_gets_its_answers() {
    let server = TestServer::start(|c| c).await;
    let (mut me, _, _) = server.player().await;
    me.send("/score").await;
    me.send("/quit").await;
    me.close_sending().await;
    let rest = me.until_closed().await;
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert!(rest[0].starts_with("Scores in room 1:"));
    assert_eq!(rest[1], "Goodbye!");
}

#[tokio::test]
async fn quit_says_goodbye_and_frees_the_seat() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut a, a_id, _) = server.player().await;
    let (mut b, _, _) = server.player().await;
    a.send("/quit").await;
    assert_eq!(
        a.until_closed().await.last().map(String::as_str),
        Some("Goodbye!")
    );
    let left = format!("* Player {a_id} left the room.");
    assert_eq!(b.until(&left).await.0, left);
    let (mut c, _, seat) = server.player().await;
    assert!(seat.starts_with("* You joined room 1 (2/2"), "{seat}");
    c.send("/quit").await;
}

#[tokio::test]
async fn graceful_shutdown_says_goodbye_to_everyone_and_returns() {
    let server = TestServer::start(|c| c).await;
    let (mut a, _, _) = server.player().await;
    let (mut b, _, _) = server.player().await;
    let addr = server.addr;
    assert!(server.shutdown().await.is_ok());
    for client in [&mut a, &mut b] {
        let rest = client.until_closed().await;
        assert_eq!(
            rest.last().map(String::as_str),
            Some("The server is shutting down. Goodbye!"),
            "{rest:?}"
        );
    }
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_reset_in_the_middle_of_a_reply_affects_only_that_connection() {
    let server = TestServer::start(|c| c).await;
    let (mut ann, _, _) = server.player().await;
    for _ in 0..20 {
        let socket = match TcpSocket::new_v4() {
            Ok(socket) => socket,
            Err(err) => panic!("{err}"),
        };
        let stream = match socket.connect(server.addr).await {
            Ok(stream) => stream,
            Err(err) => panic!("{err}"),
        };
        // Linger 0: closing sends RST instead of FIN, mid-greeting.
        let _ = stream.set_zero_linger();
        drop(stream);
    }
    ann.send("/score").await;
    let (scores, _) = ann.until("Scores").await;
    assert_eq!(scores, "Scores in room 1: Player 1 0.");
    ann.send("/rooms").await;
    let (rooms, _) = ann.until("Public rooms").await;
    assert!(
        rooms.starts_with("Public rooms: room 1 (1/3 players)"),
        "no seat leaked: {rooms}"
    );
}

#[tokio::test]
async fn a_guess_sent_before_the_greeting_is_read_counts_for_the_first_round() {
    let server = TestServer::start(|c| c).await;
    let mut eager = Client::connect(server.addr).await;
    // Typed ahead, as `printf '10\n' | nc` does: the first round line has not been read.
    eager.send("10").await;
    eager.greeting().await;
    let answer = eager.line().await;
    assert!(
        answer.starts_with("Higher!")
            || answer.starts_with("Lower!")
            || answer.starts_with("Correct!"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_flood_of_lines_is_slowed_down_then_disconnected_and_nobody_else_notices() {
    let server = TestServer::start(|c| {
        c.players_per_room(2).rate_limit(RateLimit {
            per_second: 5,
            burst: 10,
        })
    })
    .await;
    let (mut calm, _, _) = server.player().await;
    let (mut flood, _, _) = server.player().await;
    for _ in 0..40 {
        flood.send("/help").await;
    }
    let rest = flood.until_closed().await;
    assert!(
        rest.iter().any(|line| line == "error: slow down"),
        "{rest:?}"
    );
    assert_eq!(
        rest.last().map(String::as_str),
        Some("error: too many lines; goodbye")
    );
    calm.send("/score").await;
    let (scores, _) = calm.until("Scores").await;
    assert!(
        scores.starts_with("Scores in room 1: Player 1 0"),
        "{scores}"
    );
}
