//! A cluster node's rooms, made reachable from the other nodes: each is served on its NATS
//! subject (`room/wire`) once its claim is won, with a first snapshot saved before — so that
//! from the moment another node can reach a room, the room can also come back if this node
//! dies.

use std::future::Future;

use referee_actor::Recipient;
use referee_remote::Serving;
use referee_rules::Render;

use super::claims::RoomClaim;
use super::saver::{SaveNow, SaverHandle};
use crate::ids::RoomId;
use crate::room::{RoomHandle, Snapshotted, TakeSnapshot};

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
        let (client, saver) = (self.client.clone(), self.saver.clone());
        let prefix = self.prefix.clone();
        async move {
            let fence = match &claim {
                Some(claim) => Some(claim.fence().await?),
                None => None,
            };
            match (room.ask(TakeSnapshot).await, fence) {
                (Ok(Ok(json)), Some(fence)) => {
                    let save = SaveNow {
                        fence,
                        json,
                        handover: false,
                    };
                    match saver.ask(save).await {
                        Ok(Ok(())) => {}
                        Ok(Err(err)) => tracing::warn!(room = id, %err, "first snapshot not saved"),
                        Err(err) => tracing::warn!(room = id, %err, "first snapshot not saved"),
                    }
                }
                (Ok(Ok(_)), None) => {}
                (Ok(Err(err)), _) => tracing::debug!(room = id, %err, "no first snapshot"),
                (Err(err), _) => tracing::debug!(room = id, %err, "no first snapshot"),
            }
            match crate::room::wire::host::serve_room(&client, &prefix, id, &room).await {
                Ok(serving) => Some(serving),
                Err(err) => {
                    tracing::warn!(room = id, %err, "room not served to the other nodes");
                    None
                }
            }
        }
    }
}
