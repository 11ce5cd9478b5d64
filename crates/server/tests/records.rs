//! Durable results: a win is announced only once committed, the leaderboard and a player's
//! record survive restarts, and concurrent rooms store exactly one row per won round.

mod common;

use std::path::Path;
use std::sync::mpsc as std_mpsc;

use common::TestServer;
use referee_store::{Leaderboard, RoundResult, SqliteStore, Store, StoreError, StoreReader};

fn sqlite(path: &Path) -> Box<dyn Store> {
    match SqliteStore::open(path, 1) {
        Ok(store) => Box::new(store),
        Err(err) => panic!("{err}"),
    }
}

/// The real SQLite store behind a gate: each commit waits for a permit from the test.
struct Gated {
    inner: SqliteStore,
    permits: std_mpsc::Receiver<()>,
}

impl StoreReader for Gated {
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

    fn games_of(&mut self, name: &str) -> Result<Vec<referee_store::GameWins>, StoreError> {
        self.inner.games_of(name)
    }

    fn match_by_id(&mut self, id: &str) -> Result<Option<referee_store::MatchRecord>, StoreError> {
        self.inner.match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<referee_store::MatchRecord>, StoreError> {
        self.inner.recent_matches(game, limit)
    }
}

impl Store for Gated {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let _ = self.permits.recv();
        self.inner.record(rounds)
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        self.inner.reader()
    }
}

#[tokio::test]
async fn a_win_is_announced_only_after_it_is_committed() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("referee.db");
    let (permit, permits) = std_mpsc::channel();
    let inner = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let server = TestServer::start_with_store(|c| c, Box::new(Gated { inner, permits })).await;
    let (mut me, _, _) = server.player().await;
    let low = common::find_secret(&mut me).await;
    me.send(&low.to_string()).await;
    // The commit is held at the gate: the session still answers, the room says nothing.
    me.send("/help").await;
    assert_eq!(
        me.line().await,
        "Commands:",
        "the win must not be announced before its commit"
    );
    me.until("Anything else").await;
    assert!(permit.send(()).is_ok());
    let correct = me.line().await;
    assert!(
        correct.starts_with(&format!("Correct! {low} was the number.")),
        "{correct}"
    );
    let round = me.line().await;
    assert!(round.starts_with("Round 2: guess a number from 0 to 19. Commitment: "));
    drop(permit);
    assert!(server.shutdown().await.is_ok());
    let mut check = SqliteStore::open(&path, 2).unwrap_or_else(|err| panic!("{err}"));
    let board = check.leaderboard(None, 10, i64::MAX, 1).unwrap_or_default();
    assert!(board.all_time.is_empty(), "an unnamed winner is not ranked");
    drop(check);
    assert_eq!(count_rounds(&path), 1, "the announced win is in the file");
}

#[tokio::test]
async fn a_player_who_wins_and_quits_at_once_still_hears_that_they_won() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let (permit, permits) = std_mpsc::channel();
    let inner = SqliteStore::open(dir.path().join("r.db"), 1).unwrap_or_else(|err| panic!("{err}"));
    let server = TestServer::start_with_store(|c| c, Box::new(Gated { inner, permits })).await;
    let (mut me, _, _) = server.player().await;
    let secret = common::find_secret(&mut me).await;
    me.send(&secret.to_string()).await;
    me.send("/quit").await;
    assert!(permit.send(()).is_ok(), "the commit may go ahead");
    let rest = me.until_closed().await;
    let correct = rest.iter().position(|line| line.starts_with("Correct!"));
    let goodbye = rest.iter().position(|line| line == "Goodbye!");
    assert!(
        matches!((correct, goodbye), (Some(c), Some(g)) if c < g),
        "{rest:?}"
    );
}

