//! The nodes of a cluster as the shared database knows them: a name, a number for good, where
//! players reach it, and when it was last heard from.
//!
//! A node's **index** is given by the database the first time its name registers and kept
//! for good: the same name gets the same index back after a restart. The server derives its
//! room and player numbers from it, so that two nodes never hand out the same number. A node
//! proves it is alive by a heartbeat that moves `last_seen` (the database's clock); a node
//! that leaves gracefully says so. [`crate::PgNodes`] keeps them in PostgreSQL.
//!
//! Each registration is also a new **run** of the node, counted in the database (1, 2, 3…
//! per name, raised in the registering statement itself): a restarted node derives where it
//! numbers its players from it, so that two runs of one node never hand out the same player
//! number — a random start would collide once in a while, and a player number that an
//! earlier run's player still holds a seat under would be taken for them.

use serde::Serialize;

/// Where a node serves players (each `None` when it does not serve that way).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeAddresses {
    /// HTTP: the web page, `/api/*`.
    pub http: Option<String>,
    /// The line protocol (netcat).
    pub tcp: Option<String>,
    /// WebSocket players (`ws://…/ws`).
    pub ws: Option<String>,
}

/// What a registration gives a node: its index for good, and which run of it this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// Its number in the cluster: the same for every run of the name.
    pub index: u32,
    /// This run of the name: 1 for its first registration, one more at each one after.
    pub run: u64,
}

/// A registered node, live or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRecord {
    /// The node's name (`--node`).
    pub name: String,
    /// Its number in the cluster.
    pub index: u32,
    /// Its latest run (see [`Registration::run`]): the players of an earlier run are gone.
    pub run: u64,
    /// Where it serves players.
    pub addresses: NodeAddresses,
    /// When it last started, in milliseconds since the Unix epoch (database clock).
    pub started_at_ms: i64,
    /// When it was last heard from, in milliseconds since the Unix epoch (database clock).
    pub last_seen_ms: i64,
    /// How long ago that was, in milliseconds (database clock).
    pub silent_ms: i64,
    /// Heard from within the liveness window, and not gone.
    pub live: bool,
    /// It left gracefully (and has not started again since).
    pub left: bool,
}
