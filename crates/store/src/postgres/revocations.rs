//! Tokens revoked one player at a time (`referee cluster revoke-token`), where a rotation
//! with `--revoke` would log every player out to stop one stolen token.
//!
//! A row says "refuse every token of `player` issued up to `issued_up_to_ms`": a token names
//! its player and its issue time under the MAC, so one row stops the stolen token (and any
//! older one of that player) and nothing issued later — player numbers come round after a
//! thousand runs of a node, and the next holder of the number is not refused. A row is kept
//! only as long as a token it refuses can live (`expires_at`: the issue bound plus a token's
//! lifetime and the nodes' clock margin); each revocation purges the rows past it first.
//!
//! Bounded: only the host's command adds rows (nothing a client sends does), and at most
//! [`MAX_REVOCATIONS`] live at once — past it the command is refused and a rotation with
//! `--revoke` is the answer. Nodes re-read the list after every heartbeat, as the keys, but
//! only when `cluster_meta.revocations_version` moved (every revocation raises it): one
//! small read a second, the whole list only when it changed.

use std::time::Duration;

use postgres::Client;

use super::keys::on_cluster;
use super::nodes::PgNodes;
use super::session;
use crate::StoreError;

/// The most revocations live at once: a node holds them all in memory (a few hundred KB),
/// and reads them all after a change.
pub const MAX_REVOCATIONS: i64 = 10_000;

/// What to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoke {
    /// The player whose tokens are refused.
    pub player: u64,
    /// Refuse the tokens issued up to this time (a token's own issue time, to refuse that
    /// token); `None`: every token issued so far. Either way at most the database's clock
    /// plus `margin`.
    pub issued_up_to_ms: Option<i64>,
    /// How far the nodes' clocks may be ahead of the database's.
    pub margin: Duration,
    /// How long a token lives after it was issued.
    pub lifetime: Duration,
}

/// What a revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    /// The player's tokens issued up to this time are refused (milliseconds since the Unix
    /// epoch; an earlier revocation of a later bound for the same player is kept).
    pub issued_up_to_ms: i64,
    /// When the row goes: every token it refuses has expired by then.
    pub expires_at_ms: i64,
    /// Rows past their time purged by this command.
    pub purged: u64,
    /// Revocations live now, this one included.
    pub live: i64,
}

/// Why a token could not be revoked.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
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
    /// [`MAX_REVOCATIONS`] are live already.
    #[error(
        "{max} revocations are live already (each is kept until the tokens it refuses \
         expire): rotate the key with --revoke instead, which refuses every token"
    )]
    Full {
        /// The bound.
        max: i64,
    },
    /// No player has this number (over 2^63).
    #[error("no player has the number {0}")]
    NoSuchPlayer(u64),
}

/// The revocations live, as a node holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocations {
    /// `cluster_meta.revocations_version` when they were read.
    pub version: i64,
    /// Each player with a revocation, and the latest issue time it refuses.
    pub entries: Vec<(u64, i64)>,
}

/// Refuses the tokens `revoke` names, on every node of the cluster whose database is at
/// `url` (each takes it after its next heartbeat).
///
/// # Errors
/// [`RevokeError`]: no cluster there, too many revocations live, the store's failures.
pub fn revoke_token(url: &str, revoke: Revoke) -> Result<Revoked, RevokeError> {
    let player =
        i64::try_from(revoke.player).map_err(|_| RevokeError::NoSuchPlayer(revoke.player))?;
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let (margin, lifetime) = (ms(revoke.margin), ms(revoke.lifetime));
    let up_to = revoke.issued_up_to_ms;
    let done = on_cluster(url, move |client| {
        insert(client, player, up_to, margin, lifetime)
    })?;
    match done {
        Some(Some(revoked)) => Ok(revoked),
        Some(None) => Err(RevokeError::Full {
            max: MAX_REVOCATIONS,
        }),
        None => Err(RevokeError::NoCluster {
            db: session::redact(url),
        }),
    }
}

/// One transaction, under the lock of the cluster's row: purge, insert, count, raise the
/// version. `None`: no cluster; `Some(None)`: past the bound (nothing kept).
fn insert(
    client: &mut Client,
    player: i64,
    up_to: Option<i64>,
    margin: i64,
    lifetime: i64,
) -> Result<Option<Option<Revoked>>, postgres::Error> {
    let mut tx = client.transaction()?;
    let Some(meta) = tx.query_opt(
        "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT FROM cluster_meta
         WHERE token_key IS NOT NULL LIMIT 1 FOR UPDATE",
        &[],
    )?
    else {
        return Ok(None);
    };
    let latest = meta.get::<_, i64>(0).saturating_add(margin);
    let up_to = up_to.map_or(latest, |at| at.min(latest));
    let expires = up_to.saturating_add(lifetime).saturating_add(margin);
    let purged = tx.execute(
        "DELETE FROM token_revocations WHERE expires_at < clock_timestamp()",
        &[],
    )?;
    let row = tx.query_one(
        "INSERT INTO token_revocations (player, issued_up_to_ms, expires_at, revoked_at)
         VALUES ($1, $2, to_timestamp($3::BIGINT / 1000.0), clock_timestamp())
         ON CONFLICT (player) DO UPDATE SET
             issued_up_to_ms = GREATEST(token_revocations.issued_up_to_ms,
                                        EXCLUDED.issued_up_to_ms),
             expires_at = GREATEST(token_revocations.expires_at, EXCLUDED.expires_at),
             revoked_at = EXCLUDED.revoked_at
         RETURNING issued_up_to_ms, (EXTRACT(EPOCH FROM expires_at) * 1000)::BIGINT",
        &[&player, &up_to, &expires],
    )?;
    let live: i64 = tx
        .query_one("SELECT COUNT(*) FROM token_revocations", &[])?
        .get(0);
    if live > MAX_REVOCATIONS {
        return Ok(Some(None)); // dropped: rolled back
    }
    tx.execute(
        "UPDATE cluster_meta SET revocations_version = revocations_version + 1",
        &[],
    )?;
    tx.commit()?;
    Ok(Some(Some(Revoked {
        issued_up_to_ms: row.get(0),
        expires_at_ms: row.get(1),
        purged,
        live,
    })))
}

impl PgNodes {
    /// The cluster's revocations, if they changed since version `known` (`None`: the same).
    /// The version is read before the rows: a revocation committed in between is read again
    /// at the next call, never missed.
    ///
    /// # Errors
    /// The store's failure.
    pub fn token_revocations(
        &mut self,
        known: Option<i64>,
    ) -> Result<Option<Revocations>, StoreError> {
        self.ask(move |client| {
            let version: i64 = client
                .query_one("SELECT revocations_version FROM cluster_meta LIMIT 1", &[])?
                .get(0);
            if known == Some(version) {
                return Ok(None);
            }
            let rows = client.query(
                "SELECT player, issued_up_to_ms FROM token_revocations
                 WHERE expires_at >= clock_timestamp() ORDER BY player LIMIT $1",
                &[&MAX_REVOCATIONS],
            )?;
            let entries = rows
                .iter()
                .filter_map(|row| Some((u64::try_from(row.get::<_, i64>(0)).ok()?, row.get(1))))
                .collect();
            Ok(Some(Revocations { version, entries }))
        })
    }
}
