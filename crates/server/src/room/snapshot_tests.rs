//! Rooms carried by their snapshot (`snapshot.rs`): a handed-over room answers exactly as a
//! twin kept running does and records the same match; a failed-over room voids the round in
//! play and keeps the points of finished ones; a snapshot of another version, game or shape is
//! refused. Paused time throughout; the recorder is real (its store captures what it commits).

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use crate::queue;
use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_protocol::notice::RoomLabel;
use referee_rules::{
    Bid, DiceAction, DiceConfig, DiceView, Game, GuessAction, GuessConfig, GuessNumber, GuessView,
    LiarsDice, MatchLog, Millis, PlayerId, Render, Viewer, replay, state_hash,
};
use referee_store::{Leaderboard, MemoryStore, RoundResult, Store, StoreError, StoreReader};
use tokio::sync::mpsc;

use super::recording::Recorded;
use super::snapshot::SNAPSHOT_VERSION;
use super::tests::{self as gated, lines, seat};
use super::{
    Act, GetScores, Rejoin, Resume, Room, RoomHandle, RoomSetup, RoomSnapshot, SnapshotError,
    Snapshotted, TakeSnapshot,
};
use crate::kick::Kick;
use crate::lobby::Lobby;
use crate::outbox::{Frame, Outbox};
use crate::records::{Recorder, StoreStatus};

/// A store that commits at once and hands every committed round to the test.
struct Capture(std_mpsc::Sender<RoundResult>);

super::tests::reads_nothing!(Capture);

impl Store for Capture {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        for round in rounds {
            let _ = self.0.send(round.clone());
        }
        Ok(())
    }
    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        MemoryStore::default().reader()
    }
}

/// The setup of a room with a capturing recorder; `seed` seeds the room's randomness.
fn setup<G: Render>(
    game: &'static str,
    config: G::Config,
    capacity: usize,
    seed: u64,
) -> (RoomSetup<G>, std_mpsc::Receiver<RoundResult>) {
    let lobby = Lobby::<GuessNumber>::spawn(
        3,
        GuessConfig::default(),
        (StdRng::seed_from_u64(1), StdRng::seed_from_u64(2)),
        None,
        Duration::from_secs(30),
    );
    let (tx, rx) = std_mpsc::channel();
    let status = std::sync::Arc::new(StoreStatus::default());
    let recorder = Recorder::spawn(Box::new(Capture(tx)), 16, status).unwrap();
    let setup = RoomSetup {
        game,
        label: RoomLabel { id: 5, code: None },
        capacity,
        config,
        rng: StdRng::seed_from_u64(seed),
        lobby: lobby.downgrade().recipient(),
        reconnect_window: Duration::from_secs(30),
        census: super::Census::default(),
        snapshots: None,
        recorder: Some(recorder),
        claim: None,
        home: None,
    };
    (setup, rx)
}

pub(super) fn guess_setup(seed: u64) -> (RoomSetup<GuessNumber>, std_mpsc::Receiver<RoundResult>) {
    setup("guess", GuessConfig::default(), 3, seed)
}

/// A two-seat Liar's Dice table (seed 7), Ann and Bob seated, Ann's opening bid of two
/// threes taken: the room, each player's frames, and the table's committed results.
async fn dice_table_after_a_bid() -> (
    RoomHandle<LiarsDice>,
    queue::Receiver<Frame>,
    queue::Receiver<Frame>,
    std_mpsc::Receiver<RoundResult>,
) {
    let (first, records) = dice_setup(7);
    let twin = Room::spawn(first);
    let ann = seat(&twin, 1).await;
    let bob = seat(&twin, 2).await;
    let opening = DiceAction::Bid(Bid {
        quantity: 2,
        face: 3,
    });
    act(&twin, 1, 1, opening).await;
    (twin, ann, bob, records)
}

