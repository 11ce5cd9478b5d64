//! `referee`: the server binary. `referee serve` runs the game server; `referee load` runs
//! the load generator against one; `referee verify` checks a round's commitment
//! (`referee verify-dice`, a Liar's Dice hand's); `referee cluster rotate-token-key` rotates
//! a cluster's token key.
//!
//! Exit status is decided here: 0 on success, 1 on an error (or a `verify` mismatch), 2 on a
//! malformed command line (clap).

mod cluster_admin;
mod verify;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand};
use referee_rules::{DiceConfig, Games, GuessConfig, GuessNumber, LiarsDice, Millis, Render};
use referee_server::cluster::{NatsTls, Node, NodeConfig};
use referee_server::{RateLimit, Server, ServerConfig, ShardThreads, Shards};
use referee_store::{MemoryStore, NodeAddresses, PgStore, SqliteStore, Store};
use tokio::net::{TcpListener, TcpSocket};

/// jemalloc instead of the system allocator, with its background purging threads: after a
/// flood (thousands of rooms opened and dropped) it gives the freed pages back to the OS,
/// where glibc's malloc kept them in its arenas (measured in docs/RELIABILITY.md, "Private
/// rooms and held seats").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(
    name = "referee",
    version,
    about = "A multiplayer game server built on actors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at start-up: the size of the serve options does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the game server (guess the number and Liar's Dice), playable with
    /// `nc 127.0.0.1 7878`.
    Serve(ServeArgs),
    /// Play bots against a server (or an echo ceiling) and report throughput and latency.
    Load(referee_load::LoadArgs),
    /// Check that a round's commitment opens to the revealed secret and salt (exit 0 if so).
    Verify(verify::VerifyArgs),
    /// Check that a Liar's Dice commitment opens to one player's revealed dice and salt.
    VerifyDice(verify::VerifyDiceArgs),
    /// Serve the echo ceiling alone (what `referee load --echo` runs in-process), so that a
    /// profiler can measure it as it measures `serve`; load it with `referee load --echo-at`.
    Echo(EchoArgs),
    /// Administer a cluster through its database: `referee cluster rotate-token-key --db
    /// postgres://… [--revoke]`.
    Cluster(cluster_admin::ClusterArgs),
}

/// `--runtime`: how `referee serve` runs its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RuntimeKind {
    /// tokio's multi-thread runtime: any worker runs any task, stealing work.
    MultiThread,
    /// One single-threaded runtime per worker, each on its own thread (`shard.rs`).
    Shards,
}

