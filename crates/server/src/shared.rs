//! [`Shared`]: the server-wide things every connection needs, whatever its transport.
//!
//! The transports (`tcp`, `ws`, `http`) and what they build on (`link`, `session`) reach the
//! lobby, the parking, the records, the limits and the shutdown switches through this one
//! struct. It lives apart from `server.rs`, which makes it and wires the transports together,
//! so that the transports depend only downward: on this, never on the server that runs them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use referee_rules::Render;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ServerConfig;
use crate::admission::Admission;
use crate::attempts::Attempts;
use crate::board::BoardHandle;
use crate::cluster::ClusterNode;
use crate::connections::Connections;
use crate::ids::PlayerIds;
use crate::lobby::LobbyHandle;
use crate::metrics::Metrics;
use crate::parking::ParkingHandle;
use crate::records::{RecorderHandle, StoreStatus};
use crate::shard::{Placement, Shards};

/// What every connection task shares.
pub(crate) struct Shared<G: Render> {
    pub(crate) config: ServerConfig,
    pub(crate) lobby: LobbyHandle<G>,
    pub(crate) recorder: Option<RecorderHandle>,
    /// Reads of the records (leaderboard, tallies), apart from the recorder.
    pub(crate) board: Option<BoardHandle>,
    /// What the recorder reports: commits made, the last failure (`/healthz`).
    pub(crate) store_status: Option<Arc<StoreStatus>>,
    pub(crate) players: PlayerIds,
    /// Seats of dropped WebSocket players, and the tokens that bring them back.
    pub(crate) parking: ParkingHandle<G>,
    pub(crate) metrics: Arc<Metrics>,
    /// The gate every new connection passes: the connection slots (`--max-connections`),
    /// shared by TCP, WebSocket and HTTP, and the share per address (`--max-per-ip`).
    pub(crate) admission: Admission,
    /// Numbers every connection, whatever its transport.
    pub(crate) connection_ids: AtomicU64,
    /// Cancelled when the server shuts down (the HTTP side listens to it).
    pub(crate) shutdown: CancellationToken,
    /// The open connections' switches: at shutdown each is thrown, and each says goodbye.
    pub(crate) connections: Connections,
    /// Cancelled when the shutdown grace is over: connections still running are dropped.
    pub(crate) hard_stop: CancellationToken,
    pub(crate) tasks: TaskTracker,
    /// Failed room lookups by client address (`attempts.rs`).
    pub(crate) attempts: Arc<Attempts>,
    /// This node of a cluster (`--cluster`); `None` for a server on its own.
    pub(crate) cluster: Option<Arc<ClusterNode>>,
    /// The shards connections are served on (none: where they are accepted).
    pub(crate) shards: Shards,
    /// Which shard the next connection goes to.
    pub(crate) placement: Placement,
}

impl<G: Render> Shared<G> {
    /// A number for a new connection, unique for the life of the server.
    pub(crate) fn next_connection(&self) -> u64 {
        self.connection_ids.fetch_add(1, Ordering::Relaxed)
    }
}
