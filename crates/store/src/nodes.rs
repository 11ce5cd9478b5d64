//! The nodes of a cluster as the shared database knows them: a name, a number for good, where
//! players reach it, and when it was last heard from.
//!
//! A node's **index** is given by the database the first time its name registers and kept
//! for good: the same name gets the same index back after a restart. The server derives its
//! room and player numbers from it, so that two nodes never hand out the same number. A node
//! proves it is alive by a heartbeat that moves `last_seen` (the database's clock); a node
//! that leaves gracefully says so. [`crate::PgNodes`] keeps them in PostgreSQL.

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

/// A registered node, live or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRecord {
    /// The node's name (`--node`).
    pub name: String,
    /// Its number in the cluster.
    pub index: u32,
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
