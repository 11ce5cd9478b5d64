//! [`ClusterView`]: what `GET /api/cluster` answers and the status page draws — this node,
//! the cluster as the shared database and NATS see it, and every node's charts of the last
//! minutes — and [`SeriesReply`], how one node sends its charts to another over NATS.
//!
//! Plain data: it is gathered in `http/cluster.rs` and kept in [`Metrics`](super::Metrics)
//! for a moment (`fresh.rs`), as [`Status`](super::Status) is.

use std::collections::BTreeMap;

use referee_store::{ClaimRecord, NodeRecord};
use serde::{Deserialize, Serialize};

use super::series::Sample;

/// The format of [`SeriesReply`] this build reads and writes.
pub(crate) const SERIES_VERSION: u32 = 1;

/// `GET /api/cluster`'s answer.
#[derive(Debug, Serialize)]
pub(crate) struct ClusterView {
    /// This node.
    pub(crate) node: String,
    pub(crate) index: u32,
    pub(crate) lease_ms: u128,
    /// NATS round trip (a PING answered), in microseconds; `null` with `nats_error`.
    pub(crate) nats_rtt_us: Option<u128>,
    pub(crate) nats_error: Option<String>,
    /// This node's rooms and seated players now.
    pub(crate) rooms: usize,
    pub(crate) players: usize,
    /// The leases this node's keeper holds.
    pub(crate) leases: Vec<LeaseView>,
    /// Every registered node, by index.
    pub(crate) nodes: Vec<NodeRecord>,
    /// Every room's latest claim, by the node that made it.
    pub(crate) claims: BTreeMap<String, Vec<ClaimRecord>>,
    /// The other nodes as this one hears them now (their announcements, at most 2 s old):
    /// where players reach them, their connections and rooms. Counts only: a private room's
    /// code never leaves the cluster.
    pub(crate) peers: Vec<PeerView>,
    /// Every node's charts of the last minutes, this node first: its own, and each other
    /// live node's as it answered (or why it did not).
    pub(crate) series: Vec<NodeSeries>,
}

/// Another node, as its announcements describe it.
#[derive(Debug, Serialize)]
pub(crate) struct PeerView {
    pub(crate) node: String,
    pub(crate) index: u32,
    pub(crate) tcp: Option<String>,
    pub(crate) http: Option<String>,
    pub(crate) connections: u64,
    pub(crate) rooms: usize,
}

/// A lease this node holds.
#[derive(Debug, Serialize)]
pub(crate) struct LeaseView {
    pub(crate) room: String,
    pub(crate) epoch: u64,
    pub(crate) renewals: u64,
    pub(crate) left_ms: u128,
}

/// One node's charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct NodeSeries {
    pub(crate) node: String,
    /// Why there are no samples: the node did not answer in time, nobody serves its
    /// subject, its answer did not read. `null` when it answered.
    pub(crate) error: Option<String>,
    /// How far apart its samples are, in milliseconds.
    pub(crate) every_ms: u64,
    /// Its samples, oldest first (at most ten minutes of them).
    pub(crate) samples: Vec<Sample>,
}

impl NodeSeries {
    /// A node that could not give its charts.
    pub(crate) fn unanswered(node: String, error: String) -> Self {
        NodeSeries {
            node,
            error: Some(error),
            every_ms: 0,
            samples: Vec::new(),
        }
    }
}

/// A node's answer to a request for its charts (NATS, `<prefix>.series.<node>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SeriesReply {
    /// The format (this is [`SERIES_VERSION`]); an answer of another is not read.
    pub(crate) v: u32,
    pub(crate) node: String,
    pub(crate) every_ms: u64,
    pub(crate) samples: Vec<Sample>,
}
