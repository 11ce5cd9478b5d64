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
    /// The file was written by a newer version of Referee.
    #[error("{path}: schema version {found} is newer than this server knows ({known})")]
    TooNew {
        /// The database file.
        path: PathBuf,
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
    /// A query or transaction failed while running.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
