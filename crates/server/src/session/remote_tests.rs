//! A player on node A plays in a room hosted on node B (`room/wire/`, `room/link.rs`), over a
//! real NATS: two "nodes" in one process, each with its own NATS client, B with the lobby
//! and the room, A with a session whose seat is a `RoomLink::Remote`. Skipped (with a
//! message) without NATS unless `REFEREE_REQUIRE_NATS=1`.

use std::sync::Arc;
use std::time::Duration;

use crate::queue;
use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_actor::ActorHandle;
use referee_remote::{RemoteHandle, Serving};
use referee_rules::{GuessConfig, GuessNumber};

use super::*;
use crate::kick::Kick;
use crate::lobby::{FindRoom, ListRooms, Lobby};
use crate::room::Room;
use crate::room::wire::{self, Answered, MemberAddress, RoomCall, RoomReply};

/// How long a frame may take to cross NATS here (loopback): a bound, never a pace.
const TIMEOUT: Duration = Duration::from_secs(5);

fn lobby(seed: u64) -> LobbyHandle<GuessNumber> {
    Lobby::<GuessNumber>::spawn(
        3,
        GuessConfig::default(),
        (StdRng::seed_from_u64(seed), StdRng::seed_from_u64(seed + 1)),
        None,
        Duration::from_secs(30),
    )
}

/// A session with its own outbox; `connection` names its member subjects.
fn player(
    lobby: &LobbyHandle<GuessNumber>,
    id: u64,
    connection: u64,
) -> (Session<GuessNumber>, queue::Receiver<Frame>) {
    let (frames_tx, frames_rx) = queue::channel(64);
    let outbox = Outbox::new(frames_tx, Kick::default());
    let mut session = Session::new(
        PlayerId(id),
        lobby.clone(),
        outbox,
        SeenRound::default(),
        false,
    );
    session.connection = connection;
    (session, frames_rx)
}

/// Node B: a lobby, a local player seated in room 1, and the room served on NATS.
struct NodeB {
    lobby: LobbyHandle<GuessNumber>,
    local: Session<GuessNumber>,
    local_frames: queue::Receiver<Frame>,
    room: ActorHandle<Room<GuessNumber>>,
    serving: Option<Serving>,
}

async fn node_b(client: &async_nats::Client, seed: u64) -> NodeB {
    let lobby = lobby(seed);
    let (mut local, local_frames) = player(&lobby, 2, 1);
    local.start().await;
    let room = match local.seat.as_ref().map(|seat| seat.handle.clone()) {
        Some(RoomLink::Local(room)) => room,
        _ => panic!("B's player is not seated in a local room"),
    };
    let serving = wire::host::serve_room(client, &prefix(), 1, &room)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    NodeB {
        lobby,
        local,
        local_frames,
        room,
        serving: Some(serving),
    }
}

/// The subjects' prefix of this test process's "cluster": no other test run meets it.
fn prefix() -> String {
    format!("referee.test{}", std::process::id())
}

/// Node A: its NATS connection and its name, unique to this test run.
struct NodeA {
    client: async_nats::Client,
    name: String,
}

impl NodeA {
    /// A seat in guess-the-number room `room`, hosted elsewhere and reached from this node.
    fn seat_in(&self, room: u64) -> Seat<GuessNumber> {
        Seat {
            room,
            game: "guess",
            label: RoomLabel {
                id: room,
                code: None,
            },
            handle: RoomLink::remote(&self.client, &prefix(), &self.name, room, None),
            host: None,
        }
    }
}

fn node_a(client: async_nats::Client, test: &str) -> NodeA {
    NodeA {
        client,
        name: format!("a{}x{}", std::process::id(), test),
    }
}

/// B's lobby reserves a seat in room 1 for A's player (what the cluster's directory will
/// do); A reaches the room through a remote link.
async fn remote_seat(b: &NodeB, a: &NodeA, metrics: &Arc<Metrics>) -> Seat<GuessNumber> {
    let mut seat = match b.lobby.ask(FindRoom::new("1")).await {
        Ok(Ok(seat)) => seat,
        _ => panic!("B's lobby has no seat in room 1"),
    };
    seat.handle = RoomLink::remote(
        &a.client,
        &prefix(),
        &a.name,
        seat.room,
        Some(metrics.clone()),
    );
    seat
}

