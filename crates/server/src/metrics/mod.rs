//! What the server counts for its host: connections by transport, rooms, players, what each
//! kind of actor has handled, mailbox depths, restarts, and how long asks take.
//!
//! Two kinds of numbers. Those that change on a hot path (connections opening and closing,
//! ask latencies) are recorded as they happen, lock-free or nearly. Those that belong to
//! actors (rooms, players, messages handled, mailbox depth) are *read* when someone looks:
//! [`Status::gather`] asks the lobby for its census and reads the actors' own counters, so
//! nothing on the game's path pays for them. The same [`Status`] feeds `/metrics`
//! (Prometheus text) and `/api/status` (JSON for the status page); it and its collector are
//! in `status.rs`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram as Hdr;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

pub(crate) use cluster::ClusterCounters;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

mod cluster;
pub(crate) mod cluster_view;
mod fresh;
mod per_thread;
pub(crate) mod series;
mod status;

pub(crate) use cluster_view::{ClusterView, NodeSeries, SeriesReply};
pub(crate) use fresh::{Fresh, Read};
use per_thread::AskRecords;
use series::{Reading, Sample, Sampler};
use status::StatusCollector;
pub(crate) use status::{AskLatency, Connections, GameLine, Status};

/// How long `/api/cluster`'s answer is served again before it is read anew.
pub(crate) const CLUSTER_VIEW_MAX_AGE: Duration = Duration::from_millis(1_000);

/// Which transport a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Ws,
}

impl Transport {
    fn label(self) -> [(&'static str, &'static str); 1] {
        match self {
            Transport::Tcp => [("transport", "tcp")],
            Transport::Ws => [("transport", "ws")],
        }
    }
}

/// Why a connection or request was turned away (`referee_refused_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Every connection slot was taken.
    Full,
    /// The client's address had its share of connections.
    PerAddress,
    /// Accepted into the reserve descriptor, the process being out of them.
    Descriptors,
    /// A WebSocket from a page of a foreign origin.
    Origin,
    /// Over the HTTP API's rate limit.
    RateLimited,
    /// An HTTP connection that did not send a request's headers in time.
    HeaderTimeout,
    /// A connection closed for sitting in no room past the lobby limit.
    Lobby,
}

impl Refused {
    fn label(self) -> Label {
        let reason = match self {
            Refused::Full => "full",
            Refused::PerAddress => "per_address",
            Refused::Descriptors => "descriptors",
            Refused::Origin => "origin",
            Refused::RateLimited => "rate_limited",
            Refused::HeaderTimeout => "header_timeout",
            Refused::Lobby => "lobby_timeout",
        };
        [("reason", reason)]
    }
}

impl From<crate::admission::Refusal> for Refused {
    fn from(refusal: crate::admission::Refusal) -> Self {
        match refusal {
            crate::admission::Refusal::Full => Refused::Full,
            crate::admission::Refusal::TooManyFromAddress => Refused::PerAddress,
        }
    }
}

/// Which actor a session asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AskTarget {
    Room,
    Lobby,
    /// The read side of the records (leaderboard, tallies).
    Board,
}

impl AskTarget {
    fn index(self) -> usize {
        match self {
            AskTarget::Room => 0,
            AskTarget::Lobby => 1,
            AskTarget::Board => 2,
        }
    }

    fn label(self) -> [(&'static str, &'static str); 1] {
        match self {
            AskTarget::Room => [("actor", "room")],
            AskTarget::Lobby => [("actor", "lobby")],
            AskTarget::Board => [("actor", "board")],
        }
    }
}

type Label = [(&'static str, &'static str); 1];

