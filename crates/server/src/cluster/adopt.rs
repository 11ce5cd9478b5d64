//! Failover: rooms whose host is gone come back on a surviving node.
//!
//! A node that dies stops renewing its leases; once one runs out, its room is an *orphan*
//! (`Claims::orphans`: a claim no longer live, a snapshot left). Every node looks for orphans
//! every [`LOOK_EVERY`] and claims them through its lease keeper: the claim is one statement
//! in PostgreSQL, so of several nodes trying at once exactly one wins, under the next epoch,
//! and the others see it held. The winner reads the room's last snapshot and has its lobby
//! adopt it (`Lobby::adopt`): same number, same code, the seated players' seats held for their
//! return, the round in play voided — unless the old host handed the room over gracefully, in
//! which case the game goes on exactly (`Resume::Handover`). A snapshot that is behind the
//! rounds committed for the room is caught up first (`catch_up.rs`).
//!
//! To spread a dead node's rooms, a node tries at once only the orphans that fall to it
//! (by a hash of the room over the nodes alive, the dead one left out), and the others only
//! after [`OTHERS_AFTER`] — so a room still comes back if the node it fell to is gone too.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use referee_cluster::{Acquired, Keeper};
use referee_rules::Render;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::catch_up::catch_up;
use super::saver::SavedRoom;
use super::{ClusterNode, claimed_room};
use referee_actor::WeakActorHandle;

use crate::lobby::{Adopt, Lobby};
use crate::room::{Resume, RoomSnapshot};

/// How often a node looks for orphaned rooms.
pub(crate) const LOOK_EVERY: Duration = Duration::from_millis(500);

/// How long an orphan that falls to another node is left to it before this node tries.
pub(crate) const OTHERS_AFTER: Duration = Duration::from_millis(1_500);

/// Whether `room` falls to `me` among `alive` (sorted, deduplicated, `me` included).
pub(crate) fn falls_to(room: &str, me: &str, alive: &[String]) -> bool {
    if alive.is_empty() {
        return true;
    }
    let mut hasher = DefaultHasher::new();
    room.hash(&mut hasher);
    let pick = usize::try_from(hasher.finish() % alive.len() as u64).unwrap_or(0);
    alive.get(pick).is_none_or(|node| node == me)
}

/// Looks for orphaned rooms and adopts those it can win, until `stop`.
pub(crate) async fn run<G: Render>(
    node: Arc<ClusterNode>,
    keeper: Keeper,
    lobby: WeakActorHandle<Lobby<G>>,
    adopted: Counter,
    stop: CancellationToken,
) {
    // When each orphan was first seen (to leave it to the node it falls to for a while).
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let mut tick = tokio::time::interval(LOOK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let orphans = match keeper.orphans().await {
            Ok(orphans) => orphans,
            Err(err) => {
                tracing::warn!(%err, "cannot look for orphaned rooms");
                continue;
            }
        };
        let now = Instant::now();
        seen.retain(|room, _| orphans.iter().any(|orphan| &orphan.room == room));
        let mut alive: Vec<String> = node.view.live().into_iter().map(|ad| ad.node).collect();
        alive.push(node.name.clone());
        alive.sort();
        alive.dedup();
        for orphan in orphans {
            let Some(_) = claimed_room(&orphan.room) else {
                continue;
            };
            let others: Vec<String> = alive
                .iter()
                .filter(|n| **n != orphan.node)
                .cloned()
                .collect();
            let first_seen = *seen.entry(orphan.room.clone()).or_insert(now);
            let mine = falls_to(&orphan.room, &node.name, &others);
            let due = mine || now.duration_since(first_seen) >= OTHERS_AFTER;
            if due && adopt(&keeper, &lobby, &orphan.room).await {
                adopted.inc();
            }
        }
    }
}

