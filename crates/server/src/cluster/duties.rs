//! What a node does in the background: its heartbeat in the database, and closing the rooms
//! whose lease the keeper gave up.

use std::sync::Arc;

use referee_actor::WeakActorHandle;
use referee_cluster::LeaseLost;
use referee_rules::Render;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ClusterNode, HEARTBEAT, claimed_room};
use crate::lobby::{Lobby, LoseRoom};

/// Moves the node's `last_seen` every [`HEARTBEAT`] until `stop`; then marks it gone.
pub(crate) async fn heartbeat(node: Arc<ClusterNode>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => break,
        }
        let beat = blocking(&node, |nodes, name| nodes.heartbeat(name)).await;
        if let Err(err) = beat {
            tracing::warn!(%err, "heartbeat not recorded");
        }
    }
    if let Err(err) = blocking(&node, |nodes, name| nodes.leave(name)).await {
        tracing::warn!(%err, "leave not recorded; the node shows as not live soon");
    }
}

async fn blocking(
    node: &Arc<ClusterNode>,
    call: impl FnOnce(&mut referee_store::PgNodes, &str) -> Result<bool, referee_store::StoreError>
    + Send
    + 'static,
) -> Result<bool, String> {
    let node = node.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut nodes = node
            .nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        call(&mut nodes, &node.name)
    });
    match done.await {
        Ok(outcome) => outcome.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// Closes the room of every lease lost, until the keeper or the lobby is gone.
pub(crate) async fn lose_rooms<G: Render>(
    mut lost_rx: mpsc::UnboundedReceiver<LeaseLost>,
    lobby: WeakActorHandle<Lobby<G>>,
) {
    while let Some(lost) = lost_rx.recv().await {
        let Some(room) = claimed_room(&lost.fence.room) else {
            continue;
        };
        let Some(lobby) = lobby.upgrade() else {
            return;
        };
        tracing::warn!(room, why = ?lost.why, "lease lost: closing the room");
        if lobby.tell_soon(LoseRoom(room)).is_err() {
            return;
        }
    }
}