/// The remote room asks' histogram and "no responders" counter, registered.
fn register_remote(registry: &mut Registry) -> (Histogram, Counter) {
    // 50 µs to about 25 s: a NATS round trip is slower than a mailbox's.
    let asks = Histogram::new(exponential_buckets(0.000_05, 2.0, 20));
    registry.register(
        "remote_room_ask_seconds",
        "How long an ask to a room on another node took to be answered, across NATS",
        asks.clone(),
    );
    let no_responders = Counter::default();
    registry.register(
        "remote_room_no_responders",
        "Asks to a room on another node that nobody served (the room was gone)",
        no_responders.clone(),
    );
    (asks, no_responders)
}

/// The server's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    connections: Family<Label, Gauge>,
    connections_opened: Family<Label, Counter>,
    /// `ask_seconds` (by [`AskTarget`]), the asks' percentiles and `moves`, written by each
    /// thread in a cell of its own (`per_thread.rs`): every move writes them.
    asks: Arc<AskRecords>,
    /// Asks to rooms on other nodes (`room/link.rs`), across NATS.
    remote_asks: Histogram,
    /// Remote room asks NATS answered "no responders": the room was gone.
    remote_no_responders: Counter,
    /// The remote asks' latencies since the last sample, in microseconds, for the charts'
    /// p99 (emptied at each sample).
    remote_window: Mutex<Hdr<u64>>,
    /// The charts of the last minutes (`series.rs`), fed by `http/charts.rs`.
    sampler: Mutex<Sampler>,
    /// `/api/cluster`'s last answer, served again for [`CLUSTER_VIEW_MAX_AGE`].
    pub(crate) cluster_view: Fresh<ClusterView>,
    /// What the last look found (see [`Status::gather`]), read by the collector.
    latest: Arc<Mutex<Status>>,
    started: Instant,
    /// The storage side: board reads and the store's health.
    pub(crate) storage: StorageMetrics,
    /// Connections and requests turned away at admission, by reason.
    refused: Family<Label, Counter>,
    /// Refusals of the private-room and held-seat guards.
    pub(crate) guards: GuardCounters,
    /// Failovers, lost leases and NATS cut-offs of a cluster node.
    pub(crate) cluster: ClusterCounters,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("referee");
        let connections = Family::<Label, Gauge>::default();
        registry.register(
            "connections",
            "Connections open now, by transport",
            connections.clone(),
        );
        let connections_opened = Family::<Label, Counter>::default();
        registry.register(
            "connections_opened",
            "Connections accepted since the start, by transport",
            connections_opened.clone(),
        );
        let asks = Arc::new(AskRecords::default());
        registry.register_collector(Box::new(per_thread::Collected(asks.clone())));
        let (remote_asks, remote_no_responders) = register_remote(&mut registry);
        let refused = Family::<Label, Counter>::default();
        registry.register(
            "refused",
            "Connections and requests turned away at admission, by reason",
            refused.clone(),
        );
        let guards = GuardCounters::register(&mut registry);
        let cluster = ClusterCounters::register(&mut registry);
        let latest = Arc::new(Mutex::new(Status::default()));
        registry.register_collector(Box::new(StatusCollector(latest.clone())));
        let storage = StorageMetrics::default();
        storage.register(&mut registry);
        Metrics {
            registry,
            connections,
            connections_opened,
            asks,
            remote_asks,
            remote_no_responders,
            remote_window: Mutex::new(latencies()),
            sampler: Mutex::new(Sampler::default()),
            cluster_view: Fresh::new(CLUSTER_VIEW_MAX_AGE),
            latest,
            started: Instant::now(),
            storage,
            refused,
            guards,
            cluster,
        }
    }

    /// Counts one connection or request turned away.
    pub(crate) fn refused(&self, reason: Refused) {
        self.refused.get_or_create(&reason.label()).inc();
    }

    /// Counts a connection as open until the guard is dropped.
    pub(crate) fn connection(self: &Arc<Self>, transport: Transport) -> OpenConnection {
        self.connections.get_or_create(&transport.label()).inc();
        self.connections_opened
            .get_or_create(&transport.label())
            .inc();
        OpenConnection {
            metrics: self.clone(),
            transport,
        }
    }

    /// Player connections open now, every transport.
    pub(crate) fn connections_open(&self) -> u64 {
        [Transport::Tcp, Transport::Ws]
            .into_iter()
            .map(|transport| self.connections.get_or_create(&transport.label()).get())
            .map(|open| u64::try_from(open).unwrap_or(0))
            .sum()
    }

    /// Records one ask's latency.
    pub(crate) fn observe_ask(&self, target: AskTarget, took: Duration) {
        self.asks.ask(target, took);
    }

    /// Records one ask to a room on another node; `no_responders`: nobody served it.
    pub(crate) fn observe_remote_ask(&self, took: Duration, no_responders: bool) {
        self.remote_asks.observe(took.as_secs_f64());
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.remote_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(micros.max(1));
        if no_responders {
            self.remote_no_responders.inc();
        }
    }

    /// Counts one move sent to a room.
    pub(crate) fn moved(&self) {
        self.asks.moved();
    }

    /// Takes a sample of the charts: `reading` without its move count and remote ask p99,
    /// which this struct keeps (the p99 of the asks since the sample before).
    pub(crate) fn sample(&self, mut reading: Reading) {
        reading.moves = self.asks.moves();
        let mut window = self
            .remote_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        reading.remote_ask_p99_us = (!window.is_empty()).then(|| window.value_at_quantile(0.99));
        window.reset();
        drop(window);
        self.sampler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(reading);
    }

    /// The charts' samples, oldest first.
    pub(crate) fn samples(&self) -> Vec<Sample> {
        self.sampler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .samples()
    }

    /// Remote room asks that found nobody serving the room.
    #[cfg(test)]
    pub(crate) fn remote_no_responders(&self) -> u64 {
        self.remote_no_responders.get()
    }

    fn open(&self, transport: Transport) -> u64 {
        u64::try_from(self.connections.get_or_create(&transport.label()).get()).unwrap_or(0)
    }

    /// Completes `status` with what this struct records itself, and keeps it for the next
    /// Prometheus scrape.
    pub(crate) fn complete(&self, status: &mut Status) {
        status.uptime_secs = self.started.elapsed().as_secs();
        status.workers = tokio::runtime::Handle::try_current()
            .map_or(0, |runtime| runtime.metrics().num_workers());
        status.connections = Connections {
            tcp: self.open(Transport::Tcp),
            ws: self.open(Transport::Ws),
        };
        let hdr = self.asks.percentiles();
        status.ask_latency = AskLatency {
            count: hdr.len(),
            p50_us: hdr.value_at_quantile(0.5),
            p99_us: hdr.value_at_quantile(0.99),
            max_us: hdr.max(),
        };
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = status.clone();
    }

    /// The metrics in Prometheus text format, as of the last [`Metrics::complete`].
    pub(crate) fn prometheus(&self) -> String {
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%err, "cannot encode the metrics");
        }
        text
    }
}

