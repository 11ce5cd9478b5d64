//! The cluster's nodes in PostgreSQL (`cluster_nodes`): registration, heartbeat, leave and
//! the list (`crate::nodes`). Every time is the database's `clock_timestamp()`.

use std::time::Duration;

use postgres::{Client, Row};

use super::session::Session;
use super::worker::Worker;
use crate::{NodeAddresses, NodeRecord, Registration, StoreError};

type Result<T> = std::result::Result<T, postgres::Error>;

/// The advisory lock taken to give out a new index (`'RefNodes'` as a number): two new names
/// registering at once get different indices instead of a unique-key violation.
const LOCK: i64 = 0x5265_664e_6f64_6573;

/// The cluster's nodes over a connection of their own ([`crate::PgStore::nodes`]).
pub struct PgNodes {
    worker: Worker,
}

impl std::fmt::Debug for PgNodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNodes").finish_non_exhaustive()
    }
}

impl PgNodes {
    pub(super) fn new(session: Session) -> std::result::Result<Self, StoreError> {
        Ok(PgNodes {
            worker: Worker::spawn(session)?,
        })
    }

    /// Runs `query` on the connection of these nodes (`keys.rs` reads the token keys).
    pub(super) fn ask<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut Client) -> Result<T> + Send + 'static,
    ) -> std::result::Result<T, StoreError> {
        self.worker.ask(query)
    }

    /// Registers the node `name` (started now, seen now, not gone) at `addresses`, and
    /// answers its index — the one it had if the name registered before, else the next one
    /// (1 for the first node) — and its run: one more than the name's registrations before
    /// (1 for the first), counted in the same statement, so two registrations of one name
    /// never get the same run.
    ///
    /// # Errors
    /// The store's failure (nothing registered).
    pub fn register(
        &mut self,
        name: &str,
        addresses: &NodeAddresses,
    ) -> std::result::Result<Registration, StoreError> {
        let (name, addresses) = (name.to_owned(), addresses.clone());
        let (index, run) = self
            .worker
            .ask(move |client| register(client, &name, &addresses))?;
        let out_of_range = |what: &str, value: i64| StoreError::Statement {
            code: String::new(),
            detail: format!("node {what} {value} out of range"),
        };
        Ok(Registration {
            index: u32::try_from(index).map_err(|_| out_of_range("index", index))?,
            run: u64::try_from(run).map_err(|_| out_of_range("run", run))?,
        })
    }

    /// The cluster's name: drawn once when the schema was made, the same for every node of
    /// this database (16 lowercase hex digits).
    ///
    /// # Errors
    /// The store's failure.
    pub fn cluster_id(&mut self) -> std::result::Result<String, StoreError> {
        self.worker.ask(|client| {
            let row = client.query_one("SELECT id FROM cluster_meta LIMIT 1", &[])?;
            Ok(row.get(0))
        })
    }

    /// Moves the node's `last_seen` to now. `false`: the name is not registered.
    ///
    /// # Errors
    /// The store's failure.
    pub fn heartbeat(&mut self, name: &str) -> std::result::Result<bool, StoreError> {
        let name = name.to_owned();
        self.worker.ask(move |client| {
            let moved = client.execute(
                "UPDATE cluster_nodes SET last_seen = clock_timestamp(), left_at = NULL
                 WHERE name = $1",
                &[&name],
            )?;
            Ok(moved == 1)
        })
    }

    /// Marks the node gone (a graceful leave): no longer live, its index kept.
    ///
    /// # Errors
    /// The store's failure.
    pub fn leave(&mut self, name: &str) -> std::result::Result<bool, StoreError> {
        let name = name.to_owned();
        self.worker.ask(move |client| {
            let left = client.execute(
                "UPDATE cluster_nodes SET left_at = clock_timestamp() WHERE name = $1",
                &[&name],
            )?;
            Ok(left == 1)
        })
    }

    /// Every registered node by index; live: heard from within `window` and not gone.
    ///
    /// # Errors
    /// The store's failure.
    pub fn nodes(&mut self, window: Duration) -> std::result::Result<Vec<NodeRecord>, StoreError> {
        let window_ms = window.as_secs_f64() * 1_000.0;
        self.worker.ask(move |client| {
            let rows = client.query(
                "SELECT name, node_index, http_addr, tcp_addr, ws_addr,
                        (EXTRACT(EPOCH FROM started_at) * 1000)::BIGINT,
                        (EXTRACT(EPOCH FROM last_seen) * 1000)::BIGINT,
                        (EXTRACT(EPOCH FROM clock_timestamp() - last_seen) * 1000)::BIGINT,
                        left_at IS NOT NULL, runs
                 FROM cluster_nodes ORDER BY node_index",
                &[],
            )?;
            Ok(rows.iter().map(|row| record(row, window_ms)).collect())
        })
    }
}

fn record(row: &Row, window_ms: f64) -> NodeRecord {
    let silent_ms: i64 = row.get(7);
    let left: bool = row.get(8);
    // Milliseconds in a window: far below 2^53, exact as a float.
    #[allow(clippy::cast_precision_loss)]
    let recent = (silent_ms as f64) < window_ms;
    NodeRecord {
        name: row.get(0),
        index: u32::try_from(row.get::<_, i64>(1)).unwrap_or(u32::MAX),
        run: u64::try_from(row.get::<_, i64>(9)).unwrap_or(0),
        addresses: NodeAddresses {
            http: row.get(2),
            tcp: row.get(3),
            ws: row.get(4),
        },
        started_at_ms: row.get(5),
        last_seen_ms: row.get(6),
        silent_ms,
        live: recent && !left,
        left,
    }
}

/// Inserts the node with the next index, or updates the one registered under its name;
/// either way counts one more run. Its index and run.
fn register(client: &mut Client, name: &str, addresses: &NodeAddresses) -> Result<(i64, i64)> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    let row = tx.query_one(
        "INSERT INTO cluster_nodes AS n
             (name, node_index, http_addr, tcp_addr, ws_addr, started_at, last_seen, left_at,
              runs)
         VALUES ($1, (SELECT COALESCE(MAX(node_index), 0) + 1 FROM cluster_nodes),
                 $2, $3, $4, clock_timestamp(), clock_timestamp(), NULL, 1)
         ON CONFLICT (name) DO UPDATE
             SET http_addr = EXCLUDED.http_addr, tcp_addr = EXCLUDED.tcp_addr,
                 ws_addr = EXCLUDED.ws_addr, started_at = EXCLUDED.started_at,
                 last_seen = EXCLUDED.last_seen, left_at = NULL, runs = n.runs + 1
         RETURNING n.node_index, n.runs",
        &[&name, &addresses.http, &addresses.tcp, &addresses.ws],
    )?;
    tx.commit()?;
    Ok((row.get(0), row.get(1)))
}