/// Lines until one satisfies `done` (included), within [`TIMEOUT`].
async fn until(frames: &mut queue::Receiver<Frame>, done: impl Fn(&str) -> bool) -> Vec<Frame> {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(TIMEOUT, async {
        while let Some(frame) = frames.recv().await {
            let last = done(&frame.text);
            seen.push(frame);
            if last {
                return true;
            }
        }
        false
    })
    .await;
    let texts: Vec<&str> = seen.iter().map(|frame| frame.text.as_str()).collect();
    assert!(matches!(found, Ok(true)), "not found; got {texts:?}");
    seen
}

fn is_answer(line: &str) -> bool {
    ["Higher!", "Lower!", "Correct!"]
        .iter()
        .any(|start| line.starts_with(start))
}

/// Guesses by halving through A's session until A wins; returns A's frames meanwhile.
async fn win(
    session: &mut Session<GuessNumber>,
    frames: &mut queue::Receiver<Frame>,
) -> Vec<Frame> {
    let (mut low, mut high) = (0, 19);
    let mut all = Vec::new();
    for _ in 0..8 {
        let value = (low + high) / 2;
        assert_eq!(session.on_line(&value.to_string()).await, Flow::Continue);
        // No waiting: the room's answer is in A's queue by the time the session goes on.
        let seen: Vec<Frame> = std::iter::from_fn(|| frames.try_recv().ok()).collect();
        let answer = seen
            .iter()
            .rev()
            .map(|frame| frame.text.clone())
            .find(|text| is_answer(text))
            .unwrap_or_else(|| panic!("no answer yet after guessing {value}: {seen:?}"));
        all.extend(seen);
        if answer.starts_with("Correct!") {
            return all;
        }
        if answer.starts_with("Higher!") {
            low = value + 1;
        } else {
            high = value - 1;
        }
    }
    panic!("no win in 8 halvings");
}

async fn players_in_room_1(lobby: &LobbyHandle<GuessNumber>) -> usize {
    let (rooms, _) = lobby
        .ask(ListRooms)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    rooms
        .iter()
        .find(|room| room.id == 1)
        .map_or(0, |room| room.players)
}

/// Rooms are served on `room.<id>` and every test's lobby numbers its first room 1: one
/// test at a time in this process.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn clients(test: &str) -> Option<(async_nats::Client, async_nats::Client)> {
    let a = referee_remote::testing::connect(test)
        .await
        .unwrap_or_else(|err| panic!("{err}"))?;
    let b = referee_remote::testing::connect(test)
        .await
        .unwrap_or_else(|err| panic!("{err}"))?;
    Some((a, b))
}

// Two workers: the member task and the session run in parallel, as in the server, so a
// reply that overtook the room's frames would show (it did, 4 runs in 10, without
// `wire::caught_up`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_on_another_node_joins_guesses_wins_and_leaves() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((client_a, client_b)) = clients("remote_room_play").await else {
        return;
    };
    let mut b = node_b(&client_b, 11).await;
    until(&mut b.local_frames, |line| line.starts_with("Round 1")).await;
    let a = node_a(client_a, "play");
    let metrics = Arc::new(Metrics::new());
    let (mut session, mut frames) = player(&lobby(40), 1, 7);
    session.sit(remote_seat(&b, &a, &metrics).await).await;
    let welcome = until(&mut frames, |line| line.starts_with("Round 1")).await;
    assert!(
        welcome
            .iter()
            .any(|f| f.text.starts_with("* You joined room 1"))
    );
    assert!(session.seat.is_some(), "A is seated");
    assert_eq!(players_in_room_1(&b.lobby).await, 2);

    let played = win(&mut session, &mut frames).await;
    // Every frame reached A with its round, stamped with A's seat (what `seen.rs` reads).
    assert!(
        played
            .iter()
            .all(|f| f.epoch == session.epoch && f.round.is_some())
    );

    // B's own player heard A sit down, then A's win: in the room's order.
    let heard = until(&mut b.local_frames, |line| line.contains("won")).await;
    let texts: Vec<&str> = heard.iter().map(|f| f.text.as_str()).collect();
    let joined = texts
        .iter()
        .position(|line| line.contains("joined the room"));
    assert!(
        joined.is_some_and(|joined| joined + 1 < texts.len()),
        "{texts:?}"
    );

    // A chat line reaches the room (an ask now: `RoomCall` chat is droppable) and both hear it.
    assert_eq!(session.on_line("/say over the wire").await, Flow::Continue);
    until(&mut frames, |line| line.ends_with("over the wire")).await;
    until(&mut b.local_frames, |line| line.ends_with("over the wire")).await;

    session.leave_room().await;
    until(&mut frames, |line| line.starts_with("* You left")).await;
    until(&mut b.local_frames, |line| line.contains("left the room")).await;
    assert_eq!(
        players_in_room_1(&b.lobby).await,
        1,
        "A's seat is free again"
    );
    b.local.end().await;
    stop(b.serving).await;
}