/// A latency histogram in microseconds, 1 µs to a minute.
fn latencies() -> Hdr<u64> {
    // Constant, valid bounds: this cannot fail.
    Hdr::new_with_bounds(1, 60_000_000, 2)
        .unwrap_or_else(|err| panic!("hdrhistogram refused constant bounds: {err}"))
}

/// The storage side's counters: leaderboard reads served from the board's cache or from
/// the store, reads dropped because their asker had gone, and whether the last commit
/// worked. Clones share the counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct StorageMetrics {
    reads: Family<Label, Counter>,
    /// Reads that waited past their asker's deadline and were not made.
    pub(crate) reads_dropped: Counter,
    /// 1 while the store works, 0 after a failed commit.
    pub(crate) healthy: Gauge,
}

impl StorageMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "leaderboard_reads",
            "Leaderboard reads, by source: the board's cache or the store",
            self.reads.clone(),
        );
        registry.register(
            "board_reads_dropped",
            "Reads dropped unread because their asker had given up waiting",
            self.reads_dropped.clone(),
        );
        registry.register(
            "storage_healthy",
            "1 while commits work, 0 after one failed (a disk error, a deleted database)",
            self.healthy.clone(),
        );
    }

    /// Counts a leaderboard read served from `source` ("cache" or "store").
    pub(crate) fn read_from(&self, source: &'static str) {
        self.reads.get_or_create(&[("source", source)]).inc();
    }
}