/// Claims orphan `claim` and, if won, has the lobby adopt the room from its snapshot.
/// Whether the room was taken in.
async fn adopt<G: Render>(keeper: &Keeper, lobby: &WeakActorHandle<Lobby<G>>, claim: &str) -> bool {
    // Held only while adopting: the lobby must be able to stop at shutdown.
    let Some(lobby) = lobby.upgrade() else {
        return false;
    };
    let epoch = match keeper.acquire(claim).await {
        Ok(Acquired::Won(fence)) => {
            tracing::info!(
                room = claim,
                epoch = fence.epoch,
                "adopting a room whose host is gone"
            );
            fence.epoch
        }
        Ok(Acquired::Held(_)) => return false,
        Err(err) => {
            tracing::warn!(room = claim, %err, "cannot claim an orphaned room");
            return false;
        }
    };
    let Some((snapshot, resume)) = restore::<G>(keeper, claim, epoch).await else {
        // Nothing to bring back (no snapshot, or one that does not read): the room is
        // closed for good, so that no node tries again.
        tracing::warn!(
            room = claim,
            "an orphaned room could not be restored; closed"
        );
        if let Err(err) = keeper.retire(claim).await {
            tracing::warn!(room = claim, %err, "cannot close an orphaned room");
        }
        return false;
    };
    let seated = !snapshot.seats.is_empty();
    if lobby
        .ask(Adopt { snapshot, resume })
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return true;
    }
    if seated {
        // The number is still open here (this node's own lease on it ran out and the room
        // is being closed) or the lobby is closing: given back, to be adopted again.
        tracing::info!(
            room = claim,
            "orphaned room not taken in now; released for later"
        );
        if let Err(err) = keeper.release(claim).await {
            tracing::warn!(room = claim, %err, "cannot release an orphaned room");
        }
    } else if let Err(err) = keeper.retire(claim).await {
        // Nobody sat there: nobody will come back to it.
        tracing::warn!(room = claim, %err, "cannot close an empty orphaned room");
    }
    false
}

/// The room's last snapshot and how to resume it, for the claim of `epoch` just won.
async fn restore<G: Render>(
    keeper: &Keeper,
    claim: &str,
    epoch: u64,
) -> Option<(RoomSnapshot<G>, Resume)> {
    let stored = match keeper.snapshot_of(claim).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(room = claim, %err, "cannot read an orphaned room's snapshot");
            return None;
        }
    };
    let saved: SavedRoom = serde_json::from_str(&stored.body)
        .map_err(|err| tracing::warn!(room = claim, %err, "a stored room that does not read"))
        .ok()?;
    let mut snapshot = RoomSnapshot::<G>::from_json(saved.room.get())
        .map_err(|err| tracing::warn!(room = claim, %err, "a room snapshot that does not read"))
        .ok()?;
    let resume = resume_of(stored.handed_over, stored.epoch, epoch);
    if resume == Resume::Failover {
        // A handed-over snapshot was taken after the room's last commit; a failover's may
        // be behind it: the rounds committed since are credited and voided (`catch_up.rs`).
        catch_up(keeper, &mut snapshot, &stored, claim).await;
    }
    tracing::info!(room = claim, ?resume, "restoring an adopted room");
    Some((snapshot, resume))
}

/// How a room comes back under the claim of epoch `won`, from a snapshot saved under epoch
/// `saved`, marked handed over or not. Only the mark the store sets as the old host let the
/// claim go ([`referee_store::Claims::hand_over`]) lets the game go on exactly, and only
/// from the epoch just before this one: a host that adopted a handed-over room and died
/// before saving it again leaves the mark of an earlier epoch, and its secret on a node
/// nobody controls.
pub(crate) fn resume_of(handed_over: bool, saved: u64, won: u64) -> Resume {
    if handed_over && saved.checked_add(1) == Some(won) {
        Resume::Handover
    } else {
        Resume::Failover
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::claims::claim_name;

    #[test]
    fn each_orphan_falls_to_exactly_one_live_node() {
        let alive: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut per_node = HashMap::new();
        for room in 1..=300 {
            let claim = claim_name(room);
            let takers: Vec<&String> = alive
                .iter()
                .filter(|me| falls_to(&claim, me, &alive))
                .collect();
            assert_eq!(takers.len(), 1, "{claim}");
            *per_node.entry(takers[0].clone()).or_insert(0) += 1;
        }
        // Spread over all three (300 rooms: each gets a fair share, far from none).
        assert!(per_node.values().all(|&n| n > 50), "{per_node:?}");
    }

    #[test]
    fn only_a_handover_marked_by_the_epoch_just_before_goes_on_exactly() {
        assert_eq!(resume_of(true, 3, 4), Resume::Handover);
        // Not marked: the host may have died after saving it.
        assert_eq!(resume_of(false, 3, 4), Resume::Failover);
        // Marked two epochs ago: the host that adopted it died before saving it again.
        assert_eq!(resume_of(true, 3, 5), Resume::Failover);
        assert_eq!(resume_of(true, u64::MAX, 0), Resume::Failover);
    }

    #[test]
    fn a_stored_room_keeps_its_snapshot_byte_for_byte() {
        let body = SavedRoom::body(r#"{"version":1,"x":[1,2]}"#, true).unwrap();
        let saved: SavedRoom = serde_json::from_str(&body).unwrap();
        assert!(saved.handover);
        assert_eq!(saved.room.get(), r#"{"version":1,"x":[1,2]}"#);
        assert!(SavedRoom::body("not json", false).is_none());
    }
}
