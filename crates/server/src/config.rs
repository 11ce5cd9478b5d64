//! The server's limits and settings, with their defaults.

use std::time::Duration;

use referee_protocol::framing::DEFAULT_MAX_LINE;

use crate::outbox::DEFAULT_OUTBOX_CAPACITY;
use crate::rate::RateLimit;

/// How a [`Server`](crate::Server) behaves. Build one with [`ServerConfig::builder`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) players_per_room: usize,
    /// Seats per room of the games named here (others: `players_per_room`).
    pub(crate) game_seats: Vec<(String, usize)>,
    pub(crate) max_connections: usize,
    pub(crate) max_line: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) outbox_capacity: usize,
    pub(crate) shutdown_grace: Duration,
    pub(crate) seed: Option<u64>,
    pub(crate) max_batch: usize,
    pub(crate) rate_limit: RateLimit,
    pub(crate) send_buffer: Option<usize>,
    pub(crate) allow_faults: bool,
    pub(crate) reconnect_window: Duration,
    /// How long the leaderboard is served from the board's cache at most.
    pub(crate) leaderboard_cache: Duration,
    // Admission (see `admission.rs` and docs/RELIABILITY.md, "Admission").
    pub(crate) max_per_ip: usize,
    pub(crate) lobby_timeout: Duration,
    pub(crate) http_header_timeout: Duration,
    pub(crate) http_request_timeout: Duration,
    pub(crate) http_rate: RateLimit,
    pub(crate) allowed_origins: Vec<String>,
    /// Private rooms and held seats (issue #14): see [`RoomGuards`].
    pub(crate) guards: RoomGuards,
}

/// The limits that guard private rooms and held seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoomGuards {
    /// `join`/`watch` requests naming no room, a minute, per connection.
    pub(crate) failed_lookups_per_client: u32,
    /// The same, per client address.
    pub(crate) failed_lookups_per_ip: u32,
    /// Seats held for dropped players at once; `None`: a quarter of `max_connections`.
    pub(crate) max_parked: Option<usize>,
    /// Seats held at once for the dropped players of one address.
    pub(crate) max_parked_per_ip: usize,
}

impl Default for RoomGuards {
    fn default() -> Self {
        RoomGuards {
            failed_lookups_per_client: 5,
            failed_lookups_per_ip: 20,
            max_parked: None,
            max_parked_per_ip: 16,
        }
    }
}

impl ServerConfig {
    /// Seats held for dropped players at once.
    pub(crate) fn max_parked(&self) -> usize {
        self.guards
            .max_parked
            .unwrap_or(self.max_connections / 4)
            .max(1)
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            players_per_room: 3,
            game_seats: Vec::new(),
            max_connections: 10_240,
            max_line: DEFAULT_MAX_LINE,
            idle_timeout: Duration::from_secs(30 * 60),
            outbox_capacity: DEFAULT_OUTBOX_CAPACITY,
            shutdown_grace: Duration::from_secs(5),
            seed: None,
            max_batch: crate::records::DEFAULT_MAX_BATCH,
            rate_limit: RateLimit::default(),
            send_buffer: None,
            allow_faults: false,
            reconnect_window: crate::parking::DEFAULT_WINDOW,
            leaderboard_cache: crate::board::DEFAULT_CACHE,
            max_per_ip: 64,
            lobby_timeout: Duration::from_secs(120),
            http_header_timeout: Duration::from_secs(10),
            http_request_timeout: Duration::from_secs(30),
            http_rate: RateLimit {
                per_second: 20,
                burst: 40,
            },
            allowed_origins: Vec::new(),
            guards: RoomGuards::default(),
        }
    }
}

impl ServerConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder(ServerConfig::default())
    }

    /// Seats per room.
    pub fn players_per_room(&self) -> usize {
        self.players_per_room
    }

    /// Connections served at once; one more gets a refusal line.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }
}

/// Sets [`ServerConfig`]'s options; each setter is named after its option.
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder(ServerConfig);

impl ServerConfigBuilder {
    /// Seats per room (default 3, at least 1).
    pub fn players_per_room(mut self, seats: usize) -> Self {
        self.0.players_per_room = seats.max(1);
        self
    }

    /// Rooms of `game` seat this many players (at least 1) instead of
    /// [`players_per_room`](Self::players_per_room): e.g. a Liar's Dice table's size.
    pub fn game_seats(mut self, game: &str, seats: usize) -> Self {
        self.0.game_seats.retain(|(name, _)| name != game);
        self.0.game_seats.push((game.to_owned(), seats.max(1)));
        self
    }

