//! The claim a room holds while this node hosts it: taken through the lease keeper when the
//! lobby opens the room, awaited by every save (a room commits nothing before its claim is
//! won, and commits under it), and given back when the room closes.
//!
//! The claim is taken in a task of its own as soon as the room opens, so that players never
//! wait for it; a save that comes first simply waits for the same claim. A room whose claim
//! cannot be won has no fence: its first save is refused as fenced, which closes it.

use std::sync::Arc;
use std::time::Duration;

use referee_cluster::{Acquired, Keeper};
use referee_store::Fence;
use tokio::sync::OnceCell;
use tokio_util::task::TaskTracker;

use crate::ids::RoomId;

/// The name a room's claim has in the database (`room/<id>`).
pub(crate) fn claim_name(room: RoomId) -> String {
    format!("room/{room}")
}

/// The room a claim names, if it names one.
pub(crate) fn claimed_room(claim: &str) -> Option<RoomId> {
    claim.strip_prefix("room/")?.parse().ok()
}

/// Claims taken again when this node's name still holds the room (an earlier run of the
/// node, killed, whose lease has not run out yet): each waits out the lease the database
/// reports.
const RETRIES: usize = 3;

/// Claims rooms for this node: what the lobby holds.
#[derive(Clone)]
pub(crate) struct RoomClaims {
    pub(crate) keeper: Keeper,
    pub(crate) node: String,
    /// The releases under way: a node stopping waits for them (`NodeDuties::stop`), or a
    /// room closed in its last moments would keep its lease until it ran out.
    pub(crate) releasing: TaskTracker,
}

impl RoomClaims {
    /// Starts claiming room `id` now; the claim is the room's for its life.
    pub(crate) fn claim(&self, id: RoomId) -> RoomClaim {
        let claim = RoomClaim(Arc::new(Inner {
            room: claim_name(id),
            claims: self.clone(),
            fence: OnceCell::new(),
        }));
        let eager = claim.clone();
        tokio::spawn(async move { eager.fence().await });
        claim
    }
}

struct Inner {
    room: String,
    claims: RoomClaims,
    /// The fence won, once the claim is settled; `None`: not won.
    fence: OnceCell<Option<Fence>>,
}

/// One room's claim, shared by the room (its saves) and the lobby (its release).
#[derive(Clone)]
pub(crate) struct RoomClaim(Arc<Inner>);

impl RoomClaim {
    /// The room's fence, once the claim is settled: `None` if it was not won.
    pub(crate) async fn fence(&self) -> Option<Fence> {
        let inner = &self.0;
        let acquire = || acquire(&inner.claims, &inner.room);
        inner.fence.get_or_init(acquire).await.clone()
    }

    /// The room's fence if the claim is settled and won, without waiting.
    pub(crate) fn settled(&self) -> Option<Fence> {
        self.0.fence.get().cloned().flatten()
    }

    /// Gives the claim back for good (the room closed: no node is to adopt it, so its
    /// snapshot goes with the claim): once it is settled, so that a claim still being taken
    /// is not left behind to be renewed for ever.
    pub(crate) fn release(self) {
        let releasing = self.0.claims.releasing.clone();
        releasing.spawn(async move {
            if self.fence().await.is_none() {
                return;
            }
            let room = &self.0.room;
            if let Err(err) = self.0.claims.keeper.retire(room).await {
                tracing::warn!(room, %err, "claim not released; its lease runs out by itself");
            }
        });
    }
}

async fn acquire(claims: &RoomClaims, room: &str) -> Option<Fence> {
    for _ in 0..RETRIES {
        match claims.keeper.acquire(room).await {
            Ok(Acquired::Won(fence)) => return Some(fence),
            Ok(Acquired::Held(holder)) if holder.node == claims.node => {
                let wait = u64::try_from(holder.expires_in_ms).unwrap_or(0) + 50;
                tracing::info!(
                    room,
                    wait_ms = wait,
                    "held by this node's earlier run; waiting"
                );
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            Ok(Acquired::Held(holder)) => {
                tracing::error!(room, holder = %holder.node, "room held by another node");
                return None;
            }
            Err(err) => {
                tracing::error!(room, %err, "room not claimed");
                return None;
            }
        }
    }
    None
}
