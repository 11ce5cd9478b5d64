//! Attacks on admission and on the web side, each beside honest players who must keep being
//! answered: HTTP connections that never finish a request, one address taking every seat,
//! connections that never sit down, foreign pages opening WebSockets, malformed queries, a
//! flood of API requests, and a process out of file descriptors.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::http::{body_of, connect_from, fetch, http_get, read_to_close, status_of};
use common::ws::WsClient;
use common::{Client, TIMEOUT, TestServer, listening_address};
use referee_server::RateLimit;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// A second loopback address: another client, as far as the server can tell.
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Reads one keep-alive response to `GET /healthz` (whose body is `ok\n`).
async fn healthz_kept_alive(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let mut response = Vec::new();
    let mut chunk = [0_u8; 1024];
    while !response.ends_with(b"\r\n\r\nok\n") && !response.ends_with(b"}") {
        let read = tokio::time::timeout(TIMEOUT, stream.read(&mut chunk)).await;
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => response.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no answer to /healthz within {TIMEOUT:?}"),
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

/// An honest netcat player from `from` plays a guess and is answered.
async fn honest_player_is_answered(from: IpAddr, addr: SocketAddr) {
    let mut honest = Client::from_stream(connect_from(from, addr).await);
    honest.greeting().await;
    honest.send("7").await;
    let answer = honest.line().await.to_lowercase();
    assert!(
        answer.contains("higher") || answer.contains("lower") || answer.contains("won"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_half_sent_http_request_is_closed_after_the_header_timeout() {
    let server = TestServer::start(|c| c.http_header_timeout(Duration::from_millis(300))).await;
    let mut slow = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let started = Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    read_to_close(&mut slow).await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "closed too early"
    );
    honest_player_is_answered(OTHER, server.addr).await;
    let (_, metrics) = http_get(server.http, "/metrics").await;
    assert!(
        metrics.contains(r#"referee_refused_total{reason="header_timeout"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = TestServer::start(|c| c.http_header_timeout(Duration::from_millis(300))).await;
    let mut idle = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let first = healthz_kept_alive(&mut idle).await;
    assert_eq!(status_of(&first), 200, "{first}");
    // No second request: the connection is closed once the header timeout has passed.
    let started = Instant::now();
    let rest = read_to_close(&mut idle).await;
    assert!(started.elapsed() < Duration::from_secs(10), "closed late");
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest}"
    );
}

#[tokio::test]
async fn http_connections_count_in_the_shared_budget() {
    let server = TestServer::start(|c| c.max_connections(3)).await;
    // Three kept-alive HTTP connections, each admitted (it has had an answer).
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(server.http)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let response = healthz_kept_alive(&mut stream).await;
        assert_eq!(status_of(&response), 200, "{response}");
        held.push(stream);
    }
    let mut player = Client::connect(server.addr).await;
    assert_eq!(
        player.until_closed().await,
        vec!["error: the server is full (3 connections); try again later".to_owned()]
    );
    let mut fourth = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let refused = fetch(&mut fourth, "/healthz", "").await;
    assert_eq!(status_of(&refused), 503, "{refused}");
    assert!(
        body_of(&refused)["error"]
            .as_str()
            .is_some_and(|e| e.contains("full"))
    );
    // One HTTP connection closes: its slot goes to the next player.
    held.pop();
    let mut admitted = false;
    for _ in 0..200 {
        let mut next = Client::connect(server.addr).await;
        if next.line().await.starts_with("Welcome") {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(admitted, "the freed HTTP slot never came back");
}

#[tokio::test]
async fn a_connection_refused_for_a_full_house_gets_one_answer_and_is_closed() {
    let server = TestServer::start(|c| c.max_connections(1)).await;
    let (_player, _, _) = server.player().await;
    // `/ws` is let through a full house (the WebSocket refusal tells a browser more), but a
    // request that does not upgrade must not keep the connection alive outside the budget:
    // two pipelined requests get one answer, then the close.
    let mut stream = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let twice = "GET /ws HTTP/1.1\r\nHost: test\r\n\r\n".repeat(2);
    stream
        .write_all(twice.as_bytes())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let answered = read_to_close(&mut stream).await;
    assert_eq!(answered.matches("HTTP/1.1 ").count(), 1, "{answered}");
}

#[tokio::test]
async fn a_websocket_takes_over_its_http_connections_slot() {
    let server = TestServer::start(|c| c.max_connections(2)).await;
    let mut ws = WsClient::connect(server.http, None).await;
    // Counted once: one slot is left, for this netcat player.
    let (mut player, _, _) = server.player().await;
    player.send("/ping").await;
    assert_eq!(player.line().await, "pong");
    ws.request("ping", serde_json::json!({})).await;
    assert_eq!(ws.expect("pong").await["type"], "pong");
    // And now the house is full.
    let mut third = Client::connect(server.addr).await;
    assert_eq!(
        third.until_closed().await,
        vec!["error: the server is full (2 connections); try again later".to_owned()]
    );
}

#[tokio::test]
async fn one_address_over_its_share_is_refused_while_another_gets_in() {
    let server = TestServer::start(|c| c.max_per_ip(3)).await;
    let home = IpAddr::V4(Ipv4Addr::LOCALHOST);
    // The attacker's three connections, over every transport.
    let (_a, _, _) = server.player().await;
    let _b = WsClient::connect(server.http, None).await;
    let mut c = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(status_of(&healthz_kept_alive(&mut c).await), 200);
    // The fourth, over each transport, is turned away.
    let mut tcp = Client::from_stream(connect_from(home, server.addr).await);
    let refused = tcp.until_closed().await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("error: too many connections from your address (at most 3)"),
        "{refused:?}"
    );
    let mut http = connect_from(home, server.http).await;
    let response = fetch(&mut http, "/healthz", "").await;
    assert_eq!(status_of(&response), 429, "{response}");
    let url = format!("ws://{}/ws", server.http);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
        }
        Err(err) => panic!("expected a 429, got {err}"),
        Ok(_) => panic!("a WebSocket over the address's share was let in"),
    }
    // Another address still gets in, and plays.
    honest_player_is_answered(OTHER, server.addr).await;
    let mut other = connect_from(OTHER, server.http).await;
    let metrics = fetch(&mut other, "/metrics", "").await;
    assert!(
        metrics.contains(r#"referee_refused_total{reason="per_address"} 3"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_connection_that_never_sits_down_is_closed_with_a_goodbye() {
    let server = TestServer::start(|c| c.lobby_timeout(Duration::from_millis(400))).await;
    let (mut seated, _, _) = server.player().await;
    let (mut leaver, _, _) = server.player().await;
    leaver.send("/leave").await;
    let (_, _) = leaver.until("* You left").await;
    let mut browser = WsClient::connect(server.http, None).await;
    // The leaver keeps talking, but never sits down again.
    leaver.send("/rooms").await;
    let lines = leaver.until_closed().await;
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Goodbye! (you joined no game for too long)"),
        "{lines:?}"
    );
    let (_, messages) = browser.until_closed().await;
    let bye = messages.iter().find(|m| m["type"] == "bye");
    assert_eq!(
        bye.map(|b| b["reason"].clone()),
        Some("lobby".into()),
        "{messages:?}"
    );
    // The seated player, connected as long, stays.
    seated.send("/ping").await;
    seated.until("pong").await;
}

#[tokio::test]
async fn a_websocket_from_a_foreign_page_is_refused_and_the_servers_own_page_is_not() {
    let server =
        TestServer::start(|c| c.allowed_origins(vec!["https://friend.example".into()])).await;
    let open = |origin: &'static str| {
        let mut request = format!("ws://{}/ws", server.http)
            .into_client_request()
            .unwrap_or_else(|err| panic!("{err}"));
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_static(origin));
        tokio_tungstenite::connect_async(request)
    };
    match open("http://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403);
        }
        Err(err) => panic!("expected a 403, got {err}"),
        Ok(_) => panic!("a foreign page opened a WebSocket"),
    }
    let own: &'static str = Box::leak(format!("http://{}", server.http).into_boxed_str());
    assert!(open(own).await.is_ok(), "the server's own page was refused");
    assert!(
        open("https://friend.example").await.is_ok(),
        "a listed origin was refused"
    );
    let (_, metrics) = http_get(server.http, "/metrics").await;
    assert!(
        metrics.contains(r#"referee_refused_total{reason="origin"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let server = TestServer::start(|c| c).await;
    for path in ["/", "/app.js", "/api/status", "/healthz"] {
        let mut stream = TcpStream::connect(server.http)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let response = fetch(&mut stream, path, "").await.to_ascii_lowercase();
        for header in [
            "content-security-policy: default-src 'self'; script-src 'self';",
            "x-frame-options: deny",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
        ] {
            assert!(
                response.contains(header),
                "{path} lacks {header}: {response}"
            );
        }
    }
}

#[tokio::test]
async fn a_malformed_query_gets_the_json_error() {
    // The WebSocket request below keeps its connection: the header timeout closes it.
    let server = TestServer::start(|c| c.http_header_timeout(Duration::from_millis(300))).await;
    for query in ["limit=abc", "limit=-1"] {
        let mut stream = TcpStream::connect(server.http)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let response = fetch(&mut stream, &format!("/api/leaderboard?{query}"), "").await;
        assert_eq!(status_of(&response), 400, "{response}");
        assert!(body_of(&response)["error"].is_string(), "{response}");
    }
    let upgrade = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let mut stream = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let request = format!(
        "GET /ws?token=a&token=b HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\n{upgrade}\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let response = read_to_close(&mut stream).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert!(body_of(&response)["error"].is_string(), "{response}");
}

#[tokio::test]
async fn an_api_flood_is_rate_limited_and_health_is_not() {
    let limit = RateLimit {
        per_second: 1,
        burst: 3,
    };
    let server = TestServer::start(|c| c.http_rate(limit)).await;
    let mut statuses = Vec::new();
    let mut limited = String::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(server.http)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let response = fetch(&mut stream, "/api/status", "").await;
        statuses.push(status_of(&response));
        if status_of(&response) == 429 {
            limited = response;
        }
    }
    assert_eq!(statuses[..3], [200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    assert!(body_of(&limited)["error"].is_string(), "{limited}");
    assert!(
        limited.to_ascii_lowercase().contains("retry-after: 1"),
        "{limited}"
    );
    // Another address has its own budget; health checks are not limited.
    let mut other = connect_from(OTHER, server.http).await;
    assert_eq!(status_of(&fetch(&mut other, "/api/status", "").await), 200);
    for _ in 0..10 {
        assert_eq!(http_get(server.http, "/healthz").await.0, 200);
    }
}

/// What the HTTP side answers a connection accepted into its reserve descriptor.
const SHED_BODY: &str = r#"{"error":"the server is full"}"#;

/// Whether a new, silent HTTP connection is shed at once (answered without being read).
/// Waits until `log` has had no new line for 100 ms (at most 5 s), keeping what it read.
async fn quiet_log(log: &std::sync::mpsc::Receiver<String>, seen: &mut Vec<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut last = tokio::time::Instant::now();
    while tokio::time::Instant::now() < deadline {
        let before = seen.len();
        seen.extend(log.try_iter());
        let now = tokio::time::Instant::now();
        if seen.len() > before {
            last = now;
        } else if now.duration_since(last) >= Duration::from_millis(100) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn shed(http: SocketAddr) -> bool {
    let Ok(mut probe) = TcpStream::connect(http).await else {
        return false;
    };
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_millis(200), probe.read_to_end(&mut bytes));
    let _ = read.await;
    String::from_utf8_lossy(&bytes)
        .trim_end()
        .ends_with(SHED_BODY)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_a_player_still_hears_that_the_server_is_full() {
    use std::io::BufReader;
    use std::process::{Command, Stdio};
    // 96 descriptors: --max-connections is clamped to 96 - 32 = 64 at start-up.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 96 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_referee"))
        .args([
            "serve",
            "--tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--no-db",
        ])
        .args(["--max-per-ip", "0", "--max-connections", "1000"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start the binary: {err}"));
    let mut stderr = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let addr = listening_address(&mut stderr);
    let http = listening_address(&mut stderr);
    let (log_tx, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
            if log_tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    // Every slot taken by a player.
    let mut players = Vec::new();
    for _ in 0..64 {
        let mut player = Client::connect(addr).await;
        player.greeting().await;
        players.push(player);
    }
    let full = vec!["error: the server is full (64 connections); try again later".to_owned()];
    let mut next = Client::connect(addr).await;
    assert_eq!(next.until_closed().await, full);
    // Silent HTTP connections, refused but read for a second, eat the descriptors left,
    // until the HTTP side has to shed with its reserve: the process is out of descriptors.
    // Then a player comes. (Retried: on a busy machine the silent connections may time out
    // and give their descriptors back before the player is accepted.)
    let mut silent = Vec::new();
    let mut tcp_shed = false;
    for _ in 0..10 {
        let mut exhausted = false;
        for _ in 0..20 {
            for _ in 0..30 {
                if let Ok(stream) = TcpStream::connect(http).await {
                    silent.push(stream);
                }
            }
            if shed(http).await {
                exhausted = true;
                break;
            }
        }
        assert!(exhausted, "the server never ran out of descriptors");
        // The HTTP side is still shedding the silent connections queued behind the probe,
        // each shed a descriptor free for an instant, where a player's connection could be
        // accepted and refused as one over the limit, not shed: the player comes once the
        // log has been quiet a moment.
        quiet_log(&log, &mut seen).await;
        let mut player = Client::connect(addr).await;
        assert_eq!(player.until_closed().await, full);
        seen.extend(log.try_iter());
        tcp_shed = seen
            .iter()
            .any(|line| line.contains("shedding") && line.contains("tcp"));
        if tcp_shed {
            break;
        }
        silent.clear();
    }
    assert!(
        tcp_shed,
        "the TCP side never used its reserve:\n{}",
        seen.join("\n")
    );
    // The attack ends and a player leaves: health answers again.
    drop(silent);
    players.pop();
    let mut healthy = false;
    for _ in 0..300 {
        if http_get(http, "/healthz").await.0 == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(healthy, "/healthz never answered again");
    drop(players);
    let _ = child.kill();
    let _ = child.wait();
    seen.extend(log.try_iter());
    assert!(
        seen.iter().any(|line| line.contains("serving fewer")),
        "no clamp in the log:\n{}",
        seen.join("\n")
    );
}

/// A store whose leaderboard never answers until the test lets it: a stuck read path.
struct Stuck {
    inner: referee_store::MemoryStore,
    release: std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
}

/// Its reader: the leaderboard waits for the release.
struct StuckReader {
    inner: Box<dyn referee_store::StoreReader>,
    release: std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
}

impl referee_store::StoreReader for StuckReader {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now: i64,
        recent: i64,
    ) -> Result<referee_store::Leaderboard, referee_store::StoreError> {
        if let Ok(release) = self.release.lock() {
            let _ = release.recv();
        }
        self.inner.leaderboard(game, limit, now, recent)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, referee_store::StoreError> {
        self.inner.wins_of(name)
    }

    fn games_of(
        &mut self,
        name: &str,
    ) -> Result<Vec<referee_store::GameWins>, referee_store::StoreError> {
        self.inner.games_of(name)
    }

    fn match_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<referee_store::MatchRecord>, referee_store::StoreError> {
        self.inner.match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<referee_store::MatchRecord>, referee_store::StoreError> {
        self.inner.recent_matches(game, limit)
    }
}

impl referee_store::StoreReader for Stuck {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now: i64,
        recent: i64,
    ) -> Result<referee_store::Leaderboard, referee_store::StoreError> {
        self.inner.leaderboard(game, limit, now, recent)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, referee_store::StoreError> {
        self.inner.wins_of(name)
    }

    fn games_of(
        &mut self,
        name: &str,
    ) -> Result<Vec<referee_store::GameWins>, referee_store::StoreError> {
        self.inner.games_of(name)
    }

    fn match_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<referee_store::MatchRecord>, referee_store::StoreError> {
        self.inner.match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<referee_store::MatchRecord>, referee_store::StoreError> {
        self.inner.recent_matches(game, limit)
    }
}

impl referee_store::Store for Stuck {
    fn record(
        &mut self,
        rounds: &[referee_store::RoundResult],
    ) -> Result<(), referee_store::StoreError> {
        self.inner.record(rounds)
    }

    fn reader(&self) -> Result<Box<dyn referee_store::StoreReader>, referee_store::StoreError> {
        Ok(Box::new(StuckReader {
            inner: self.inner.reader()?,
            release: self.release.clone(),
        }))
    }
}

#[tokio::test]
async fn a_request_whose_answer_never_comes_gets_a_503_in_time() {
    let (release_tx, release) = std::sync::mpsc::channel();
    let store = Stuck {
        inner: referee_store::MemoryStore::default(),
        release: std::sync::Arc::new(std::sync::Mutex::new(release)),
    };
    let server = TestServer::start_with_store(
        |c| c.http_request_timeout(Duration::from_millis(300)),
        Box::new(store),
    )
    .await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.http)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let response = fetch(&mut stream, "/api/leaderboard", "").await;
    assert_eq!(status_of(&response), 503, "{response}");
    // The request timeout answered, not the board's ask timeout (5 s).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    honest_player_is_answered(OTHER, server.addr).await;
    drop(release_tx);
}
