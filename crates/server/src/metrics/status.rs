//! [`Status`]: what the status page shows and `/metrics` exports, as it stood at the last
//! look, and the collector that turns it into Prometheus families at each scrape.
//!
//! Apart from the live counters of `metrics/mod.rs`: these numbers are gathered when
//! someone looks (see `http/status.rs`), never on the game's path.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use serde::Serialize;

use crate::census::ActorTotals;

/// Everything the status page shows, as `/api/status` sends it.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Status {
    pub(crate) uptime_secs: u64,
    /// Worker threads of the async runtime (`--workers`).
    pub(crate) workers: usize,
    pub(crate) connections: Connections,
    pub(crate) rooms: usize,
    pub(crate) players: usize,
    pub(crate) spectators: usize,
    pub(crate) away: usize,
    pub(crate) rounds_won: u64,
    /// Rooms and seats taken, by game (`/games`' numbers).
    pub(crate) games: Vec<GameLine>,
    pub(crate) actors: Actors,
    pub(crate) ask_latency: AskLatency,
}

/// One hosted game's rooms and seats taken.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct GameLine {
    pub(crate) game: &'static str,
    pub(crate) rooms: usize,
    pub(crate) players: usize,
}

/// Connections open now.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Connections {
    pub(crate) tcp: u64,
    pub(crate) ws: u64,
}

/// Per kind of actor.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Actors {
    pub(crate) room: ActorLine,
    pub(crate) lobby: ActorLine,
    pub(crate) recorder: ActorLine,
    pub(crate) parking: ActorLine,
}

/// What the actors of one kind have done.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(crate) struct ActorLine {
    /// Messages handled.
    pub(crate) handled: u64,
    /// Messages waiting in their mailboxes now.
    pub(crate) mailbox: u64,
    /// Restarts after panics.
    pub(crate) restarts: u64,
}

impl From<ActorTotals> for ActorLine {
    fn from(totals: ActorTotals) -> Self {
        ActorLine {
            handled: totals.handled,
            mailbox: totals.queued,
            restarts: totals.restarts,
        }
    }
}

impl From<referee_actor::ActorStats> for ActorLine {
    fn from(stats: referee_actor::ActorStats) -> Self {
        ActorLine {
            handled: stats.handled,
            mailbox: stats.mailbox_len as u64,
            restarts: u64::from(stats.restarts),
        }
    }
}

/// Ask latencies since the start, in microseconds.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct AskLatency {
    pub(crate) count: u64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) max_us: u64,
}

/// Emits the gathered [`Status`] at each scrape.
#[derive(Debug)]
pub(super) struct StatusCollector(pub(super) Arc<Mutex<Status>>);

impl Collector for StatusCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let status = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let gauges: [(&str, &str, u64); 4] = [
            ("rooms", "Rooms open", status.rooms as u64),
            (
                "players",
                "Players seated (away ones included)",
                status.players as u64,
            ),
            (
                "spectators",
                "Spectators watching a room",
                status.spectators as u64,
            ),
            (
                "players_away",
                "Seated players whose connection dropped",
                status.away as u64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        per_game(
            &mut encoder,
            "game_rooms",
            "Rooms open, by game",
            &status.games,
            |line| line.rooms,
        )?;
        per_game(
            &mut encoder,
            "game_players",
            "Seats taken, by game",
            &status.games,
            |line| line.players,
        )?;
        let won = ConstCounter::new(status.rounds_won);
        let metric =
            encoder.encode_descriptor("rounds_won", "Rounds won", None, won.metric_type())?;
        won.encode(metric)?;
        let actors = [
            ("room", status.actors.room),
            ("lobby", status.actors.lobby),
            ("recorder", status.actors.recorder),
            ("parking", status.actors.parking),
        ];
        per_actor(
            &mut encoder,
            "messages_handled",
            "Messages handled, by actor kind",
            &actors,
            |line| line.handled,
            true,
        )?;
        per_actor(
            &mut encoder,
            "mailbox_depth",
            "Messages waiting in mailboxes, by actor kind",
            &actors,
            |line| line.mailbox,
            false,
        )?;
        per_actor(
            &mut encoder,
            "actor_restarts",
            "Restarts after a panic, by actor kind",
            &actors,
            |line| line.restarts,
            true,
        )?;
        Ok(())
    }
}

fn per_game(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    games: &[GameLine],
    value: impl Fn(&GameLine) -> usize,
) -> Result<(), std::fmt::Error> {
    let metric_type = ConstGauge::new(0_i64).metric_type();
    let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
    for line in games {
        let labels = [("game", line.game)];
        let metric = family.encode_family(&labels)?;
        ConstGauge::new(i64::try_from(value(line)).unwrap_or(i64::MAX)).encode(metric)?;
    }
    Ok(())
}

fn per_actor(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    actors: &[(&'static str, ActorLine)],
    value: impl Fn(&ActorLine) -> u64,
    counter: bool,
) -> Result<(), std::fmt::Error> {
    let metric_type = if counter {
        ConstCounter::new(0_u64).metric_type()
    } else {
        ConstGauge::new(0_i64).metric_type()
    };
    let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (kind, line) in actors {
        let labels = [("actor", *kind)];
        let metric = family.encode_family(&labels)?;
        let n = value(line);
        if counter {
            ConstCounter::new(n).encode(metric)?;
        } else {
            ConstGauge::new(i64::try_from(n).unwrap_or(i64::MAX)).encode(metric)?;
        }
    }
    Ok(())
}
