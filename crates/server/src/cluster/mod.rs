//! This server as one node of a cluster (`referee serve --cluster nats://… --node NAME`).
//!
//! A cluster is several Referee processes sharing one PostgreSQL (everything that must
//! survive, and who hosts which room) and one NATS (every message between nodes). The
//! design is `docs/CLUSTER.md`; the pieces that are not specific to this server live in
//! `referee-remote` (ask/tell across nodes) and `referee-cluster` (leases on rooms).
//! Without `--cluster` none of this runs and no NATS is needed.

pub(crate) mod adopt;
pub(crate) mod gossip;
mod known;
pub(crate) mod saver;
pub(crate) mod seats;
pub(crate) mod view;

pub(crate) use known::KnownNodes;

/// What a node needs to reach the others: its NATS connection and its place in the cluster.
#[derive(Debug)]
#[allow(dead_code)] // read by the cluster steps built on it (issue 18)
pub(crate) struct ClusterNode {
    /// The node's connection to NATS.
    pub(crate) client: async_nats::Client,
    /// The node's name (`--node`), unique in the cluster: claims and subjects carry it.
    pub(crate) name: String,
    /// The node's number in the cluster (given by the database at start-up): it makes room
    /// and player numbers unique across nodes.
    pub(crate) index: u32,
    /// What it knows of the other nodes' rooms (the cluster-wide lobby's hints).
    pub(crate) view: KnownNodes,
}
