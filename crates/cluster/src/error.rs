//! Why a cluster operation failed.

use referee_store::StoreError;

/// A cluster operation's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The database refused or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A thread could not be started.
    #[error("cannot start the claims' thread: {0}")]
    Thread(String),
    /// The keeper (or its database's actor) has stopped.
    #[error("the lease keeper has stopped: {0}")]
    Stopped(String),
}
