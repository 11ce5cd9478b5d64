//! The session on a real lobby and real rooms, with no connection.

use crate::kick::Kick;
use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_rules::{GuessConfig, GuessNumber};
use std::time::Duration;

use crate::queue;

use super::*;
use crate::lobby::Lobby;

fn lobby() -> LobbyHandle<GuessNumber> {
    Lobby::<GuessNumber>::spawn(
        3,
        GuessConfig::default(),
        (StdRng::seed_from_u64(7), StdRng::seed_from_u64(8)),
        None,
        Duration::from_secs(30),
    )
}

/// A session on a real lobby and room, with no writer: nothing ever raises the seen round
/// but the session itself.
fn player(
    lobby: &LobbyHandle<GuessNumber>,
    id: u64,
) -> (Session<GuessNumber>, queue::Receiver<Frame>) {
    let (frames_tx, frames_rx) = queue::channel(64);
    let outbox = Outbox::new(frames_tx, Kick::default());
    let session = Session::new(
        PlayerId(id),
        lobby.clone(),
        outbox,
        SeenRound::default(),
        false,
    );
    (session, frames_rx)
}

fn session() -> (Session<GuessNumber>, queue::Receiver<Frame>) {
    player(&lobby(), 1)
}

fn drain(frames: &mut queue::Receiver<Frame>) -> Vec<String> {
    std::iter::from_fn(|| frames.try_recv().ok().map(|frame| frame.text)).collect()
}

#[tokio::test]
async fn the_addresses_of_one_ipv6_64_share_one_per_address_budget() {
    let lobby = lobby();
    let peer = |text: &str| {
        let ip: std::net::IpAddr = text.parse().unwrap_or_else(|err| panic!("{err}"));
        player(&lobby, 1).0.with_peer(ip).peer
    };
    // One host hands each connection another address of its /64: one budget for all.
    assert_eq!(peer("2001:db8:1:2::5"), peer("2001:db8:1:2:ffff::9"));
    assert_ne!(peer("2001:db8:1:2::5"), peer("2001:db8:1:3::5"));
    assert_ne!(peer("127.0.0.1"), peer("127.0.0.2"));
}

#[tokio::test]
async fn a_guess_before_any_round_line_was_written_counts_for_the_round_joined() {
    let (mut session, mut frames) = session();
    session.start().await;
    let greeting = drain(&mut frames);
    assert!(
        greeting.iter().any(|line| line.starts_with("Round 1:")),
        "{greeting:?}"
    );
    // The writer never ran: only the join told the session which round it is.
    assert_eq!(session.on_line("10").await, Flow::Continue);
    let answer = drain(&mut frames).concat();
    assert!(
        answer.starts_with("Higher!")
            || answer.starts_with("Lower!")
            || answer.starts_with("Correct!"),
        "{answer}"
    );
}

#[tokio::test]
async fn play_moves_to_another_room_not_back_into_the_one_left() {
    let lobby = lobby();
    let (mut stays, _stays_frames) = player(&lobby, 2);
    stays.start().await;
    let (mut session, mut frames) = player(&lobby, 1);
    session.start().await;
    let first = session.seat.as_ref().map(|seat| seat.room);
    drain(&mut frames);
    assert_eq!(session.on_line("/play").await, Flow::Continue);
    let second = session.seat.as_ref().map(|seat| seat.room);
    assert!(
        first.is_some() && second.is_some() && first != second,
        "{first:?} -> {second:?}"
    );
    let lines = drain(&mut frames);
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("* You joined room 2")),
        "{lines:?}"
    );
}

/// Every connection's task holds the future of the line being handled inline, for its whole
/// life: the rare paths (commands, coming back, joins across nodes, the remote move) are
/// boxed so that this stays small. Measured: 4,568 bytes (debug) before they were boxed,
/// ~600 after; idle TCP connections went from ~15 to ~8 KiB each (docs/PERFORMANCE.md).
#[tokio::test]
async fn the_future_of_a_line_stays_small_so_idle_connections_stay_small() {
    const BOUND: usize = 1_024;
    let (mut s, _frames) = session();
    let on_line = std::mem::size_of_val(&s.on_line("5"));
    let request = referee_protocol::json::parse_request(r#"{"op":"guess","n":5}"#);
    let on_request = std::mem::size_of_val(&s.on_request(request));
    let start = std::mem::size_of_val(&s.start());
    let end = std::mem::size_of_val(&s.end());
    let sizes = [
        ("on_line", on_line),
        ("on_request", on_request),
        ("start", start),
        ("end", end),
    ];
    for (name, size) in sizes {
        assert!(
            size <= BOUND,
            "the future of {name} is {size} bytes (at most {BOUND})"
        );
    }
}
