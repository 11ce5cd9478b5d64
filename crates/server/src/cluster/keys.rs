//! The token keys a node signs and checks players' tokens with (`parking/signed.rs`),
//! kept up to date: read at start-up, then again after every heartbeat (`duties.rs`), so
//! that a rotation (`referee cluster rotate-token-key`) reaches every node within a
//! heartbeat and a statement, without a restart — and a revocation takes effect as fast.
//!
//! A read that fails keeps the keys known (and says so in the log): a node never drops to
//! "no key", which would refuse every returning player, nor to the wrong one.

use std::sync::{Arc, PoisonError, RwLock};

use referee_rules::PlayerId;
use referee_store::TokenKeys;

use super::ClusterNode;
use super::revocations::RevocationList;
use crate::parking::KeyRing;
use crate::parking::signed::{self, TokenError};

/// The node's keys, shared by its connections (read on every token issued or checked,
/// replaced when the database's change).
#[derive(Debug)]
pub(crate) struct NodeKeys {
    known: RwLock<Known>,
    /// The tokens revoked one player at a time (`revocations.rs`), refused whatever key
    /// signed them.
    revoked: RevocationList,
}

#[derive(Debug)]
struct Known {
    /// As the database had them, to tell whether they changed.
    hex: TokenKeys,
    ring: Arc<KeyRing>,
}

/// The database's keys are not hex keys.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the cluster's token keys in the database are malformed")]
pub(crate) struct Malformed;

/// What a re-read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refreshed {
    /// The same keys.
    Same,
    /// A rotation: a new current key, the old one still accepted.
    Rotated,
    /// A new current key and no previous one: the tokens signed before are refused.
    Revoked,
}

impl NodeKeys {
    /// The node's keys, from the database's.
    pub(crate) fn new(hex: TokenKeys) -> Result<Self, Malformed> {
        let ring = ring(&hex)?;
        Ok(NodeKeys {
            known: RwLock::new(Known {
                hex,
                ring: Arc::new(ring),
            }),
            revoked: RevocationList::default(),
        })
    }

    /// A token for `player`, issued at `now_ms`, signed with the current key.
    pub(crate) fn issue(&self, player: PlayerId, now_ms: u64) -> String {
        self.ring().issue(player, now_ms)
    }

    /// The player `token` names, if the current or the previous key signed it
    /// ([`KeyRing::check`]) and the host did not revoke it (`referee cluster revoke-token`):
    /// a revoked token, expired or not, is [`TokenError::Forged`], the answer a token no key
    /// signed gets — the bearer learns nothing of the revocation.
    pub(crate) fn check(&self, token: &str, now_ms: u64) -> Result<PlayerId, TokenError> {
        let checked = self.ring().check(token, now_ms);
        if let Ok(_) | Err(TokenError::Expired) = checked
            && let Some((player, issued)) = signed::named(token)
            && self.revoked.refuses(player, issued)
        {
            return Err(TokenError::Forged);
        }
        checked
    }

    /// The tokens revoked one player at a time.
    pub(crate) fn revoked(&self) -> &RevocationList {
        &self.revoked
    }

    /// Takes the database's keys `hex` if they changed.
    pub(crate) fn update(&self, hex: TokenKeys) -> Result<Refreshed, Malformed> {
        if self.read().hex == hex {
            return Ok(Refreshed::Same);
        }
        let ring = Arc::new(ring(&hex)?);
        let refreshed = if hex.previous.is_some() {
            Refreshed::Rotated
        } else {
            Refreshed::Revoked
        };
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        *known = Known { hex, ring };
        Ok(refreshed)
    }

    fn ring(&self) -> Arc<KeyRing> {
        self.read().ring.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.known.read().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ring(hex: &TokenKeys) -> Result<KeyRing, Malformed> {
    let previous = hex.previous.as_deref().map(|key| (key, hex.rotated_at_ms));
    KeyRing::from_hex(&hex.current, previous).ok_or(Malformed)
}

/// Re-reads the cluster's keys on the node's own connection (blocking pool) and takes them
/// if they changed; a failed read keeps the keys known, logged.
pub(super) async fn refresh(node: &Arc<ClusterNode>) {
    let nodes = node.nodes.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes.lock().unwrap_or_else(PoisonError::into_inner);
        nodes.token_keys()
    });
    let read = match read.await {
        Ok(read) => read.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    };
    let hex = match read {
        Ok(hex) => hex,
        Err(err) => {
            tracing::warn!(%err, "token keys not re-read; the known ones are kept");
            return;
        }
    };
    match node.tokens.update(hex) {
        Ok(Refreshed::Same) => {}
        Ok(Refreshed::Rotated) => {
            tracing::info!("the cluster's token key was rotated: signing with the new one");
        }
        Ok(Refreshed::Revoked) => tracing::warn!(
            "the cluster's token key was rotated and the previous one revoked: tokens signed \
             before are refused"
        ),
        Err(err) => tracing::error!(%err, "the known token keys are kept"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(current: &str, previous: Option<&str>) -> TokenKeys {
        TokenKeys {
            current: current.repeat(4),
            previous: previous.map(|p| p.repeat(4)),
            rotated_at_ms: previous.map(|_| 1_500),
        }
    }

    const A: &str = "0123456789abcdef";
    const B: &str = "fedcba9876543210";
    const C: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn a_rotation_then_a_revocation_are_taken_and_malformed_keys_are_not() {
        let keys = NodeKeys::new(hex(A, None)).unwrap_or_else(|_| panic!("keys"));
        let before = keys.issue(PlayerId(7), 1_000);
        assert_eq!(keys.update(hex(A, None)).ok(), Some(Refreshed::Same));
        assert_eq!(keys.update(hex(B, Some(A))).ok(), Some(Refreshed::Rotated));
        assert_eq!(keys.check(&before, 2_000), Ok(PlayerId(7)));
        assert!(keys.update(hex("zz", Some(B))).is_err(), "malformed");
        assert_eq!(keys.check(&before, 2_000), Ok(PlayerId(7)), "kept");
        assert_eq!(keys.update(hex(C, None)).ok(), Some(Refreshed::Revoked));
        assert_eq!(keys.check(&before, 2_000), Err(TokenError::Forged));
        let after = keys.issue(PlayerId(8), 3_000);
        assert_eq!(keys.check(&after, 3_000), Ok(PlayerId(8)));
    }

    #[test]
    fn a_revoked_players_token_is_forged_and_a_later_one_is_not() {
        let keys = NodeKeys::new(hex(A, None)).unwrap_or_else(|_| panic!("keys"));
        let stolen = keys.issue(PlayerId(7), 1_000);
        let other = keys.issue(PlayerId(8), 1_000);
        keys.revoked().update(referee_store::Revocations {
            version: 1,
            entries: vec![(7, 1_000)],
        });
        assert_eq!(keys.check(&stolen, 2_000), Err(TokenError::Forged));
        let day = 24 * 3600 * 1000;
        assert_eq!(
            keys.check(&stolen, day + 2_000),
            Err(TokenError::Forged),
            "expired"
        );
        assert_eq!(keys.check(&other, 2_000), Ok(PlayerId(8)));
        let later = keys.issue(PlayerId(7), 1_001);
        assert_eq!(keys.check(&later, 2_000), Ok(PlayerId(7)));
        assert_eq!(
            keys.check("v1.7.1000.zz", 2_000),
            Err(TokenError::Malformed)
        );
    }
}
