//! Recorded matches and replays (`room/recording.rs`, `http/matches.rs`), on a real server
//! hosting both games with a real SQLite store: a Liar's Dice match played to its end over
//! the line protocol — with the referee crashing mid-match and restarting from its
//! checkpoint — and a guess-the-number round are each fetched from `GET /api/matches/{id}`,
//! their logs replayed through the rules, and the replay's state hash compared with the one
//! the room recorded when the match was decided. Unknown and hostile ids get a `404` or a
//! `400`; a match still in play is not served. The dice match is played once more with
//! PostgreSQL as the store (skipped, and said so, where none runs), and once with the store
//! of `--no-db` (memory), which keeps a log unwritten until it is read.

mod common;

use std::net::SocketAddr;

use common::http::http_get;
use common::{Client, TIMEOUT, test_config};
use referee_rules::{
    DiceConfig, Game, Games, GuessConfig, GuessNumber, LiarsDice, LogEntry, MatchLog, Millis,
    Viewer, replay, state_hash,
};
use referee_server::Server;
use referee_store::pg_testing::TestSchema;
use referee_store::{MemoryStore, SqliteStore, Store};
use serde_json::Value;
use tokio::sync::oneshot;

type Both = Games<GuessNumber, LiarsDice>;

/// A server of both games (three-seat dice tables) recording into a fresh SQLite file, with
/// faults allowed (`/fault room`); returns its addresses, its stop and the directory.
async fn server() -> (
    SocketAddr,
    SocketAddr,
    oneshot::Sender<()>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let store =
        SqliteStore::open(dir.path().join("records.db"), 0).unwrap_or_else(|err| panic!("{err}"));
    let (addr, http, stop) = server_with(Box::new(store)).await;
    (addr, http, stop, dir)
}

