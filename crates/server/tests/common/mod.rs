//! The real server on 127.0.0.1:0 and a raw line client: tests speak the protocol itself.
#![allow(dead_code, unreachable_pub)]

pub mod cluster;
pub mod honest;
pub mod http;
pub mod ws;

use std::net::SocketAddr;
use std::time::Duration;

use referee_rules::{GuessConfig, GuessNumber};
use referee_server::{Server, ServerConfig, ServerConfigBuilder};
use referee_store::Store;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Upper bound for any single wait in a test: a hang becomes a failure.
/// Generous, because durable commits sync to disk and a busy CI disk can take seconds.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The settings tests start from: reproducible secrets, no limit per address.
pub fn test_config() -> ServerConfigBuilder {
    ServerConfig::builder().seed(Some(7)).max_per_ip(0)
}

/// A running server and the means to stop it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), referee_server::ServerError>>,
}

impl TestServer {
    /// Starts a server with the default settings but `tweak`, secrets from `seed`. Every
    /// test client comes from 127.0.0.1: there is no limit per address unless `tweak` sets one.
    pub async fn start(tweak: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder) -> Self {
        let config = tweak(test_config()).build();
        Self::start_with(config, GuessConfig::default()).await
    }

    pub async fn start_with(config: ServerConfig, game: GuessConfig) -> Self {
        Self::start_full(config, game, None).await
    }

    /// A server that saves its results in `store`.
    pub async fn start_with_store(
        tweak: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder,
        store: Box<dyn Store>,
    ) -> Self {
        let config = tweak(test_config()).build();
        Self::start_full(config, GuessConfig::default(), Some(store)).await
    }

    async fn start_full(
        config: ServerConfig,
        game: GuessConfig,
        store: Option<Box<dyn Store>>,
    ) -> Self {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("cannot bind a test port: {err}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(err) => panic!("{err}"),
        };
        let http_listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("cannot bind a test port: {err}"),
        };
        let http = match http_listener.local_addr() {
            Ok(addr) => addr,
            Err(err) => panic!("{err}"),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let mut server = Server::<GuessNumber>::new(config, game).with_http(http_listener);
        if let Some(store) = store {
            server = server.with_store(store);
        }
        let task = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            http,
            stop: Some(stop),
            task,
        }
    }

    /// A new client, past the greeting; returns it with its player number and room line.
    pub async fn player(&self) -> (Client, u64, String) {
        let mut client = Client::connect(self.addr).await;
        let (player, room) = client.greeting().await;
        (client, player, room)
    }

    /// Shuts the server down and waits for `run` to return.
    pub async fn shutdown(mut self) -> Result<(), referee_server::ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(TIMEOUT, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => panic!("server task failed: {join}"),
            Err(_) => panic!("server did not stop within {TIMEOUT:?}"),
        }
    }
}