fn dice_setup(seed: u64) -> (RoomSetup<LiarsDice>, std_mpsc::Receiver<RoundResult>) {
    let config = DiceConfig::new(2, Millis::from_secs(30), Millis::from_secs(15)).unwrap();
    setup("dice", config, 2, seed)
}

pub(super) async fn snapshot_of<G: Render>(room: &RoomHandle<G>) -> RoomSnapshot<G> {
    let json = room.ask(TakeSnapshot).await.unwrap().unwrap();
    RoomSnapshot::from_json(&json).unwrap()
}

/// `player` comes back to a restored room on a new connection.
pub(super) async fn rejoin<G: Render>(room: &RoomHandle<G>, player: u64) -> queue::Receiver<Frame> {
    let (tx, rx) = queue::channel(256);
    let rejoin = Rejoin {
        player: PlayerId(player),
        outbox: Outbox::new(tx, Kick::default()),
        re: None,
    };
    assert!(matches!(room.ask(rejoin).await, Ok(Ok(_))));
    rx
}

async fn act<G: Render>(room: &RoomHandle<G>, player: u64, round: u64, action: G::Action) {
    let act = Act {
        player: PlayerId(player),
        seen_round: round,
        action,
        re: None,
    };
    let _ = room.ask(act).await;
}

fn guess(value: i64) -> GuessAction {
    GuessAction::Guess { value, round: None }
}

/// Waits (real time, bounded) for the recorder to commit one round.
fn committed(records: &std_mpsc::Receiver<RoundResult>) -> RoundResult {
    records.recv_timeout(Duration::from_secs(5)).unwrap()
}

