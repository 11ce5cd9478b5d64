//! Nothing acknowledged is ever lost: the real server, killed with SIGKILL at random moments
//! while bots play, restarted on the same database each time — a SQLite file, and a
//! PostgreSQL schema (skipped, saying why, where none is reachable, unless
//! `REFEREE_REQUIRE_POSTGRES=1`). Every win a bot was told about must be in the database
//! exactly once, and a SQLite file must pass its integrity check.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::Client;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use referee_store::pg_testing::TestSchema;

const KILLS: usize = 22;
const BOTS: usize = 6;

/// Where the killed servers keep their results.
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(TestSchema),
}

impl Db {
    fn sqlite_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
        dir.path().join("referee.db")
    }

    /// `--db`'s value.
    fn arg(&self) -> String {
        match self {
            Db::Sqlite(dir) => Db::sqlite_path(dir).display().to_string(),
            Db::Postgres(pg) => {
                format!("{}?options=-c%20search_path%3D{}", pg.url(), pg.schema())
            }
        }
    }

    /// The announced wins not stored exactly once.
    fn missing_wins(&self, told: &[(String, u64)]) -> Vec<(String, u64)> {
        match self {
            Db::Sqlite(dir) => missing_wins(&Db::sqlite_path(dir), told),
            Db::Postgres(pg) => told
                .iter()
                .filter(|(name, round)| {
                    let sql = format!(
                        "SELECT COUNT(*) FROM rounds WHERE winner = '{name}' AND round = {round}"
                    );
                    pg.count(&sql).unwrap_or_else(|e| panic!("{e}")) != 1
                })
                .cloned()
                .collect(),
        }
    }

    fn check_integrity(&self, context: &str) {
        if let Db::Sqlite(dir) = self {
            assert_eq!(integrity(&Db::sqlite_path(dir)), "ok", "{context}");
        }
    }
}

/// Starts `referee serve` on a free loopback port with `db`; returns it and its address.
fn start(db: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args([
            "serve",
            "--tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--players-per-room",
            "1",
            "--db",
        ])
        .arg(db)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start the server: {err}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr);
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("the server exited before listening");
        }
        if let Some(at) = line.find("addr=") {
            if let Ok(addr) = line[at + 5..].trim().parse() {
                break addr;
            }
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = lines.read_to_end(&mut sink);
    });
    (child, addr)
}

/// Plays rounds until the connection dies; returns every (name, round) it was told it won.
async fn bot(addr: SocketAddr, name: String) -> Vec<(String, u64)> {
    let mut told = Vec::new();
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return told;
    };
    let mut client = Client::from_stream(stream);
    let _ = client.try_line().await; // welcome
    client.send(&format!("/name {name}")).await;
    let (mut low, mut high) = (0_i64, 19_i64);
    let mut guess = (low + high) / 2;
    let mut named = false;
    while let Some(line) = client.try_line().await {
        if line.starts_with("* You are now known as") {
            named = true;
            client.send(&guess.to_string()).await;
        } else if !named {
            continue;
        } else if line.starts_with("Higher!") || line.starts_with("Lower!") {
            if line.starts_with("Higher!") {
                low = guess + 1;
            } else {
                high = guess - 1;
            }
            guess = (low + high) / 2;
            client.send(&guess.to_string()).await;
        } else if line.starts_with("Correct!") {
            told.push((name.clone(), common::round_of(&line)));
        } else if line.starts_with("Round ") {
            (low, high) = (0, 19);
            guess = (low + high) / 2;
            client.send(&guess.to_string()).await;
        }
    }
    told
}

fn missing_wins(db: &Path, told: &[(String, u64)]) -> Vec<(String, u64)> {
    let conn = rusqlite::Connection::open(db).unwrap_or_else(|err| panic!("{err}"));
    let mut query = conn
        .prepare("SELECT COUNT(*) FROM rounds WHERE winner = ?1 AND round = ?2")
        .unwrap_or_else(|err| panic!("{err}"));
    told.iter()
        .filter(|(name, round)| {
            let found: i64 = query
                .query_row(rusqlite::params![name, *round as i64], |row| row.get(0))
                .unwrap_or(0);
            found != 1
        })
        .cloned()
        .collect()
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap_or_else(|err| panic!("{err}"));
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap_or_else(|err| panic!("{err}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_announced_win_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    kill_and_check(Db::Sqlite(dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_announced_win_survives_sigkill_on_postgres() {
    let Some(pg) = TestSchema::create("crash").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    kill_and_check(Db::Postgres(pg)).await;
}

async fn kill_and_check(db: Db) {
    let seed = 20261125;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut all_told = Vec::new();
    let mut names = BTreeSet::new();
    for kill in 0..KILLS {
        let (mut server, addr) = start(&db.arg());
        let bots: Vec<_> = (0..BOTS)
            .map(|b| {
                let name = format!("k{kill}b{b}");
                names.insert(name.clone());
                tokio::spawn(bot(addr, name))
            })
            .collect();
        let wait = Duration::from_millis(rng.random_range(30..400));
        tokio::time::sleep(wait).await; // a random moment to pull the plug, not a synchronisation
        server
            .kill()
            .unwrap_or_else(|err| panic!("cannot SIGKILL: {err}"));
        let _ = server.wait();
        for bot in bots {
            all_told.extend(bot.await.unwrap_or_default());
        }
        let missing = db.missing_wins(&all_told);
        assert!(
            missing.is_empty(),
            "seed {seed}, kill {kill}: announced but not saved: {missing:?}"
        );
        db.check_integrity(&format!("seed {seed}, kill {kill}"));
    }
    assert!(
        all_told.len() >= KILLS,
        "the bots won too little to prove anything: {}",
        all_told.len()
    );
    assert_eq!(names.len(), KILLS * BOTS);
}