#[tokio::test]
async fn named_wins_survive_a_restart_on_the_leaderboard_and_the_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("referee.db");
    let server = TestServer::start_with_store(|c| c.players_per_room(1), sqlite(&path)).await;
    let (mut ann, _, _) = server.player().await;
    ann.send("/name Ann").await;
    assert_eq!(ann.line().await, "* You are now known as Ann.");
    assert_eq!(
        ann.line().await,
        "* No wins on record for Ann yet: your wins count from now on."
    );
    for round in 1..=2 {
        assert_eq!(ann.play_round(20).await, Some(round));
        ann.until("Round").await;
    }
    ann.send("/top").await;
    assert_eq!(
        ann.line().await,
        "Leaderboard, all time: 1. Ann 2. This week: 1. Ann 2."
    );
    let (status, body) = common::http::http_get(server.http, "/api/leaderboard").await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
    assert_eq!(json["all_time"][0]["name"], "Ann");
    assert_eq!(json["all_time"][0]["wins"], 2);
    assert_eq!(json["recent"][0]["wins"], 2);
    assert!(server.shutdown().await.is_ok());

    let server = TestServer::start_with_store(|c| c.players_per_room(1), sqlite(&path)).await;
    let (mut again, _, _) = server.player().await;
    again.send("/top").await;
    assert_eq!(
        again.line().await,
        "Leaderboard, all time: 1. Ann 2. This week: 1. Ann 2."
    );
    again.send("/name ann").await;
    assert_eq!(again.line().await, "* You are now known as ann.");
    assert_eq!(
        again.line().await,
        "* Welcome back, ann: 2 rounds won on record."
    );
    assert!(server.shutdown().await.is_ok());
}

#[tokio::test]
async fn the_http_side_answers_health_and_refuses_unknown_paths() {
    let server = TestServer::start(|c| c).await;
    assert_eq!(
        common::http::http_get(server.http, "/healthz").await,
        (200, "ok\n".to_owned())
    );
    let (status, _) = common::http::http_get(server.http, "/nope").await;
    assert_eq!(status, 404);
    let (status, body) = common::http::http_get(server.http, "/api/leaderboard").await;
    assert_eq!(status, 404, "no store, no leaderboard: {body}");
    assert!(body.contains("keeps no leaderboard"), "{body}");
}

#[tokio::test]
async fn top_without_wins_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let server = TestServer::start_with_store(|c| c, sqlite(&dir.path().join("r.db"))).await;
    let (mut me, _, _) = server.player().await;
    me.send("/top").await;
    assert_eq!(
        me.line().await,
        "Leaderboard: no wins yet. Choose a name with /name and win a round."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rooms_winning_at_once_store_exactly_one_row_per_won_round() {
    const ROOMS: usize = 40;
    const ROUNDS: u64 = 3;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("referee.db");
    let server = TestServer::start_with_store(|c| c.players_per_room(1), sqlite(&path)).await;
    let mut players = Vec::new();
    for _ in 0..ROOMS {
        players.push(server.player().await.0);
    }
    let games: Vec<_> = players
        .into_iter()
        .map(|mut player| {
            tokio::spawn(async move {
                let mut won = 0;
                for _ in 0..ROUNDS {
                    if player.play_round(20).await.is_some() {
                        won += 1;
                    }
                    player.until("Round").await;
                }
                won
            })
        })
        .collect();
    let mut announced = 0;
    for game in games {
        announced += game.await.unwrap_or(0);
    }
    assert_eq!(
        announced,
        ROOMS as u64 * ROUNDS,
        "alone in a room, every round is won"
    );
    assert!(server.shutdown().await.is_ok());
    assert_eq!(count_rounds(&path), announced);
    assert_eq!(count_distinct_rounds(&path), announced, "no round twice");
}

fn count_rounds(path: &Path) -> u64 {
    query_count(path, "SELECT COUNT(*) FROM rounds")
}

fn count_distinct_rounds(path: &Path) -> u64 {
    query_count(
        path,
        "SELECT COUNT(*) FROM (SELECT DISTINCT run, room, round FROM rounds)",
    )
}

fn query_count(path: &Path, sql: &str) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|err| panic!("{err}"));
    conn.query_row(sql, [], |row| row.get::<_, i64>(0))
        .map(i64::unsigned_abs)
        .unwrap_or_else(|err| panic!("{err}"))
}
