//! This server as one node of a cluster (`referee serve --cluster nats://… --node NAME`).
//!
//! A cluster is several Referee processes sharing one PostgreSQL (everything that must
//! survive, and who hosts which room) and one NATS (every message between nodes). The
//! design is `docs/CLUSTER.md`; the pieces that are not specific to this server live in
//! `referee-remote` (ask/tell across nodes) and `referee-cluster` (leases on rooms).
//! Without `--cluster` none of this runs and no NATS is needed.
//!
//! Here, one concern per file:
//! * `join.rs`: joining at start-up — NATS, the node's row and index, the subject prefix,
//!   the lease keeper, the snapshot saver;
//! * `claims.rs`: the claim each room holds while it is hosted here;
//! * `serving.rs`, `saver.rs`: rooms served to the other nodes, their snapshots saved;
//! * `gossip.rs`, `view.rs` (pure), `known.rs`, `seats.rs`: the cluster-wide lobby — rooms
//!   announced and heard, seats asked of another node's lobby;
//! * `adopt.rs`: failover — orphaned rooms claimed and restored from their snapshots;
//! * `nats.rs`: how a node reaches NATS — TLS, credentials kept out of logs;
//! * `handover.rs`: a node leaving gracefully hands its rooms over (the game goes on);
//! * `cut_off.rs`: a node cut off from NATS gives its rooms up;
//! * `liveness.rs`: which nodes' players are gone (their seats in rooms here are freed);
//! * `keys.rs`: the keys players' tokens are signed with, re-read after every heartbeat;
//!   `revocations.rs`: the tokens revoked one player at a time, re-read as the keys;
//!   `key_age.rs`: the key rotated on a schedule (`--token-key-max-age`);
//! * `duties.rs`: the background tasks started and stopped with the server.

pub(crate) mod adopt;
mod catch_up;
pub(crate) mod claims;
mod cut_off;
mod duties;
pub(crate) mod gossip;
mod handover;
mod join;
mod key_age;
pub(crate) mod keys;
mod known;
pub(crate) mod liveness;
mod nats;
pub(crate) mod revocations;
pub(crate) mod saver;
pub(crate) mod seats;
pub(crate) mod serving;
pub(crate) mod view;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use referee_cluster::Keeper;
use referee_rules::Render;
use referee_store::{PgClaims, PgNodes};

pub(crate) use claims::{RoomClaims, claimed_room};
pub(crate) use duties::NodeDuties;
pub use join::{JoinError, Node, NodeConfig, valid_node_name};
pub use key_age::{DEFAULT_MAX_AGE as DEFAULT_TOKEN_KEY_MAX_AGE, parse_max_age};
pub use nats::{NatsTls, NatsTlsError, redacted};

use crate::ids::RoomId;
use crate::metrics::Metrics;
use crate::room::RoomLink;

/// How often a node tells the database it is alive.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);

/// A node not heard from for this long is shown as not live (`/api/cluster`): a few missed
/// heartbeats, so that one slow statement does not make a node look dead.
pub(crate) const LIVE_WINDOW: Duration = Duration::from_secs(5);

/// Room and player numbers each node has to itself: node `i` hands out numbers from
/// `i * NUMBERS_PER_NODE + 1`. A billion: a node would have to open a room every 10 ms for
/// over 100 days, or take a player every millisecond for 11 days, to reach the next node's
/// numbers; past them its counters wrap within its own range (`ids.rs`), reusing the
/// numbers of rooms and players long gone. Node indices up to 4 million keep every number
/// below 2^52 (the bots' numbers start there, and JavaScript reads them exactly).
pub(crate) const NUMBERS_PER_NODE: u64 = 1_000_000_000;

/// How long a player's token is accepted after it was issued.
pub const TOKEN_LIFETIME: Duration = crate::parking::signed::LIFETIME;

/// How far ahead of the database's clock a node's clock may date a token.
pub const TOKEN_SKEW: Duration = crate::parking::signed::SKEW;

/// The player number and the issue time (ms since the epoch) a cluster token says it is
/// for, unchecked — what `referee cluster revoke-token --token` revokes; `None` if it is
/// not a cluster token.
pub fn token_names(token: &str) -> Option<(u64, u64)> {
    crate::parking::signed::named(token).map(|(player, issued)| (player.0, issued))
}

pub(crate) use known::KnownNodes;
pub(crate) use serving::RoomServing;

