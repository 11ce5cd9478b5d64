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
    /// A query or transaction failed while running.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