#[derive(Debug, clap::Args)]
struct EchoArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
    /// `tcp`: echo lines; `ws` (and `colyseus`, whose ceiling it is): answer JSON guesses
    /// over WebSocket.
    #[arg(long, value_enum, default_value_t = referee_load::Transport::Tcp)]
    transport: referee_load::Transport,
    /// Worker threads of the async runtime (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// What a line goes through before it is written back (`tcp` only): `nothing` (the bare
    /// echo); `actor`: an ask of an actor shared by a room's connections; `actor-and-writer`:
    /// that ask, then the connection's writer task — the server's hops without its game.
    #[arg(long, value_enum, default_value_t = referee_load::echo::Through::Nothing)]
    through: referee_load::echo::Through,
    /// Connections per room with `--through actor…` (the server's `--players-per-room`).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    room_size: u16,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Where to listen for line-protocol (netcat) players.
    #[arg(long, default_value = "127.0.0.1:7878")]
    tcp: SocketAddr,
    /// Where to serve HTTP: the web page, WebSocket players (`/ws`), health, metrics, the
    /// status page and the leaderboard.
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Serve no HTTP at all.
    #[arg(long)]
    no_http: bool,
    /// Seats per room.
    #[arg(long, default_value_t = 3)]
    players_per_room: usize,
    /// The games hosted, the first one the default (a new netcat player's): `guess`,
    /// `dice`, or both (`guess,dice`).
    #[arg(long, value_delimiter = ',', default_value = "guess,dice")]
    games: Vec<String>,
    /// Seats at a Liar's Dice table (2 to 6).
    #[arg(long, default_value_t = 4)]
    dice_players: u8,
    /// Seconds a Liar's Dice player has for a turn before the referee plays for them.
    #[arg(long, default_value_t = 30.0)]
    turn_time: f64,
    /// Seconds a Liar's Dice table waits, once two players sit (one with --dice-bots),
    /// before it starts.
    #[arg(long, default_value_t = 15.0)]
    dice_countdown: f64,
    /// Bots take the Liar's Dice seats still empty when the countdown ends, so one person
    /// can play at once (the countdown then starts when one player sits). Bots ("Bot 1"...)
    /// stand up after their match and leave with the last human; their wins are recorded
    /// but never on the leaderboard.
    #[arg(long)]
    dice_bots: bool,
    /// Secrets are drawn from 0 to MAX-1.
    #[arg(long, default_value_t = 20)]
    max: u32,
    /// Connections served at once; one more is refused with a message.
    #[arg(long, default_value_t = 10_240)]
    max_connections: usize,
    /// Longest line a client may send, in bytes.
    #[arg(long, default_value_t = 1024)]
    max_line: usize,
    /// Close a connection that sends nothing for this many seconds.
    #[arg(long, default_value_t = 1800)]
    idle_timeout: u64,
    /// Keep a dropped browser player's seat and score this many seconds, for them to
    /// reconnect (0: free the seat at once).
    #[arg(long, default_value_t = 30)]
    reconnect_window: u64,
    /// `/join` or `/watch` requests naming no room allowed a minute per connection; past it
    /// they are refused without being looked up (too_many_attempts).
    #[arg(long, default_value_t = 5)]
    failed_lookups_per_client: u32,
    /// The same, for all the connections of one IP address together.
    #[arg(long, default_value_t = 20)]
    failed_lookups_per_ip: u32,
    /// Seats held at once for dropped browser players (default: a quarter of
    /// --max-connections); past it the oldest held seat is given up.
    #[arg(long)]
    max_parked: Option<usize>,
    /// Seats held at once for the dropped browser players of one IP address.
    #[arg(long, default_value_t = 16)]
    max_parked_per_ip: usize,
    /// Messages queued for a slow client before it is disconnected.
    #[arg(long, default_value_t = 256)]
    outbox: usize,
    /// Draw the secrets from this seed (reproducible games).
    #[arg(long)]
    seed: Option<u64>,
    /// Where every won round and the leaderboard are kept: a SQLite file (created if
    /// missing), or a PostgreSQL database, `postgres://user[:password]@host:port/dbname`
    /// (also `postgresql://`). See docs/OPERATIONS.md.
    #[arg(long, default_value = "referee.db")]
    db: String,
    /// Keep no file: results and the leaderboard live in memory and die with the process.
    #[arg(long, conflicts_with = "db")]
    no_db: bool,
    /// Rounds committed together at most (1 = one transaction per round).
    #[arg(long, default_value_t = 1024)]
    max_batch: usize,
    /// Lines a player may send per second, sustained (0: no limit, for load tests).
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// Lines a player may send at once.
    #[arg(long, default_value_t = 100)]
    burst: u32,
    /// Kernel send buffer per player socket, in bytes (default: the OS's).
    #[arg(long)]
    send_buffer: Option<usize>,
    /// Worker threads of the async runtime, or shards (default: one per core). On a machine
    /// shared with other busy processes — a load generator, say — fewer workers than cores
    /// can serve more: see docs/PERFORMANCE.md.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// How the workers run: `multi-thread` (tokio's work-stealing runtime) or `shards` (one
    /// single-threaded runtime per worker; a connection is served on one, a room on its
    /// opener's). See docs/PERFORMANCE.md, "Shard per core".
    #[arg(long, value_enum, default_value_t = RuntimeKind::MultiThread)]
    runtime: RuntimeKind,
    /// How long a leaderboard read is served again, in milliseconds, unless a win was
    /// committed since (0: read the store every time).
    #[arg(long, default_value_t = 1000)]
    leaderboard_cache_ms: u64,
    /// Connections one client address may have open at once, over TCP, WebSocket and HTTP
    /// together (IPv6: per /64). One more is refused (0: no limit).
    #[arg(long, default_value_t = 64)]
    max_per_ip: usize,
    /// Close a connection that has been in no room (neither playing nor watching) for this
    /// many seconds (0: never).
    #[arg(long, default_value_t = 120)]
    lobby_timeout: u64,
    /// Close an HTTP connection whose client takes longer than this many seconds to send a
    /// request's headers; also closes a kept-alive connection idle that long.
    #[arg(long, default_value_t = 10)]
    http_header_timeout: u64,
    /// Answer 503 to an HTTP request (not a WebSocket) not answered within this many seconds.
    #[arg(long, default_value_t = 30)]
    http_request_timeout: u64,
    /// Requests per second one address may make to /api/* and /metrics, sustained (0: no
    /// limit); past it, 429 with Retry-After.
    #[arg(long, default_value_t = 20)]
    http_rate: u32,
    /// Requests one address may make to /api/* and /metrics at once.
    #[arg(long, default_value_t = 40)]
    http_burst: u32,
    /// An origin (such as `https://play.example.com`) whose pages may open a WebSocket, besides
    /// the server's own. Repeatable.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Run as a node of a cluster, reaching the other nodes through NATS at this URL
    /// (`nats://host:port`; `nats://user:password@host:port` for a NATS that asks for them —
    /// never logged). Needs --node and a shared PostgreSQL (--db postgres://…). See
    /// docs/CLUSTER.md.
    #[arg(long, value_name = "NATS_URL", requires = "node")]
    cluster: Option<String>,
    /// Require TLS of NATS, its server certificate signed by this CA (PEM file).
    #[arg(long, value_name = "PEM", requires = "cluster")]
    cluster_ca: Option<PathBuf>,
    /// This node's certificate (PEM), for a NATS that verifies its clients (--tlsverify).
    /// Needs --cluster-key.
    #[arg(long, value_name = "PEM", requires_all = ["cluster", "cluster_key"])]
    cluster_cert: Option<PathBuf>,
    /// The private key of --cluster-cert (PEM).
    #[arg(long, value_name = "PEM", requires_all = ["cluster", "cluster_cert"])]
    cluster_key: Option<PathBuf>,
    /// This node's name in the cluster: 1 to 32 of A-Z a-z 0-9 _ -, unique in the cluster
    /// (the same name gets its room and player numbers back after a restart).
    #[arg(long, value_name = "NAME", requires = "cluster", value_parser = node_name)]
    node: Option<String>,
    /// How long a cluster node's claim on a room holds without renewal, in milliseconds.
    /// Renewed every third of it; a node that cannot renew stops hosting a quarter of it
    /// before it runs out. Shorter: a dead node's rooms are free sooner; longer: fewer
    /// renewals, and a slow database is survived longer. See docs/CLUSTER.md.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(300..=60_000))]
    lease_ms: u64,
    /// Rotate the cluster's token key once it is older than this (`7d`, `12h`, `30m`, `90s`;
    /// `off`: only `referee cluster rotate-token-key` rotates it). One node rotates it; the
    /// key before stays accepted for the tokens it signed, so nobody is logged out as long as
    /// the age is over a token's 24 h. See docs/CLUSTER.md.
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = token_key_max_age)]
    token_key_max_age: MaxAge,
    /// Where browsers reach this cluster node's web page, e.g. `https://b.example.com`
    /// (default: `http://` and the --http address, fine on one host only). Announced to the
    /// other nodes: a page whose node dies reconnects to another node's address, and each
    /// node lets the other nodes' pages open WebSockets to it. See docs/CLUSTER.md.
    #[arg(long, value_name = "URL", requires = "cluster", value_parser = public_url)]
    public_url: Option<String>,
    /// FOR TESTS ONLY: let players inject faults (`/fault room`, `/fault session`).
    #[arg(long, hide = true)]
    allow_faults: bool,
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    if let Command::Serve(args) = &cli.command
        && let Err(refused) = cluster_needs_postgres(args)
    {
        // Exits with 2, as every other malformed command line.
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, refused)
            .exit();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("referee: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Cluster(args) = cli.command {
        return cluster_admin::run(args);
    }
    if let Command::Serve(args) = cli.command {
        if args.runtime == RuntimeKind::Shards {
            return run_sharded(args);
        }
        return run_on(Command::Serve(args));
    }
    run_on(cli.command)
}