/// Lets the recorder's answer reach the room and the room release what it held (bounded).
async fn released(frames: &mut queue::Receiver<Frame>, wanted: &str) -> Vec<String> {
    let mut heard = Vec::new();
    for _ in 0..400 {
        heard.extend(lines(frames));
        if heard.iter().any(|line| line.contains(wanted)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }
    heard
}

/// A committed round's log replays to the hash recorded with it; the log itself.
fn replays<G: Game>(round: &RoundResult) -> Recorded<G> {
    let log = round.log.as_ref().unwrap();
    let recorded: Recorded<G> = serde_json::from_str(&log.actions).unwrap();
    let mut match_log = MatchLog::<G>::new(serde_json::from_str(&log.config).unwrap(), log.seed);
    match_log.start = recorded.start.clone();
    match_log.entries = recorded.entries.clone();
    let reached = replay(&match_log).unwrap();
    let hash = state_hash(&reached).unwrap().to_string();
    assert_eq!(
        Some(hash),
        recorded.state_hash,
        "the log replays to its hash"
    );
    recorded
}

fn guess_view(snapshot: &RoomSnapshot<GuessNumber>) -> GuessView {
    snapshot.state.view(Viewer::Player(PlayerId(1)))
}

/// What player 1 heard after a guess: the hint, or, for a win held until its commit, the win
/// once released.
async fn answer(frames: &mut queue::Receiver<Frame>) -> Vec<String> {
    let heard = lines(frames);
    if heard.is_empty() {
        return released(frames, "Correct!").await;
    }
    heard
}

/// Halves towards the secret on `twin` and `restored` alike, checking each answer is the
/// same (of a win, its line: the next round's commitment is drawn from each room's own
/// seeds); ends with both winning. Returns what player 1 heard from the restored room.
async fn play_twins(
    twin: (&RoomHandle<GuessNumber>, &mut queue::Receiver<Frame>),
    restored: (&RoomHandle<GuessNumber>, &mut queue::Receiver<Frame>),
    round: u64,
) -> Vec<String> {
    let (mut low, mut high) = (0, 19);
    for _ in 0..8 {
        let value = (low + high) / 2;
        act(twin.0, 1, round, guess(value)).await;
        act(restored.0, 1, round, guess(value)).await;
        let (heard, heard_there) = (answer(twin.1).await, answer(restored.1).await);
        assert_eq!(
            heard_there.first(),
            heard.first(),
            "the restored room answers {value} as its twin"
        );
        match heard.first().map(String::as_str) {
            Some(line) if line.starts_with("Higher!") => low = value + 1,
            Some(line) if line.starts_with("Lower!") => high = value - 1,
            Some(line) if line.starts_with("Correct!") => return heard_there,
            _ => panic!("{heard:?}"),
        }
    }
    panic!("no secret found in round {round}");
}

#[tokio::test(start_paused = true)]
async fn a_guess_room_handed_over_answers_as_its_twin_and_records_the_same_match() {
    let (first, twin_records) = guess_setup(7);
    let twin = Room::spawn(first);
    let mut ann = seat(&twin, 1).await;
    let _bob = seat(&twin, 2).await;
    act(&twin, 2, 1, guess(3)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    lines(&mut ann);

    let (second, records) = guess_setup(99);
    let restored = Room::spawn_from(second, snapshot_of(&twin).await, Resume::Handover);
    let mut ann_there = rejoin(&restored, 1).await;
    let _bob_there = rejoin(&restored, 2).await;
    let welcome = lines(&mut ann_there).join("\n");
    assert!(!welcome.contains("voided"), "{welcome}");

    let heard = play_twins((&twin, &mut ann), (&restored, &mut ann_there), 1).await;
    assert!(heard.iter().any(|l| l.starts_with("Correct!")), "{heard:?}");
    let (won_there, won) = (committed(&records), committed(&twin_records));
    replays::<GuessNumber>(&won_there);
    assert_eq!(won_there.log, won.log, "the same match, step for step");
    let scores = restored
        .ask(GetScores(PlayerId(1)))
        .await
        .unwrap()
        .unwrap()
        .1;
    assert_eq!(scores[0].points, 1);
}

#[tokio::test(start_paused = true)]
async fn a_guess_room_failed_over_voids_the_round_and_keeps_the_scores() {
    let (first, twin_records) = guess_setup(7);
    let twin = Room::spawn(first);
    let mut ann = seat(&twin, 1).await;
    let _bob = seat(&twin, 2).await;
    lines(&mut ann);
    // Ann wins round 1 (on a second room restored from the first, to find the secret).
    let (spare, _spare_records) = guess_setup(8);
    let spare = Room::spawn_from(spare, snapshot_of(&twin).await, Resume::Handover);
    let mut ann_spare = rejoin(&spare, 1).await;
    lines(&mut ann_spare);
    play_twins((&spare, &mut ann_spare), (&twin, &mut ann), 1).await;
    committed(&twin_records);
    act(&twin, 2, 2, guess(3)).await;
    let before = snapshot_of(&twin).await;
    assert_eq!(guess_view(&before).round, 2);

    let (second, records) = guess_setup(99);
    let restored = Room::spawn_from(second, before, Resume::Failover);
    let mut ann_there = rejoin(&restored, 1).await;
    let heard = lines(&mut ann_there).join("\n");
    assert!(heard.contains("round 2 was voided"), "{heard}");
    let after = snapshot_of(&restored).await;
    let (old, new) = (guess_view(&snapshot_of(&twin).await), guess_view(&after));
    assert_eq!(new.round, 3, "a new round");
    assert_ne!(new.commitment, old.commitment, "with another secret");
    assert_eq!(
        (new.points, new.guesses_this_round),
        (1, 0),
        "round 1's point kept"
    );

    // The new round is a recorded match of its own, which replays.
    let (spare, _spare_records) = guess_setup(8);
    let spare = Room::spawn_from(spare, after, Resume::Handover);
    let mut ann_spare = rejoin(&spare, 1).await;
    lines(&mut ann_spare);
    play_twins((&spare, &mut ann_spare), (&restored, &mut ann_there), 3).await;
    let recorded = replays::<GuessNumber>(&committed(&records));
    assert_eq!(recorded.round, 3);
}

fn dice_view(snapshot: &RoomSnapshot<LiarsDice>, player: u64) -> DiceView {
    snapshot.state.view(Viewer::Player(PlayerId(player)))
}

#[tokio::test(start_paused = true)]
async fn a_dice_room_handed_over_plays_on_as_its_twin_to_the_same_recorded_match() {
    let (twin, mut ann, mut bob, twin_records) = dice_table_after_a_bid().await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let before = snapshot_of(&twin).await;

    let (second, records) = dice_setup(99);
    let restored = Room::spawn_from(second, before, Resume::Handover);
    let mut ann_there = rejoin(&restored, 1).await;
    let mut bob_there = rejoin(&restored, 2).await;
    let (now_twin, now_there) = (snapshot_of(&twin).await, snapshot_of(&restored).await);
    assert_eq!(
        dice_view(&now_there, 2),
        dice_view(&now_twin, 2),
        "same dice, turn, deadline"
    );
    lines(&mut ann);
    lines(&mut bob);
    lines(&mut ann_there);
    lines(&mut bob_there);

    // Bob's turn had 20 s left when the snapshot was taken: no more, no less.
    tokio::time::sleep(Duration::from_secs(19)).await;
    let _ = restored.ask(GetScores(PlayerId(1))).await;
    assert_eq!(lines(&mut ann_there), Vec::<String>::new());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = restored.ask(GetScores(PlayerId(1))).await;
    let _ = twin.ask(GetScores(PlayerId(1))).await;
    let heard = lines(&mut ann_there);
    assert!(
        heard[0].starts_with("P2 calls liar (time ran out)"),
        "{heard:?}"
    );
    assert_eq!(heard, lines(&mut ann));
    assert_eq!(lines(&mut bob_there), lines(&mut bob));

    // The clocks play every turn from here: the match runs to its end on both rooms, each
    // step heard alike.
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_secs(31)).await;
        let scores = twin.ask(GetScores(PlayerId(1))).await.unwrap().unwrap().1;
        let _ = restored.ask(GetScores(PlayerId(1))).await;
        if scores.iter().any(|score| score.points > 0) {
            break;
        }
        assert_eq!(lines(&mut bob_there), lines(&mut bob));
    }
    let (won_there, won) = (committed(&records), committed(&twin_records));
    // Up to the win's announcement (the next match is dealt from each room's own seeds).
    let until_won = |heard: Vec<String>| -> Vec<String> {
        let end = heard.iter().position(|l| l.contains("win match 1"));
        heard[..=end.unwrap_or_else(|| panic!("{heard:?}"))].to_vec()
    };
    let heard = until_won(released(&mut bob, "win match 1").await);
    assert_eq!(
        until_won(released(&mut bob_there, "win match 1").await),
        heard
    );
    replays::<LiarsDice>(&won_there);
    assert_eq!(won_there.log, won.log, "the same match, step for step");
    assert_eq!(won_there.winner, won.winner);
}

