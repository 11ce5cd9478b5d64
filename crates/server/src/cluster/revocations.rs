//! The tokens the host revoked one player at a time (`referee cluster revoke-token`), as
//! this node holds them: re-read after every heartbeat when the database's list changed
//! (`referee_store::Revocations`), consulted by every token check (`keys.rs`).
//!
//! Why by player and issue time: a token names both under its MAC, so "player *p*'s tokens
//! issued up to *t*" stops a stolen token without logging anyone else out, and without
//! refusing a token issued to *p* later (player numbers come round). A revoked token is
//! refused with the answer a forged one gets, on every node, its issuer's too.
//!
//! A read that fails keeps the list known (logged): a revocation already taken is never
//! dropped by a database hiccup.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use referee_rules::PlayerId;
use referee_store::Revocations;

use super::ClusterNode;

/// The revocations this node knows: for each player, the latest issue time refused.
#[derive(Debug, Default)]
pub(crate) struct RevocationList {
    known: RwLock<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// The database's version of the list read last (`None`: never read).
    version: Option<i64>,
    refused_up_to: HashMap<u64, u64>,
}

impl RevocationList {
    /// Whether a token of `player` issued at `issued` (ms since the epoch) is revoked.
    pub(crate) fn refuses(&self, player: PlayerId, issued: u64) -> bool {
        self.read()
            .refused_up_to
            .get(&player.0)
            .is_some_and(|up_to| issued <= *up_to)
    }

    /// The version read last, to ask the database whether the list moved since.
    pub(crate) fn version(&self) -> Option<i64> {
        self.read().version
    }

    /// Takes the database's list; how many players it names.
    pub(crate) fn update(&self, list: Revocations) -> usize {
        let refused_up_to: HashMap<u64, u64> = list
            .entries
            .into_iter()
            .map(|(player, up_to)| (player, u64::try_from(up_to).unwrap_or(0)))
            .collect();
        let players = refused_up_to.len();
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        *known = Known {
            version: Some(list.version),
            refused_up_to,
        };
        players
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.known.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Re-reads the cluster's revocations on the node's own connection (blocking pool) if they
/// changed; a failed read keeps the list known, logged.
pub(super) async fn refresh(node: &Arc<ClusterNode>) {
    let (nodes, known) = (node.nodes.clone(), node.tokens.revoked().version());
    let read = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes.lock().unwrap_or_else(PoisonError::into_inner);
        nodes.token_revocations(known)
    });
    let read = match read.await {
        Ok(read) => read.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match read {
        Ok(None) => {}
        Ok(Some(list)) => {
            let version = list.version;
            let players = node.tokens.revoked().update(list);
            if known.is_some() {
                tracing::info!(
                    version,
                    players,
                    "the cluster's revoked tokens were re-read"
                );
            }
        }
        Err(err) => tracing::warn!(%err, "revoked tokens not re-read; the known ones are kept"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_player_s_tokens_up_to_the_bound_are_refused_and_no_others() {
        let list = RevocationList::default();
        assert!(!list.refuses(PlayerId(7), 1_000));
        assert_eq!(
            list.update(Revocations {
                version: 3,
                entries: vec![(7, 1_000)],
            }),
            1
        );
        assert_eq!(list.version(), Some(3));
        assert!(list.refuses(PlayerId(7), 1_000));
        assert!(list.refuses(PlayerId(7), 5));
        assert!(!list.refuses(PlayerId(7), 1_001), "issued later");
        assert!(!list.refuses(PlayerId(8), 5), "another player");
        list.update(Revocations {
            version: 4,
            entries: vec![],
        });
        assert!(!list.refuses(PlayerId(7), 5), "purged");
    }
}
