//! A node leaving gracefully (SIGTERM) hands its rooms over: another node goes on with each
//! game exactly — same round, same secret, same turn — where a failover would void the
//! round in play.
//!
//! For each room that holds its claim and is served to the other nodes (`lobby/handover.rs`):
//!
//! 1. the room answers [`HandOver`] between two messages with its snapshot and from then on
//!    takes no move (a remote call is answered `Moved`, `room/handover.rs`), then stops;
//! 2. for [`MOVED_GRACE`] it stays on its NATS subject answering `Moved` (calls already on
//!    their way are answered, not lost in the unsubscribe); then it stops and its subject is
//!    given up: a call still queued there is answered "not running" — never delivered, so
//!    its sender may safely ask again;
//! 3. the snapshot is saved *marked handed over* and the claim released, in one fenced
//!    transaction (`Claims::hand_over`): both or neither. A crash before that leaves no
//!    mark, only a lease that runs out — an ordinary failover;
//! 4. another node finds the room orphaned at once, claims it under the next epoch and,
//!    seeing the mark of the epoch just before, restores it with `Resume::Handover`.
//!
//! Players on other nodes whose move was answered `Moved` or "not running" take their seat
//! back on the new host and send the move again (`session/cluster.rs`): it was not taken
//! here, so it is taken exactly once there. A room that cannot be handed over (still saving
//! a win after [`SNAPSHOT_WAIT`], or a store failure) is released as before: adopted as a
//! failover.

use std::time::Duration;

use referee_actor::WeakActorHandle;
use referee_cluster::Keeper;
use referee_rules::Render;

use super::ClusterNode;
use super::claims::claim_name;
use super::saver::SavedRoom;
use crate::lobby::{HandOverRooms, Leaving, Lobby};
use crate::room::{HandOver, HandedOver, RoomHandle, SnapshotError, StopHandedOver};

/// How long a room still saving a won round is waited for before it is given up as a
/// failover (a commit takes milliseconds; a stalled database would hold the node's stop).
const SNAPSHOT_WAIT: Duration = Duration::from_secs(2);

/// How long a room handed over stays on its subject answering "moved" before it gives the
/// subject up: many times a NATS round trip (≈ 0.1–0.2 ms), so that the calls sent before
/// the handover began are answered rather than lost in the unsubscribe. Rooms are handed
/// over together: a node's stop takes this once, not once per room.
const MOVED_GRACE: Duration = Duration::from_millis(200);

/// How often a room still saving a won round is asked again.
const SNAPSHOT_RETRY: Duration = Duration::from_millis(10);

/// Hands over every room of `lobby` that can be; how many were.
pub(crate) async fn hand_over_all<G: Render>(
    node: &ClusterNode,
    lobby: &WeakActorHandle<Lobby<G>>,
) -> usize {
    let Some(lobby) = lobby.upgrade() else {
        return 0;
    };
    let Ok(leaving) = lobby.ask(HandOverRooms::new()).await else {
        return 0;
    };
    drop(lobby);
    let rooms = leaving.len();
    let handed = futures_util::future::join_all(
        leaving
            .into_iter()
            .map(|leaving| hand_over_room(&node.keeper, leaving)),
    )
    .await;
    // The rooms' last frames and answers out of the client's buffer before the node goes.
    if let Err(err) = node.client.flush().await {
        tracing::debug!(%err, "flush after the handover");
    }
    let done = handed.into_iter().filter(|done| *done).count();
    tracing::info!(rooms, handed_over = done, "rooms handed over");
    done
}

/// Hands one room over (see the module docs); `false`: released for a failover instead.
async fn hand_over_room<G: Render>(keeper: &Keeper, leaving: Leaving<G>) -> bool {
    let Leaving { id, room, serving } = leaving;
    let handed = final_snapshot(&room, id).await;
    if let Some(handed) = &handed {
        // Still subscribed, the room answers "moved" to the calls already on their way:
        // NATS drops a request that reaches a client just after it unsubscribed, and its
        // sender could not tell whether it was taken. The claim is still held: no other
        // node serves the room meanwhile, so no call reaches two hosts.
        tokio::time::sleep(MOVED_GRACE).await;
        // Then it answers what its mailbox still holds and stops, before its subject is
        // given up (a call cut short there would be "server stopped": taken or not, its
        // sender could not tell), and its forwarders send the frames it pushed before (an
        // answer tells how many frames came before it: its asker waits for them).
        let stopped = room.downgrade();
        let _ = room.tell(StopHandedOver).await;
        handed.forwarders.close();
        let done = async {
            stopped.wait_stopped().await;
            handed.forwarders.wait().await;
        };
        if tokio::time::timeout(SNAPSHOT_WAIT, done).await.is_err() {
            tracing::warn!(room = id, "a handed-over room did not finish in time");
        }
    }
    drop(room);
    // Off NATS: what is still queued there was never delivered and is answered "not
    // running" — its sender asks the new host.
    serving.stop().await;
    let claim = claim_name(id);
    let body = handed.and_then(|handed| SavedRoom::body(&handed.json, true));
    let Some(body) = body else {
        if let Err(err) = keeper.release(&claim).await {
            tracing::warn!(room = id, %err, "claim not released; its lease runs out");
        }
        return false;
    };
    match keeper.hand_over(&claim, body).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!(room = id, "room not handed over: its claim was lost");
            false
        }
        Err(err) => {
            tracing::warn!(room = id, %err, "room not handed over; its lease runs out");
            false
        }
    }
}

/// The room's last snapshot, the room leaving from then on; `None` if it could not be had.
async fn final_snapshot<G: Render>(room: &RoomHandle<G>, id: u64) -> Option<HandedOver> {
    let deadline = tokio::time::Instant::now() + SNAPSHOT_WAIT;
    loop {
        match room.ask(HandOver).await {
            Ok(Ok(handed)) => return Some(handed),
            Ok(Err(SnapshotError::Saving)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(SNAPSHOT_RETRY).await;
            }
            Ok(Err(err)) => {
                tracing::warn!(room = id, %err, "no snapshot to hand the room over with");
                return None;
            }
            Err(err) => {
                tracing::warn!(room = id, %err, "the room did not give its snapshot");
                return None;
            }
        }
    }
}
