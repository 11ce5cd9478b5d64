//! [`PgStore`]: the records in a PostgreSQL database, for hosts who run several server
//! nodes or want their results in the database they already operate and back up.
//!
//! **Driver.** The synchronous [`postgres`] crate (the blocking face of `tokio-postgres`,
//! from the same project): the [`crate::Store`] trait is synchronous and the server keeps
//! its store on a thread of its own, so an async driver and a pool would buy nothing here —
//! one writer connection and one connection per reader is all Referee uses. That crate runs
//! each client on a small runtime of its own and refuses to be called from inside another
//! one (the recorder's thread runs one), so each connection lives on a plain thread of its
//! own (`worker.rs`) and the store talks to it over a channel.
//!
//! **Durable before announced.** A batch is one transaction; `record` returns `Ok` only after
//! `COMMIT` returned. **Idempotent:** a round whose key is stored already is skipped
//! (`ON CONFLICT DO NOTHING`), so a commit retried after a connection lost mid-`COMMIT` — it
//! may or may not have committed — never counts a win twice, and several nodes may write at
//! once.
//!
//! **Faults.** A lost connection drops the client; the next call connects again. Errors are
//! typed: [`StoreError::Unreachable`] / [`StoreError::ConnectionLost`] are transient (the
//! recorder keeps retrying), [`StoreError::Statement`] is not. The URL's password never
//! appears in an error or a log line: [`redact`].

mod claims;
mod keys;
mod migrations;
mod nodes;
mod prepared;
mod queries;
mod revocations;
mod session;
pub mod testing;
mod worker;

use crate::{
    Fence, GameWins, Leaderboard, MatchRecord, RoundResult, Store, StoreError, StoreReader,
};

pub use claims::{LateCommit, PgClaims};
pub use keys::{RotateError, Rotation, TokenKeys, rotate_token_key};
pub use nodes::PgNodes;
pub use revocations::{MAX_REVOCATIONS, Revocations, Revoke, RevokeError, Revoked, revoke_token};
use session::Session;
pub use session::redact;
use worker::Worker;

/// Round results in a PostgreSQL database.
pub struct PgStore {
    worker: Worker,
    /// The URL without its password, for errors and logs.
    url: String,
    /// How every connection is made (the reader's too).
    config: postgres::Config,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user[:password]@host:port/db`),
    /// applies the schema migrations (under an advisory lock: several nodes may start at
    /// once) and checks the schema is not newer than this build knows.
    ///
    /// # Errors
    /// [`StoreError::Unreachable`] (naming the URL without its password),
    /// [`StoreError::TooNew`], [`StoreError::Statement`].
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None)
    }

    /// [`connect`](Self::connect), with every table in `schema` (which must exist) instead
    /// of the user's default search path: tests use a fresh schema each.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Some(schema))
    }

    fn connect_with(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let redacted = redact(url);
        let config = session::config(url, schema).map_err(|detail| StoreError::Unreachable {
            url: redacted.clone(),
            detail,
        })?;
        // Even the first connection is made on the worker's thread: the caller may be
        // inside an async runtime (the server's `main` is).
        let worker = Worker::spawn(Session::new(config.clone(), redacted.clone()))?;
        let url = redacted.clone();
        worker.ask(move |client| migrations::migrate(client, &url))??;
        Ok(PgStore {
            worker,
            url: redacted,
            config,
        })
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Claims of rooms ([`crate::Claims`]) over a connection of their own, made at their
    /// first use.
    ///
    /// # Errors
    /// The connection's thread cannot be started.
    pub fn claims(&self) -> Result<PgClaims, StoreError> {
        PgClaims::new(Session::new(self.config.clone(), self.url.clone()))
    }

    /// The same database over a connection of its own (made at its first use; the schema
    /// is migrated already): for a writer that must not wait behind this store's commits.
    ///
    /// # Errors
    /// The connection's thread cannot be started.
    pub fn another(&self) -> Result<PgStore, StoreError> {
        Ok(PgStore {
            worker: Worker::spawn(Session::new(self.config.clone(), self.url.clone()))?,
            url: self.url.clone(),
            config: self.config.clone(),
        })
    }

    /// The cluster's nodes ([`PgNodes`]) over a connection of their own, made at their first
    /// use.
    ///
    /// # Errors
    /// The connection's thread cannot be started.
    pub fn nodes(&self) -> Result<PgNodes, StoreError> {
        PgNodes::new(Session::new(self.config.clone(), self.url.clone()))
    }
}

/// A reader: a connection of its own, made at its first read.
struct PgReader {
    worker: Worker,
}

macro_rules! reads {
    ($ty:ty) => {
        impl StoreReader for $ty {
            fn leaderboard(
                &mut self,
                game: Option<&str>,
                limit: usize,
                now_ms: i64,
                recent_ms: i64,
            ) -> Result<Leaderboard, StoreError> {
                let game = game.map(str::to_owned);
                self.worker.ask(move |client| {
                    queries::leaderboard(client, game.as_deref(), limit, now_ms, recent_ms)
                })
            }

            fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
                let key = crate::player_key(name);
                self.worker
                    .ask(move |client| queries::wins_of(client, &key))
            }

            fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError> {
                let key = crate::player_key(name);
                self.worker
                    .ask(move |client| queries::games_of(client, &key))
            }

            fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError> {
                let id = id.to_owned();
                self.worker
                    .ask(move |client| queries::match_by_id(client, &id))
            }

            fn recent_matches(
                &mut self,
                game: Option<&str>,
                limit: usize,
            ) -> Result<Vec<MatchRecord>, StoreError> {
                let game = game.map(str::to_owned);
                self.worker
                    .ask(move |client| queries::recent_matches(client, game.as_deref(), limit))
            }
        }
    };
}

reads!(PgStore);
reads!(PgReader);

impl Store for PgStore {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let rounds = rounds.to_vec();
        self.worker
            .ask_prepared(move |client, prepared| queries::record(client, prepared, &rounds))
    }

    fn record_fenced(&mut self, fence: &Fence, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let (fence, rounds) = (fence.clone(), rounds.to_vec());
        self.worker.ask_prepared(move |client, prepared| {
            queries::record_fenced(client, prepared, &fence, &rounds)
        })?
    }

    fn record_fenced_groups(
        &mut self,
        groups: &[(Fence, Vec<RoundResult>)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let groups = groups.to_vec();
        self.worker.ask_prepared(move |client, prepared| {
            queries::record_fenced_groups(client, prepared, &groups)
        })
    }

    fn save_snapshot(&mut self, fence: &Fence, body: &str) -> Result<(), StoreError> {
        let (fence, body) = (fence.clone(), body.to_owned());
        self.worker.ask_prepared(move |client, prepared| {
            claims::save_snapshot(client, prepared, &fence, &body)
        })?
    }

    fn save_snapshots(
        &mut self,
        snapshots: &[(Fence, String)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let snapshots = snapshots.to_vec();
        self.worker.ask_prepared(move |client, prepared| {
            claims::save_snapshots(client, prepared, &snapshots)
        })
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        let session = Session::new(self.config.clone(), self.url.clone());
        Ok(Box::new(PgReader {
            worker: Worker::spawn(session)?,
        }))
    }
}