#[tokio::test]
async fn a_room_nobody_serves_any_more_is_a_closed_room() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((client_a, client_b)) = clients("remote_room_gone").await else {
        return;
    };
    let mut b = node_b(&client_b, 21).await;
    let a = node_a(client_a, "gone");
    let metrics = Arc::new(Metrics::new());
    let (mut session, mut frames) = player(&lobby(41), 1, 8);
    session.sit(remote_seat(&b, &a, &metrics).await).await;
    until(&mut frames, |line| line.starts_with("Round 1")).await;

    if let Some(serving) = b.serving.take() {
        serving.stop().await;
        // NATS has the unsubscribe before A asks (`Serving::stop` does not wait for that).
        wire::settled(&client_b).await;
    }
    assert_eq!(session.on_line("10").await, Flow::Continue);
    until(&mut frames, |line| line.contains("your room closed")).await;
    assert!(session.seat.is_none(), "no seat in a room that is gone");
    assert_eq!(metrics.remote_no_responders(), 1);

    // Joining it again: "that room has closed", and the reserved seat goes back.
    let seat = remote_seat(&b, &a, &metrics).await;
    session.sit(seat).await;
    until(&mut frames, |line| line.contains("that room has closed")).await;
    assert!(
        b.room.is_running(),
        "the room itself never stopped: only its serving did"
    );
}

#[tokio::test]
async fn a_member_whose_node_stops_draining_is_dropped_and_the_room_plays_on() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((client_a, client_b)) = clients("remote_room_slow").await else {
        return;
    };
    let mut b = node_b(&client_b, 31).await;
    // A node that asked to join and then never reads its member subject (nor says what it
    // drained): its remote outbox fills as a local reader's would.
    // The seat is reserved in B's lobby first, as for any player.
    assert!(matches!(b.lobby.ask(FindRoom::new("1")).await, Ok(Ok(_))));
    assert_eq!(players_in_room_1(&b.lobby).await, 2);
    let asked: RemoteHandle<RoomCall<GuessNumber>> =
        RemoteHandle::new(client_a, wire::room_subject(&prefix(), 1));
    let member = MemberAddress {
        subject: wire::member_subject(&prefix(), "stalled", std::process::id().into(), 1),
        encoding: crate::encoding::Encoding::Text,
        resumable: false,
        capacity: 4,
        seating: None,
    };
    let join = RoomCall::Join {
        player: PlayerId(1),
        name: "Stalled".into(),
        named: true,
        feed: false,
        re: None,
        member,
    };
    assert!(matches!(
        asked.ask(join).await,
        Ok(Answered {
            reply: RoomReply::Joined(Ok(_)),
            ..
        })
    ));
    // Each rename is told to the other member, and may not be dropped.
    for n in 0..16 {
        b.local.on_line(&format!("/name B{n}")).await;
    }
    until(&mut b.local_frames, |line| {
        line.contains("Stalled was disconnected (too slow)")
    })
    .await;
    assert_eq!(players_in_room_1(&b.lobby).await, 1);
    // The room plays on.
    b.local.on_line("10").await;
    until(&mut b.local_frames, is_answer).await;
    stop(b.serving).await;
}

async fn stop(serving: Option<Serving>) {
    if let Some(serving) = serving {
        serving.stop().await;
    }
}

