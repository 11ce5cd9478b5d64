//! The claims' database connection as an actor on a thread of its own: a claim, a renewal or
//! a release blocks that thread for a round trip to PostgreSQL (or longer, when the database
//! is unreachable), never a runtime's. The keeper asks it, and keeps its own clock meanwhile.

use std::time::Duration;

use referee_actor::{Actor, Handler, Message};
use referee_store::{Claimed, Claims, Fence, Lease, StoreError};

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

/// Give a claim up.
pub(crate) struct Release(pub(crate) Fence);

impl Message for Release {
    type Reply = Result<bool, StoreError>;
}

impl Handler<Release> for Database {
    fn handle(
        &mut self,
        msg: Release,
        _: &mut referee_actor::Context<Self>,
    ) -> Result<bool, StoreError> {
        self.claims.release(&msg.0)
    }
}
