//! Saving rooms' snapshots under their claims: what another node restores a room from.
//!
//! Each room offers its snapshot after every committed win (`Snapshotted`), and the node
//! takes one when it opens a room and when it hands one over. The saver writes each with
//! `Store::save_snapshot` under the fence of the room's claim, so a node that lost a room's
//! claim can never overwrite what the next host restores from (the database refuses it). It
//! runs on a thread of its own (a PostgreSQL connection blocks), one snapshot at a time, so
//! that a room's snapshots are saved in the order they were taken.
//!
//! **Only a room's newest snapshot is written.** Snapshots that arrive while a write is under
//! way wait, keyed by room, and a newer one of the same room replaces the one waiting: what
//! is saved next is each room's latest. However fast one room offers snapshots (a spectator
//! on another node who watches, leaves and watches again offers one each time), it has at
//! most one write waiting, and the other rooms' snapshots are neither delayed behind its
//! queue nor dropped from a full mailbox.

use std::collections::HashMap;

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
    /// Each room's newest snapshot not yet written, with the order rooms first offered one.
    waiting: HashMap<u64, Snapshotted>,
    order: Vec<u64>,
    /// Snapshots taken since the last flush: past [`FLUSH_EVERY`] the saver writes even
    /// though more wait, so that a mailbox never empty cannot hold the writes back forever.
    taken: usize,
}

/// Snapshots taken at most between two flushes.
const FLUSH_EVERY: usize = 1024;

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
            .spawn_thread(SnapshotSaver {
                store,
                waiting: HashMap::new(),
                order: Vec::new(),
                taken: 0,
            })
            .map_err(|err| std::io::Error::other(err.to_string()))
    }

    /// What the store keeps of a room's snapshot `json`, with its claim's `fence` (unmarked:
    /// a snapshot handed over goes through `cluster/handover.rs`, which releases the claim
    /// with it).
    fn prepared(fence: Option<&Fence>, json: &str) -> Result<(Fence, String), NotSaved> {
        let fence = fence.ok_or(NotSaved::NotHeld)?;
        let body = SavedRoom::body(json, false).ok_or(NotSaved::NotJson)?;
        Ok((fence.clone(), body))
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

impl SnapshotSaver {
    /// Keeps `snapshot` as its room's newest, in place of one still waiting.
    fn keep(&mut self, snapshot: Snapshotted) {
        let room = snapshot.room;
        if self.waiting.insert(room, snapshot).is_none() {
            self.order.push(room);
        }
        self.taken += 1;
    }

    /// Writes every room's newest waiting snapshot, rooms in the order they first offered,
    /// all in one call to the store (PostgreSQL: one transaction, where a snapshot each cost
    /// a commit each, docs/PERFORMANCE.md §10).
    fn flush(&mut self) {
        self.taken = 0;
        let mut batch = Vec::new();
        let mut which = Vec::new();
        for room in std::mem::take(&mut self.order) {
            let Some(snapshot) = self.waiting.remove(&room) else {
                continue;
            };
            match Self::prepared(snapshot.fence.as_ref(), &snapshot.json) {
                Ok(prepared) => {
                    batch.push(prepared);
                    which.push((snapshot.room, snapshot.round));
                }
                Err(err) => not_saved(snapshot.room, snapshot.round, &err),
            }
        }
        if batch.is_empty() {
            return;
        }
        match self.store.save_snapshots(&batch) {
            Ok(answers) => {
                for ((room, round), answer) in which.into_iter().zip(answers) {
                    if let Err(err) = answer {
                        not_saved(room, round, &NotSaved::Store(err));
                    }
                }
            }
            Err(err) => {
                for (room, round) in which {
                    not_saved(room, round, &err);
                }
            }
        }
    }
}

fn not_saved(room: u64, round: u64, err: &dyn std::fmt::Display) {
    tracing::warn!(room, round, %err, "room snapshot not saved");
}

impl Handler<Snapshotted> for SnapshotSaver {
    fn handle(&mut self, snapshot: Snapshotted, ctx: &mut Context<Self>) {
        self.keep(snapshot);
        if ctx.queued() == 0 || self.taken >= FLUSH_EVERY {
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc as std_mpsc;
    use std::time::Duration;

    use referee_store::{Leaderboard, MemoryStore, RoundResult, StoreReader};

    use super::*;

    /// A store whose first snapshot write waits for the test's word, and which hands every
    /// written snapshot (room, body) to the test.
    struct Slow {
        /// Told when the first write begins.
        started: std_mpsc::Sender<()>,
        first: Option<std_mpsc::Receiver<()>>,
        written: std_mpsc::Sender<(String, String)>,
    }

    crate::room::tests::reads_nothing!(Slow);

    impl Store for Slow {
        fn record(&mut self, _: &[RoundResult]) -> Result<(), StoreError> {
            Ok(())
        }
        fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
            MemoryStore::default().reader()
        }
        fn save_snapshot(&mut self, fence: &Fence, body: &str) -> Result<(), StoreError> {
            if let Some(first) = self.first.take() {
                let _ = self.started.send(());
                let _ = first.recv_timeout(Duration::from_secs(10));
            }
            let _ = self.written.send((fence.room.clone(), body.to_owned()));
            Ok(())
        }
    }

    fn snapshot(room: u64, round: u64) -> Snapshotted {
        Snapshotted {
            room,
            round,
            json: format!("{{\"round\":{round}}}"),
            fence: Some(Fence {
                room: format!("guess/{room}"),
                node: "a".into(),
                epoch: 1,
            }),
        }
    }

    /// While one write is under way, a room that offers snapshot after snapshot has only its
    /// newest written next, and another room's is written all the same.
    #[tokio::test]
    async fn a_room_offering_snapshots_faster_than_they_are_written_has_only_its_newest_written() {
        let (go, first) = std_mpsc::channel();
        let (written, saved) = std_mpsc::channel();
        let (started, writing) = std_mpsc::channel();
        let store = Slow {
            started,
            first: Some(first),
            written,
        };
        let saver = SnapshotSaver::spawn(Box::new(store)).unwrap_or_else(|e| panic!("{e}"));
        saver
            .tell_soon(snapshot(7, 0))
            .unwrap_or_else(|e| panic!("{e}"));
        let begun =
            tokio::task::spawn_blocking(move || writing.recv_timeout(Duration::from_secs(5)));
        assert!(matches!(begun.await, Ok(Ok(()))), "the first write began");
        for round in 1..=50 {
            saver
                .tell_soon(snapshot(7, round))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        saver
            .tell_soon(snapshot(8, 3))
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = go.send(());
        let mut got = Vec::new();
        while let Ok(write) = saved.recv_timeout(Duration::from_secs(5)) {
            got.push(write);
            if got.len() == 3 {
                break;
            }
        }
        // Anything more would come at once: nothing else is waiting.
        if let Ok(more) = saved.recv_timeout(Duration::from_millis(300)) {
            got.push(more);
        }
        let rounds: Vec<(String, u64)> = got
            .iter()
            .map(|(room, body)| {
                let saved: SavedRoom = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}"));
                let round: serde_json::Value =
                    serde_json::from_str(saved.room.get()).unwrap_or_else(|e| panic!("{e}"));
                (room.clone(), round["round"].as_u64().unwrap_or(u64::MAX))
            })
            .collect();
        assert_eq!(
            rounds,
            vec![
                ("guess/7".to_owned(), 0),
                ("guess/7".to_owned(), 50),
                ("guess/8".to_owned(), 3)
            ],
            "the first, then each room's newest"
        );
    }
}