/// `referee serve --runtime shards`: the server on shard 0 (this thread), the other shards
/// on threads of their own.
fn run_sharded(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let count = match args.workers {
        Some(workers) => usize::from(workers),
        None => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    };
    let (runtime, threads) =
        ShardThreads::start(count).context("cannot start the shards' runtimes")?;
    let served = runtime.block_on(serve(args, threads.shards()));
    drop(runtime);
    threads.stop();
    served.map(|()| ExitCode::SUCCESS)
}

fn run_on(command: Command) -> anyhow::Result<ExitCode> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    let workers = match &command {
        Command::Serve(args) => args.workers,
        Command::Echo(args) => args.workers,
        Command::Load(_) | Command::Verify(_) | Command::VerifyDice(_) | Command::Cluster(_) => {
            None
        }
    };
    if let Some(workers) = workers {
        builder.worker_threads(usize::from(workers));
    }
    let runtime = builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match command {
        Command::Serve(args) => runtime.block_on(serve(args, Shards::default())),
        Command::Load(args) => runtime.block_on(load(args)),
        Command::Verify(args) => return Ok(verify::run(&args)),
        Command::VerifyDice(args) => return Ok(verify::run_dice(&args)),
        Command::Echo(args) => runtime.block_on(echo(args)),
        Command::Cluster(args) => return cluster_admin::run(args),
    }
    .map(|()| ExitCode::SUCCESS)
}

