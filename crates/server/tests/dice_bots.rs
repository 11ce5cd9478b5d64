//! Bots fill the empty seats of a Liar's Dice table (`referee serve --dice-bots`), on a real
//! server over the line protocol, with tokio time paused: the countdown, the bots' think
//! delay and the turn clock all run on the paused clock, which moves only when every task
//! (the server's and the clients') waits, so a match against bots takes no real time.
//!
//! One netcat player finishes matches against bots, who never act out of turn, never let the
//! clock play for them, and leave with the player; a player arriving during the countdown
//! sits before the bots fill; with the flag off, nobody but players ever sits; JSON views
//! mark the bots' seats; bots' wins are recorded, and only humans' are on the leaderboard.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::http::http_get;
use common::ws::WsClient;
use common::{Client, room_of, test_config};
use referee_rules::{
    DiceConfig, Games, GuessConfig, GuessNumber, LiarsDice, LogEntry, MatchLog, Millis, replay,
    state_hash,
};
use referee_server::Server;
use referee_store::{
    GameWins, Leaderboard, MatchRecord, MemoryStore, RoundResult, Store, StoreError, StoreReader,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A store that keeps every result it is given (unnamed ones too), besides a memory store.
#[derive(Clone, Default)]
struct Kept {
    inner: MemoryStore,
    results: Arc<Mutex<Vec<RoundResult>>>,
}

impl Kept {
    fn results(&self) -> Vec<RoundResult> {
        self.results.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl StoreReader for Kept {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now: i64,
        recent: i64,
    ) -> Result<Leaderboard, StoreError> {
        self.inner.leaderboard(game, limit, now, recent)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        self.inner.wins_of(name)
    }

    fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError> {
        self.inner.games_of(name)
    }

    fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError> {
        self.inner.match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MatchRecord>, StoreError> {
        self.inner.recent_matches(game, limit)
    }
}

impl Store for Kept {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        if let Ok(mut results) = self.results.lock() {
            results.extend_from_slice(rounds);
        }
        self.inner.record(rounds)
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        Ok(Box::new(self.clone()))
    }
}

/// A server of both games whose dice tables are `dice`; with `store`, it keeps its results
/// there. Its line-protocol and HTTP addresses, and its stop.
async fn server_http(
    dice: DiceConfig,
    store: Option<Kept>,
) -> (SocketAddr, SocketAddr, oneshot::Sender<()>) {
    let bind = || async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
        (listener, addr)
    };
    let ((listener, addr), (http, http_addr)) = (bind().await, bind().await);
    let config = test_config()
        .game_seats("dice", usize::from(dice.players()))
        .build();
    let mut server =
        Server::<Games<GuessNumber, LiarsDice>>::new(config, (GuessConfig::default(), dice))
            .with_http(http);
    if let Some(store) = store {
        server = server.with_store(Box::new(store));
    }
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (addr, http_addr, stop)
}

/// As [`server_http`], without the HTTP address.
async fn server(dice: DiceConfig, store: Option<Kept>) -> (SocketAddr, oneshot::Sender<()>) {
    let (addr, _, stop) = server_http(dice, store).await;
    (addr, stop)
}

/// Four-seat tables, 30 s turns, a 15 s countdown; bots allowed or not.
fn four_seats(bots: bool) -> DiceConfig {
    DiceConfig::new(4, Millis::from_secs(30), Millis::from_secs(15))
        .unwrap_or_else(|err| panic!("{err}"))
        .with_bots(bots)
}

/// A named player moved to a dice table with `/play dice`; the room's number.
async fn dice_player(addr: SocketAddr, name: &str) -> (Client, u64) {
    let mut client = Client::connect(addr).await;
    client.greeting().await;
    client.send(&format!("/name {name}")).await;
    client.until_contains("known as").await;
    client.send("/play dice").await;
    let (joined, _) = client.until("* You joined").await;
    (client, room_of(&joined))
}

/// Whose turn a line announces, if it does: `Hand 2: Bot 1 starts.`, `... Bot 2's turn.`,
/// `... Your turn.` (`me`).
fn turn_after(line: &str, me: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("Hand ") {
        let (_, rest) = rest.split_once(": ")?;
        let starter = rest.split_once(" start")?.0;
        return Some(if starter == "you" { me } else { starter }.to_owned());
    }
    if line.ends_with("Your turn.") {
        return Some(me.to_owned());
    }
    let (_, next) = line.strip_suffix("'s turn.")?.rsplit_once(". ")?;
    Some(next.to_owned())
}

/// Who acted in a line (`Bot 2 bids 3 fives. ...`, `You call liar ...`), if anyone did.
fn actor(line: &str, me: &str) -> Option<String> {
    for verb in [" bids ", " calls liar", " bid ", " call liar"] {
        if let Some((who, _)) = line.split_once(verb) {
            if who.contains(['.', ':', '*']) {
                continue;
            }
            return Some(if who == "You" { me } else { who }.to_owned());
        }
    }
    None
}

/// What a referee watching one player's lines checks: every move is by whoever's turn it
/// was, and no bot ever lets the clock play for it.
#[derive(Default)]
struct Turns {
    turn: Option<String>,
    bot_moves: usize,
}

impl Turns {
    fn read(&mut self, line: &str, me: &str) {
        if let Some(actor) = actor(line, me) {
            assert_eq!(Some(&actor), self.turn.as_ref(), "out of turn: {line}");
            if actor.starts_with("Bot ") {
                self.bot_moves += 1;
                assert!(!line.contains("time ran out"), "a bot was too slow: {line}");
            }
            self.turn = None;
        }
        if let Some(next) = turn_after(line, me) {
            self.turn = Some(next);
        }
    }
}

/// Plays match `no` to its end as `me`: liar on any bid, else 1 of its first face. Returns
/// the winning line and the lines read.
async fn play_match(client: &mut Client, me: &str, no: u64, turns: &mut Turns) -> String {
    let (mut dice, mut bid_standing) = (Vec::<u8>::new(), false);
    loop {
        let line = client.line().await;
        turns.read(&line, me);
        if line.ends_with(&format!(" match {no}!")) {
            return line;
        }
        if let Some(faces) = line.strip_prefix("Your dice: ") {
            dice = faces
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
        }
        if line.starts_with("Hand ") || line.contains(" liar") {
            bid_standing = false;
        }
        if actor(&line, me).is_some() && line.contains(" bid") {
            bid_standing = true;
        }
        if turns.turn.as_deref() == Some(me)
            && (line.starts_with("Your dice: ") || line.ends_with("Your turn."))
        {
            if bid_standing {
                client.send("liar").await;
            } else {
                client
                    .send(&format!("bid 1 {}", dice.first().copied().unwrap_or(1)))
                    .await;
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn one_player_finishes_matches_against_bots_who_leave_with_them() {
    let (addr, stop) = server(four_seats(true), None).await;
    let (mut ann, room) = dice_player(addr, "Ann").await;
    let mut eve = Client::connect(addr).await;
    eve.greeting().await;
    eve.send(&format!("/watch {room}")).await;
    eve.until("* You are watching").await;

    let (countdown, _) = ann.until("Match 1 starts in 15 s").await;
    assert!(
        countdown.contains("as soon as the table is full"),
        "{countdown}"
    );
    let (sat, _) = ann.until("Bots take the empty seats").await;
    assert_eq!(sat, "Bots take the empty seats: Bot 1, Bot 2, Bot 3.");
    let (begins, _) = ann.until("Match 1 begins").await;
    assert_eq!(begins, "Match 1 begins: Ann, Bot 1, Bot 2, Bot 3.");

    let mut turns = Turns::default();
    play_match(&mut ann, "Ann", 1, &mut turns).await;
    assert!(turns.bot_moves > 0, "the bots played");
    let (left, _) = ann.until("The bots leave the table").await;
    assert_eq!(left, "The bots leave the table: Bot 1, Bot 2, Bot 3.");
    ann.until("Match 2 starts in 15 s").await;

    // Match 2 against bots again; Ann leaves in the middle of it, and the bots go with her.
    ann.until("Match 2 begins: Ann, Bot 1, Bot 2, Bot 3.").await;
    eve.until("Match 2 begins").await;
    ann.send("/leave").await;
    ann.until_contains("left").await;
    let (gone, skipped) = eve.until("The bots leave the table").await;
    assert_eq!(gone, "The bots leave the table: Bot 1, Bot 2, Bot 3.");
    assert!(
        skipped.iter().all(|line| !line.contains("Your dice")),
        "{skipped:?}"
    );
    // At once: no bot plays on after the last human left.
    assert_eq!(
        skipped.last().map(String::as_str),
        Some("* Ann left the room."),
        "{skipped:?}"
    );

    // Five minutes of game time pass: no bot moves or sits at the empty table again.
    tokio::time::sleep(Duration::from_secs(300)).await;
    eve.send("/who").await;
    let (who, heard) = eve.until_contains("room").await;
    assert!(!who.contains("Bot"), "{who}");
    assert!(heard.iter().all(|line| !line.contains("Bot")), "{heard:?}");
    // The room was given up: a new player's quick match makes or finds a table without bots.
    let (mut bob, _) = dice_player(addr, "Bob").await;
    let (countdown, skipped) = bob.until("Match ").await;
    assert!(countdown.contains("starts in 15 s"), "{countdown}");
    assert!(
        skipped.iter().all(|line| !line.contains("Bot")),
        "{skipped:?}"
    );
    let _ = stop.send(());
}

#[tokio::test(start_paused = true)]
async fn a_player_arriving_during_the_countdown_sits_before_the_bots() {
    let (addr, stop) = server(four_seats(true), None).await;
    let (mut ann, room) = dice_player(addr, "Ann").await;
    ann.until("Match 1 starts in 15 s").await;
    let (mut bob, bobs_room) = dice_player(addr, "Bob").await;
    assert_eq!(bobs_room, room, "quick match fills Ann's table");
    let (sat, _) = bob.until("Bots take the empty seats").await;
    assert_eq!(sat, "Bots take the empty seats: Bot 1, Bot 2.");
    let (begins, _) = ann.until("Match 1 begins").await;
    assert_eq!(begins, "Match 1 begins: Ann, Bob, Bot 1, Bot 2.");
    let _ = stop.send(());
}

#[tokio::test(start_paused = true)]
async fn without_the_flag_no_bot_ever_sits() {
    let (addr, stop) = server(four_seats(false), None).await;
    let (mut ann, _) = dice_player(addr, "Ann").await;
    let (waiting, _) = ann.until("Liar's Dice · waiting for players").await;
    assert!(waiting.contains("2 needed to start"), "{waiting}");
    // Five minutes of game time: no countdown, no bot, no match for one player.
    tokio::time::sleep(Duration::from_secs(300)).await;
    ann.send("/who").await;
    let (who, heard) = ann.until_contains("room").await;
    assert!(!who.contains("Bot"), "{who}");
    assert!(
        heard
            .iter()
            .all(|line| !line.contains("Bot") && !line.starts_with("Match ")),
        "{heard:?}"
    );
    let _ = stop.send(());
}

/// Real time (the store's threads are outside tokio's paused clock), so the clocks are short:
/// a two-seat table, 0.2 s countdown, 1 s turns (a bot thinks 1/20 of its time left).
#[tokio::test]
async fn matches_against_bots_are_recorded_and_only_a_humans_wins_listed() {
    let dice = DiceConfig::new(2, Millis(1_000), Millis(200))
        .unwrap_or_else(|err| panic!("{err}"))
        .with_bots(true);
    let store = Kept::default();
    let (addr, http, stop) = server_http(dice, Some(store.clone())).await;
    let (mut ann, _) = dice_player(addr, "Ann").await;
    let mut turns = Turns::default();
    let (mut ann_won, mut bots_won) = (0, 0);
    for no in 1..=3 {
        let (begins, _) = ann.until(&format!("Match {no} begins")).await;
        assert_eq!(begins, format!("Match {no} begins: Ann, Bot 1."));
        let won = play_match(&mut ann, "Ann", no, &mut turns).await;
        // The win was committed before it was announced.
        let results = store.results();
        let last = results
            .last()
            .unwrap_or_else(|| panic!("match {no} not recorded"));
        assert_eq!(results.len(), usize::try_from(no).unwrap_or(0));
        if won.starts_with("You win") {
            ann_won += 1;
            assert_eq!((last.winner.as_str(), last.named), ("Ann", true));
        } else {
            bots_won += 1;
            assert_eq!(
                (last.winner.as_str(), last.named),
                ("Bot 1", false),
                "{won}"
            );
        }
    }
    let mut reader = store.reader().unwrap_or_else(|err| panic!("{err}"));
    let board = reader
        .leaderboard(Some("dice"), 10, i64::MAX / 2, 1)
        .unwrap_or_else(|err| panic!("{err}"));
    let listed: Vec<(&str, u64)> = board
        .all_time
        .iter()
        .map(|entry| (entry.name.as_str(), entry.wins))
        .collect();
    if ann_won == 0 {
        assert!(listed.is_empty(), "{listed:?}");
    } else {
        assert_eq!(listed, [("Ann", ann_won)], "bots won {bots_won}");
    }
    // Each match's log holds the bots' seating and moves, and replays to its recorded state.
    for result in store.results() {
        let (status, body) = http_get(http, &format!("/api/matches/{}", result.key)).await;
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}"));
        let log: MatchLog<Games<GuessNumber, LiarsDice>> =
            serde_json::from_value(answer["log"].clone()).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            log.entries
                .iter()
                .any(|entry| matches!(entry, LogEntry::SeatBots { .. })),
            "the bots' seating is a step of the match"
        );
        let replayed = replay(&log).unwrap_or_else(|err| panic!("does not replay: {err}"));
        let hash = state_hash(&replayed).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            Some(hash.to_string().as_str()),
            answer["state_hash"].as_str(),
            "a match against bots replays to its recorded state"
        );
    }
    let _ = stop.send(());
}

/// JSON: the bots' seating is an event with their ids, and each seat of the view says
/// whether a bot sits there.
#[tokio::test(start_paused = true)]
async fn json_views_mark_the_bots_seats() {
    let (_, http, stop) = server_http(four_seats(true), None).await;
    let mut ann = WsClient::connect(http, None).await;
    let id = ann.request("play", json!({"game": "dice"})).await;
    let joined = ann.reply(id).await;
    let room = joined["room"]["id"].clone();
    let is_event =
        |kind: &'static str| move |v: &Value| v["type"] == "event" && v["event"]["type"] == kind;
    let (sat, _) = ann.until(is_event("bots_sat")).await;
    let bots = sat["event"]["bots"].as_array().cloned().unwrap_or_default();
    assert_eq!(bots.len(), 3, "{sat}");
    ann.until(is_event("match_started")).await;

    let mut eve = WsClient::connect(http, None).await;
    eve.request("watch", json!({"room": room})).await;
    let (state, _) = eve.until(|v| v["type"] == "state").await;
    let seats = state["view"]["seats"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let marked: Vec<(Value, Value)> = seats
        .iter()
        .map(|seat| (seat["player"].clone(), seat["bot"].clone()))
        .collect();
    let mut expected = vec![(json!(ann.player()), json!(false))];
    expected.extend(bots.into_iter().map(|bot| (bot, json!(true))));
    assert_eq!(marked, expected, "{state}");
    let _ = stop.send(());
}
