//! Who hosts a room when several server nodes share one database: **claims with epochs,
//! held as leases, fencing every durable write.**
//!
//! A room must be hosted by exactly one node at a time, yet a node can be paused, cut off or
//! presumed dead while it still believes it hosts. Timeouts alone cannot make that safe; a
//! *fence* can. A node claims a room in the database and gets the room's next **epoch**;
//! every durable write the room makes afterwards ([`Store::record_fenced`],
//! [`Store::save_snapshot`]) is checked, inside its own transaction, against the claim:
//! the same node, the same epoch, a lease not yet expired. A node that lost its claim can
//! therefore never commit for the room again, whatever it believes.
//!
//! **Leases.** A claim expires unless renewed ([`Claims::renew`]); only an expired or
//! released claim can be taken, and taking it raises the epoch. Expiry is measured by the
//! database's clock, so the nodes' clocks do not matter. The node gets a local deadline,
//! [`Lease::valid_until`], taken *before* the statement was sent: the database's expiry
//! comes later in real time, so a node that stops hosting at its local deadline has stopped
//! before anyone else can claim the room. A renewal after expiry fails: the node must claim
//! again, under a new epoch.
//!
//! **Why a fenced write cannot slip through.** The check takes a share lock on the claim's
//! row and holds it to `COMMIT`; taking the claim over updates that row, so it waits for the
//! commit. Every write of epoch *e* is thus ordered before the claim of epoch *e + 1*, and
//! the next host restores from a state that already holds it.
//!
//! Claims need a database several nodes share: [`crate::PgStore`] has them; the embedded
//! stores answer [`StoreError::Unsupported`].
//!
//! [`Store::record_fenced`]: crate::Store::record_fenced
//! [`Store::save_snapshot`]: crate::Store::save_snapshot

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{CommittedRound, StoreError};

/// What a fenced write proves it still holds: a room's claim by one node at one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Fence {
    /// The room's cluster-wide name (any text: `guess/17`, a private code ...).
    pub room: String,
    /// The node holding it.
    pub node: String,
    /// The claim's epoch: raised by one at each new claim of the room.
    pub epoch: u64,
}

/// A claim held by this node, until [`valid_until`](Self::valid_until) unless renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// What writes under this lease carry.
    pub fence: Fence,
    /// When this node must have stopped hosting the room, by its own clock: the database's
    /// expiry is later in real time (the deadline is taken before the statement is sent).
    pub valid_until: Instant,
}

/// A claim this node did not get: who holds the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The node holding it.
    pub node: String,
    /// Its epoch.
    pub epoch: u64,
    /// How long its lease still runs, by the database's clock.
    pub expires_in_ms: i64,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The room is this node's, under a new epoch.
    Won(Lease),
    /// Another node (or this one, under an earlier claim) holds a live lease.
    Held(Holder),
}

/// A room's claim as the database has it, live or not (for a cluster's status page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimRecord {
    /// The room.
    pub room: String,
    /// The node that claimed it last.
    pub node: String,
    /// The latest epoch.
    pub epoch: u64,
    /// Whether the lease still runs (not expired, not released).
    pub live: bool,
    /// How long it still runs (negative: expired that long ago), by the database's clock.
    pub expires_in_ms: i64,
}

/// A room's state as its host last saved it (opaque to the store: the server's snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSnapshot {
    /// The room.
    pub room: String,
    /// The epoch it was saved under.
    pub epoch: u64,
    /// The node that saved it.
    pub node: String,
    /// The snapshot (JSON).
    pub body: String,
    /// When it was saved, in milliseconds since the Unix epoch (database clock).
    pub saved_at_ms: i64,
    /// Saved by [`Claims::hand_over`]: its host stopped the room, saved it and let the claim
    /// go in one transaction (a graceful leave). Any later save clears it.
    pub handed_over: bool,
    /// The highest round of the room committed under any of its claims (`None`: none), read
    /// with the snapshot. A snapshot is saved in the background after its win's commit, so
    /// a host that dies may have committed rounds its last snapshot does not hold.
    pub last_round: Option<u64>,
}