/// The answer says how many frames the room pushed to the caller before it: what the
/// caller's node waits for before it lets the session go on (`wire::caught_up`).
#[tokio::test]
async fn an_answer_counts_the_frames_pushed_before_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((client_a, client_b)) = clients("remote_room_pushed").await else {
        return;
    };
    let b = node_b(&client_b, 51).await;
    assert!(matches!(b.lobby.ask(FindRoom::new("1")).await, Ok(Ok(_))));
    let subject = wire::member_subject(&prefix(), "counted", std::process::id().into(), 1);
    let mut pushes = referee_remote::subscribe::<wire::MemberPush>(&client_a, subject.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let asked: RemoteHandle<RoomCall<GuessNumber>> =
        RemoteHandle::new(client_a, wire::room_subject(&prefix(), 1));
    let member = MemberAddress {
        subject,
        encoding: crate::encoding::Encoding::Text,
        resumable: false,
        capacity: 64,
        seating: None,
    };
    let join = RoomCall::Join {
        player: PlayerId(1),
        name: "Counted".into(),
        named: true,
        feed: false,
        re: None,
        member,
    };
    let pushed = match asked.ask(join).await {
        Ok(answered) => answered.pushed,
        Err(err) => panic!("{err:?}"),
    };
    let act = RoomCall::Act {
        player: PlayerId(1),
        seen_round: 1,
        action: referee_rules::GuessAction::Guess {
            value: 10,
            round: None,
        },
        re: None,
    };
    let after_guess = match asked.ask(act).await {
        Ok(answered) => answered.pushed,
        Err(err) => panic!("{err:?}"),
    };
    let mut texts = Vec::new();
    while texts.len() < 3 {
        match tokio::time::timeout(TIMEOUT, pushes.next()).await {
            Ok(Some(Ok(wire::MemberPush::Frame { text, .. }))) => texts.push(text),
            other => panic!("{other:?} after {texts:?}"),
        }
    }
    // The welcome and the round, then the answer to the guess.
    assert_eq!(pushed, Some(2), "{texts:?}");
    assert_eq!(after_guess, Some(3), "{texts:?}");
    assert!(is_answer(&texts[2]), "{texts:?}");
    stop(b.serving).await;
}

/// A remote member whose own client stops reading is kicked on its node, as the room would
/// kick a local one: the member task's push into the full queue throws the switch.
#[tokio::test]
async fn a_remote_member_whose_client_stops_reading_is_kicked_on_its_node() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((client_a, client_b)) = clients("remote_room_unread").await else {
        return;
    };
    let mut b = node_b(&client_b, 61).await;
    let a = node_a(client_a, "unread");
    let metrics = Arc::new(Metrics::new());
    let (frames_tx, _never_read) = queue::channel(4);
    let kick = Kick::default();
    let outbox = Outbox::new(frames_tx, kick.clone());
    let mut session = Session::new(PlayerId(1), lobby(62), outbox, SeenRound::default(), false);
    session.connection = 9;
    session.sit(remote_seat(&b, &a, &metrics).await).await;
    for n in 0..8 {
        b.local.on_line(&format!("/name B{n}")).await;
    }
    let kicked = tokio::time::timeout(TIMEOUT, kick.for_reader()).await;
    assert_eq!(kicked.ok(), Some(crate::kick::Reason::TooSlow));
    stop(b.serving).await;
}

/// A host that answers every move as taken after pushing one frame to the mover, and never
/// sends that frame: a host that died between its answer and its frames (its forwarder is
/// another task), as seen by the player's node.
struct Mute;

impl referee_actor::Actor for Mute {}

impl referee_actor::Handler<RoomCall<GuessNumber>> for Mute {
    fn handle(
        &mut self,
        call: RoomCall<GuessNumber>,
        _: &mut referee_actor::Context<Self>,
    ) -> Answered {
        let (reply, pushed) = match call {
            RoomCall::Join { .. } => (RoomReply::Joined(Ok(1)), None),
            RoomCall::Act { .. } => (RoomReply::Acted { taken: true }, Some(1)),
            RoomCall::Leave { .. } => (RoomReply::Left(true), None),
            _ => (RoomReply::Told, None),
        };
        Answered { reply, pushed }
    }
}