/// A raw line client.
pub struct Client {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = match TcpStream::connect(addr).await {
            Ok(stream) => stream,
            Err(err) => panic!("cannot connect to {addr}: {err}"),
        };
        Self::from_stream(stream)
    }

    pub fn from_stream(stream: TcpStream) -> Self {
        let (read, writer) = stream.into_split();
        Client {
            lines: BufReader::new(read).lines(),
            writer,
        }
    }

    /// Sends one line (a newline is added).
    pub async fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes()).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        if let Err(err) = self.writer.write_all(bytes).await {
            panic!("cannot send: {err}");
        }
    }

    /// The raw writing half, for tests that misbehave on purpose.
    pub fn writer_mut(&mut self) -> &mut OwnedWriteHalf {
        &mut self.writer
    }

    /// Closes the sending side (half-close).
    pub async fn close_sending(&mut self) {
        let _ = self.writer.shutdown().await;
    }

    /// The next line, or `None` at end of stream.
    pub async fn try_line(&mut self) -> Option<String> {
        match tokio::time::timeout(TIMEOUT, self.lines.next_line()).await {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => None,
            Err(_) => panic!("no line within {TIMEOUT:?}"),
        }
    }

    /// The next line; fails the test at end of stream.
    pub async fn line(&mut self) -> String {
        match self.try_line().await {
            Some(line) => line,
            None => panic!("the server closed the connection"),
        }
    }

    /// Reads lines until one starts with `prefix`; returns it and the lines skipped.
    pub async fn until(&mut self, prefix: &str) -> (String, Vec<String>) {
        let mut skipped = Vec::new();
        loop {
            let line = self.line().await;
            if line.starts_with(prefix) {
                return (line, skipped);
            }
            skipped.push(line);
        }
    }

    /// Reads lines until one contains `part`; returns it and the lines skipped.
    pub async fn until_contains(&mut self, part: &str) -> (String, Vec<String>) {
        let mut skipped = Vec::new();
        loop {
            let line = self.line().await;
            if line.contains(part) {
                return (line, skipped);
            }
            skipped.push(line);
        }
    }

    /// Reads until the server closes; returns everything read.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut all = Vec::new();
        while let Some(line) = self.try_line().await {
            all.push(line);
        }
        all
    }

    /// The greeting: welcome, seat and round lines. Returns the player number and the seat
    /// line.
    pub async fn greeting(&mut self) -> (u64, String) {
        let welcome = self.line().await;
        let player = welcome
            .strip_prefix("Welcome to Referee! You are player ")
            .and_then(|rest| rest.strip_suffix('.'))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected welcome: {welcome}"));
        assert_eq!(
            self.line().await,
            "Type a number to guess; /help lists the commands."
        );
        let seat = self.line().await;
        assert!(seat.starts_with("* You joined "), "{seat}");
        let round = self.line().await;
        assert!(round.starts_with("Round "), "{round}");
        (player, seat)
    }

    /// Plays the current round by binary search until this player wins it or hears that
    /// someone else did. Returns `Some(round)` if this player won.
    pub async fn play_round(&mut self, max: u32) -> Option<u64> {
        let (mut low, mut high) = (0_i64, i64::from(max) - 1);
        loop {
            let guess = (low + high) / 2;
            self.send(&guess.to_string()).await;
            loop {
                let line = self.line().await;
                if line.starts_with("Higher!") {
                    low = guess + 1;
                } else if line.starts_with("Lower!") {
                    high = guess - 1;
                } else if line.starts_with("Correct!") {
                    return Some(round_of(&line));
                } else if line.starts_with("Sorry, another player won")
                    || line.contains(" won round ")
                {
                    return None;
                } else {
                    continue;
                }
                break;
            }
        }
    }
}

/// The round number in a `... round N ...` line.
pub fn round_of(line: &str) -> u64 {
    line.split("round ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no round number in: {line}"))
}

/// The room number in a `* You joined room N (...` line.
pub fn room_of(seat: &str) -> u64 {
    seat.strip_prefix("* You joined room ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a public seat line: {seat}"))
}

/// Reads a started `referee` binary's stderr until a "listening" line and returns the
/// address in it (the TCP address comes first, then the HTTP one).
pub fn listening_address(stderr: &mut impl std::io::BufRead) -> SocketAddr {
    let mut line = String::new();
    for _ in 0..50 {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(at) = line.find("addr=") {
            if let Ok(addr) = line[at + 5..].trim().trim_matches('"').parse() {
                return addr;
            }
        }
    }
    panic!("the server never said where it listens (last line: {line})");
}

/// Halves a guess-the-number range (0..=19) until one number is left, without winning by
/// chance (a seeded server whose first guesses would win is the wrong seed for the test);
/// returns the secret, for the caller to win with when it chooses.
pub async fn find_secret(me: &mut Client) -> i64 {
    let (mut low, mut high) = (0, 19);
    while low < high {
        let guess = (low + high) / 2;
        me.send(&guess.to_string()).await;
        let answer = me.line().await;
        assert!(
            !answer.starts_with("Correct!"),
            "won by chance while searching; pick another seed"
        );
        if answer.starts_with("Higher!") {
            low = guess + 1;
        } else {
            high = guess - 1;
        }
    }
    low
}
