//! Cluster nodes as real `referee` processes for the tests: PostgreSQL (a fresh schema per
//! test, so each test is a cluster of its own, with its own NATS subjects) and NATS.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use referee_store::pg_testing::TestSchema;

use super::http::http_get;
use super::ws::WsClient;
use super::{Client, listening_address, room_of};

/// How long a test waits for something the servers do in the background.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// PostgreSQL (a fresh schema) and NATS, or `None` when the test is skipped.
pub async fn services(test: &str) -> Option<TestSchema> {
    let nats = referee_remote::testing::connect(test)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    nats.as_ref()?;
    TestSchema::create(test).unwrap_or_else(|e| panic!("{e}"))
}

/// The schema's database URL, as a node is given it.
pub fn db_url(pg: &TestSchema) -> String {
    format!("{}?options=-c%20search_path%3D{}", pg.url(), pg.schema())
}

pub fn nats_url() -> String {
    std::env::var("REFEREE_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// `referee serve` on loopback ports of its own, guess only, one seat per room unless the
/// test says otherwise.
pub fn referee() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_referee"));
    command
        .args(["serve", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(["--games", "guess", "--seed", "7"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    command
}

/// A running node: the process, its addresses, and its log as read so far.
pub struct NodeProc {
    pub child: Child,
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl NodeProc {
    /// Starts node `name` of the cluster of `pg` (`extra`: more flags; without
    /// `--players-per-room` a room seats one player, without `--cluster` it reaches the
    /// test NATS directly).
    pub fn start(pg: &TestSchema, name: &str, extra: &[&str]) -> NodeProc {
        let mut command = referee();
        if !extra.contains(&"--players-per-room") {
            command.args(["--players-per-room", "1"]);
        }
        if !extra.contains(&"--cluster") {
            command.args(["--cluster", &nats_url()]);
        }
        let mut child = command
            .args(["--db", &db_url(pg), "--node", name])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the node: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let mut stderr = BufReader::new(stderr);
        let tcp = listening_address(&mut stderr);
        let http = listening_address(&mut stderr);
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        // Drained for as long as the node runs: a full pipe would stall its logging.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                kept.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        NodeProc {
            child,
            tcp,
            http,
            log,
        }
    }

    /// `/api/cluster`, once the node has joined (it serves HTTP a moment before).
    pub async fn cluster(&self) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let (status, body) = http_get(self.http, "/api/cluster").await;
            if status == 200 {
                return serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            }
            assert!(started.elapsed() < PATIENCE, "{status}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `/api/cluster` once `ready` holds of it: the answer is kept for a moment (read at
    /// most once a second), so a change shows up within a read or two.
    pub async fn cluster_until(
        &self,
        what: &str,
        ready: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let view = self.cluster().await;
            if ready(&view) {
                return view;
            }
            assert!(started.elapsed() < PATIENCE, "never {what}: {view}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A netcat player, greeted and seated by quick match: the client and its room.
    pub async fn player(&self) -> (Client, u64) {
        let mut client = Client::connect(self.tcp).await;
        let (_, seat) = client.greeting().await;
        (client, room_of(&seat))
    }

    /// A netcat player named `name`, seated by quick match: the client and its room.
    pub async fn named_player(&self, name: &str) -> (Client, u64) {
        let (mut player, room) = self.player().await;
        player.send(&format!("/name {name}")).await;
        player
            .until_contains(&format!("You are now known as {name}"))
            .await;
        (player, room)
    }

    /// A browser player named `name`, seated by quick match: the client and its room.
    pub async fn ws_player(&self, name: &str) -> (WsClient, u64) {
        let mut player = WsClient::connect(self.http, None).await;
        let id = player
            .request("name", serde_json::json!({"name": name}))
            .await;
        let renamed = player.reply(id).await;
        assert_ne!(renamed["type"], "error", "{renamed}");
        let joined = player.play().await;
        let room = joined["room"]["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no room in {joined}"));
        (player, room)
    }

    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status();
        assert!(sent.is_ok_and(|status| status.success()), "kill {signal}");
    }

    pub async fn wait(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let log = self.log.clone();
        let status = tokio::task::spawn_blocking(move || self.child.wait())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        // The drain thread may still be reading the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (status, log)
    }

    /// The node's log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps aside (table `kept_snapshot`) the snapshot of room `room` saved after its last
/// committed win, once it is saved: what a failover from a stale snapshot is made of.
pub async fn keep_snapshot_after_win(pg: &TestSchema, room: u64) {
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    eventually(pg, &saved_after_win, 1).await;
    pg.execute(&format!(
        "CREATE TABLE kept_snapshot AS SELECT body FROM room_snapshots WHERE room = 'room/{room}'"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Puts the kept snapshot (`keep_snapshot_after_win`) back as room `room`'s, its host just
/// killed, and waits until it is what an adopter finds: the room is failed over from a
/// snapshot behind the rounds committed since.
pub async fn restore_kept_snapshot(pg: &TestSchema, room: u64) {
    pg.execute(&format!(
        "UPDATE room_snapshots SET body = (SELECT body FROM kept_snapshot) \
         WHERE room = 'room/{room}'"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let orphaned = format!(
        "SELECT COUNT(*) FROM room_snapshots WHERE room = 'room/{room}' AND epoch = 1 \
         AND body = (SELECT body FROM kept_snapshot)"
    );
    eventually(pg, &orphaned, 1).await;
}

/// Waits until `sql` (a count) answers `want`, polling the database; how long it took.
pub async fn eventually(pg: &TestSchema, sql: &str, want: i64) -> Duration {
    let started = Instant::now();
    loop {
        let got = pg.count(sql).unwrap_or_else(|e| panic!("{e}"));
        if got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{sql}: {got}, not {want} after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TCP proxy on loopback the test can cut: from then on it passes nothing, on the
/// connections it carries and on any new one, holding them open (as a network that stops
/// delivering does, rather than one that says so).
pub struct Proxy {
    pub addr: SocketAddr,
    cut: Arc<(std::sync::atomic::AtomicBool, tokio::sync::Notify)>,
}

impl Proxy {
    /// A proxy to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let cut = Arc::new((
            std::sync::atomic::AtomicBool::new(false),
            tokio::sync::Notify::new(),
        ));
        let on_cut = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let on_cut = on_cut.clone();
                tokio::spawn(async move {
                    if on_cut.0.load(Ordering::SeqCst) {
                        // Cut: held open, passing nothing.
                        return hold(client).await;
                    }
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = on_cut.1.notified() => std::future::pending::<()>().await,
                    }
                });
            }
        });
        Proxy { addr, cut }
    }

    /// From now on nothing passes.
    pub fn cut(&self) {
        self.cut.0.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cut.1.notify_waiters();
    }
}

/// Holds a connection open, passing nothing, until the test ends.
async fn hold(_connection: tokio::net::TcpStream) {
    std::future::pending::<()>().await;
}

/// The audit of the fence (`PgClaims::commits_after_takeover`): every result committed under
/// an epoch after a later epoch of its room was claimed, as text. Empty when the fence held.
pub async fn commits_after_takeover(pg: &TestSchema) -> Result<Vec<String>, String> {
    let store = pg.store().map_err(|e| e.to_string())?;
    let audit = tokio::task::spawn_blocking(move || {
        let mut claims = store.claims().map_err(|e| e.to_string())?;
        claims.commits_after_takeover().map_err(|e| e.to_string())
    });
    let late = audit.await.map_err(|e| e.to_string())??;
    Ok(late.iter().map(|late| format!("{late:?}")).collect())
}

/// Which of `nodes` (by name) logged adopting a room, for a test's report.
pub fn adopter<'a>(nodes: &[(&'a str, &NodeProc)]) -> &'a str {
    nodes
        .iter()
        .find(|(_, node)| node.log().iter().any(|line| line.contains("adopted")))
        .map_or("none", |(name, _)| *name)
}

/// Waits until room `room` has `want` rounds stored.
pub async fn rounds_stored(pg: &TestSchema, room: u64, want: i64) {
    eventually(
        pg,
        &format!("SELECT COUNT(*) FROM rounds WHERE room = {room}"),
        want,
    )
    .await;
}

/// `referee cluster <command> --db <the schema's URL> <args>` run to its end: what it printed
/// (its failure fails the test).
pub fn cluster_command(pg: &TestSchema, command: &str, args: &[&str]) -> String {
    let mut run = Command::new(env!("CARGO_BIN_EXE_referee"));
    run.args(["cluster", command, "--db", &db_url(pg)]);
    run.args(args);
    let out = run.output().unwrap_or_else(|e| panic!("{e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    stdout
}

/// The node among `names` holding a live claim on room `room` now, if any.
pub fn live_host<'a>(pg: &TestSchema, room: u64, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|name| {
        let held = format!(
            "SELECT COUNT(*) FROM room_claims WHERE room = 'room/{room}' AND node = '{name}' \
             AND expires_at > clock_timestamp()"
        );
        pg.count(&held) == Ok(1)
    })
}

/// Prints the last `last` lines of each node's log (named), DEBUG lines left out: what a
/// test prints before failing on a stall, so that a CI failure can be read.
pub fn print_logs<'a>(logs: impl IntoIterator<Item = (&'a str, Vec<String>)>, last: usize) {
    for (name, log) in logs {
        let lines: Vec<&String> = log.iter().filter(|l| !l.contains("DEBUG")).collect();
        let from = lines.len().saturating_sub(last);
        eprintln!(
            "==== log of node {name}: {} lines, the last {} ====",
            lines.len(),
            lines.len() - from
        );
        for line in &lines[from..] {
            eprintln!("{name}| {line}");
        }
    }
}

/// Moves `player` (on another node) into room `room`, retrying while that node has not yet
/// heard of the room (nodes announce their rooms twice a second; a retry may find the player
/// seated by the attempt before). Pushes of the room the player is in meanwhile are read past.
pub async fn join_elsewhere(player: &mut Client, room: u64) {
    let started = Instant::now();
    loop {
        player.send(&format!("/join {room}")).await;
        loop {
            let line = player.line().await;
            if line.starts_with(&format!("* You joined room {room} "))
                || line.starts_with("error: you are already in")
            {
                return;
            }
            if line.starts_with("error: no room") {
                break;
            }
            assert!(
                !line.starts_with("error:"),
                "unexpected answer to /join: {line}"
            );
        }
        assert!(started.elapsed() < PATIENCE, "room {room} never seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