/// R12's wait for the frames before an answer ends after `GRACE` as if they had come: a move
/// whose answer was lost with its host is said to be so (`answer_lost`), once, and the
/// session goes on. Before, the player heard nothing at all until they moved again.
#[tokio::test]
async fn a_move_whose_answer_was_lost_with_its_host_is_reported() {
    let Some((client_a, client_b)) = clients("remote_answer_lost").await else {
        return;
    };
    // A room number no other test of this process serves.
    const ROOM: u64 = 77;
    let host = referee_actor::ActorBuilder::new().spawn(Mute);
    let _serving = referee_remote::serve(
        client_b.clone(),
        wire::room_subject(&prefix(), ROOM),
        host.recipient::<RoomCall<GuessNumber>>(),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    wire::settled(&client_b).await;
    let a = node_a(client_a, "lost");
    let (mut session, mut frames) = player(&lobby(51), 1, 9);
    session.sit(a.seat_in(ROOM)).await;
    assert!(session.seat.is_some(), "seated by the mute host");

    let started = Instant::now();
    assert_eq!(session.on_line("10").await, Flow::Continue);
    let waited = started.elapsed();
    let heard: Vec<String> = std::iter::from_fn(|| frames.try_recv().ok())
        .map(|frame| frame.text)
        .collect();
    assert_eq!(
        heard
            .iter()
            .filter(|line| line.contains("answer to your move was lost"))
            .count(),
        1,
        "told once that the answer was lost: {heard:?}"
    );
    assert!(
        waited >= crate::room::wire::GRACE && waited < TIMEOUT,
        "told after the grace: {waited:?}"
    );
    // Still seated and served: the next line is handled as ever.
    assert_eq!(session.on_line("/ping").await, Flow::Continue);
    until(&mut frames, |line| line == "pong").await;
    assert!(session.seat.is_some(), "the seat is kept");
}

/// A host on a thread of its own, its mailbox one letter deep: seats anyone, blocks on each
/// `GetScores` until the test opens the gate (a busy room), and counts the chat lines it got.
struct Stuck {
    entered: tokio::sync::mpsc::UnboundedSender<()>,
    gate: std::sync::mpsc::Receiver<()>,
    chats: Arc<std::sync::atomic::AtomicUsize>,
}

impl referee_actor::Actor for Stuck {}

impl referee_actor::Handler<RoomCall<GuessNumber>> for Stuck {
    fn handle(
        &mut self,
        call: RoomCall<GuessNumber>,
        _: &mut referee_actor::Context<Self>,
    ) -> Answered {
        let reply = match call {
            RoomCall::Join { .. } => RoomReply::Joined(Ok(1)),
            RoomCall::GetScores { .. } => {
                let _ = self.entered.send(());
                let _ = self.gate.recv();
                RoomReply::Scores(None)
            }
            RoomCall::Chat { .. } => {
                self.chats.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                RoomReply::Told
            }
            _ => RoomReply::Told,
        };
        Answered {
            reply,
            pushed: None,
        }
    }
}

/// A remote player's chat line to a room too busy to take it is dropped, and the player told
/// so at once — the answer a local player gets — rather than waiting in the host's mailbox
/// line, where it held every call behind it on the room's subject.
#[tokio::test]
async fn a_chat_line_to_a_busy_remote_room_is_dropped_and_said_to_be() {
    let Some((client_a, client_b)) = clients("remote_chat_busy").await else {
        return;
    };
    // A room number no other test of this process serves.
    const ROOM: u64 = 78;
    let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel();
    let (open, gate) = std::sync::mpsc::channel();
    let chats = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let host = referee_actor::ActorBuilder::new()
        .mailbox_capacity(1)
        .spawn_thread(Stuck {
            entered: entered_tx,
            gate,
            chats: chats.clone(),
        })
        .unwrap_or_else(|err| panic!("{err}"));
    let _serving = referee_remote::serve(
        client_b.clone(),
        wire::room_subject(&prefix(), ROOM),
        host.recipient::<RoomCall<GuessNumber>>(),
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    wire::settled(&client_b).await;
    let a = node_a(client_a, "chat");
    let (mut session, mut frames) = player(&lobby(52), 1, 10);
    session.sit(a.seat_in(ROOM)).await;
    assert!(session.seat.is_some(), "seated by the host");

    // The room busy: one call in its handler, one in its mailbox's only slot (sent on the
    // session's own connection, so in order before the chat line).
    let busy = RemoteHandle::<RoomCall<GuessNumber>>::new(
        a.client.clone(),
        wire::room_subject(&prefix(), ROOM),
    );
    let scores = || RoomCall::GetScores {
        player: PlayerId(3),
    };
    busy.tell(scores())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    tokio::time::timeout(TIMEOUT, entered.recv())
        .await
        .unwrap_or_else(|_| panic!("the host never got busy"));
    busy.tell(scores())
        .await
        .unwrap_or_else(|err| panic!("{err}"));

    let started = Instant::now();
    assert_eq!(session.on_line("/say hello").await, Flow::Continue);
    let waited = started.elapsed();
    let heard: Vec<String> = std::iter::from_fn(|| frames.try_recv().ok())
        .map(|frame| frame.text)
        .collect();
    assert!(
        heard
            .iter()
            .any(|line| line.contains("the room is busy; try again")),
        "told the room is busy: {heard:?} (after {waited:?})"
    );
    assert!(waited < Duration::from_secs(1), "told at once: {waited:?}");
    // The gate open for good: the host goes on; the line never reached it.
    drop(open);
    assert_eq!(session.on_line("/ping").await, Flow::Continue);
    until(&mut frames, |line| line == "pong").await;
    let who = tokio::time::timeout(
        TIMEOUT,
        busy.ask(RoomCall::Who {
            player: PlayerId(3),
        }),
    )
    .await;
    assert!(matches!(who, Ok(Ok(_))), "the host answers again: {who:?}");
    assert_eq!(
        chats.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the line was dropped"
    );
}
