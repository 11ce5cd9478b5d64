//! One phase of a run: connect N bots in batches, then let them all play for the measured
//! window, drain, and read the counters into a [`RunReport`].
//!
//! The window starts only once every connection attempt has ended, so the numbers are those
//! of N concurrent players, not of a ramp (and connecting is not slowed down by bots already
//! playing on the same runtime). Everything is bounded: N connection attempts in batches of
//! `--batch`, each within `--connect-timeout` (or spread over `--ramp-up`); bots stop sending
//! at the end of the window and are aborted after the drain.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::bot::Brain;
use crate::dice::play::Ending;
pub(crate) use crate::dice::play::Recorder;
use crate::dice::{self, DiceBrain};
use crate::driver::{self, Context};
use crate::progress::Progress;
use crate::report::{Mode, RunReport};
use crate::rooms::Placement;
use crate::stats::Stats;
use crate::usage::{Sample, ServerUsage};
use crate::{GameKind, LoadArgs, LoadError, Transport, colyseus, tcp, ws};

/// A bot's connection, ready to play (a WebSocket is boxed: it is much larger).
enum Conn {
    Tcp(tcp::Lines),
    /// A dice bot, already asking for its seat.
    Dice(tcp::Lines),
    Ws(Box<ws::Json>),
    Colyseus(Box<colyseus::Colyseus>),
}

/// What one phase does, resolved from the [`LoadArgs`].
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) mode: Mode,
    pub(crate) transport: Transport,
    pub(crate) addr: SocketAddr,
    /// Every node the bots connect to (`--nodes`), bot i to node i mod N; else `addr` alone.
    pub(crate) nodes: Vec<SocketAddr>,
    /// With `--remote-rooms`: the rooms are formed on purpose, on another node than their
    /// players (server phase only).
    pub(crate) placement: Option<Placement>,
    pub(crate) clients: usize,
    pub(crate) duration: Duration,
    pub(crate) ramp_up: Option<Duration>,
    pub(crate) batch: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) drain: Duration,
    pub(crate) think: Duration,
    pub(crate) quiet: bool,
    /// WebSocket bots follow the room's live feed.
    pub(crate) feed: bool,
    /// The game the bots play against the server (echo bots play none).
    pub(crate) game: GameKind,
    /// Dice bots seed their random generators with this plus their number.
    pub(crate) seed: u64,
    /// Where dice bots leave their transcripts, when the run records them.
    pub(crate) recorder: Option<Recorder>,
    /// The process whose usage over the window is sampled: the server in the server phase,
    /// the echo (when it is a process of its own) in the echo phase.
    pub(crate) server_pid: Option<u32>,
}

impl Plan {
    /// The plan for `args` against `addr` in `mode`.
    pub(crate) fn new(args: &LoadArgs, mode: Mode, addr: SocketAddr) -> Self {
        Self {
            mode,
            transport: args.transport,
            addr,
            nodes: vec![addr],
            placement: None,
            clients: to_usize(args.clients),
            duration: args.duration,
            ramp_up: args.ramp_up,
            batch: to_usize(args.batch).max(1),
            connect_timeout: args.connect_timeout,
            drain: args.drain,
            think: args.think,
            quiet: args.quiet,
            feed: !args.no_feed,
            game: args.game,
            seed: args.seed,
            recorder: None,
            server_pid: match mode {
                Mode::Server => args.server_pid,
                Mode::Echo => args.echo_pid,
            },
        }
    }

    /// The same plan, dice bots keeping their transcripts in `recorder`.
    pub(crate) fn recording(self, recorder: Recorder) -> Self {
        Self {
            recorder: Some(recorder),
            ..self
        }
    }

    /// The same plan over several nodes (`nodes`, never empty), its rooms placed across them
    /// when `remote_rooms`.
    pub(crate) fn over(
        self,
        nodes: Vec<SocketAddr>,
        remote_rooms: bool,
        room_players: u32,
    ) -> Self {
        let placement = remote_rooms.then(|| Placement {
            nodes: nodes.clone(),
            room_players: to_usize(room_players).max(1),
        });
        Self {
            addr: nodes.first().copied().unwrap_or(self.addr),
            nodes,
            placement,
            ..self
        }
    }

