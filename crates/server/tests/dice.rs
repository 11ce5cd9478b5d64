//! Liar's Dice over the line protocol, on a real server hosting both games
//! (`Games<GuessNumber, LiarsDice>`, as `referee serve` runs by default): three netcat
//! players play a match to its end, a spectator never sees a hidden die (and can check every
//! revealed hand against its commitment), and the errors of
//! picking games are clear.

mod common;
#[path = "dice/fair.rs"]
mod fair;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use common::ws::WsClient;
use common::{Client, TIMEOUT, room_of, test_config};
use referee_rules::{DiceConfig, Games, GuessConfig, GuessNumber, LiarsDice, Millis};
use referee_server::{Server, ServerConfigBuilder};
use referee_store::MemoryStore;
use serde_json::json;
use tokio::sync::oneshot;

/// A server of both games with three-seat dice tables (30 s turns); returns its address and
/// its stop.
async fn both_games(
    tweak: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
) -> (SocketAddr, SocketAddr, oneshot::Sender<()>) {
    let dice = DiceConfig::new(3, Millis::from_secs(30), Millis::from_secs(15))
        .unwrap_or_else(|err| panic!("{err}"));
    both_games_with(tweak, dice).await
}

/// A server of both games whose dice tables are set up by `dice`.
async fn both_games_with(
    tweak: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
    dice: DiceConfig,
) -> (SocketAddr, SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let config = tweak(
        test_config()
            .game_seats("dice", usize::from(dice.players()))
            .leaderboard_cache(std::time::Duration::ZERO),
    )
    .build();
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let http_addr = http.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let server =
        Server::<Games<GuessNumber, LiarsDice>>::new(config, (GuessConfig::default(), dice))
            .with_store(Box::new(MemoryStore::default()))
            .with_http(http);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (addr, http_addr, stop)
}

/// A named player, greeted (seated in guess-the-number, as every new netcat player), then
/// moved to a dice table with `/play dice`.
async fn dice_player(addr: std::net::SocketAddr, name: &str) -> Client {
    let mut client = Client::connect(addr).await;
    let (_, guess) = client.greeting().await;
    client.send(&format!("/name {name}")).await;
    client.until_contains("known as").await;
    client.send("/play dice").await;
    let (joined, _) = client.until("* You joined").await;
    assert_ne!(
        room_of(&joined),
        room_of(&guess),
        "not the guess room: {joined}"
    );
    client
}

/// The faces of a `Your dice: 2 5 5 6 1` line (or status line), if it is one.
fn dice_of(line: &str) -> Option<Vec<u8>> {
    let faces = line.strip_prefix("Your dice: ")?;
    let faces = faces.split(" · ").next()?;
    Some(
        faces
            .split_whitespace()
            .filter_map(|face| face.parse().ok())
            .collect(),
    )
}

/// Plays legal moves until match 1 is won: calls liar on any bid, else bids 1 of its own
/// first face. Returns every line read and every hand of dice it was shown.
async fn play_match(mut client: Client) -> (Client, Vec<String>, Vec<Vec<u8>>) {
    let (mut lines, mut hands) = (Vec::new(), Vec::new());
    let mut starting = false;
    loop {
        let line = client.line().await;
        lines.push(line.clone());
        if line.ends_with(" match 1!") {
            return (client, lines, hands);
        }
        if line.starts_with("Hand ") {
            starting = line.contains(": you start.");
        } else if let Some(dice) = dice_of(&line) {
            if starting {
                starting = false;
                let face = dice.first().copied().unwrap_or(1);
                client.send(&format!("bid 1 {face}")).await;
            }
            hands.push(dice);
        } else if line.contains(" bid") && line.ends_with("Your turn.") {
            client.send("liar").await;
        }
    }
}