/// Serves the echo ceiling until Ctrl-C or SIGTERM.
async fn echo(args: EchoArgs) -> anyhow::Result<()> {
    use referee_load::echo::{EchoServer, Through};
    let server = match (args.through, args.transport) {
        (Through::Nothing, transport) => EchoServer::start_on(args.addr, transport).await,
        (through, referee_load::Transport::Tcp) => {
            EchoServer::start_through(args.addr, through, args.room_size.into()).await
        }
        (_, transport) => anyhow::bail!("--through is for the line echo, not {transport:?}"),
    }
    .with_context(|| format!("cannot serve the echo on {}", args.addr))?;
    tracing::info!(addr = %server.addr(), "echo server listening");
    referee_server::shutdown::signal().await;
    Ok(())
}

async fn load(args: referee_load::LoadArgs) -> anyhow::Result<()> {
    let json_only = args.json;
    let report = referee_load::run(args).await?;
    if !json_only {
        println!("{report}");
    }
    println!("{}", report.to_json());
    Ok(())
}

async fn serve(args: ServeArgs, shards: Shards) -> anyhow::Result<()> {
    raise_file_limit();
    let hosted = hosted_games(&args.games)?;
    let guess = GuessConfig::new(args.max).context("invalid --max")?;
    let dice = DiceConfig::new(
        args.dice_players,
        seconds(args.turn_time).context("invalid --turn-time")?,
        seconds(args.dice_countdown).context("invalid --dice-countdown")?,
    )
    .context("invalid --dice-players or --turn-time")?
    .with_bots(args.dice_bots);
    let config = ServerConfig::builder()
        .players_per_room(args.players_per_room)
        .game_seats("dice", usize::from(args.dice_players))
        .max_connections(args.max_connections)
        .max_line(args.max_line)
        .idle_timeout(Duration::from_secs(args.idle_timeout))
        .outbox_capacity(args.outbox)
        .seed(args.seed)
        .max_batch(args.max_batch)
        .rate_limit(RateLimit {
            per_second: args.rate,
            burst: args.burst,
        })
        .send_buffer(args.send_buffer)
        .allow_faults(args.allow_faults)
        .reconnect_window(Duration::from_secs(args.reconnect_window))
        .leaderboard_cache(Duration::from_millis(args.leaderboard_cache_ms))
        .max_per_ip(args.max_per_ip)
        .lobby_timeout(Duration::from_secs(args.lobby_timeout))
        .http_header_timeout(Duration::from_secs(args.http_header_timeout))
        .http_request_timeout(Duration::from_secs(args.http_request_timeout))
        .http_rate(RateLimit {
            per_second: args.http_rate,
            burst: args.http_burst,
        })
        .allowed_origins(args.allowed_origins.clone())
        .failed_lookups_per_client(args.failed_lookups_per_client)
        .failed_lookups_per_ip(args.failed_lookups_per_ip)
        .max_parked_per_ip(args.max_parked_per_ip);
    let config = match args.max_parked {
        Some(seats) => config.max_parked(seats),
        None => config,
    }
    .build();
    // The store first: a database that cannot be used stops the start-up before any port
    // is opened, with an error that names the file.
    let opened = open(&args)?;
    let listener = listen(args.tcp).with_context(|| format!("cannot listen on {}", args.tcp))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    tracing::info!(%addr, "listening for players (try: nc {} {})", addr.ip(), addr.port());
    let http = if args.no_http {
        None
    } else {
        let http = listen(args.http).with_context(|| format!("cannot listen on {}", args.http))?;
        let addr = http.local_addr().context("cannot read the HTTP address")?;
        tracing::info!(%addr, "serving the web page: open http://{addr}/ (status: http://{addr}/status)");
        Some(http)
    };
    let public = match &args.public_url {
        Some(url) => Some(url.clone()),
        None => http_addr(http.as_ref()).map(|addr| format!("http://{addr}")),
    };
    let addresses = NodeAddresses {
        tcp: Some(addr.to_string()),
        ws: public.as_deref().map(socket_url),
        http: public,
    };
    let stores = opened.join(addresses).await?;
    match hosted {
        ["guess"] => {
            let server = Server::<GuessNumber>::new(config, guess);
            run_server(server.with_shards(shards), stores, listener, http).await
        }
        ["dice"] => {
            let server = Server::<LiarsDice>::new(config, dice);
            run_server(server.with_shards(shards), stores, listener, http).await
        }
        ["guess", "dice"] => {
            let server = Server::<Games<GuessNumber, LiarsDice>>::new(config, (guess, dice));
            run_server(server.with_shards(shards), stores, listener, http).await
        }
        _ => {
            let server = Server::<Games<LiarsDice, GuessNumber>>::new(config, (dice, guess));
            run_server(server.with_shards(shards), stores, listener, http).await
        }
    }
}

