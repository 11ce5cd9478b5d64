//! A cluster node's rooms, made reachable from the other nodes: each is served on its NATS
//! subject (`room/wire`) once its claim is won, with a first snapshot saved before — so that
//! from the moment another node can reach a room, the room can also come back if this node
//! dies.

use std::future::Future;

use referee_actor::Recipient;
use referee_remote::Serving;
use referee_rules::Render;

use super::claims::RoomClaim;
use super::saver::SaverHandle;
use crate::ids::RoomId;
use crate::room::wire::back::TellBack;
use crate::room::{OfferSnapshot, RoomHandle, Snapshotted};

/// What the lobby serves its rooms with, in a cluster.
#[derive(Clone)]
pub(crate) struct RoomServing {
    client: async_nats::Client,
    /// The cluster's subject prefix.
    prefix: String,
    saver: SaverHandle,
}

impl RoomServing {
    pub(crate) fn new(client: async_nats::Client, prefix: String, saver: SaverHandle) -> Self {
        RoomServing {
            client,
            prefix,
            saver,
        }
    }

    /// Where rooms offer their snapshots after each committed win.
    pub(crate) fn snapshots(&self) -> Recipient<Snapshotted> {
        self.saver.recipient()
    }

    /// Serves room `id` once `claim` is won, after saving its first snapshot; `None` if the
    /// claim was not won or NATS refused the subscription (the room then stays this node's
    /// players' only).
    pub(crate) fn serve<G: Render>(
        &self,
        id: RoomId,
        room: RoomHandle<G>,
        claim: Option<RoomClaim>,
    ) -> impl Future<Output = Option<Serving>> + Send + 'static {
        let client = self.client.clone();
        let prefix = self.prefix.clone();
        async move {
            if let Some(claim) = &claim {
                claim.fence().await?;
            }
            // The first snapshot, from the room in its own order (after any seat taken
            // meanwhile, whose own offer may have found the claim not yet won).
            if room.tell(OfferSnapshot).await.is_err() {
                return None;
            }
            match crate::room::wire::host::serve_room(&client, &prefix, id, &room).await {
                Ok(serving) => {
                    // Served: an adopted room's players on other nodes take their seats back
                    // now, without waiting for their next move (`room/wire/back.rs`).
                    if room.tell(TellBack(prefix)).await.is_err() {
                        tracing::debug!(room = id, "served a room that had stopped");
                    }
                    Some(serving)
                }
                Err(err) => {
                    tracing::warn!(room = id, %err, "room not served to the other nodes");
                    None
                }
            }
        }
    }
}
