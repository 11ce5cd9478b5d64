//! Attacks on the storage side, each beside honest players.
//!
//! * A flood of leaderboard requests over a long history must not delay a single win's
//!   commit: reads go to the board, on a connection of their own, and read running totals.
//! * A database deleted (or replaced) while the server runs must not swallow wins: the
//!   winner is told, `/healthz` says so, and the server never writes to a file it did not
//!   open.
//! * A storage error is told after the win it is about, never before.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Client, TestServer};
use referee_store::{
    Leaderboard, MemoryStore, RoundResult, SqliteStore, Store, StoreError, StoreReader,
};
use rusqlite::{Connection, params};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Rounds already on record when the attack starts.
const HISTORY: u64 = 200_000;
/// Concurrent attackers, each asking for the leaderboard again and again.
const ATTACKERS: usize = 200;
/// Honest players, each alone in a room, and the rounds each plays.
const HONEST: usize = 4;
const ROUNDS: u64 = 5;
/// How long a winning guess may wait for its `Correct!` under attack: far below the 30 s a
/// room waits for a commit, generous for a loaded 2-core CI machine.
const PROMPT: Duration = Duration::from_secs(5);

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"))
}

/// Writes `count` rounds straight into a fresh database, as years of play would have, then
/// opens it as the server does (migrating, backfilling the totals).
fn long_history(path: &Path, count: u64) -> SqliteStore {
    drop(SqliteStore::open(path, 1).unwrap_or_else(|err| panic!("{err}")));
    let mut conn = Connection::open(path).unwrap_or_else(|err| panic!("{err}"));
    let tx = conn.transaction().unwrap_or_else(|err| panic!("{err}"));
    {
        let mut player = tx
            .prepare(
                "INSERT INTO players (key, name, first_win_at, wins) VALUES (?1, ?1, 0, 1)
                 ON CONFLICT (key) DO UPDATE SET wins = wins + 1",
            )
            .unwrap_or_else(|err| panic!("{err}"));
        let mut hour = tx
            .prepare(
                "INSERT INTO player_hours (hour, player, wins) VALUES (?1, ?2, 1)
                 ON CONFLICT (hour, player, game) DO UPDATE SET wins = wins + 1",
            )
            .unwrap_or_else(|err| panic!("{err}"));
        let mut round = tx
            .prepare(
                "INSERT INTO rounds (run, room, round, winner, player, won_at, guesses)
                 VALUES (1, ?1, ?2, ?3, ?3, ?4, 5)",
            )
            .unwrap_or_else(|err| panic!("{err}"));
        for i in 0..count as i64 {
            let name = format!("p{}", (i * 7_919) % 5_000);
            let won_at = 1_600_000_000_000 + i * 60_000;
            let ok = player.execute([&name]).is_ok()
                && hour.execute(params![won_at / 3_600_000, name]).is_ok()
                && round.execute(params![i / 1_000, i, name, won_at]).is_ok();
            assert!(ok, "cannot write round {i}");
        }
    }
    tx.commit().unwrap_or_else(|err| panic!("{err}"));
    drop(conn);
    SqliteStore::open(path, 2).unwrap_or_else(|err| panic!("{err}"))
}

/// Plays one round by halving; returns how long the winning guess waited for `Correct!`
/// (`None` if another player won). Every line heard is checked for storage errors.
async fn timed_round(me: &mut Client) -> Option<Duration> {
    let (mut low, mut high) = (0_i64, 19_i64);
    for _ in 0..10 {
        let guess = (low + high) / 2;
        let sent = Instant::now();
        me.send(&guess.to_string()).await;
        loop {
            let line = me.line().await;
            assert!(!line.starts_with("error:"), "an honest player hears {line}");
            if line.starts_with("Higher!") {
                low = guess + 1;
            } else if line.starts_with("Lower!") {
                high = guess - 1;
            } else if line.starts_with("Correct!") {
                return Some(sent.elapsed());
            } else if line.contains(" won round ") {
                return None;
            } else {
                continue;
            }
            break;
        }
    }
    panic!("no winner in 10 halvings")
}

