//! `GET /api/cluster`: this node and the cluster it belongs to, as the shared database and
//! NATS see them now — every registered node (live or not), every room's claim by node, this
//! node's rooms, players and leases, and the NATS round trip. A server that is not a cluster
//! node answers 404 with a JSON error.
//!
//! The database reads are blocking (their own connections, apart from the keeper's and the
//! recorder's): they run on the blocking pool.
//!
//! The endpoint is public, and a read costs the database two queries and every node a NATS
//! request: the answer is read at most once per `CLUSTER_VIEW_MAX_AGE` and served again in
//! between (`metrics/fresh.rs`), however many ask. Each answer says which read it is
//! (`read`, counted by `referee_cluster_status_reads_total`) and how old (`age_ms`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use referee_rules::Render;
use referee_store::{ClaimRecord, Claims, NodeRecord};
use serde::Serialize;

use super::charts;
use super::error::error;
use crate::cluster::{ClusterNode, LIVE_WINDOW, StatusReads};
use crate::lobby::TakeCensus;
use crate::metrics::cluster_view::{LeaseView, PeerView};
use crate::metrics::{ClusterView, NodeSeries, Read};
use crate::shared::Shared;

/// Live claims shown at most.
const CLAIMS_SHOWN: usize = 1_000;

/// Other nodes asked for their charts at most (each answers within `charts::ASK_LIMIT`,
/// all at once).
const SERIES_ASKED: usize = 64;

/// How long one read of the cluster (database, NATS, the nodes' charts) may take.
const READ_LIMIT: Duration = Duration::from_secs(5);

/// How long the NATS round trip may take before it is reported as failed.
const RTT_LIMIT: Duration = Duration::from_secs(2);

/// `GET /api/cluster`.
pub(super) async fn cluster<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    let Some(node) = shared.cluster.clone() else {
        return error(StatusCode::NOT_FOUND, "this server is not in a cluster");
    };
    let read = latest(&shared, &node).await;
    match &read.answer {
        Ok(view) => Json(Answer {
            view,
            read: read.number,
            age_ms: read.at.elapsed().as_millis(),
        })
        .into_response(),
        Err(err) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read the cluster: {err}"),
        ),
    }
}

/// The view, with which read it is and how old.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    view: &'a ClusterView,
    read: u64,
    age_ms: u128,
}

/// The last read of the cluster, or a new one if it is stale (one at a time).
pub(super) async fn latest<G: Render>(
    shared: &Shared<G>,
    node: &Arc<ClusterNode>,
) -> Arc<Read<ClusterView>> {
    let fresh = &shared.metrics.cluster_view;
    fresh
        .get(|| async {
            shared.metrics.cluster.status_reads.inc();
            // Bounded: the askers waiting for this read must not wait on a stalled database
            // (its blocking read runs on, and a next read finds it running and is refused).
            match tokio::time::timeout(READ_LIMIT, view(shared, node)).await {
                Ok(view) => view,
                Err(_) => Err(format!("no answer within {READ_LIMIT:?}")),
            }
        })
        .await
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
    let series = series(shared, node, &nodes).await;
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
        claims: live_claims(claims),
        peers: peers(node),
        series,
    })
}

/// The live claims only, and a bounded page of them (the table keeps every room ever
/// claimed, and this endpoint is public), by node.
fn live_claims(claims: Vec<ClaimRecord>) -> BTreeMap<String, Vec<ClaimRecord>> {
    let mut by_node: BTreeMap<String, Vec<ClaimRecord>> = BTreeMap::new();
    for claim in claims
        .into_iter()
        .filter(|claim| claim.live)
        .take(CLAIMS_SHOWN)
    {
        by_node.entry(claim.node.clone()).or_default().push(claim);
    }
    by_node
}

/// The other nodes as this one hears their announcements now.
fn peers(node: &ClusterNode) -> Vec<PeerView> {
    node.view
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
        .collect()
}

/// This node's charts, then those of every other node registered and not gone (a node
/// that died is asked too, and shown as not answering) or heard announcing, asked of each
/// (at most [`SERIES_ASKED`] of them, by name).
async fn series<G: Render>(
    shared: &Shared<G>,
    node: &ClusterNode,
    nodes: &[NodeRecord],
) -> Vec<NodeSeries> {
    let own = charts::own(node, &shared.metrics);
    let mut others: BTreeSet<String> = nodes
        .iter()
        .filter(|record| !record.left)
        .map(|record| record.name.clone())
        .collect();
    others.extend(node.view.live().into_iter().map(|ad| ad.node));
    others.remove(&node.name);
    let others = others.into_iter().take(SERIES_ASKED).collect();
    let mut series = vec![NodeSeries {
        node: own.node,
        error: None,
        every_ms: own.every_ms,
        samples: own.samples,
    }];
    series.extend(charts::ask_all(node, others).await);
    series
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