#[tokio::test]
async fn three_netcat_players_finish_a_match_and_the_win_is_on_record() {
    let (addr, _, stop) = both_games(|config| config).await;
    let mut watcher = Client::connect(addr).await;
    watcher.greeting().await;
    let ann = dice_player(addr, "Ann").await;
    let room = {
        let mut probe = Client::connect(addr).await;
        probe.greeting().await;
        probe.send("/rooms").await;
        let (rooms, _) = probe.until("Public rooms").await;
        assert!(rooms.contains("room 2 (1/3 players, dice)"), "{rooms}");
        assert!(rooms.contains("room 1 (2/3 players, guess)"), "{rooms}");
        2
    };
    watcher.send(&format!("/watch {room}")).await;
    watcher.until("* You are watching").await;
    let bob = dice_player(addr, "Bob").await;
    let cid = dice_player(addr, "Cid").await;
    let players = [ann, bob, cid].map(|client| tokio::spawn(play_match(client)));
    let spectated = tokio::spawn(async move {
        let mut lines = Vec::new();
        loop {
            let line = watcher.line().await;
            lines.push(line.clone());
            if line.ends_with(" match 1!") {
                return lines;
            }
        }
    });
    let mut winners = BTreeSet::new();
    let mut hidden: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    let mut clients = Vec::new();
    for (name, player) in ["Ann", "Bob", "Cid"].into_iter().zip(players) {
        let (client, lines, hands) = tokio::time::timeout(TIMEOUT * 4, player)
            .await
            .unwrap_or_else(|_| panic!("{name}: no match end"))
            .unwrap_or_else(|err| panic!("{err}"));
        let won: Vec<&String> = lines.iter().filter(|l| l.ends_with(" match 1!")).collect();
        assert_eq!(won.len(), 1, "{name}: {lines:?}");
        winners.insert(won[0].replace("You win", &format!("{name} wins")));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("calls liar") || l.contains("call liar"))
        );
        hidden.insert(name.to_owned(), hands);
        clients.push(client);
    }
    assert_eq!(
        winners.len(),
        1,
        "everyone saw the same winner: {winners:?}"
    );
    let winner = winners
        .iter()
        .next()
        .and_then(|line| line.split(' ').next())
        .unwrap_or_default()
        .to_owned();

    // The spectator saw the match, and no unrevealed hand: every `Your dice` line and every
    // hand a player was dealt is absent from its lines, except where a call revealed it.
    let spectated = tokio::time::timeout(TIMEOUT, spectated)
        .await
        .unwrap_or_else(|_| panic!("the spectator saw no end"))
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(spectated.iter().any(|l| l.ends_with(" match 1!")));
    // Every hand a call revealed opens the commitment its hand line published.
    fair::check_every_reveal(&spectated);
    for line in &spectated {
        assert!(
            !line.starts_with("Your dice"),
            "a spectator has no dice: {line}"
        );
    }
    let revealed: Vec<&String> = spectated.iter().filter(|l| l.contains(" liar")).collect();
    for (name, hands) in &hidden {
        for hand in hands {
            let faces: Vec<String> = hand.iter().map(u8::to_string).collect();
            let shown = format!("{name}: {}", faces.join(" "));
            for line in &spectated {
                if line.contains(&shown) {
                    assert!(revealed.contains(&line), "{shown} before a call: {line}");
                }
            }
        }
    }

    // Recorded before it was announced: the leaderboard has it at once.
    let mut ann = clients.remove(0);
    ann.send("/top").await;
    let (top, _) = ann.until("Leaderboard").await;
    assert!(top.contains(&format!("1. {winner} 1.")), "{top}");
    let _ = stop.send(());
}

#[tokio::test]
async fn picking_games_errors_are_clear_and_disturb_nothing() {
    let (addr, _, stop) = both_games(|config| config).await;
    let mut ann = Client::connect(addr).await;
    ann.greeting().await;
    ann.send("/play chess").await;
    let error = ann.line().await;
    assert!(
        error.contains("no game \"chess\" here; this server hosts: guess, dice"),
        "{error}"
    );
    ann.send("/games").await;
    assert_eq!(ann.line().await, "Games here:");
    let guess = ann.line().await;
    assert!(
        guess.starts_with("  guess - ") && guess.contains("(1 rooms, 1 players)"),
        "{guess}"
    );
    let dice = ann.line().await;
    assert!(
        dice.starts_with("  dice - ") && dice.contains("(0 rooms, 0 players)"),
        "{dice}"
    );
    // Still in the guess room: a number is a guess there.
    ann.send("/who").await;
    let (who, _) = ann.until_contains("room 1").await;
    assert!(who.contains("Player"), "{who}");

    ann.send("/help dice").await;
    let (rules, _) = ann.until("Liar's Dice").await;
    assert!(rules.contains("/play dice"), "{rules}");
    let (ones, _) = ann.until_contains("Ones are not wild").await;
    assert!(ones.starts_with("- "), "{ones}");

    // Out of turn at a dice table.
    let mut bob = dice_player(addr, "Bob").await;
    let mut cid = dice_player(addr, "Cid").await;
    let _dan = dice_player(addr, "Dan").await;
    let (start, _) = bob.until("Hand 1:").await;
    let idle = if start.contains("you start") {
        &mut cid
    } else {
        &mut bob
    };
    idle.until("Your dice").await;
    idle.send("bid 9 6").await;
    let (refused, _) = idle.until_contains("Not your turn").await;
    assert!(refused.starts_with("Not your turn: it is "), "{refused}");
    let _ = stop.send(());
}