fn http_addr(http: Option<&TcpListener>) -> Option<SocketAddr> {
    http.and_then(|http| http.local_addr().ok())
}

/// `--public-url`: `http://` or `https://`, a host, no path (a trailing `/` is dropped).
fn public_url(url: &str) -> Result<String, String> {
    let url = url.trim_end_matches('/');
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => {
            Ok(url.to_owned())
        }
        _ => Err("expected http://HOST[:PORT] or https://HOST[:PORT], without a path".into()),
    }
}

/// The WebSocket URL of a page's URL: `ws://…/ws` or `wss://…/ws`.
fn socket_url(page: &str) -> String {
    match page.strip_prefix("https://") {
        Some(host) => format!("wss://{host}/ws"),
        None => format!("ws://{}/ws", page.trim_start_matches("http://")),
    }
}

/// `--node`: a valid node name.
fn node_name(name: &str) -> Result<String, String> {
    if referee_server::cluster::valid_node_name(name) {
        Ok(name.to_owned())
    } else {
        Err("a node name is 1 to 32 of A-Z a-z 0-9 _ -".to_owned())
    }
}

/// `--token-key-max-age`: an age, or none (`off`).
#[derive(Debug, Clone, Copy)]
struct MaxAge(Option<Duration>);

fn token_key_max_age(text: &str) -> Result<MaxAge, String> {
    referee_server::cluster::parse_max_age(text).map(MaxAge)
}

/// `--cluster` needs a database all the nodes share: PostgreSQL.
fn cluster_needs_postgres(args: &ServeArgs) -> Result<(), String> {
    if args.cluster.is_none() {
        return Ok(());
    }
    if args.no_db {
        return Err(
            "--cluster cannot run with --no-db: the nodes share their rooms' claims \
                    and results in PostgreSQL; give --db postgres://user@host:port/dbname"
                .to_owned(),
        );
    }
    if !is_postgres_url(&args.db) {
        return Err(format!(
            "--cluster cannot run on a SQLite file ({}): the nodes share their rooms' claims \
             and results in PostgreSQL; give --db postgres://user@host:port/dbname",
            args.db
        ));
    }
    Ok(())
}

