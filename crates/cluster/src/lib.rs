//! What a Referee node needs to share rooms with other nodes, built on the actor core and on
//! the store's claims (`referee_store::Claims`; the protocol and why it is safe:
//! `docs/CLUSTER.md`).
//!
//! So far: the [`Keeper`], which holds a node's leases on the rooms it hosts, renews them in
//! time, and gives each up — telling the node with a [`LeaseLost`] — *before* the database
//! could let another node claim it, even when the database stops answering. The node stops
//! hosting a room when it hears that; every durable write of the room is fenced besides
//! (`referee_store::Store::record_fenced`), so a node that fails to stop still cannot
//! commit for it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod database;
mod error;
mod keeper;

pub use error::ClusterError;
pub use keeper::{Acquired, HeldLease, Keeper, KeeperConfig, LeaseLost, LostWhy};
