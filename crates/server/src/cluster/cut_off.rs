//! A node cut off from NATS gives up its rooms before their leases could run out.
//!
//! A node's leases live in PostgreSQL, so a node that lost NATS but not the database would
//! keep renewing them: its rooms would stay claimed while no player on another node can
//! reach them, and no other node could take them over. So the node checks its own line to
//! NATS — a message to itself, answered through the NATS server — every [`PROBE_EVERY`];
//! once no probe has come back for [`CUT_OFF_AFTER`] of the lease, it releases each room's
//! claim (its snapshot stays: another node adopts the room) and then closes the room here,
//! telling its players (`host_lost`). Releasing first: the room's own closing then finds
//! no claim left to retire, and the snapshot survives.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use referee_actor::WeakActorHandle;
use referee_rules::Render;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ClusterNode;
use super::claims::claimed_room;
use crate::lobby::{Lobby, LoseRoom};

/// How often the node checks its line to NATS, as a fraction of the lease.
const PROBE_EVERY: u32 = 6;

/// The share of the lease without an answered probe after which the node gives up its
/// rooms: half, so that releasing them (a statement each) ends well before the leases would.
const CUT_OFF_AFTER: u32 = 2;

/// Watches the node's line to NATS until `stop`; gives up the rooms when it is cut.
pub(crate) async fn watch<G: Render>(
    node: Arc<ClusterNode>,
    lobby: WeakActorHandle<Lobby<G>>,
    cut_offs: Counter,
    stop: CancellationToken,
) {
    let every = node.lease / PROBE_EVERY;
    let cut_off_after = node.lease / CUT_OFF_AFTER;
    let mut last_answer = Instant::now();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if probe(&node.client, every).await {
            last_answer = Instant::now();
        } else if last_answer.elapsed() >= cut_off_after {
            tracing::error!(node = %node.name, "cut off from NATS: giving up this node's rooms");
            cut_offs.inc();
            give_up(&node, &lobby).await;
            // Once back, the node hosts the rooms it opens anew (others adopt the old ones).
            last_answer = Instant::now();
        }
    }
}

/// Whether a message to itself comes back through NATS within `within`.
async fn probe(client: &async_nats::Client, within: Duration) -> bool {
    let inbox = client.new_inbox();
    let echoed = async {
        let mut echo = client.subscribe(inbox.clone()).await.ok()?;
        client.publish(inbox, bytes::Bytes::new()).await.ok()?;
        echo.next().await
    };
    matches!(tokio::time::timeout(within, echoed).await, Ok(Some(_)))
}

/// Releases every claim the node holds, then closes each room here.
async fn give_up<G: Render>(node: &ClusterNode, lobby: &WeakActorHandle<Lobby<G>>) {
    let held = node.keeper.held().await.unwrap_or_default();
    for lease in held {
        let claim = &lease.fence.room;
        if let Err(err) = node.keeper.release(claim).await {
            // The lease then runs out by itself; the keeper reports it lost in time.
            tracing::warn!(room = %claim, %err, "claim not released");
        }
        let (Some(room), Some(lobby)) = (claimed_room(claim), lobby.upgrade()) else {
            continue;
        };
        if lobby.tell(LoseRoom(room)).await.is_err() {
            return;
        }
    }
}