/// What the guards of private rooms and held seats refuse (issue #14), counted.
#[derive(Debug, Clone, Default)]
pub(crate) struct GuardCounters {
    /// Room lookups refused unmade, by who ran out of failures (`client`, `ip`).
    lookups_refused: Family<Label, Counter>,
    /// Held seats given up before their window closed, by which cap (`total`, `ip`).
    parked_released: Family<Label, Counter>,
}

impl GuardCounters {
    fn register(registry: &mut Registry) -> Self {
        let guards = GuardCounters::default();
        registry.register(
            "room_lookups_refused",
            "Join or watch requests refused unmade after too many that named no room, by scope",
            guards.lookups_refused.clone(),
        );
        registry.register(
            "parked_seats_released",
            "Seats of dropped players given up early because a cap was reached, by cap",
            guards.parked_released.clone(),
        );
        guards
    }

    /// A lookup refused: `scope` ran out of failures.
    pub(crate) fn lookup_refused(&self, scope: &'static str) {
        self.lookups_refused
            .get_or_create(&[("scope", scope)])
            .inc();
    }

    /// A held seat given up early because of the `cap`.
    pub(crate) fn parked_released(&self, cap: &'static str) {
        self.parked_released.get_or_create(&[("cap", cap)]).inc();
    }
}

/// An open connection, counted until dropped.
pub(crate) struct OpenConnection {
    metrics: Arc<Metrics>,
    transport: Transport,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.metrics
            .connections
            .get_or_create(&self.transport.label())
            .dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_holds_every_family() {
        let metrics = Arc::new(Metrics::new());
        let open = metrics.connection(Transport::Ws);
        metrics.observe_ask(AskTarget::Room, Duration::from_micros(150));
        let mut status = Status {
            rooms: 2,
            players: 5,
            ..Status::default()
        };
        status.actors.room.handled = 40;
        metrics.complete(&mut status);
        let text = metrics.prometheus();
        for expected in [
            "referee_connections{transport=\"ws\"} 1",
            "referee_rooms 2",
            "referee_players 5",
            "referee_messages_handled_total{actor=\"room\"} 40",
            "referee_mailbox_depth{actor=\"lobby\"} 0",
            "referee_actor_restarts_total{actor=\"room\"} 0",
            "referee_ask_seconds_count{actor=\"room\"} 1",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
        assert_eq!(status.connections.ws, 1);
        assert_eq!(status.ask_latency.count, 1);
        drop(open);
        metrics.complete(&mut status);
        assert_eq!(status.connections.ws, 0);
    }

    #[test]
    fn a_sample_counts_the_moves_and_the_remote_p99_of_its_period_only() {
        let metrics = Metrics::new();
        let at = |secs| Reading {
            at: Duration::from_secs(secs),
            ..Reading::default()
        };
        metrics.sample(at(0));
        for _ in 0..8 {
            metrics.moved();
        }
        metrics.observe_remote_ask(Duration::from_micros(900), false);
        metrics.sample(at(2));
        metrics.sample(at(4));
        let samples = metrics.samples();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].moves_per_s, 4.0);
        let p99 = samples[0].remote_ask_p99_us.unwrap_or(0);
        assert!((890..=910).contains(&p99), "{p99}");
        assert_eq!(samples[1].moves_per_s, 0.0);
        assert_eq!(samples[1].remote_ask_p99_us, None, "the window was emptied");
        assert!(metrics.prometheus().contains("referee_moves_total 8"));
    }
}
