//! `GET /api/cluster`: this node and the cluster it belongs to, as the shared database and
//! NATS see them now — every registered node (live or not), every room's claim by node, this
//! node's rooms, players and leases, and the NATS round trip. A server that is not a cluster
//! node answers 404 with a JSON error.
//!
//! The database reads are blocking (their own connections, apart from the keeper's and the
//! recorder's): they run on the blocking pool.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use referee_rules::Render;
use referee_store::{ClaimRecord, Claims, NodeRecord};
use serde::Serialize;

use super::error::error;
use crate::cluster::{ClusterNode, LIVE_WINDOW, StatusReads};
use crate::lobby::TakeCensus;
use crate::shared::Shared;

/// Live claims shown at most.
const CLAIMS_SHOWN: usize = 1_000;

/// How long the NATS round trip may take before it is reported as failed.
const RTT_LIMIT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
struct ClusterView {
    /// This node.
    node: String,
    index: u32,
    lease_ms: u128,
    /// NATS round trip (a PING answered), in microseconds; `null` with `nats_error`.
    nats_rtt_us: Option<u128>,
    nats_error: Option<String>,
    /// This node's rooms and seated players now.
    rooms: usize,
    players: usize,
    /// The leases this node's keeper holds.
    leases: Vec<LeaseView>,
    /// Every registered node, by index.
    nodes: Vec<NodeRecord>,
    /// Every room's latest claim, by the node that made it.
    claims: BTreeMap<String, Vec<ClaimRecord>>,
    /// The other nodes as this one hears them now (their announcements, at most 2 s old):
    /// where players reach them, their connections and rooms. Counts only: a private room's
    /// code never leaves the cluster.
    peers: Vec<PeerView>,
}

#[derive(Debug, Serialize)]
struct PeerView {
    node: String,
    index: u32,
    tcp: Option<String>,
    http: Option<String>,
    connections: u64,
    rooms: usize,
}

#[derive(Debug, Serialize)]
struct LeaseView {
    room: String,
    epoch: u64,
    renewals: u64,
    left_ms: u128,
}

/// `GET /api/cluster`.
pub(super) async fn cluster<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    let Some(node) = shared.cluster.clone() else {
        return error(StatusCode::NOT_FOUND, "this server is not in a cluster");
    };
    match view(&shared, &node).await {
        Ok(view) => Json(view).into_response(),
        Err(err) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read the cluster: {err}"),
        ),
    }
}

async fn view<G: Render>(
    shared: &Shared<G>,
    node: &Arc<ClusterNode>,
) -> Result<ClusterView, String> {
    let (nodes, claims) = read(&node.reads).await?;
    let (nats_rtt_us, nats_error) = match rtt(&node.client).await {
        Ok(rtt) => (Some(rtt.as_micros()), None),
        Err(err) => (None, Some(err)),
    };
    let (rooms, players) = match shared.lobby.ask(TakeCensus).await {
        Ok(census) => (census.rooms, census.heads.seated),
        Err(err) => return Err(format!("the lobby did not answer: {err}")),
    };
    let leases = node.keeper.held().await.map_err(|err| err.to_string())?;
    // Live claims only, and a bounded page of them: the table keeps every room ever
    // claimed, and this endpoint is public.
    let mut by_node: BTreeMap<String, Vec<ClaimRecord>> = BTreeMap::new();
    for claim in claims
        .into_iter()
        .filter(|claim| claim.live)
        .take(CLAIMS_SHOWN)
    {
        by_node.entry(claim.node.clone()).or_default().push(claim);
    }
    Ok(ClusterView {
        node: node.name.clone(),
        index: node.index,
        lease_ms: node.lease.as_millis(),
        nats_rtt_us,
        nats_error,
        rooms,
        players,
        leases: leases
            .into_iter()
            .map(|held| LeaseView {
                room: held.fence.room,
                epoch: held.fence.epoch,
                renewals: held.renewals,
                left_ms: held.left.as_millis(),
            })
            .collect(),
        nodes,
        claims: by_node,
        peers: node
            .view
            .live()
            .into_iter()
            .map(|ad| PeerView {
                node: ad.node,
                index: ad.index,
                tcp: ad.tcp,
                http: ad.http,
                connections: ad.connections,
                rooms: ad.rooms_total,
            })
            .collect(),
    })
}

/// The NATS round trip: a flush is a PING answered by a PONG.
async fn rtt(client: &async_nats::Client) -> Result<Duration, String> {
    let started = Instant::now();
    match tokio::time::timeout(RTT_LIMIT, client.flush()).await {
        Ok(Ok(())) => Ok(started.elapsed()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {RTT_LIMIT:?}")),
    }
}

/// Reads the nodes and the claims on the blocking pool, unless another read is running.
async fn read(
    reads: &Arc<Mutex<StatusReads>>,
) -> Result<(Vec<NodeRecord>, Vec<ClaimRecord>), String> {
    let reads = reads.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut reads = match reads.try_lock() {
            Ok(reads) => reads,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Err("another read is running".to_owned()),
        };
        let nodes = reads.nodes.nodes(LIVE_WINDOW).map_err(|e| e.to_string())?;
        let claims = reads.claims.claims().map_err(|e| e.to_string())?;
        Ok((nodes, claims))
    });
    done.await.map_err(|err| err.to_string())?
}
