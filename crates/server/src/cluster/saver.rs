//! Saving rooms' snapshots under their claims: what another node restores a room from.
//!
//! Each room offers its snapshot after every committed win (`Snapshotted`), and the node
//! takes one when it opens a room and when it hands one over. The saver writes each with
//! `Store::save_snapshot` under the fence of the room's claim, so a node that lost a room's
//! claim can never overwrite what the next host restores from (the database refuses it). It
//! runs on a thread of its own (a PostgreSQL connection blocks), one snapshot at a time, so
//! that a room's snapshots are saved in the order they were taken.

use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler};
use referee_store::{Fence, Store, StoreError};

use crate::room::Snapshotted;
use serde::{Deserialize, Serialize};

/// A room's saved state as a node of the cluster stores it: its snapshot, and whether its
/// host meant to hand it over (a graceful leave). That flag is informational: what the next
/// host trusts is the store's mark, set only as the claim is released
/// (`Claims::hand_over`, see `adopt::resume_of`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedRoom {
    pub(crate) v: u32,
    pub(crate) handover: bool,
    /// The room's snapshot (`RoomSnapshot`'s JSON).
    pub(crate) room: Box<serde_json::value::RawValue>,
}

impl SavedRoom {
    /// The stored body of a room's snapshot `json`.
    pub(crate) fn body(json: &str, handover: bool) -> Option<String> {
        let room = serde_json::value::RawValue::from_string(json.to_owned()).ok()?;
        serde_json::to_string(&SavedRoom {
            v: 1,
            handover,
            room,
        })
        .ok()
    }
}

/// The saver actor: a store connection of its own.
pub(crate) struct SnapshotSaver {
    store: Box<dyn Store>,
}

impl Actor for SnapshotSaver {}

/// A handle to the saver.
pub(crate) type SaverHandle = ActorHandle<SnapshotSaver>;

impl SnapshotSaver {
    /// Starts the saver on a thread of its own.
    ///
    /// # Errors
    /// The thread could not be started.
    pub(crate) fn spawn(store: Box<dyn Store>) -> std::io::Result<SaverHandle> {
        ActorBuilder::new()
            .name("snapshots")
            .mailbox_capacity(4096)
            .spawn_thread(SnapshotSaver { store })
            .map_err(|err| std::io::Error::other(err.to_string()))
    }

    /// Saves a room's snapshot `json` under its claim's `fence` (unmarked: a snapshot
    /// handed over goes through `cluster/handover.rs`, which releases the claim with it).
    fn save(&mut self, fence: Option<&Fence>, json: &str) -> Result<(), NotSaved> {
        let fence = fence.ok_or(NotSaved::NotHeld)?;
        let body = SavedRoom::body(json, false).ok_or(NotSaved::NotJson)?;
        self.store
            .save_snapshot(fence, &body)
            .map_err(NotSaved::Store)
    }
}

/// Why a snapshot was not saved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotSaved {
    #[error("this node does not hold the room's claim")]
    NotHeld,
    #[error("the snapshot is not JSON")]
    NotJson,
    #[error(transparent)]
    Store(StoreError),
}

impl Handler<Snapshotted> for SnapshotSaver {
    fn handle(&mut self, snapshot: Snapshotted, _: &mut Context<Self>) {
        if let Err(err) = self.save(snapshot.fence.as_ref(), &snapshot.json) {
            tracing::warn!(room = snapshot.room, round = snapshot.round, %err, "room snapshot not saved");
        }
    }
}
