//! What a cluster node counts of the cluster itself: rooms adopted from dead nodes, leases
//! lost, times it was cut off from NATS, the claims it holds, and the reads `/api/cluster`
//! made of the database and NATS. (Remote asks and no-responders are counted with the
//! other asks, in `mod.rs`.) On a server without `--cluster` they stay at zero.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The cluster's counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterCounters {
    /// Rooms of a node that died (or gave them up) taken in here.
    pub(crate) adopted: Counter,
    /// Leases this node gave up because it could not renew them in time, or another node
    /// took them: each closed its room.
    pub(crate) leases_lost: Counter,
    /// Times this node found itself cut off from NATS and gave its rooms up.
    pub(crate) cut_off: Counter,
    /// Claims (leases on rooms) this node holds, as of the last sample.
    pub(crate) claims_held: Gauge,
    /// Reads `/api/cluster` made of the database and of every node (its answers between
    /// two reads are the last read, served again).
    pub(crate) status_reads: Counter,
}

impl ClusterCounters {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let counters = ClusterCounters::default();
        registry.register(
            "cluster_rooms_adopted",
            "Rooms whose host was gone, claimed and restored from their snapshot on this node",
            counters.adopted.clone(),
        );
        registry.register(
            "cluster_leases_lost",
            "Leases on rooms this node lost (not renewed in time, or taken): each closed its room",
            counters.leases_lost.clone(),
        );
        registry.register(
            "cluster_cut_off",
            "Times this node was cut off from NATS and gave its rooms up",
            counters.cut_off.clone(),
        );
        registry.register(
            "cluster_claims_held",
            "Claims (leases on rooms) this node holds, as of the last sample (every 2 s)",
            counters.claims_held.clone(),
        );
        registry.register(
            "cluster_status_reads",
            "Reads of the database and the nodes made to answer /api/cluster",
            counters.status_reads.clone(),
        );
        counters
    }
}