/// As [`server`], recording into `store`.
async fn server_with(store: Box<dyn Store>) -> (SocketAddr, SocketAddr, oneshot::Sender<()>) {
    let dice = DiceConfig::new(3, Millis::from_secs(30), Millis::from_secs(15))
        .unwrap_or_else(|err| panic!("{err}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let (addr, http_addr) = (
        listener.local_addr().unwrap_or_else(|err| panic!("{err}")),
        http.local_addr().unwrap_or_else(|err| panic!("{err}")),
    );
    let config = test_config()
        .game_seats("dice", 3)
        .allow_faults(true)
        .build();
    let server = Server::<Both>::new(config, (GuessConfig::default(), dice))
        .with_store(store)
        .with_http(http);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (addr, http_addr, stop)
}

async fn get_json(http: SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = http_get(http, path).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{path}: {err}: {body}"));
    (status, json)
}

/// The latest recorded match of `game`: its full answer.
async fn latest(http: SocketAddr, game: &str) -> Value {
    let (status, list) = get_json(http, &format!("/api/matches?game={game}&limit=5")).await;
    assert_eq!(status, 200, "{list}");
    let id = list["matches"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {game} match recorded: {list}"))
        .to_owned();
    let (status, answer) = get_json(http, &format!("/api/matches/{id}")).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Replays the answer's log through the rules: the hash must be the one recorded.
fn replays_to_recorded_hash(answer: &Value) -> MatchLog<Both> {
    let log: MatchLog<Both> = serde_json::from_value(answer["log"].clone())
        .unwrap_or_else(|err| panic!("the log does not read back: {err}"));
    assert_eq!(
        answer["seed"].as_str(),
        Some(log.seed.to_string().as_str()),
        "the seed as a string, exact in JavaScript too"
    );
    let replayed = replay(&log).unwrap_or_else(|err| panic!("the log does not replay: {err}"));
    let hash = state_hash(&replayed).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        Some(hash.to_string().as_str()),
        answer["state_hash"].as_str(),
        "the replay does not reach the recorded state"
    );
    log
}

/// A named player moved to a dice table.
async fn dice_player(addr: SocketAddr, name: &str) -> Client {
    let mut client = Client::connect(addr).await;
    client.greeting().await;
    client.send(&format!("/name {name}")).await;
    client.until_contains("known as").await;
    client.send("/play dice").await;
    client.until("* You joined").await;
    client
}

/// Plays legal moves until match 1 is won: liar on any bid, else bids one of its first
/// face. With `crash`, makes the referee panic once, at its first turn.
async fn play_match(mut client: Client, mut crash: bool) -> Client {
    let mut starting = false;
    loop {
        let line = client.line().await;
        if line.ends_with(" match 1!") {
            return client;
        }
        let my_turn = line.contains(" bid") && line.ends_with("Your turn.");
        if crash && (my_turn || line.contains(": you start.")) {
            crash = false;
            client.send("/fault room").await;
            client.until_contains("restarted").await;
        }
        if line.starts_with("Hand ") {
            starting = line.contains(": you start.");
        } else if let Some(faces) = line.strip_prefix("Your dice: ") {
            if std::mem::take(&mut starting) {
                let face = faces.split_whitespace().next().unwrap_or("1");
                client.send(&format!("bid 1 {face}")).await;
            }
        } else if my_turn {
            client.send("liar").await;
        }
    }
}

#[tokio::test]
async fn a_dice_match_replays_to_its_recorded_state_across_a_referee_restart() {
    let (addr, http, stop, _dir) = server().await;
    dice_match_replays(addr, http, true).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dice_match_recorded_in_postgresql_replays_too() {
    let Some(pg) = TestSchema::create("matches_dice").unwrap_or_else(|err| panic!("{err}")) else {
        return;
    };
    // The synchronous client makes its own runtime: connected off this one.
    let store = std::thread::scope(|scope| {
        scope
            .spawn(|| pg.store())
            .join()
            .unwrap_or_else(|_| panic!("panicked"))
            .unwrap_or_else(|err| panic!("{err}"))
    });
    let (addr, http, stop) = server_with(Box::new(store)).await;
    dice_match_replays(addr, http, false).await;
    let _ = stop.send(());
}

#[tokio::test]
async fn a_dice_match_kept_in_memory_is_written_when_read_and_replays_too() {
    let (addr, http, stop) = server_with(Box::new(MemoryStore::default())).await;
    dice_match_replays(addr, http, true).await;
    let _ = stop.send(());
}

/// Three players play dice match 1 to its end (`crash`: the referee panics once in it);
/// the recorded match replays to its recorded hash and shows its steps up to the win.
async fn dice_match_replays(addr: SocketAddr, http: SocketAddr, crash: bool) {
    let players = [
        dice_player(addr, "Ann").await,
        dice_player(addr, "Bob").await,
        dice_player(addr, "Cid").await,
    ];
    let playing: Vec<_> = players
        .into_iter()
        .enumerate()
        .map(|(i, client)| tokio::spawn(play_match(client, crash && i == 0)))
        .collect();
    // Kept connected to the end: a player who leaves forfeits match 2, which would be
    // recorded too.
    let mut seated = Vec::new();
    for player in playing {
        let client = tokio::time::timeout(TIMEOUT * 4, player)
            .await
            .unwrap_or_else(|_| panic!("no match end"))
            .unwrap_or_else(|err| panic!("{err}"));
        seated.push(client);
    }
    let answer = latest(http, "dice").await;
    assert_eq!(answer["game"], "dice");
    assert_eq!(answer["round"], 1);
    let log = replays_to_recorded_hash(&answer);
    let names: Vec<&str> = answer["players"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Ann", "Bob", "Cid"]);
    // The log has the moves, and the steps show them as a spectator saw them, up to the win
    // and no further.
    assert!(
        log.entries
            .iter()
            .any(|entry| matches!(entry, LogEntry::Act { .. }))
    );
    let steps = answer["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), log.entries.len());
    let last = steps.last().map(|step| step["events"].to_string());
    assert!(
        last.is_some_and(|events| events.contains("wins match 1")),
        "{steps:?}"
    );
    assert!(
        !answer.to_string().contains(r#""type":"rolled""#),
        "a hidden roll was served"
    );
    drop(seated);
}

#[tokio::test]
async fn a_guess_round_replays_and_a_round_in_play_is_not_served() {
    let (addr, http, stop, _dir) = server().await;
    let mut ann = Client::connect(addr).await;
    ann.greeting().await;
    let won = ann.play_round(GuessConfig::default().max()).await;
    assert_eq!(won, Some(1));
    let (round_2, _) = ann.until("Round 2:").await;
    let answer = latest(http, "guess").await;
    assert_eq!(
        (answer["game"].as_str(), answer["round"].as_u64()),
        (Some("guess"), Some(1))
    );
    let log = replays_to_recorded_hash(&answer);

    // The published log of round 1 does not tell round 2: replayed, its winning guess draws
    // a round 2 that is not the one in play (whose secret comes from a seed of its own).
    let replayed = replay(&log).unwrap_or_else(|err| panic!("{err}"));
    let view = serde_json::to_value(replayed.view(Viewer::Spectator))
        .unwrap_or_else(|err| panic!("{err}"));
    let predicted = view["commitment"]
        .as_str()
        .unwrap_or_else(|| panic!("{view}"));
    assert!(round_2.contains("Commitment: "), "{round_2}");
    assert!(
        !round_2.contains(predicted),
        "round 1's log predicts round 2: {round_2}"
    );

    // Round 2 is in play: nothing of it is served, under its would-be id or in the list.
    let id = answer["id"].as_str().unwrap_or_default();
    let next = format!("{}/2", id.trim_end_matches("/1"));
    let (status, body) = get_json(http, &format!("/api/matches/{next}")).await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = get_json(http, "/api/matches?limit=100").await;
    assert_eq!(list["matches"].as_array().map(Vec::len), Some(1), "{list}");
    let _ = stop.send(());
}

#[tokio::test]
async fn unknown_and_hostile_match_ids_get_clear_errors() {
    let (_, http, stop, _dir) = server().await;
    let long = "a".repeat(101);
    for (path, expected) in [
        ("/api/matches/0123abcd/1/1".to_owned(), 404),
        (format!("/api/matches/{long}"), 400),
        ("/api/matches/1%27%20OR%201=1".to_owned(), 400),
        ("/api/matches/..%2F..%2Fetc".to_owned(), 400),
        ("/api/matches/%FF%FE".to_owned(), 400),
        ("/api/matches?game=chess".to_owned(), 400),
        ("/api/matches?limit=-1".to_owned(), 400),
    ] {
        let (status, body) = get_json(http, &path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
    let (status, list) = get_json(http, "/api/matches?limit=100000").await;
    assert_eq!(status, 200);
    assert_eq!(list["matches"], Value::Array(Vec::new()));
    // The replay page is served for any id; its script asks the API.
    let (status, page) = http_get(http, "/replay/0123abcd/1/1").await;
    assert_eq!(status, 200);
    assert!(page.contains("/replay.js"), "{page}");
    let (status, _) = http_get(http, "/replay.js").await;
    assert_eq!(status, 200);
    let _ = stop.send(());
}