/// Asks for the leaderboard until told to stop; every other request is abandoned right
/// after it is sent (the asker leaves). Returns the answers read.
async fn attacker(http: std::net::SocketAddr, stop: Arc<AtomicBool>, id: usize) -> u32 {
    let request = format!("GET /api/leaderboard?limit=100 HTTP/1.1\r\nHost: {http}\r\n\r\n");
    let mut answered = 0;
    for n in 0..1_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if (n + id) % 2 == 0 {
            if let Ok(mut stream) = TcpStream::connect(http).await {
                let _ = stream.write_all(request.as_bytes()).await;
            }
            continue;
        }
        let (status, body) = common::http::http_get(http, "/api/leaderboard?limit=100").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"all_time\":[{\"name\":\"p"), "{body}");
        answered += 1;
    }
    answered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaderboard_flood_over_a_long_history_delays_no_win() {
    let dir = temp();
    let store = long_history(&dir.path().join("referee.db"), HISTORY);
    // No cache: every request reads the store, the worst case. No HTTP rate limit either:
    // this is the read path itself under a flood (from many addresses, say), not the limiter.
    let server = TestServer::start_with_store(
        |c| {
            c.players_per_room(1)
                .leaderboard_cache(Duration::ZERO)
                .http_rate(referee_server::RateLimit::OFF)
        },
        Box::new(store),
    )
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|id| tokio::spawn(attacker(server.http, stop.clone(), id)))
        .collect();
    let mut honest = Vec::new();
    for _ in 0..HONEST {
        let (mut me, _, _) = server.player().await;
        honest.push(tokio::spawn(async move {
            let mut waits = Vec::new();
            for _ in 0..ROUNDS {
                waits.extend(timed_round(&mut me).await);
                me.until("Round").await;
            }
            waits
        }));
    }
    let mut waits = Vec::new();
    for player in honest {
        waits.extend(player.await.unwrap_or_default());
    }
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for attack in attackers {
        answered += attack.await.unwrap_or(0);
    }
    assert_eq!(
        waits.len(),
        HONEST * ROUNDS as usize,
        "alone, every round is won"
    );
    let slowest = waits.iter().max().copied().unwrap_or_default();
    assert!(slowest < PROMPT, "a win waited {slowest:?} for its commit");
    assert!(answered > 0, "the leaderboard answered the attackers too");
    // Reads never went through the recorder: it handled the saves and nothing else.
    let (_, status) = common::http::http_get(server.http, "/api/status").await;
    let status: serde_json::Value =
        serde_json::from_str(&status).unwrap_or_else(|err| panic!("{err}: {status}"));
    assert_eq!(
        status["actors"]["recorder"]["handled"],
        HONEST as u64 * ROUNDS,
        "{status}"
    );
    let (_, metrics) = common::http::http_get(server.http, "/metrics").await;
    assert!(
        metrics.contains("referee_leaderboard_reads_total{source=\"store\"}"),
        "{metrics}"
    );
    assert!(server.shutdown().await.is_ok());
}

/// Plays rounds until one is won, then returns every line from the winning guess up to the
/// next round's start, plus `extra` lines after it.
async fn win_a_round(me: &mut Client, extra: usize) -> Vec<String> {
    let (mut low, mut high) = (0_i64, 19_i64);
    loop {
        let guess = (low + high) / 2;
        me.send(&guess.to_string()).await;
        let line = me.line().await;
        if line.starts_with("Higher!") {
            low = guess + 1;
        } else if line.starts_with("Lower!") {
            high = guess - 1;
        } else {
            let mut heard = vec![line];
            let (round, skipped) = me.until("Round").await;
            heard.extend(skipped);
            heard.push(round);
            for _ in 0..extra {
                heard.push(me.line().await);
            }
            return heard;
        }
    }
}