/// Claims, renewals and releases of rooms. Each call runs to completion before returning.
///
/// Kept apart from the [`crate::Store`] that commits (a connection of its own), so that a
/// renewal never waits behind a long commit.
pub trait Claims: Send + 'static {
    /// Claims `room` for `node` for `lease`, unless another live lease holds it. A won claim
    /// has the room's next epoch (1 for a room never claimed).
    ///
    /// # Errors
    /// The store's failure (nothing claimed).
    fn claim(&mut self, room: &str, node: &str, lease: Duration) -> Result<Claimed, StoreError>;

    /// Extends a live lease by `lease` from now. `Ok(None)`: the claim is lost (expired,
    /// released, or taken): stop hosting, and claim again to host once more.
    ///
    /// # Errors
    /// The store's failure: the lease was not renewed, and runs out at its deadline.
    fn renew(&mut self, fence: &Fence, lease: Duration) -> Result<Option<Lease>, StoreError>;

    /// [`renew`](Self::renew) for every fence at once: the answer for each, in order. A node
    /// hosting a thousand rooms renews them every third of a lease; one statement each, every
    /// one its own commit, would not keep up (the load generator saw a node lose 68 of its 100
    /// rooms' leases so). The default renews them one by one.
    ///
    /// # Errors
    /// The store's failure: none was renewed, and each runs out at its deadline.
    fn renew_all(
        &mut self,
        fences: &[Fence],
        lease: Duration,
    ) -> Result<Vec<Option<Lease>>, StoreError> {
        fences
            .iter()
            .map(|fence| self.renew(fence, lease))
            .collect()
    }

    /// Gives the room up at once (a node leaving gracefully): another node may claim it
    /// without waiting for the lease to run out. `false`: the claim was not held any more.
    ///
    /// # Errors
    /// The store's failure (the lease then runs out by itself).
    fn release(&mut self, fence: &Fence) -> Result<bool, StoreError>;

    /// Hands the room over (a node leaving gracefully, the room stopped between two
    /// messages): saves `body` as its snapshot *marked handed over* and releases the claim,
    /// in one transaction fenced by `fence` — both or neither. The mark is what lets the
    /// next host go on with the game exactly; a snapshot saved any other way
    /// ([`crate::Store::save_snapshot`]) is unmarked, so a host that crashed never leaves a
    /// marked one behind. `false`: the claim was not held any more (nothing saved).
    ///
    /// # Errors
    /// The store's failure (nothing saved, nothing released: the lease runs out by itself).
    fn hand_over(&mut self, fence: &Fence, body: &str) -> Result<bool, StoreError> {
        let _ = (fence, body);
        Err(StoreError::Unsupported {
            what: "room handovers",
        })
    }

    /// The room closed for good (its last player left): its snapshot is deleted and its
    /// claim released, so that no node adopts it (see [`Claims::orphans`]). Fenced: a node
    /// that lost the claim retires nothing. `false`: the claim was not held any more.
    ///
    /// # Errors
    /// The store's failure (the lease then runs out by itself, and the room may be adopted
    /// by another node with nobody in it, which closes it in turn).
    fn retire(&mut self, fence: &Fence) -> Result<bool, StoreError>;

    /// The rooms whose host is gone: a lease run out or released, a snapshot left to
    /// restore them from. What a surviving node adopts.
    ///
    /// # Errors
    /// The store's failure.
    fn orphans(&mut self) -> Result<Vec<ClaimRecord>, StoreError>;

    /// Every room's latest claim, by room.
    ///
    /// # Errors
    /// The store's failure.
    fn claims(&mut self) -> Result<Vec<ClaimRecord>, StoreError>;

    /// The room's last saved snapshot, if any.
    ///
    /// # Errors
    /// The store's failure.
    fn snapshot_of(&mut self, room: &str) -> Result<Option<StoredSnapshot>, StoreError>;

    /// The rounds of `room` committed under its claim of `epoch` or a later one, numbered
    /// `round` or higher, by round: what a snapshot saved under `epoch` with round `round` in
    /// play does not hold. Exact by the fence: every write under an epoch is ordered before
    /// the next claim, and a snapshot saved under `epoch` holds every round of the epochs
    /// before (its host restored from them), so nothing older comes back.
    ///
    /// # Errors
    /// The store's failure; [`StoreError::Unsupported`] for a store without claims.
    fn rounds_since(
        &mut self,
        room: &str,
        epoch: u64,
        round: u64,
    ) -> Result<Vec<CommittedRound>, StoreError> {
        let _ = (room, epoch, round);
        Err(StoreError::Unsupported {
            what: "rounds by claim (claims need PostgreSQL)",
        })
    }
}

/// A lease's local deadline: `lease` from `sent` (an instant taken before the statement).
pub(crate) fn deadline(sent: Instant, lease: Duration) -> Instant {
    sent.checked_add(lease).unwrap_or(sent)
}