    /// Runs the phase to its end and reports it.
    pub(crate) async fn run(&self) -> Result<RunReport, LoadError> {
        let stats = Arc::new(Stats::new(Stats::shards_for(self.clients))?);
        let progress = Progress::start(self.mode, Arc::clone(&stats), self.clients, self.quiet);
        let connecting = Instant::now();
        let (streams, rooms) = match &self.placement {
            Some(placement) => self.seat_all(placement, &stats).await,
            None => (self.connect_all(&stats).await, 0),
        };
        let connect_time = connecting.elapsed();
        let start = Instant::now();
        progress.window_started(start, self.duration);
        let mut bots = self.spawn_bots(streams, &stats, start + self.duration, self.drain);
        let (usage, bots_usage) = self.sample_window(&stats, start).await;
        // Bots stop by themselves at the deadline; those still waiting after the drain are
        // aborted, which loses nothing: they count into shared stats as they go.
        let _ = timeout_at(start + self.duration + self.drain, join_all(&mut bots)).await;
        bots.shutdown().await;
        progress.finish();
        let mut report = self.report(&stats, connect_time);
        report.server_usage = usage;
        report.bots_usage = bots_usage;
        report.remote_rooms = self.placement.as_ref().map(|p| p.figures(rooms));
        Ok(report)
    }

    /// Samples the server (with `--server-pid`) and this process from the window's start
    /// (now) to its end (waited for here: the bots play in their own tasks meanwhile).
    async fn sample_window(
        &self,
        stats: &Stats,
        start: Instant,
    ) -> (Option<ServerUsage>, Option<ServerUsage>) {
        let bots = std::process::id();
        let sample = || (self.server_pid.and_then(Sample::take), Sample::take(bots));
        let (first, guesses) = (sample(), Stats::get(&stats.guesses));
        sleep_until(start + self.duration).await;
        let (last, wall) = (sample(), start.elapsed());
        let window_guesses = Stats::get(&stats.guesses).saturating_sub(guesses);
        let usage = |pid, first: Option<Sample>, last: Option<Sample>| {
            Some(first?.usage(pid, last?, window_guesses, wall))
        };
        let server = self.server_pid.and_then(|pid| usage(pid, first.0, last.0));
        (server, usage(bots, first.1, last.1))
    }

    fn report(&self, stats: &Stats, connect_time: Duration) -> RunReport {
        let clients = u64::try_from(self.clients).unwrap_or(u64::MAX);
        let addrs: Vec<String> = self.nodes.iter().map(ToString::to_string).collect();
        let addr = addrs.join(",");
        let times = (connect_time, self.duration);
        RunReport::from_stats(
            (self.mode, self.transport, self.game),
            addr,
            clients,
            times,
            stats,
        )
    }

    /// Forms the placed rooms: every seated player's connection, and the rooms formed.
    async fn seat_all(&self, placement: &Placement, stats: &Stats) -> (Vec<(usize, Conn)>, usize) {
        let steps = (self.batch, self.ramp_up, self.connect_timeout);
        let (seated, rooms) = placement.seat_all(self.clients, steps, stats).await;
        let conns = seated.into_iter().map(|(id, lines)| (id, Conn::Tcp(lines)));
        (conns.collect(), rooms)
    }

    /// Connects all bots, batch after batch, spreading the batches over `--ramp-up`.
    async fn connect_all(&self, stats: &Stats) -> Vec<(usize, Conn)> {
        let mut streams = Vec::with_capacity(self.clients);
        let batches = self.clients.div_ceil(self.batch);
        let start = Instant::now();
        for batch in 0..batches {
            if let Some(ramp_up) = self.ramp_up {
                sleep_until(start + ramp_up.mul_f64(batch as f64 / batches as f64)).await;
            }
            let first = batch * self.batch;
            let ids = first..self.clients.min(first + self.batch);
            self.connect_batch(ids, stats, &mut streams).await;
        }
        streams
    }

