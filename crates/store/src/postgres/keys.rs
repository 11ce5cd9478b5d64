//! The cluster's token keys (`cluster_meta`): the key nodes sign players' tokens with, the
//! one before the last rotation, and the rotation itself (`referee cluster
//! rotate-token-key`).
//!
//! Why two keys: a rotation must not log every player out, so the key it replaces stays
//! accepted (never used to sign) until the tokens it signed expire on their own; a host who
//! fears a leak revokes instead, and the old key is dropped at once. Nodes re-read both
//! keys every heartbeat, so neither needs a restart. The keys are drawn by PostgreSQL from
//! its strong random source, as migration 6 drew the first one, and never logged.

use postgres::Client;

use super::migrations;
use super::nodes::PgNodes;
use super::session::{self, Session};
use super::worker::Worker;
use crate::StoreError;

/// The keys a node checks tokens with, as hex digits. Secret: never logged nor served.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKeys {
    /// The key tokens are signed with now.
    pub current: String,
    /// The key before the last rotation, accepted but never used to sign; `None` before
    /// the first rotation and after a revocation.
    pub previous: Option<String>,
    /// When the last rotation was, in milliseconds since the Unix epoch (the database's
    /// clock): the previous key signed nothing later (`None`: never rotated).
    pub rotated_at_ms: Option<i64>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("previous", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The previous key was dropped: every token signed before is refused.
    pub revoked: bool,
    /// A key from an earlier rotation was still accepted and is no longer (a second rotation
    /// within a token's lifetime refuses the tokens of the key before the last).
    pub dropped_older: bool,
    /// When, in milliseconds since the Unix epoch (the database's clock).
    pub at_ms: i64,
}

/// Why the key could not be rotated.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// PostgreSQL could not be reached, or a statement failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database holds no Referee cluster: no node ever started on it.
    #[error(
        "{db} holds no Referee cluster (no schema, or no token key): start a node on it \
         first, or check the URL's database and search_path"
    )]
    NoCluster {
        /// The database, without its password.
        db: String,
    },
}

/// Draws a new token key for the cluster whose database is at `url`; the old key stays
/// accepted as the previous one, unless `revoke` (then it is dropped). Brings the schema up
/// to date first, but never creates one: a database no node started on is refused.
///
/// # Errors
/// [`RotateError::NoCluster`]; the store's failures ([`StoreError::Unreachable`],
/// [`StoreError::TooNew`], [`StoreError::Statement`]).
pub fn rotate_token_key(url: &str, revoke: bool) -> Result<Rotation, RotateError> {
    let db = session::redact(url);
    let config = session::config(url, None).map_err(|detail| StoreError::Unreachable {
        url: db.clone(),
        detail,
    })?;
    let worker = Worker::spawn(Session::new(config, db.clone()))?;
    let url = db.clone();
    let rotated = worker.ask(move |client| rotate(client, &url, revoke))?;
    match rotated {
        Ok(Some(rotation)) => Ok(rotation),
        Ok(None) => Err(RotateError::NoCluster { db }),
        Err(err) => Err(err.into()),
    }
}

type Answer = Result<Option<Rotation>, StoreError>;

fn rotate(client: &mut Client, url: &str, revoke: bool) -> Result<Answer, postgres::Error> {
    let schema: Option<String> = client
        .query_one("SELECT to_regclass('referee_schema')::text", &[])?
        .get(0);
    if schema.is_none() {
        return Ok(Ok(None));
    }
    if let Err(err) = migrations::migrate(client, url)? {
        return Ok(Err(err));
    }
    let row = client.query_opt(
        "WITH before AS (SELECT previous_token_key IS NOT NULL AS had FROM cluster_meta
                         WHERE token_key IS NOT NULL LIMIT 1 FOR UPDATE)
         UPDATE cluster_meta SET
             previous_token_key = CASE WHEN $1 THEN NULL ELSE token_key END,
             token_key = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
             token_key_rotated_at = clock_timestamp()
         FROM before
         WHERE cluster_meta.token_key IS NOT NULL
         RETURNING before.had,
                   (EXTRACT(EPOCH FROM cluster_meta.token_key_rotated_at) * 1000)::BIGINT",
        &[&revoke],
    )?;
    Ok(Ok(row.map(|row| Rotation {
        revoked: revoke,
        dropped_older: row.get::<_, bool>(0) && !revoke,
        at_ms: row.get(1),
    })))
}

impl PgNodes {
    /// The keys the cluster's nodes check players' tokens with (the first drawn when the
    /// schema reached version 6, rotated by [`rotate_token_key`]): a node re-reads them every
    /// heartbeat. Secret: never logged nor served.
    ///
    /// # Errors
    /// The store's failure; [`StoreError::Statement`] if the database holds no key.
    pub fn token_keys(&mut self) -> Result<TokenKeys, StoreError> {
        self.ask(|client| {
            let row = client.query_one(
                "SELECT token_key, previous_token_key,
                        (EXTRACT(EPOCH FROM token_key_rotated_at) * 1000)::BIGINT
                 FROM cluster_meta LIMIT 1",
                &[],
            )?;
            Ok((row.get::<_, Option<String>>(0), row.get(1), row.get(2)))
        })
        .and_then(|(current, previous, rotated_at_ms)| match current {
            Some(current) => Ok(TokenKeys {
                current,
                previous,
                rotated_at_ms,
            }),
            None => Err(StoreError::Statement {
                code: String::new(),
                detail: "the cluster has no token key".into(),
            }),
        })
    }
}