/// The store opened, and for a cluster node the PostgreSQL store it joins the cluster with.
enum Opened {
    Alone(Box<dyn Store>),
    Node(Box<PgStore>, NodeConfig),
}

/// The store, and the node once it joined its cluster.
struct Stores {
    store: Box<dyn Store>,
    node: Option<Node>,
}

impl Opened {
    /// Joins the cluster (a node serving at `addresses`), or not.
    async fn join(self, addresses: NodeAddresses) -> anyhow::Result<Stores> {
        match self {
            Opened::Alone(store) => Ok(Stores { store, node: None }),
            Opened::Node(store, config) => {
                let node = Node::join(config, &store, addresses).await?;
                Ok(Stores {
                    store,
                    node: Some(node),
                })
            }
        }
    }
}

fn open(args: &ServeArgs) -> anyhow::Result<Opened> {
    let (Some(nats), Some(name)) = (&args.cluster, &args.node) else {
        return Ok(Opened::Alone(open_store(args)?));
    };
    let store = PgStore::connect(&args.db)?;
    tracing::info!(db = %store.url(), "results and claims are kept in PostgreSQL");
    let config = NodeConfig {
        nats: nats.clone(),
        tls: NatsTls {
            ca: args.cluster_ca.clone(),
            cert: args.cluster_cert.clone(),
            key: args.cluster_key.clone(),
        },
        name: name.clone(),
        lease: Duration::from_millis(args.lease_ms),
        token_key_max_age: args.token_key_max_age.0,
    };
    Ok(Opened::Node(Box::new(store), config))
}

/// The games `--games` names, in order, if it names a set this binary can host.
fn hosted_games(games: &[String]) -> anyhow::Result<&'static [&'static str]> {
    let names: Vec<&str> = games.iter().map(|game| game.trim()).collect();
    Ok(match names.as_slice() {
        ["guess"] => &["guess"],
        ["dice"] => &["dice"],
        ["guess", "dice"] => &["guess", "dice"],
        ["dice", "guess"] => &["dice", "guess"],
        _ => anyhow::bail!(
            "--games takes guess, dice, or both separated by a comma, not {:?}",
            games.join(",")
        ),
    })
}

/// Seconds, as game time.
fn seconds(seconds: f64) -> anyhow::Result<Millis> {
    anyhow::ensure!(
        seconds.is_finite() && (0.0..=86_400.0).contains(&seconds),
        "{seconds} is not a number of seconds from 0 to 86400"
    );
    // In range: at most 86,400,000 ms.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Millis((seconds * 1000.0).round() as u64))
}

/// Runs `server` until a shutdown signal.
async fn run_server<G: Render>(
    server: Server<G>,
    stores: Stores,
    listener: TcpListener,
    http: Option<TcpListener>,
) -> anyhow::Result<()> {
    let mut server = server.with_store(stores.store);
    if let Some(node) = stores.node {
        server = server.with_cluster(node);
    }
    if let Some(http) = http {
        server = server.with_http(http);
    }
    server
        .run(listener, referee_server::shutdown::signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

fn open_store(args: &ServeArgs) -> anyhow::Result<Box<dyn Store>> {
    if args.no_db {
        tracing::info!("no database: results are kept in memory only");
        return Ok(Box::new(MemoryStore::default()));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    if is_postgres_url(&args.db) {
        // The error names the URL without its password (`referee_store::redact`).
        let store = PgStore::connect(&args.db)?;
        tracing::info!(db = %store.url(), "results are saved in PostgreSQL");
        return Ok(Box::new(store));
    }
    let store = SqliteStore::open(PathBuf::from(&args.db), now)?;
    tracing::info!(db = %args.db, run = store.run(), "results are saved");
    Ok(Box::new(store))
}

/// `--db postgres://…` or `postgresql://…` is PostgreSQL; anything else is a SQLite file.
fn is_postgres_url(db: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        db.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    })
}

/// Connections the OS may queue before `accept`: a burst of players (or a load test) larger
/// than the usual 128 would otherwise see refused connects and a retry pause.
const BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Many players means many sockets: ask the OS for as many file descriptors as allowed.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "file descriptor limit"),
        Err(err) => tracing::warn!(%err, "cannot raise the file descriptor limit"),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
