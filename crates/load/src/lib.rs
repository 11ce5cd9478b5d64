#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
//! `referee load`: a load generator that plays Referee the way people do, only faster.
//!
//! It connects N bot players to a Referee server and has each play *guess the number* by
//! binary search through a real protocol (`docs/protocol.md`): read the `Round` line, send
//! the middle, narrow on `Higher!` / `Lower!`, with at most one guess in flight per bot.
//! `--transport tcp` (the default) speaks the line protocol over TCP, like netcat players;
//! `--transport ws` speaks the JSON protocol over WebSocket (`ws://ADDR/ws`), like browser
//! players: it asks for a seat (`play`), sends each guess with an `id` and takes the message
//! carrying that id back as `re` for its answer. `--transport colyseus` plays the same game
//! on the Colyseus 0.18 server of `benches/colyseus` through Colyseus's own protocol
//! ([`colyseus`]), to compare the two servers; `--server-pid` then samples the loaded
//! process's CPU time per guess over the window. Bots connect first, in batches; then all
//! of them play for `--duration` (plus a short drain for the guesses still in flight), and
//! the tool reports players connected, guesses answered per second, rounds won, late
//! guesses, errors and guess latency percentiles from HDR histograms, and which transport
//! it used.
//!
//! `--game dice` plays Liar's Dice instead ([`dice`]): each bot asks for a seat with `/play
//! dice` while connecting, then bids or calls liar on its turn from its own dice, the dice on
//! the table and the bid (a simple strategy, with random elements from a generator seeded per
//! bot by `--seed`). The report then counts actions (bids and calls answered: the
//! throughput the ratio compares), hands, matches won, refused moves (none for a correct
//! bot) and the moves the referee made for a bot whose clock ran out; the latency is the
//! action's round trip. Dice bots stop moving at the end of the window but stay seated until
//! the end of the drain. Dice bots speak the line protocol only. [`run_recorded`] also returns
//! what each dice bot wrote and read, for the fairness checker (`referee-fairness`). At a
//! table one player acts at a time, so a dice run offers the server far fewer requests at
//! once than a guess run with as many bots: compare its ratio with dice runs.
//!
//! # Several nodes
//!
//! `--nodes A,B,C` spreads the bots over the nodes of a cluster (bot i on node i mod N).
//! `--remote-rooms` forms the rooms on purpose ([`RemoteRooms`]): each opened on one node by
//! a short-lived opener, its `--room-players` bots seated from the next node by the room's
//! code, so that every guess crosses NATS; with one node the same rooms form on it, the
//! baseline that `scripts/cluster-compare.sh` sets against three nodes.
//!
//! # The echo ceiling
//!
//! Absolute numbers from a shared two-core machine say little: the same build may do 40k
//! guesses/s today and 25k tomorrow because a neighbour was busy. So the tool carries its own
//! yardstick. `--echo` starts a minimal echo server in-process ([`echo::EchoServer`]) and
//! runs the same bots against it, each sending a guess and timing its answer: a line echoed
//! back over TCP, or over WebSocket a JSON `hint` carrying the guess's id, the least a JSON
//! server can answer that keeps the bots playing. That is the most any server speaking that
//! protocol can do on this machine, at this moment, for this many connections: the
//! **ceiling**. `--compare-echo` measures the ceiling first and then the
//! server with the same clients and duration, and reports the ratios
//! (`throughput_ratio` = server guesses/s ÷ echo guesses/s, `p99_ratio`). Noise moves both
//! phases alike, so the ratio is what to track across machines and commits.
//!
//! # Safety rails
//!
//! * Only loopback targets (127.0.0.0/8, `::1`, `localhost`) unless `--allow-remote`:
//!   otherwise [`LoadError::NotLoopback`], before any connection is attempted.
//! * Every loop is bounded: N connection attempts in batches (`--batch`), each within
//!   `--connect-timeout`; the measured window ends after `--duration`, bots then send nothing
//!   more, and those still waiting after `--drain` are dropped.
//! * Bots never panic on any input (the [`Brain`] is fuzzed), and a failing bot is counted,
//!   never fatal to the run.
//! * Ten thousand bots are cheap: a bot is a small [`Brain`], a 512-byte read buffer (4 KiB
//!   over WebSocket) and a task; counters are shared atomics and latencies go to a few
//!   sharded histograms.
//!
//! # How it fits
//!
//! [`bot`] decides (pure, no I/O, reusable by the server's tests to drive players), with a
//! small pure layer per wire format ([`bot::line`], [`bot::json`]); `driver` plays one bot
//! over any transport, `tcp`, `ws` and [`colyseus`] being the transports; `phase` connects the bots (`rooms`
//! forms placed rooms) and runs one measured window; [`run`] chooses the phases from the [`LoadArgs`]; [`Report`]
//! prints.
//!
//! # Example
//!
//! The `referee` binary's `load` subcommand flattens [`LoadArgs`] and does just this:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use referee_load::{LoadArgs, run};
//!
//! let args = LoadArgs::try_parse_from(["load", "--echo", "--clients", "4", "--duration", "200ms"])?;
//! let report = run(args).await?;
//! println!("{report}");
//! assert_eq!(report.main().connected, 4);
//! println!("{}", report.to_json()); // {"mode":"echo","transport":"tcp","addr":"127.0.0.1:...",...}
//! # Ok(())
//! # }
//! ```

