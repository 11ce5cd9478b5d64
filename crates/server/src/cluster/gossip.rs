//! How the nodes of a cluster learn each other's rooms: each announces its own a few times a
//! second on one NATS subject, and listens to the others.
//!
//! An announcement ([`NodeAd`]) is small (a room is a few dozen bytes) and idempotent: the
//! latest one of a node replaces the one before, so a lost message costs nothing and no
//! ordering is needed. A node that stops announcing — killed, cut off — drops out of every
//! view after [`STALE_MS`](super::view::STALE_MS). Plain NATS publish–subscribe carries it:
//! nothing here must survive, and a node that starts hears everyone within one period.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use referee_actor::Timeout;
use referee_rules::Render;
use tokio_util::sync::CancellationToken;

use super::ClusterNode;
use super::view::{AD_VERSION, ADVERTISED, NodeAd};
use referee_actor::WeakActorHandle;

use crate::lobby::{Advertise, Lobby};

/// How often a node announces its rooms.
pub(crate) const ANNOUNCE_EVERY: Duration = Duration::from_millis(500);

/// The subject every node of the cluster announces on and listens to.
fn nodes_subject(prefix: &str) -> String {
    format!("{prefix}.nodes")
}

/// Where players reach this node, announced with its rooms (for `/api/cluster` and the web
/// page's reconnects).
#[derive(Debug, Clone, Default)]
pub(crate) struct Addresses {
    pub(crate) tcp: Option<String>,
    pub(crate) http: Option<String>,
}

/// Announces this node's rooms and listens to the others' until `stop`. `connections`
/// counts this node's open connections.
pub(crate) async fn run<G: Render>(
    node: Arc<ClusterNode>,
    lobby: WeakActorHandle<Lobby<G>>,
    addresses: Addresses,
    connections: impl Fn() -> u64 + Send,
    stop: CancellationToken,
) {
    let mut heard = match node.client.subscribe(nodes_subject(&node.prefix)).await {
        Ok(subscriber) => subscriber,
        Err(err) => {
            tracing::error!(%err, "cannot listen to the other nodes; this node sees only its own rooms");
            return;
        }
    };
    let mut tick = tokio::time::interval(ANNOUNCE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => announce(&node, &lobby, &addresses, connections()).await,
            message = heard.next() => match message {
                Some(message) => hear(&node, &message.payload),
                None => break,
            },
        }
    }
}

/// Publishes this node's announcement (skipped if the lobby does not answer in time).
async fn announce<G: Render>(
    node: &ClusterNode,
    lobby: &WeakActorHandle<Lobby<G>>,
    addresses: &Addresses,
    connections: u64,
) {
    // Held only for the ask: the lobby must be able to stop at shutdown.
    let Some(lobby) = lobby.upgrade() else {
        return;
    };
    let ask = lobby.ask_with(
        Advertise { limit: ADVERTISED },
        Timeout::from(ANNOUNCE_EVERY),
    );
    let Ok((rooms, rooms_total)) = ask.await else {
        tracing::debug!("the lobby did not answer in time; no announcement this period");
        return;
    };
    let ad = NodeAd {
        v: AD_VERSION,
        node: node.name.clone(),
        index: node.index,
        tcp: addresses.tcp.clone(),
        http: addresses.http.clone(),
        connections,
        rooms,
        rooms_total,
    };
    match serde_json::to_vec(&ad) {
        Ok(bytes) => {
            if let Err(err) = node
                .client
                .publish(nodes_subject(&node.prefix), bytes.into())
                .await
            {
                tracing::debug!(%err, "announcement not sent");
            }
        }
        Err(err) => tracing::warn!(%err, "announcement not encoded"),
    }
}

/// Takes another node's announcement into the view; bad ones are ignored (logged).
fn hear(node: &ClusterNode, payload: &[u8]) {
    match serde_json::from_slice::<NodeAd>(payload) {
        Ok(ad) if ad.node == node.name => {}
        Ok(ad) => node.view.heard(ad),
        Err(err) => tracing::debug!(%err, "an announcement that does not read; ignored"),
    }
}
