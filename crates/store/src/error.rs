//! Why the store failed, in terms an operator can act on.

use std::path::PathBuf;

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is not a database, or fails its integrity check.
    #[error("{path}: the database is corrupt ({detail}); move it away or restore a backup")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Another process holds the database (another server on the same file?).
    #[error("{path}: the database is locked by another process")]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The file or its directory cannot be written.
    #[error("{path}: the database cannot be written ({detail})")]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The file cannot be opened or created.
    #[error("{path}: cannot open the database ({detail})")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The database was written by a newer version of Referee.
    #[error(
        "{db}: schema version {found} is newer than this server knows ({known}); \
         run a newer Referee"
    )]
    TooNew {
        /// The database file, or the PostgreSQL URL without its password.
        db: String,
        /// The schema version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The file the store opened is no longer the file at its path (deleted, or replaced by
    /// another file, or its write-ahead log or shared-memory file is gone): whatever were
    /// committed now would be lost at the next start, so nothing is.
    #[error(
        "{path}: the database file was {what} while in use; nothing more is saved until a restart"
    )]
    Gone {
        /// The database file.
        path: PathBuf,
        /// What happened: "deleted", "replaced", "its write-ahead log deleted", ...
        what: String,
    },
    /// PostgreSQL cannot be reached (at start-up, or again after a lost connection): the
    /// commit may be retried once it is back.
    #[error("cannot reach PostgreSQL at {url}: {detail}")]
    Unreachable {
        /// The URL, without its password.
        url: String,
        /// What the driver said.
        detail: String,
    },
    /// The connection to PostgreSQL broke during a statement: the transaction may or may not
    /// have committed (a retry is safe: results are keyed).
    #[error("lost the connection to PostgreSQL at {url}: {detail}")]
    ConnectionLost {
        /// The URL, without its password.
        url: String,
        /// What the driver said.
        detail: String,
    },
    /// PostgreSQL refused a statement (a constraint, a missing table ...): retrying the same
    /// statement will not help.
    #[error("PostgreSQL refused a statement ({code}): {detail}")]
    Statement {
        /// The SQLSTATE code (`23505`, `42P01` ...).
        code: String,
        /// What the server said.
        detail: String,
    },
    /// A fenced write was refused: the room's claim is no longer this node's at this epoch
    /// (taken over, released, or its lease ran out). Nothing was written; the node must stop
    /// hosting the room.
    #[error("room {room}: the claim of node {node} at epoch {epoch} is lost; nothing was written")]
    Fenced {
        /// The room.
        room: String,
        /// The node that wrote.
        node: String,
        /// The epoch it wrote under.
        epoch: u64,
    },
    /// This store cannot do that (claims and snapshots need a database nodes share).
    #[error("this store does not keep {what}")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
    },
    /// A query or transaction failed while running.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// Whether the store may work again by itself (a database server restarting, a lock
    /// released): the recorder keeps retrying these for a while instead of giving up.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable { .. }
                | StoreError::ConnectionLost { .. }
                | StoreError::Locked { .. }
        )
    }
}