    /// Attempts the connections of one batch at once, each within the connect timeout.
    async fn connect_batch(
        &self,
        ids: Range<usize>,
        stats: &Stats,
        streams: &mut Vec<(usize, Conn)>,
    ) {
        let mut pending = JoinSet::new();
        for id in ids {
            pending.spawn(self.connect(id));
        }
        while let Some(joined) = pending.join_next().await {
            match joined {
                Ok((id, Ok(conn))) => {
                    Stats::bump(&stats.connected);
                    streams.push((id, conn));
                }
                Ok((_, Err(error))) => stats.connect_failed(&error),
                Err(error) => tracing::warn!(%error, "connection task failed"),
            }
        }
    }

    /// One connection attempt, within the connect timeout: a TCP connection, or a WebSocket
    /// handshake and (for the game) the request for a seat.
    fn connect(&self, id: usize) -> impl Future<Output = (usize, std::io::Result<Conn>)> + use<> {
        let addr = self.nodes.get(id % self.nodes.len().max(1)).copied();
        let (addr, limit, transport) = (
            addr.unwrap_or(self.addr),
            self.connect_timeout,
            self.transport,
        );
        let (echo, join) = (self.mode == Mode::Echo, self.mode == Mode::Server);
        let feed = self.feed;
        let seat = join.then_some(ws::Seat { feed });
        let dice = join && self.game == GameKind::Dice;
        async move {
            let conn = match transport {
                Transport::Tcp if dice => connect_dice(addr, limit).await,
                Transport::Tcp => tcp::connect(addr, limit)
                    .await
                    .map(|stream| Conn::Tcp(tcp::Lines::new(stream, echo))),
                // Echo phases of a Colyseus run load the WebSocket echo.
                Transport::Ws | Transport::Colyseus if echo => ws::connect(addr, limit, None)
                    .await
                    .map(|wire| Conn::Ws(Box::new(wire))),
                Transport::Ws => ws::connect(addr, limit, seat)
                    .await
                    .map(|wire| Conn::Ws(Box::new(wire))),
                Transport::Colyseus => colyseus::connect(addr, limit, ws::Seat { feed })
                    .await
                    .map(|wire| Conn::Colyseus(Box::new(wire))),
            };
            (id, conn)
        }
    }

    /// Starts every connected bot at once: the measured window begins now.
    fn spawn_bots(
        &self,
        streams: Vec<(usize, Conn)>,
        stats: &Arc<Stats>,
        deadline: Instant,
        drain: Duration,
    ) -> JoinSet<()> {
        let mut bots = JoinSet::new();
        for (id, conn) in streams {
            let ctx = Context {
                stats: Arc::clone(stats),
                id,
                deadline,
                think: driver::pace(self.think, id),
            };
            match conn {
                Conn::Tcp(wire) => bots.spawn(driver::play(wire, self.brain(), ctx)),
                Conn::Ws(wire) => bots.spawn(driver::play(*wire, self.brain(), ctx)),
                Conn::Colyseus(wire) => bots.spawn(driver::play(*wire, self.brain(), ctx)),
                Conn::Dice(lines) => {
                    let brain = DiceBrain::new(self.seed.wrapping_add(id as u64));
                    let ending = Ending {
                        hard_end: deadline + drain / 2,
                        release: deadline + drain,
                        recorder: self.recorder.clone(),
                    };
                    bots.spawn(dice::play::play(lines, brain, ctx, ending))
                }
            };
        }
        bots
    }

    fn brain(&self) -> Brain {
        match self.mode {
            Mode::Server => Brain::new(),
            Mode::Echo => Brain::echo(),
        }
    }
}

/// A dice bot's connection: TCP, then `/play dice`, within `limit` altogether.
async fn connect_dice(addr: SocketAddr, limit: Duration) -> std::io::Result<Conn> {
    let connecting = async {
        let stream = tcp::connect(addr, limit).await?;
        let mut lines = tcp::Lines::new(stream, false);
        dice::play::sit(&mut lines).await?;
        Ok(Conn::Dice(lines))
    };
    tokio::time::timeout(limit, connecting)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
}

/// Waits for every bot to stop by itself.
async fn join_all(bots: &mut JoinSet<()>) {
    while let Some(joined) = bots.join_next().await {
        if let Err(error) = joined {
            tracing::warn!(%error, "bot task failed");
        }
    }
}

fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