#[tokio::test]
async fn a_server_of_guess_only_says_dice_is_not_hosted() {
    let server = common::TestServer::start(|config| config).await;
    let (mut ann, _, _) = server.player().await;
    ann.send("/play dice").await;
    let error = ann.line().await;
    assert!(
        error.contains("no game \"dice\" here; this server hosts: guess"),
        "{error}"
    );
    ann.send("/new dice").await;
    assert!(ann.line().await.contains("no game \"dice\""));
    // The seat is kept: a move is still a guess in room 1.
    ann.send("/who").await;
    let (who, _) = ann.until_contains("room 1").await;
    assert!(who.contains("Player"), "{who}");
    assert!(server.shutdown().await.is_ok());
}

/// The turn clock plays for idle players. Real time, not paused: the server runs on the
/// test runtime's clock with its sockets, so the turn is short (300 ms) and the wait is
/// bounded by the client's `TIMEOUT`, not by a sleep.
#[tokio::test]
async fn the_turn_clock_plays_for_idle_players() {
    let dice = DiceConfig::new(2, Millis(300), Millis(300)).unwrap_or_else(|err| panic!("{err}"));
    let (addr, _, stop) = both_games_with(|config| config, dice).await;
    let mut ann = dice_player(addr, "Ann").await;
    let _bob = dice_player(addr, "Bob").await;
    let (bid, _) = ann.until_contains(" bid").await;
    assert!(bid.contains("1 one (time ran out)"), "{bid}");
    let (call, _) = ann.until_contains(" liar").await;
    assert!(call.contains("liar (time ran out) on 1 one"), "{call}");

    // A spectator arriving mid-match is shown where it stands at once: counts, no dice.
    let mut eve = Client::connect(addr).await;
    eve.greeting().await;
    eve.send("/watch 2").await;
    let (watching, _) = eve.until("* You are watching room 2").await;
    assert!(
        watching.contains("Ann") && watching.contains("Bob"),
        "{watching}"
    );
    let (state, skipped) = eve.until("Liar's Dice · match 1 · dice: Ann ").await;
    assert!(
        skipped.iter().all(|line| !line.contains("Your dice")),
        "{skipped:?}"
    );
    assert!(!state.contains("Your dice"), "{state}");
    let _ = stop.send(());
}