/// The turn clock runs in a restored room before anyone is back.
#[tokio::test(start_paused = true)]
async fn a_restored_room_keeps_time_with_nobody_back() {
    let (twin, _ann, _bob, _records) = dice_table_after_a_bid().await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (second, _records) = dice_setup(99);
    let restored = Room::spawn_from(second, snapshot_of(&twin).await, Resume::Handover);
    // Bob's 25 s run out before the seats' 30 s reconnect window does.
    tokio::time::sleep(Duration::from_secs(26)).await;
    let (now_twin, now_there) = (snapshot_of(&twin).await, snapshot_of(&restored).await);
    assert_eq!(dice_view(&now_there, 1).hand, 2, "Bob's clock called liar");
    assert_eq!(dice_view(&now_there, 1), dice_view(&now_twin, 1));
}

#[tokio::test(start_paused = true)]
async fn a_dice_room_failed_over_deals_the_hand_again() {
    let (twin, _ann, _bob, _records) = dice_table_after_a_bid().await;
    let before = snapshot_of(&twin).await;
    let old = dice_view(&before, 1);

    let (second, _records) = dice_setup(99);
    let restored = Room::spawn_from(second, before, Resume::Failover);
    let mut bob_there = rejoin(&restored, 2).await;
    let heard = lines(&mut bob_there).join("\n");
    assert!(heard.contains("round 1 was voided"), "{heard}");
    let new = dice_view(&snapshot_of(&restored).await, 1);
    assert_eq!(
        (new.match_no, new.hand),
        (1, old.hand + 1),
        "the same match, a new hand"
    );
    assert_eq!(new.bid, None, "the voided hand's bid is gone");
    assert_eq!(new.turn, old.turn);
    let commitments =
        |view: &DiceView| -> Vec<_> { view.seats.iter().map(|s| s.commitment).collect() };
    assert_ne!(commitments(&new), commitments(&old), "dice dealt again");
}