#[tokio::test]
async fn a_deleted_database_refuses_wins_out_loud_and_health_says_so() {
    let dir = temp();
    let path = dir.path().join("referee.db");
    let store = SqliteStore::open(&path, 1).unwrap_or_else(|err| panic!("{err}"));
    let server = TestServer::start_with_store(|c| c.players_per_room(1), Box::new(store)).await;
    let (mut me, _, _) = server.player().await;
    let heard = win_a_round(&mut me, 0).await;
    assert!(heard[0].starts_with("Correct!"), "{heard:?}");
    assert_eq!(common::http::http_get(server.http, "/healthz").await.0, 200);

    // `rm referee.db*`: the file, its write-ahead log and its shared memory.
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.path().join(format!("referee.db{suffix}"));
        std::fs::remove_file(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
    }
    let heard = win_a_round(&mut me, 1).await;
    assert!(
        heard[0].starts_with("Correct!"),
        "the win comes first: {heard:?}"
    );
    let error = heard.last().cloned().unwrap_or_default();
    assert!(
        error.starts_with("error: round 2 could not be saved") && error.contains("deleted"),
        "{heard:?}"
    );
    let (status, body) = common::http::http_get(server.http, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("deleted"), "{body}");

    // Another database in its place (restored from a backup, say): still not written.
    let other = dir.path().join("other.db");
    drop(SqliteStore::open(&other, 1).unwrap_or_else(|err| panic!("{err}")));
    std::fs::rename(&other, &path).unwrap_or_else(|err| panic!("{err}"));
    let heard = win_a_round(&mut me, 1).await;
    let error = heard.last().cloned().unwrap_or_default();
    assert!(
        error.starts_with("error: round 3 could not be saved") && error.contains("replaced"),
        "{heard:?}"
    );
    assert_eq!(common::http::http_get(server.http, "/healthz").await.0, 503);
    assert!(server.shutdown().await.is_ok());
    let conn = Connection::open(&path).unwrap_or_else(|err| panic!("{err}"));
    let rounds: i64 = conn
        .query_row("SELECT COUNT(*) FROM rounds", [], |row| row.get(0))
        .unwrap_or(-1);
    assert_eq!(
        rounds, 0,
        "nothing written to the file the server did not open"
    );
}

/// A store whose every commit fails, as on a full disk.
struct Full(MemoryStore);

impl StoreReader for Full {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now: i64,
        recent: i64,
    ) -> Result<Leaderboard, StoreError> {
        self.0.leaderboard(game, limit, now, recent)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        self.0.wins_of(name)
    }

    fn games_of(&mut self, name: &str) -> Result<Vec<referee_store::GameWins>, StoreError> {
        self.0.games_of(name)
    }

    fn match_by_id(&mut self, id: &str) -> Result<Option<referee_store::MatchRecord>, StoreError> {
        self.0.match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<referee_store::MatchRecord>, StoreError> {
        self.0.recent_matches(game, limit)
    }
}

impl Store for Full {
    fn record(&mut self, _: &[RoundResult]) -> Result<(), StoreError> {
        Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        )))
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        self.0.reader()
    }
}

/// Regression: with a full disk the winner got `error: round N could not be saved` before
/// `Correct!`, and a client reading answers in order stayed one answer behind for good.
#[tokio::test]
async fn a_storage_error_comes_after_the_win_it_is_about() {
    let server = TestServer::start_with_store(
        |c| c.players_per_room(1),
        Box::new(Full(MemoryStore::default())),
    )
    .await;
    let (mut me, _, _) = server.player().await;
    let heard = win_a_round(&mut me, 1).await;
    assert!(heard[0].starts_with("Correct!"), "{heard:?}");
    assert!(heard[1].starts_with("Round 2"), "{heard:?}");
    assert!(
        heard[2].starts_with("error: round 1 could not be saved")
            && heard[2].contains("disk is full"),
        "{heard:?}"
    );
    // The next request's answer is the next line: nothing is left over.
    me.send("/ping").await;
    assert_eq!(me.line().await, "pong");
    let (status, body) = common::http::http_get(server.http, "/healthz").await;
    assert_eq!(status, 503, "{body}");
}
