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
    match on_cluster(url, move |client| rotate(client, revoke))? {
        Some(rotation) => Ok(rotation),
        None => Err(RotateError::NoCluster {
            db: session::redact(url),
        }),
    }
}

/// Runs `job` on a connection of its own to the cluster whose database is at `url` (a host's
/// command), after bringing the schema up to date; `None` (and nothing done) if the database
/// holds no cluster — no node ever started on it — or `job` found no token key.
pub(super) fn on_cluster<T: Send + 'static>(
    url: &str,
    job: impl FnOnce(&mut Client) -> Result<Option<T>, postgres::Error> + Send + 'static,
) -> Result<Option<T>, StoreError> {
    let db = session::redact(url);
    let config = session::config(url, None).map_err(|detail| StoreError::Unreachable {
        url: db.clone(),
        detail,
    })?;
    let worker = Worker::spawn(Session::new(config, db.clone()))?;
    worker.ask(move |client| {
        let schema: Option<String> = client
            .query_one("SELECT to_regclass('referee_schema')::text", &[])?
            .get(0);
        if schema.is_none() {
            return Ok(Ok(None));
        }
        if let Err(err) = migrations::migrate(client, &db)? {
            return Ok(Err(err));
        }
        job(client).map(Ok)
    })?
}

fn rotate(client: &mut Client, revoke: bool) -> Result<Option<Rotation>, postgres::Error> {
    let row = client.query_opt(
        "WITH before AS (SELECT previous_token_key IS NOT NULL AS had FROM cluster_meta
                         WHERE token_key IS NOT NULL LIMIT 1 FOR UPDATE)
         UPDATE cluster_meta SET
             previous_token_key = CASE WHEN $1 THEN NULL ELSE token_key END,
             token_key = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
             token_key_rotated_at = clock_timestamp(),
             token_key_drawn_at = clock_timestamp()
         FROM before
         WHERE cluster_meta.token_key IS NOT NULL
         RETURNING before.had,
                   (EXTRACT(EPOCH FROM cluster_meta.token_key_rotated_at) * 1000)::BIGINT",
        &[&revoke],
    )?;
    Ok(row.map(|row| Rotation {
        revoked: revoke,
        dropped_older: row.get::<_, bool>(0) && !revoke,
        at_ms: row.get(1),
    }))
}

impl PgNodes {
    /// Rotates the token key as [`rotate_token_key`] does (the old key kept as the previous
    /// one), but only if the current key was drawn more than `max_age` ago by the database's
    /// clock: the rotation on a schedule (`referee serve --token-key-max-age`). Several
    /// nodes may ask at once; exactly one rotates: the update locks the row, and the others,
    /// once it is committed, find a key drawn just now. The time of the rotation if this
    /// call did it.
    ///
    /// # Errors
    /// The store's failure.
    pub fn rotate_token_key_if_older(
        &mut self,
        max_age: std::time::Duration,
    ) -> Result<Option<i64>, StoreError> {
        let seconds = max_age.as_secs_f64();
        self.ask(move |client| {
            let row = client.query_opt(
                "UPDATE cluster_meta SET
                     previous_token_key = token_key,
                     token_key = replace(gen_random_uuid()::text || gen_random_uuid()::text,
                                         '-', ''),
                     token_key_rotated_at = clock_timestamp(),
                     token_key_drawn_at = clock_timestamp()
                 WHERE token_key IS NOT NULL
                   AND token_key_drawn_at <= clock_timestamp() - make_interval(secs => $1)
                 RETURNING (EXTRACT(EPOCH FROM token_key_rotated_at) * 1000)::BIGINT",
                &[&seconds],
            )?;
            Ok(row.map(|row| row.get(0)))
        })
    }

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