/// A table between matches has no hand in play: restored after a failover, nothing was
/// voided, and players are told the room moved, not that a round was voided.
#[tokio::test(start_paused = true)]
async fn a_dice_table_failed_over_between_matches_voids_nothing() {
    let (first, _records) = dice_setup(7);
    let twin = Room::spawn(first);
    let _ann = seat(&twin, 1).await;
    let before = snapshot_of(&twin).await;
    assert_eq!(dice_view(&before, 1).match_no, 1, "waiting for match 1");

    let (second, _records) = dice_setup(99);
    let restored = Room::spawn_from(second, before, Resume::Failover);
    let mut ann_there = rejoin(&restored, 1).await;
    let heard = lines(&mut ann_there).join("\n");
    assert!(
        heard.contains("moved to another server after a failure; no round was in play"),
        "{heard}"
    );
    assert!(!heard.contains("round 1 was voided"), "{heard}");
}

#[tokio::test(start_paused = true)]
async fn a_restored_seat_nobody_claims_is_freed_after_the_window() {
    let (first, _records) = guess_setup(7);
    let twin = Room::spawn(first);
    let _ann = seat(&twin, 1).await;
    let _bob = seat(&twin, 2).await;
    let (second, _records) = guess_setup(99);
    let restored = Room::spawn_from(second, snapshot_of(&twin).await, Resume::Handover);
    let mut ann_there = rejoin(&restored, 1).await;
    lines(&mut ann_there);
    tokio::time::sleep(Duration::from_secs(31)).await;
    let _ = restored.ask(GetScores(PlayerId(1))).await;
    assert_eq!(lines(&mut ann_there), ["* P2 left the room."]);
    let (tx, _rx) = queue::channel(8);
    let late = Rejoin {
        player: PlayerId(2),
        outbox: Outbox::new(tx, Kick::default()),
        re: None,
    };
    assert!(
        matches!(restored.ask(late).await, Ok(Err(_))),
        "the seat was freed"
    );
    assert_eq!(snapshot_of(&restored).await.seats.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn corrupt_or_foreign_snapshots_are_refused() {
    let (first, _records) = guess_setup(7);
    let room = Room::spawn(first);
    let _ann = seat(&room, 1).await;
    let json = room.ask(TakeSnapshot).await.unwrap().unwrap();
    let read = |text: &str| RoomSnapshot::<GuessNumber>::from_json(text).err();

    assert!(matches!(read("{not json"), Some(SnapshotError::Json(_))));
    assert!(matches!(
        read(&json[..json.len() / 2]),
        Some(SnapshotError::Json(_))
    ));
    let next = json.replace(
        &format!("\"version\":{SNAPSHOT_VERSION}"),
        &format!("\"version\":{}", SNAPSHOT_VERSION + 1),
    );
    assert!(matches!(
        read(&next),
        Some(SnapshotError::Version { found: 2, .. })
    ));
    let dice = json.replacen("\"game\":\"guess\"", "\"game\":\"dice\"", 1);
    assert!(matches!(read(&dice), Some(SnapshotError::WrongGame { .. })));
    let crowded = json.replace("\"capacity\":3", "\"capacity\":0");
    assert!(matches!(
        read(&crowded),
        Some(SnapshotError::Inconsistent(_))
    ));
    let stranger = json.replace("\"player\":1,", "\"player\":9,");
    assert!(matches!(
        read(&stranger),
        Some(SnapshotError::Inconsistent(_))
    ));
    let stateless = json.replace("\"state\":", "\"gone\":");
    assert!(matches!(read(&stateless), Some(SnapshotError::Json(_))));
    assert!(read(&json).is_none(), "the snapshot itself reads");
}

/// A won round not yet committed is in no snapshot: the host is told to ask again.
#[tokio::test(start_paused = true)]
async fn no_snapshot_is_taken_while_a_win_is_being_saved() {
    let (verdict, verdicts) = std_mpsc::channel();
    let room = gated::room(verdicts);
    let mut ann = seat(&room, 1).await;
    lines(&mut ann);
    let value = gated::secret(&room, &mut ann).await;
    gated::guess(&room, 1, value).await;
    assert!(matches!(
        room.ask(TakeSnapshot).await,
        Ok(Err(SnapshotError::Saving))
    ));
    assert!(verdict.send(true).is_ok());
    released(&mut ann, "Correct!").await;
    let snapshot = snapshot_of(&room).await;
    assert_eq!(guess_view(&snapshot).points, 1);
}

/// Keeps the snapshots a room offers, for the test to read.
struct Sink(mpsc::UnboundedSender<Snapshotted>);

impl referee_actor::Actor for Sink {}

impl referee_actor::Handler<Snapshotted> for Sink {
    fn handle(&mut self, snapshot: Snapshotted, _: &mut referee_actor::Context<Self>) {
        let _ = self.0.send(snapshot);
    }
}

/// When someone sits down and after each committed win the room offers its snapshot — after
/// a win the next round's, with the point won — and a room restored from it by failover
/// keeps that point.
#[tokio::test(start_paused = true)]
async fn each_committed_win_offers_a_snapshot_that_restores() {
    let (sink_tx, mut offered) = mpsc::unbounded_channel();
    let sink = referee_actor::ActorBuilder::new().spawn(Sink(sink_tx));
    let (mut first, records) = guess_setup(7);
    first.snapshots = Some(sink.recipient());
    let room = Room::spawn(first);
    let mut ann = seat(&room, 1).await;
    lines(&mut ann);
    let (spare, _spare_records) = guess_setup(8);
    let spare = Room::spawn_from(spare, snapshot_of(&room).await, Resume::Handover);
    let mut ann_spare = rejoin(&spare, 1).await;
    lines(&mut ann_spare);
    // Someone sitting down is offered (the seat must come back after a failure) ...
    let seated = offered.try_recv().unwrap();
    let read = RoomSnapshot::<GuessNumber>::from_json(&seated.json).unwrap();
    assert_eq!(read.seats.len(), 1, "the seat taken is in it");
    // ... and nothing else before a win.
    assert!(offered.try_recv().is_err(), "nothing else before a win");
    play_twins((&spare, &mut ann_spare), (&room, &mut ann), 1).await;
    committed(&records);
    let snapshot = tokio::time::timeout(Duration::from_secs(5), offered.recv()).await;
    let snapshot = snapshot.unwrap().unwrap();
    assert_eq!((snapshot.room, snapshot.round), (5, 1));
    let read = RoomSnapshot::<GuessNumber>::from_json(&snapshot.json).unwrap();
    assert_eq!((guess_view(&read).round, guess_view(&read).points), (2, 1));

    let (second, _records) = guess_setup(99);
    let restored = Room::spawn_from(second, read, Resume::Failover);
    let _ann_there = rejoin(&restored, 1).await;
    let view = guess_view(&snapshot_of(&restored).await);
    assert_eq!((view.round, view.points), (3, 1));
}
