//! Per-game leaderboards on a real server hosting both games: `/top [GAME]` over TCP and
//! `GET /api/leaderboard?game=GAME` over HTTP. A guess-the-number win is played live; a dice
//! win is in the store before the server starts (a whole dice match is `dice.rs`'s subject).

mod common;

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Client, test_config};
use referee_rules::{DiceConfig, Games, GuessConfig, GuessNumber, LiarsDice, Millis};
use referee_server::Server;
use referee_store::{MemoryStore, RoundResult, Store};
use serde_json::Value;
use tokio::sync::oneshot;

/// A store holding one dice match won by the named player `Dee`.
fn store_with_a_dice_win() -> Box<dyn Store> {
    let mut store = MemoryStore::default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_else(|err| panic!("{err}"));
    let dice_win = RoundResult {
        game: "dice".into(),
        key: "seeded-dice-1".into(),
        room: 9,
        round: 1,
        winner: "Dee".into(),
        named: true,
        guesses: 12,
        won_at_ms: now,
        log: None,
        credit: None,
    };
    store
        .record(&[dice_win])
        .unwrap_or_else(|err| panic!("{err}"));
    Box::new(store)
}

/// A server of both games (one seat per guess room, the leaderboard cache on, as served)
/// on `store`; returns its TCP and HTTP addresses and its stop.
async fn both_games(store: Box<dyn Store>) -> (SocketAddr, SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let http_addr = http.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let dice = DiceConfig::new(3, Millis::from_secs(30), Millis::from_secs(15))
        .unwrap_or_else(|err| panic!("{err}"));
    let config = test_config()
        .players_per_room(1)
        .game_seats("dice", 3)
        .build();
    let server =
        Server::<Games<GuessNumber, LiarsDice>>::new(config, (GuessConfig::default(), dice))
            .with_store(store)
            .with_http(http);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (addr, http_addr, stop)
}

async fn json_get(http: SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = common::http::http_get(http, path).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
    (status, json)
}

/// The names on a JSON board's all-time list, in order.
fn names(board: &Value) -> Vec<&str> {
    board["all_time"]
        .as_array()
        .map(|entries| entries.iter().filter_map(|e| e["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_dice_win_and_a_guess_win_land_on_their_own_boards_and_on_the_board_of_all() {
    let (addr, http, stop) = both_games(store_with_a_dice_win()).await;
    let mut ann = Client::connect(addr).await;
    ann.greeting().await;
    ann.send("/name Ann").await;
    ann.until("* No wins on record for Ann").await;
    assert_eq!(ann.play_round(20).await, Some(1));
    ann.until("Round").await;

    // Over TCP: without a game, the board of the game Ann plays (guess); `/top dice`, dice's.
    ann.send("/top").await;
    assert_eq!(
        ann.line().await,
        "Leaderboard (guess), all time: 1. Ann 1. This week: 1. Ann 1."
    );
    ann.send("/top DICE").await;
    assert_eq!(
        ann.line().await,
        "Leaderboard (dice), all time: 1. Dee 1. This week: 1. Dee 1."
    );
    ann.send("/top chess").await;
    let refused = ann.line().await;
    assert!(
        refused.contains("no game \"chess\" here; this server hosts: guess, dice"),
        "{refused}"
    );

    // Over HTTP: each game's board names its game; the board of all games has both wins and
    // is the JSON it always was (no `game`).
    let (status, all) = json_get(http, "/api/leaderboard").await;
    assert_eq!(status, 200, "{all}");
    let mut everyone = names(&all);
    everyone.sort_unstable();
    assert_eq!(everyone, ["Ann", "Dee"], "{all}");
    assert!(all.get("game").is_none(), "{all}");
    let (status, dice) = json_get(http, "/api/leaderboard?game=dice").await;
    assert_eq!(status, 200, "{dice}");
    assert_eq!(
        (dice["game"].as_str(), names(&dice)),
        (Some("dice"), vec!["Dee"])
    );
    assert_eq!(dice["recent"][0]["name"], "Dee", "{dice}");
    let (status, guess) = json_get(http, "/api/leaderboard?game=guess&limit=5").await;
    assert_eq!(status, 200, "{guess}");
    assert_eq!(
        (guess["game"].as_str(), names(&guess)),
        (Some("guess"), vec!["Ann"])
    );
    let _ = stop.send(());
}

/// The `leaderboard_reads` lines of `/metrics` (by source: cache or store).
async fn board_reads(http: SocketAddr) -> Vec<String> {
    let (status, metrics) = common::http::http_get(http, "/metrics").await;
    assert_eq!(status, 200, "{metrics}");
    metrics
        .lines()
        .filter(|line| line.contains("leaderboard_reads") && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_unknown_game_is_a_400_that_never_reaches_the_board() {
    let (_, http, stop) = both_games(store_with_a_dice_win()).await;
    let (status, _) = json_get(http, "/api/leaderboard?game=dice").await;
    assert_eq!(status, 200);
    let before = board_reads(http).await;
    assert!(!before.is_empty(), "the hosted game's read is counted");
    for path in [
        "/api/leaderboard?game=chess",
        "/api/leaderboard?game=",
        "/api/leaderboard?game=dice%00",
        "/api/leaderboard?game=dice&game=guess",
    ] {
        let (status, body) = json_get(http, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let (_, body) = json_get(http, "/api/leaderboard?game=chess").await;
    let message = body["error"].as_str().unwrap_or_default();
    assert!(message.contains("this server hosts: guess, dice"), "{body}");
    assert_eq!(
        board_reads(http).await,
        before,
        "no refused read reached the board"
    );
    let _ = stop.send(());
}