#[tokio::test]
async fn json_clients_pick_a_game_and_see_each_rooms_game() {
    let (addr, http, stop) = both_games(|config| config).await;
    let mut netcat = Client::connect(addr).await;
    netcat.greeting().await;
    let mut ann = WsClient::connect(http, None).await;
    let id = ann.request("play", json!({"game": "dice"})).await;
    let joined = ann.reply(id).await;
    assert_eq!(joined["type"], "joined", "{joined}");
    assert_eq!(joined["game"], "dice", "{joined}");
    assert_eq!(joined["capacity"], 3, "{joined}");
    let state = ann.reply(id).await;
    assert_eq!(state["view"]["playing"], false, "a dice view: {state}");

    let id = ann.request("rooms", json!({})).await;
    let rooms = ann.reply(id).await;
    assert_eq!(rooms["rooms"][0]["game"], "guess", "{rooms}");
    assert_eq!(rooms["rooms"][1]["game"], "dice", "{rooms}");

    let (status, metrics) = common::http::http_get(http, "/metrics").await;
    assert_eq!(status, 200, "{metrics}");
    assert!(
        metrics.contains("referee_game_rooms{game=\"dice\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("referee_game_players{game=\"guess\"} 1"),
        "{metrics}"
    );

    let id = ann.request("create", json!({"game": "chess"})).await;
    let error = ann.reply(id).await;
    assert_eq!(error["code"], "unknown_game", "{error}");
    let id = ann.request("play", json!({"game": 7})).await;
    assert_eq!(ann.reply(id).await["code"], "bad_request");
    // Still at the dice table: a bid is read as a dice move (out of a match: none yet).
    let id = ann.request("guess", json!({"value": "bid 1 6"})).await;
    let refused = ann.reply(id).await;
    assert_eq!(refused["type"], "rejected", "{refused}");
    assert!(
        refused["text"]
            .as_str()
            .unwrap_or_default()
            .contains("No match"),
        "{refused}"
    );
    let _ = stop.send(());
}

#[tokio::test]
async fn a_dice_player_who_reconnects_gets_their_dice_at_once() {
    let (addr, http, stop) = both_games(|config| config).await;
    let mut ann = WsClient::connect(http, None).await;
    let id = ann.request("play", json!({"game": "dice"})).await;
    assert_eq!(ann.reply(id).await["game"], "dice");
    let _bob = dice_player(addr, "Bob").await;
    let _cid = dice_player(addr, "Cid").await;
    let (rolled, _) = ann
        .until(|m| m["type"] == "event" && m["event"]["type"] == "rolled")
        .await;
    let dice = rolled["event"]["dice"].clone();
    assert!(
        dice.as_array().is_some_and(|dice| dice.len() == 5),
        "{rolled}"
    );
    let token = ann.token();
    ann.close().await;

    let mut back = WsClient::connect(http, Some(&token)).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    let joined = back.expect("joined").await;
    assert_eq!(joined["game"], "dice", "{joined}");
    let state = back.expect("state").await;
    assert_eq!(
        state["view"]["dice"], dice,
        "the full view at once: {state}"
    );
    assert!(
        state["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Your dice: "),
        "{state}"
    );
    let _ = stop.send(());
}

/// A server of Liar's Dice only (as `referee serve --games dice`) greets netcat players with
/// how to play dice, not "Type a number to guess", and seats them at a dice table.
#[tokio::test]
async fn a_dice_only_server_greets_with_dice_moves() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let dice = DiceConfig::new(3, Millis::from_secs(30), Millis::from_secs(15))
        .unwrap_or_else(|err| panic!("{err}"));
    let config = test_config().game_seats("dice", 3).build();
    let server = Server::<LiarsDice>::new(config, dice);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    let mut ann = Client::connect(addr).await;
    assert_eq!(ann.line().await, "Welcome to Referee! You are player 1.");
    let how = ann.line().await;
    assert!(!how.contains("number"), "a dice server: {how}");
    assert!(
        how.contains("`bid QUANTITY FACE`") && how.contains("`liar`"),
        "{how}"
    );
    let (seat, _) = ann.until("* You joined").await;
    assert!(seat.contains("(1/3 players"), "{seat}");
    let _ = stop.send(());
}

/// The JSON protocol gives what the web page needs: the hosted games (`games` op) and the
/// room's clock (`now`) on every `state` and `event`, so a deadline becomes time left.
#[tokio::test]
async fn json_clients_list_the_games_and_read_deadlines_as_time_left() {
    let (addr, http, stop) = both_games(|config| config).await;
    let mut ann = WsClient::connect(http, None).await;
    let id = ann.request("games", json!({})).await;
    let games = ann.reply(id).await;
    assert_eq!(games["type"], "games", "{games}");
    assert_eq!(games["games"][0]["name"], "guess", "{games}");
    assert_eq!(games["games"][1]["name"], "dice", "{games}");

    let id = ann.request("play", json!({"game": "dice"})).await;
    assert_eq!(ann.reply(id).await["type"], "joined");
    let state = ann.reply(id).await;
    assert!(state["now"].is_u64(), "the room's clock: {state}");
    let _bob = dice_player(addr, "Bob").await;
    let _cid = dice_player(addr, "Cid").await;
    let (hand, _) = ann
        .until(|m| m["type"] == "event" && m["event"]["type"] == "hand_started")
        .await;
    let now = hand["now"]
        .as_u64()
        .unwrap_or_else(|| panic!("no now: {hand}"));
    let deadline = hand["event"]["deadline"].as_u64().unwrap_or_default();
    let left = deadline.saturating_sub(now);
    assert!(
        left > 20_000 && left <= 30_000,
        "a fresh 30 s turn, {left} ms left: {hand}"
    );
    let _ = stop.send(());
}