    /// Connections served at once (default 10,240, at least 1).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.0.max_connections = max.max(1);
        self
    }

    /// Longest line a client may send, in bytes (default 1024); a longer one closes the
    /// connection.
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.0.max_line = bytes.max(16);
        self
    }

    /// A connection that sends nothing for this long is closed (default 30 min).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.0.idle_timeout = idle;
        self
    }

    /// Messages that may wait for a slow client before it is disconnected (default 256).
    pub fn outbox_capacity(mut self, frames: usize) -> Self {
        self.0.outbox_capacity = frames.max(1);
        self
    }

    /// How long shutdown waits for connections to say goodbye (default 5 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.0.shutdown_grace = grace;
        self
    }

    /// Draw every room's secrets from this seed instead of the OS: reproducible games, for
    /// tests and demos.
    pub fn seed(mut self, seed: Option<u64>) -> Self {
        self.0.seed = seed;
        self
    }

    /// Rounds the recorder commits together at most (default 1024). 1 commits every round
    /// in its own transaction: the baseline group commit is measured against.
    pub fn max_batch(mut self, rounds: usize) -> Self {
        self.0.max_batch = rounds.max(1);
        self
    }

    /// Lines a player may send (default 50 a second, 100 at once); past it they get
    /// `error: slow down`, and keeping on disconnects them. [`RateLimit::OFF`] for load tests.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.0.rate_limit = limit;
        self
    }

    /// The kernel send buffer of each player's socket, in bytes (default: the OS's, which
    /// grows to megabytes). Smaller means less memory per connection and a slow reader
    /// detected sooner.
    pub fn send_buffer(mut self, bytes: Option<usize>) -> Self {
        self.0.send_buffer = bytes;
        self
    }

    /// **For tests only.** Lets players inject faults: `/fault room` makes their room's
    /// referee panic, `/fault session` makes their connection's task panic. Off by default.
    pub fn allow_faults(mut self, allowed: bool) -> Self {
        self.0.allow_faults = allowed;
        self
    }

    /// How long a WebSocket player whose connection dropped keeps their seat and score,
    /// waiting for them to reconnect with their token (default 30 s).
    pub fn reconnect_window(mut self, window: Duration) -> Self {
        self.0.reconnect_window = window;
        self
    }

    /// How long a leaderboard read is served again to later asks (default 1 s), unless a
    /// win was committed since: then the next ask reads afresh. Zero reads every time.
    pub fn leaderboard_cache(mut self, max_age: Duration) -> Self {
        self.0.leaderboard_cache = max_age;
        self
    }

    /// Connections one client address may have open at once, over TCP, WebSocket and HTTP
    /// together (default 64; 0: no limit). IPv6 addresses count by their /64.
    pub fn max_per_ip(mut self, max: usize) -> Self {
        self.0.max_per_ip = max;
        self
    }

    /// A connection that has been in no room (neither seated nor watching) for this long is
    /// closed with a goodbye (default 120 s).
    pub fn lobby_timeout(mut self, timeout: Duration) -> Self {
        self.0.lobby_timeout = timeout;
        self
    }

    /// How long an HTTP client has to send a request's headers, counted from the connection's
    /// start or from the end of its previous response, so it also bounds an idle kept-alive
    /// connection (default 10 s).
    pub fn http_header_timeout(mut self, timeout: Duration) -> Self {
        self.0.http_header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long an HTTP request (not a WebSocket) may take to be answered (default 30 s).
    pub fn http_request_timeout(mut self, timeout: Duration) -> Self {
        self.0.http_request_timeout = timeout;
        self
    }

    /// Requests one address may make to `/api/*` and `/metrics` (default 20 a second, 40 at
    /// once); past it, `429 Too Many Requests`. [`RateLimit::OFF`] for none.
    pub fn http_rate(mut self, limit: RateLimit) -> Self {
        self.0.http_rate = limit;
        self
    }

    /// Origins besides the server's own whose pages may open a WebSocket (`/ws`), such as
    /// `https://play.example.com`.
    pub fn allowed_origins(mut self, origins: Vec<String>) -> Self {
        self.0.allowed_origins = origins;
        self
    }

    /// Requests to join or watch a room that name no room, allowed a minute from one
    /// connection (default 5, at least 1). Past it the lookup is not made and the client gets
    /// `too_many_attempts`: private rooms' codes cannot be guessed by trying them.
    pub fn failed_lookups_per_client(mut self, per_minute: u32) -> Self {
        self.0.guards.failed_lookups_per_client = per_minute.max(1);
        self
    }

    /// As [`ServerConfigBuilder::failed_lookups_per_client`], for all the connections of
    /// one client address together (default 20, at least 1).
    pub fn failed_lookups_per_ip(mut self, per_minute: u32) -> Self {
        self.0.guards.failed_lookups_per_ip = per_minute.max(1);
        self
    }

    /// Seats held at once for dropped WebSocket players (default: a quarter of
    /// `max_connections`, at least 1). Past it the oldest held seat is given up.
    pub fn max_parked(mut self, seats: usize) -> Self {
        self.0.guards.max_parked = Some(seats.max(1));
        self
    }

    /// Seats held at once for the dropped players of one client address (default 16, at
    /// least 1). Past it that address's oldest held seat is given up.
    pub fn max_parked_per_ip(mut self, seats: usize) -> Self {
        self.0.guards.max_parked_per_ip = seats.max(1);
        self
    }

    /// The configuration.
    pub fn build(self) -> ServerConfig {
        self.0
    }
}
