//! The claims' database connection as an actor on a thread of its own: a claim, a renewal or
//! a release blocks that thread for a round trip to PostgreSQL (or longer, when the database
//! is unreachable), never a runtime's. The keeper asks it, and keeps its own clock meanwhile.

use std::time::Duration;

use referee_actor::{Actor, Handler, Message};
use referee_store::{
    ClaimRecord, Claimed, Claims, CommittedRound, Fence, Lease, StoreError, StoredSnapshot,
};

/// The actor owning the [`Claims`] connection.
pub(crate) struct Database {
    pub(crate) claims: Box<dyn Claims>,
}

impl Actor for Database {}

/// Claim a room for a node.
pub(crate) struct Claim {
    pub(crate) room: String,
    pub(crate) node: String,
    pub(crate) lease: Duration,
}

impl Message for Claim {
    type Reply = Result<Claimed, StoreError>;
}

impl Handler<Claim> for Database {
    fn handle(
        &mut self,
        msg: Claim,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Claimed, StoreError> {
        self.claims.claim(&msg.room, &msg.node, msg.lease)
    }
}

/// Renew a claim.
pub(crate) struct Renew {
    pub(crate) fence: Fence,
    pub(crate) lease: Duration,
}

impl Message for Renew {
    type Reply = Result<Option<Lease>, StoreError>;
}

impl Handler<Renew> for Database {
    fn handle(
        &mut self,
        msg: Renew,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Option<Lease>, StoreError> {
        self.claims.renew(&msg.fence, msg.lease)
    }
}

/// Renew every claim given, in one statement.
pub(crate) struct RenewAll {
    pub(crate) fences: Vec<Fence>,
    pub(crate) lease: Duration,
}

impl Message for RenewAll {
    type Reply = Result<Vec<Option<Lease>>, StoreError>;
}

impl Handler<RenewAll> for Database {
    fn handle(
        &mut self,
        msg: RenewAll,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Vec<Option<Lease>>, StoreError> {
        self.claims.renew_all(&msg.fences, msg.lease)
    }
}

/// How a claim is given up.
#[derive(Debug, Clone)]
pub(crate) enum Giving {
    /// Released: another node may claim the room at once ([`Claims::release`]).
    Release,
    /// The room closed for good ([`Claims::retire`]).
    Retire,
    /// Handed over with this last snapshot ([`Claims::hand_over`]).
    HandOver(String),
}

/// Give a claim up.
pub(crate) struct Release {
    pub(crate) fence: Fence,
    pub(crate) giving: Giving,
}

impl Message for Release {
    type Reply = Result<bool, StoreError>;
}

impl Handler<Release> for Database {
    fn handle(
        &mut self,
        msg: Release,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<bool, StoreError> {
        match msg.giving {
            Giving::Release => self.claims.release(&msg.fence),
            Giving::Retire => self.claims.retire(&msg.fence),
            Giving::HandOver(body) => self.claims.hand_over(&msg.fence, &body),
        }
    }
}

/// The rooms whose host is gone ([`Claims::orphans`]).
pub(crate) struct Orphans;

impl Message for Orphans {
    type Reply = Result<Vec<ClaimRecord>, StoreError>;
}

impl Handler<Orphans> for Database {
    fn handle(
        &mut self,
        _: Orphans,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Vec<ClaimRecord>, StoreError> {
        self.claims.orphans()
    }
}

/// A room's last snapshot ([`Claims::snapshot_of`]).
pub(crate) struct SnapshotOf(pub(crate) String);

impl Message for SnapshotOf {
    type Reply = Result<Option<StoredSnapshot>, StoreError>;
}

impl Handler<SnapshotOf> for Database {
    fn handle(
        &mut self,
        msg: SnapshotOf,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Option<StoredSnapshot>, StoreError> {
        self.claims.snapshot_of(&msg.0)
    }
}

/// A room's rounds committed since its snapshot ([`Claims::rounds_since`]).
pub(crate) struct RoundsSince {
    pub(crate) room: String,
    pub(crate) epoch: u64,
    pub(crate) round: u64,
}

impl Message for RoundsSince {
    type Reply = Result<Vec<CommittedRound>, StoreError>;
}

impl Handler<RoundsSince> for Database {
    fn handle(
        &mut self,
        msg: RoundsSince,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<Vec<CommittedRound>, StoreError> {
        self.claims.rounds_since(&msg.room, msg.epoch, msg.round)
    }
}