mod args;
pub mod bot;
pub mod colyseus;
pub mod dice;
mod driver;
pub mod echo;
mod error;
mod latency;
mod phase;
mod progress;
mod report;
mod rooms;
mod stats;
mod target;
mod tcp;
mod usage;
mod ws;

pub use args::{
    DEFAULT_COLYSEUS_ADDR, DEFAULT_HTTP_ADDR, DEFAULT_TCP_ADDR, GameKind, LoadArgs, Transport,
};
pub use bot::{Answer, Brain, Heard, Reaction};
pub use error::LoadError;
pub use latency::Latency;
pub use report::{Comparison, DiceFigures, Mode, Report, RunReport};
pub use rooms::RemoteRooms;
pub use usage::ServerUsage;

use phase::Plan;

/// File descriptors kept free beyond the bots' sockets (stdio, the listener, the runtime).
const SPARE_FDS: u64 = 64;

/// Runs the load described by `args` and reports what it measured.
///
/// With `--echo` one phase against the in-process echo server; with `--compare-echo` the echo
/// phase, then the server phase; otherwise the server phase alone. The echo server speaks the
/// `--transport` the bots do. Bots that fail to connect or lose their connection are counted
/// in the report, not returned as errors.
///
/// # Errors
///
/// [`LoadError::NotLoopback`] (before any connection) for a non-loopback `--addr` without
/// `--allow-remote`, [`LoadError::DiceOverWebSocket`] for `--game dice --transport ws`,
/// [`LoadError::BadAddress`] / [`LoadError::Resolve`] for an unusable
/// `--addr`, [`LoadError::EchoBind`] when the echo server cannot listen.
pub async fn run(args: LoadArgs) -> Result<Report, LoadError> {
    run_with(args, None).await
}

/// Runs the load described by `args`, as [`run`] does, and returns with the report what
/// every dice bot of the server phase wrote and read ([`dice::Transcript`]), for the
/// fairness checker. Keep such runs small: every line is kept. Guess bots keep nothing.
///
/// # Errors
///
/// As [`run`].
pub async fn run_recorded(args: LoadArgs) -> Result<(Report, Vec<dice::Transcript>), LoadError> {
    let recorder = phase::Recorder::default();
    let report = run_with(args, Some(std::sync::Arc::clone(&recorder))).await?;
    let transcripts = std::mem::take(
        &mut *recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    Ok((report, transcripts))
}

async fn run_with(args: LoadArgs, recorder: Option<phase::Recorder>) -> Result<Report, LoadError> {
    if args.game == GameKind::Dice && args.transport != Transport::Tcp && !args.echo {
        return Err(LoadError::DiceOverWebSocket);
    }
    let several = !args.nodes.is_empty() || args.remote_rooms;
    if several && (args.game != GameKind::Guess || args.transport != Transport::Tcp) {
        return Err(LoadError::NodesNeedGuessOverTcp);
    }
    let addr = target::resolve(args.target(), args.allow_remote).await?;
    let mut nodes = Vec::with_capacity(args.nodes.len());
    for node in &args.nodes {
        nodes.push(target::resolve(node, args.allow_remote).await?);
    }
    let echo = args.echo || args.compare_echo;
    raise_fd_limit(u64::from(args.clients) * if echo { 2 } else { 1 } + SPARE_FDS);
    if args.echo {
        return Ok(Report::Run(Box::new(echo_phase(&args).await?)));
    }
    let echo = match args.compare_echo {
        true => Some(echo_phase(&args).await?),
        false => None,
    };
    let plan = Plan::new(&args, Mode::Server, addr);
    let plan = match several {
        true if nodes.is_empty() => plan.over(vec![addr], args.remote_rooms, args.room_players),
        true => plan.over(nodes, args.remote_rooms, args.room_players),
        false => plan,
    };
    let plan = match recorder {
        Some(recorder) => plan.recording(recorder),
        None => plan,
    };
    let server = plan.run().await?;
    Ok(match echo {
        Some(echo) => Report::Compare(Box::new(Comparison::new(echo, server))),
        None => Report::Run(Box::new(server)),
    })
}

/// The bots against a fresh in-process echo server for their transport, stopped afterwards,
/// or against the one at `--echo-at`.
async fn echo_phase(args: &LoadArgs) -> Result<RunReport, LoadError> {
    if let Some(at) = &args.echo_at {
        let addr = target::resolve(at, args.allow_remote).await?;
        return Plan::new(args, Mode::Echo, addr).run().await;
    }
    let server = match args.transport {
        Transport::Tcp => echo::EchoServer::start().await?,
        Transport::Ws | Transport::Colyseus => echo::EchoServer::start_ws().await?,
    };
    Plan::new(args, Mode::Echo, server.addr()).run().await
}

/// Raises the soft open-file limit to the hard one; warns when that is still below `needed`
/// (the connections beyond it will fail and be counted).
fn raise_fd_limit(needed: u64) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < needed => {
            tracing::warn!(
                limit,
                needed,
                "open-file limit too low: some bots will fail"
            )
        }
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}
