//! The `referee` binary itself: it serves netcat players and the web page on the addresses it
//! is given, and on SIGTERM it says goodbye to every player and exits with status 0.

mod common;

use std::io::BufReader;
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, Command, Stdio};

use common::http::http_get;
use common::ws::WsClient;
use common::{Client, listening_address};

/// A started server's stderr, read for the addresses it listens on.
type Stderr = BufReader<ChildStderr>;

/// Starts `referee serve` on loopback ports chosen by the OS, with `extra` arguments after
/// `--tcp`/`--http`; returns the child, its stderr (kept open: the server keeps logging to
/// it) and the TCP and HTTP addresses it announced.
fn serve(extra: &[&std::ffi::OsStr]) -> (Child, Stderr, SocketAddr, SocketAddr) {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_referee"))
        .args(["serve", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => panic!("cannot start the binary: {err}"),
    };
    let mut stderr = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let addr = listening_address(&mut stderr);
    let http = listening_address(&mut stderr);
    (child, stderr, addr, http)
}

#[tokio::test]
async fn sigterm_says_goodbye_to_every_player_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let db = dir.path().join("referee.db");
    let (mut child, _stderr, addr, http) = serve(&["--db".as_ref(), db.as_os_str()]);
    let (status, page) = http_get(http, "/").await;
    assert!(status == 200 && page.contains("app.js"), "{status}");
    let mut web = WsClient::connect(http, None).await;
    web.play().await;
    let mut players = Vec::new();
    for _ in 0..3 {
        let mut player = Client::connect(addr).await;
        player.greeting().await;
        players.push(player);
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|status| status.success()));
    for player in &mut players {
        let rest = player.until_closed().await;
        assert_eq!(
            rest.last().map(String::as_str),
            Some("The server is shutting down. Goodbye!")
        );
    }
    let (_, last) = web.until_closed().await;
    assert_eq!(
        last.last().map(|m| m["reason"].clone()),
        Some(serde_json::json!("shutdown"))
    );
    let status = tokio::task::spawn_blocking(move || child.wait()).await;
    assert!(
        matches!(status, Ok(Ok(status)) if status.success()),
        "{status:?}"
    );
}

#[tokio::test]
async fn workers_sets_the_runtime_threads_and_the_server_still_plays() {
    let args = ["--no-db", "--workers", "1"].map(std::ffi::OsStr::new);
    let (mut child, _stderr, addr, http) = serve(&args);
    let (status, body) = http_get(http, "/api/status").await;
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["workers"], 1, "{body}");
    let mut player = Client::connect(addr).await;
    player.greeting().await;
    player.send("/score").await;
    let (scores, _) = player.until("Scores").await;
    assert!(scores.starts_with("Scores in room 1: "), "{scores}");
    let _ = child.kill();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error_and_a_failure_status() {
    let taken = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(listener) => listener,
        Err(err) => panic!("{err}"),
    };
    let addr = taken
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let output = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args(["serve", "--no-db", "--no-http", "--tcp", &addr])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) => panic!("{err}"),
    };
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("referee: cannot listen on {addr}")),
        "{stderr}"
    );
}

/// Runs `referee serve` on `db` expecting it to refuse to start; returns its stderr.
fn refused_start(db: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args([
            "serve",
            "--tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(db)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "it started: {stderr}");
    assert!(
        !stderr.contains("listening"),
        "it opened a port before failing: {stderr}"
    );
    stderr
}

#[test]
fn a_corrupt_database_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let db = dir.path().join("referee.db");
    assert!(
        std::fs::write(
            &db,
            b"this is not a database, it is a shopping list\n".repeat(200)
        )
        .is_ok()
    );
    let stderr = refused_start(&db);
    assert!(
        stderr.contains("referee.db: the database is corrupt"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_database_in_use_by_another_server_stops_the_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let db = dir.path().join("referee.db");
    let mut first = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args([
            "serve",
            "--tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(&db)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let mut stderr = BufReader::new(first.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    listening_address(&mut stderr);
    let refused = refused_start(&db);
    assert!(
        refused.contains("the database is locked by another process"),
        "{refused}"
    );
    let _ = first.kill();
    let _ = first.wait();
}

#[test]
fn a_read_only_database_stops_the_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let db = dir.path().join("referee.db");
    drop(referee_store::SqliteStore::open(&db, 1).unwrap_or_else(|err| panic!("{err}")));
    let mut permissions = std::fs::metadata(&db)
        .map(|m| m.permissions())
        .unwrap_or_else(|e| panic!("{e}"));
    permissions.set_readonly(true);
    assert!(std::fs::set_permissions(&db, permissions).is_ok());
    let writable = || std::fs::OpenOptions::new().append(true).open(&db).is_ok();
    let immutable = writable(); // root ignores permissions: make the file immutable instead
    if immutable {
        let status = Command::new("chattr").arg("+i").arg(&db).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "cannot make the file read-only here"
        );
    }
    assert!(!writable());
    let stderr = refused_start(&db);
    if immutable {
        let _ = Command::new("chattr").arg("-i").arg(&db).status();
    }
    assert!(
        stderr.contains("the database cannot be written"),
        "{stderr}"
    );
}