/// What a node needs to reach the others: its NATS connection and its place in the cluster.
pub(crate) struct ClusterNode {
    /// The node's connection to NATS.
    pub(crate) client: async_nats::Client,
    /// The node's name (`--node`), unique in the cluster: claims and subjects carry it.
    pub(crate) name: String,
    /// This run of the node: its name and its run as the database counts them (`a_r3`).
    /// Its players' member subjects carry it, so that a restarted node never receives
    /// frames meant for its earlier run's connections.
    pub(crate) run: String,
    /// The node's number in the cluster (given by the database at start-up): it makes room
    /// and player numbers unique across nodes.
    pub(crate) index: u32,
    /// What every NATS subject of the cluster starts with (`referee.<cluster id>`, the id
    /// drawn once by the shared database): two clusters on one NATS never meet.
    pub(crate) prefix: String,
    /// The keys players' tokens are signed and checked with, the same on every node (drawn
    /// by the shared database, rotated by the host, re-read after every heartbeat): a player
    /// whose node dies presents their token to another (`parking/signed.rs`, `keys.rs`).
    pub(crate) tokens: keys::NodeKeys,
    /// What it knows of the other nodes' rooms (the cluster-wide lobby's hints).
    pub(crate) view: KnownNodes,
    /// Where players reach this node (announced to the others, shown by `/api/cluster`).
    pub(crate) addresses: referee_store::NodeAddresses,
    /// Saves the rooms' snapshots under their claims (`saver.rs`).
    pub(crate) saver: saver::SaverHandle,
    /// The first room number this run of the node hands out: past every room its earlier
    /// runs claimed (another node may host one of them now, adopted after a failure).
    pub(crate) first_room: crate::ids::RoomId,
    /// Where in its range this run numbers its players from: a slice of a million of its
    /// own, derived from the run the database counted at registration (`join::first_player`).
    pub(crate) first_player: u64,
    /// The leases on the rooms this node hosts.
    pub(crate) keeper: Keeper,
    /// The claims being given back as their rooms close (see `RoomClaims::releasing`).
    pub(crate) releasing: tokio_util::task::TaskTracker,
    /// How long a lease holds a room (`--lease-ms`).
    pub(crate) lease: Duration,
    /// The token key is rotated once it is older (`--token-key-max-age`; `None`: only by
    /// the host's command).
    pub(crate) token_key_max_age: Option<Duration>,
    /// The node's row among the cluster's nodes (registration, heartbeat, leave). Blocking:
    /// used on the blocking pool only.
    pub(crate) nodes: Arc<Mutex<PgNodes>>,
    /// The reads of `/api/cluster`, on connections of their own: a status read never delays
    /// a renewal or a heartbeat. Blocking, as `nodes`; one read at a time (a read that finds
    /// another running is refused rather than queued, so a stalled database cannot pile up
    /// blocked threads).
    pub(crate) reads: Arc<Mutex<StatusReads>>,
}

/// The connections `/api/cluster` reads with.
pub(crate) struct StatusReads {
    /// Every registered node.
    pub(crate) nodes: PgNodes,
    /// Every room's claim.
    pub(crate) claims: PgClaims,
}

impl std::fmt::Debug for ClusterNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterNode")
            .field("name", &self.name)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ClusterNode {
    /// A link to room `room` on another node, for a player of this node; its asks are
    /// counted in `metrics`.
    pub(crate) fn link<G: Render>(
        &self,
        room: RoomId,
        metrics: Option<Arc<Metrics>>,
    ) -> RoomLink<G> {
        RoomLink::remote(&self.client, &self.prefix, &self.run, room, metrics)
    }

    /// The first room and player number of this node.
    pub(crate) fn first_number(&self) -> u64 {
        u64::from(self.index) * NUMBERS_PER_NODE + 1
    }

    /// What the lobby claims its rooms with, and the first room number of this run.
    pub(crate) fn room_claims(&self) -> (RoomClaims, crate::ids::RoomId) {
        let claims = RoomClaims {
            keeper: self.keeper.clone(),
            node: self.name.clone(),
            releasing: self.releasing.clone(),
        };
        (claims, self.first_room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::claims::claim_name;

    #[test]
    fn claim_names_round_trip_and_foreign_ones_are_ignored() {
        assert_eq!(
            claimed_room(&claim_name(1_000_000_017)),
            Some(1_000_000_017)
        );
        assert_eq!(claimed_room("room/x"), None);
        assert_eq!(claimed_room("table/3"), None);
    }
}
