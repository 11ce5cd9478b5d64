//! Which nodes' players are gone: what a room needs to know to free the seats of a dead
//! node's players (docs/CLUSTER.md, "Failure modes").
//!
//! A room hosted here may seat players whose connection is on another node. When that node
//! dies, nothing tells the room: in a quiet room its pushes to them are few, and only a full
//! remote outbox (`room/wire/forward.rs`) used to find them gone — their seats stayed taken
//! and the others were never told. So each node, right after its own heartbeat, reads the
//! cluster's nodes as the database sees them — the same heartbeats and the same 5 s window
//! (`LIVE_WINDOW`) that `/api/cluster` shows, and each name's run count (raised at every
//! registration) — and tells its lobby, which tells its rooms ([`NodeRuns`], `NodesSeen`).
//! No membership protocol of its own: the rows the nodes already keep decide, and a node
//! still heard announcing itself on NATS (the lobby's gossip, which failover also counts the
//! live nodes by) is not taken for dead because only its database line is down.
//!
//! A member's seating names its node's run (`a_r3`, `ClusterNode::run`). That run is
//! **gone** when its name has registered again since (a restarted node: the old run's
//! connections died with it), or when it is still the name's latest run and the name is not
//! live (no heartbeat for 5 s, or a graceful leave). A read can only be late, never early: a
//! name it does not know, or a run newer than it knows, is not gone — a room told of an old
//! read never frees the seat of a player who joined from a node registered since.

use std::collections::HashMap;
use std::sync::Arc;

use referee_actor::WeakActorHandle;
use referee_rules::Render;
use referee_store::NodeRecord;

use super::{ClusterNode, LIVE_WINDOW};
use crate::lobby::{Lobby, NodesSeen};

/// A node run's name, as member subjects and seatings carry it: `name_r<run>`.
pub(crate) fn run_name(name: &str, run: u64) -> String {
    format!("{name}_r{run}")
}

/// The node name and run of a run's name ([`run_name`]); `None` if it is not one.
fn split_run(run: &str) -> Option<(&str, u64)> {
    let (name, number) = run.rsplit_once("_r")?;
    Some((name, number.parse().ok()?))
}

/// Every registered node's latest run and whether it is live, as one read found them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct NodeRuns {
    latest: HashMap<String, (u64, bool)>,
}

impl NodeRuns {
    /// The runs of `records` (a read of `cluster_nodes`); a node `heard` announcing itself
    /// on NATS (`gossip.rs`, within its 2 s) counts as live too: cut off from PostgreSQL
    /// alone, it still serves its players, who must not lose their seats elsewhere.
    pub(crate) fn of(records: &[NodeRecord], heard: &[String]) -> Self {
        let latest = records
            .iter()
            .map(|record| {
                let live = record.live || heard.contains(&record.name);
                (record.name.clone(), (record.run, live))
            })
            .collect();
        NodeRuns { latest }
    }

    /// Whether node run `run` is gone (see the module docs).
    pub(crate) fn gone(&self, run: &str) -> bool {
        let Some((name, run)) = split_run(run) else {
            return false;
        };
        self.latest
            .get(name)
            .is_some_and(|&(latest, live)| latest > run || (latest == run && !live))
    }
}

/// Reads the cluster's nodes (on the heartbeat's connection, right after a heartbeat) and
/// tells the lobby which runs are gone. A failed read tells nothing: the rooms keep what
/// they were told last.
pub(crate) async fn tell_rooms<G: Render>(
    node: &Arc<ClusterNode>,
    lobby: &WeakActorHandle<Lobby<G>>,
) {
    let reading = node.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut nodes = reading
            .nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nodes.nodes(LIVE_WINDOW)
    });
    let records = match read.await {
        Ok(Ok(records)) => records,
        Ok(Err(err)) => return tracing::warn!(%err, "cannot read which nodes are live"),
        Err(err) => return tracing::warn!(%err, "cannot read which nodes are live"),
    };
    let Some(lobby) = lobby.upgrade() else {
        return;
    };
    // Never waits: a lobby too busy for it now hears the next read, a second later.
    let heard: Vec<String> = node.view.live().into_iter().map(|ad| ad.node).collect();
    let _ = lobby.try_tell(NodesSeen(Arc::new(NodeRuns::of(&records, &heard))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, run: u64, live: bool) -> NodeRecord {
        NodeRecord {
            name: name.into(),
            index: 1,
            run,
            addresses: referee_store::NodeAddresses::default(),
            started_at_ms: 0,
            last_seen_ms: 0,
            silent_ms: 0,
            live,
            left: false,
        }
    }

    #[test]
    fn a_run_is_gone_once_its_node_is_silent_or_registered_again() {
        let runs = NodeRuns::of(
            &[
                record("a", 1, false),
                record("b", 3, true),
                record("c_r2", 1, true),
                record("e", 2, false),
            ],
            &["e".to_owned()],
        );
        assert!(runs.gone(&run_name("a", 1)), "silent");
        assert!(runs.gone(&run_name("b", 2)), "registered again since");
        assert!(!runs.gone(&run_name("b", 3)), "live");
        assert!(
            !runs.gone(&run_name("b", 4)),
            "newer than the read: not gone"
        );
        assert!(
            !runs.gone(&run_name("d", 1)),
            "a name the read does not know"
        );
        assert!(!runs.gone(&run_name("c_r2", 1)), "a name ending like a run");
        assert!(!runs.gone("c"), "not a run's name");
        assert!(
            !runs.gone(&run_name("e", 2)),
            "silent in the database, heard on NATS"
        );
        assert!(
            runs.gone(&run_name("e", 1)),
            "an earlier run of a node heard"
        );
    }
}
