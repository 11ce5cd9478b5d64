//! Tokens any node of a cluster can check: who a player is, signed with the cluster's key.
//!
//! On one server a token is a random secret the parking actor remembers. In a cluster the
//! player's node may die, and with it that memory; so a cluster node issues *signed* tokens,
//! `v1.<player>.<issued ms>.<HMAC-SHA256, 64 hex digits>`, the MAC over a domain tag, the
//! player's number and the issue time, under the key the shared database drew once
//! (migration 6). Any node can then tell that the bearer is player `<player>` without having
//! seen the token before; which seat they get back is the room's business: a room gives a
//! seat only to the player seated in it (`Rejoin`), so a token proves nothing about rooms.
//!
//! Against an attacker: a forged or altered token fails the MAC (checked in constant time by
//! `ring`); a token of one player cannot name another (the number is under the MAC); a token
//! older than [`LIFETIME`] (or issued in the future past [`SKEW`]) is refused. A stolen token
//! is the player, as a stolen random token is on one server: tokens only travel over the
//! player's own connection (`wss` in production) and the page's session storage.
//!
//! Pure: the time comes in as an argument.

use std::time::Duration;

use referee_rules::PlayerId;
use ring::hmac;

/// How long a token names its player: a browser tab kept open for a day keeps its seat
/// across a node's death; a token leaked yesterday is worthless.
pub(crate) const LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How far in the future an issue time may be (node clocks differ a little).
pub(crate) const SKEW: Duration = Duration::from_secs(300);

/// What each MAC starts with, so that the key never signs anything else by accident.
const DOMAIN: &[u8] = b"referee player token v1\0";

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("not a token of this cluster")]
    Malformed,
    #[error("the token's signature does not match")]
    Forged,
    #[error("the token has expired")]
    Expired,
}

/// The cluster's token key.
#[derive(Clone)]
pub(crate) struct TokenKey(hmac::Key);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(…)")
    }
}

impl TokenKey {
    /// The key from the database's hex digits; `None` if they are not at least 32 bytes'
    /// worth of hex.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        let bytes = decode_hex(hex)?;
        (bytes.len() >= 30).then(|| TokenKey(hmac::Key::new(hmac::HMAC_SHA256, &bytes)))
    }

    /// A token for `player`, issued at `now_ms` (milliseconds since the Unix epoch).
    pub(crate) fn issue(&self, player: PlayerId, now_ms: u64) -> String {
        let tag = hmac::sign(&self.0, &signed_bytes(player, now_ms));
        format!("v1.{player}.{now_ms}.{}", encode_hex(tag.as_ref()))
    }

    /// The player `token` names, if this key signed it and it is still valid at `now_ms`.
    ///
    /// # Errors
    /// [`TokenError`]: not of this shape, a MAC that does not match, too old or too new.
    #[cfg(test)]
    pub(crate) fn check(&self, token: &str, now_ms: u64) -> Result<PlayerId, TokenError> {
        check(std::iter::once((self, u64::MAX)), token, now_ms)
    }

    /// Whether `tag` is this key's MAC of `player` and `issued` (constant time).
    fn signed(&self, player: PlayerId, issued: u64, tag: &[u8]) -> bool {
        hmac::verify(&self.0, &signed_bytes(player, issued), tag).is_ok()
    }
}

/// The keys a cluster node checks tokens with: the one it signs with, and the one before
/// the cluster's last rotation (`referee cluster rotate-token-key`), accepted until the
/// tokens it signed expire, unless it was revoked.
///
/// The previous key is accepted only for tokens issued before the rotation (give or take
/// [`SKEW`]): someone who got hold of it cannot mint tokens that outlive the rotation by
/// more than a token's lifetime.
#[derive(Debug, Clone)]
pub(crate) struct KeyRing {
    /// The key tokens are signed with.
    current: TokenKey,
    /// The key before the last rotation, and the latest issue time it is accepted for.
    previous: Option<(TokenKey, u64)>,
}

impl KeyRing {
    /// The keys from the database's hex digits; `None` if either is malformed. The previous
    /// key comes with when it was replaced (milliseconds since the Unix epoch; `None`, which
    /// the database never holds beside a previous key: accepted for no token).
    pub(crate) fn from_hex(current: &str, previous: Option<(&str, Option<i64>)>) -> Option<Self> {
        let current = TokenKey::from_hex(current)?;
        let previous = match previous {
            Some((hex, rotated_at)) => Some((TokenKey::from_hex(hex)?, latest_issue(rotated_at))),
            None => None,
        };
        Some(KeyRing { current, previous })
    }

    /// A token for `player`, issued at `now_ms`, signed with the current key.
    pub(crate) fn issue(&self, player: PlayerId, now_ms: u64) -> String {
        self.current.issue(player, now_ms)
    }

    /// The player `token` names, if the current or the previous key signed it and it is
    /// still valid at `now_ms`. A token of a revoked key is [`TokenError::Forged`], as one
    /// no key of this cluster ever signed: the bearer learns nothing of rotations.
    ///
    /// # Errors
    /// [`TokenError`]: not of this shape, a MAC that no key matches, too old or too new.
    pub(crate) fn check(&self, token: &str, now_ms: u64) -> Result<PlayerId, TokenError> {
        let current = std::iter::once((&self.current, u64::MAX));
        let previous = self.previous.iter().map(|(key, latest)| (key, *latest));
        check(current.chain(previous), token, now_ms)
    }
}

/// The latest issue time a key replaced at `rotated_at` may have signed: nodes take a
/// rotation a moment late, and their clocks differ from the database's by up to [`SKEW`].
fn latest_issue(rotated_at: Option<i64>) -> u64 {
    let skew = u64::try_from(SKEW.as_millis()).unwrap_or(u64::MAX);
    rotated_at
        .and_then(|at| u64::try_from(at).ok())
        .map_or(0, |at| at.saturating_add(skew))
}

/// The player `token` names, if one of `keys` signed it — each key with the latest issue
/// time it is accepted for — and it is still valid at `now_ms`. Every key is tried (each in
/// constant time), whichever matched: the time taken does not say which.
fn check<'k>(
    keys: impl Iterator<Item = (&'k TokenKey, u64)>,
    token: &str,
    now_ms: u64,
) -> Result<PlayerId, TokenError> {
    let mut parts = token.split('.');
    let (Some("v1"), Some(player), Some(issued), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    let player = PlayerId(player.parse().map_err(|_| TokenError::Malformed)?);
    let issued: u64 = issued.parse().map_err(|_| TokenError::Malformed)?;
    let tag = decode_hex(tag).ok_or(TokenError::Malformed)?;
    let signed = keys.fold(false, |any, (key, latest)| {
        (key.signed(player, issued, &tag) & (issued <= latest)) | any
    });
    if !signed {
        return Err(TokenError::Forged);
    }
    let lifetime = u64::try_from(LIFETIME.as_millis()).unwrap_or(u64::MAX);
    let skew = u64::try_from(SKEW.as_millis()).unwrap_or(u64::MAX);
    if issued.saturating_add(lifetime) < now_ms || issued > now_ms.saturating_add(skew) {
        return Err(TokenError::Expired);
    }
    Ok(player)
}

/// The player and the issue time `token` says it is for, unchecked (the revocation list is
/// looked up with them once a key's MAC vouched for them); `None` if it has not the shape.
pub(crate) fn named(token: &str) -> Option<(PlayerId, u64)> {
    let mut parts = token.strip_prefix("v1.")?.split('.');
    let player = parts.next()?.parse().ok()?;
    let issued = parts.next()?.parse().ok()?;
    Some((PlayerId(player), issued))
}

/// Whether `token` has the shape of a signed token (rather than a node's random one).
pub(crate) fn is_signed(token: &str) -> bool {
    token.starts_with("v1.")
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

fn signed_bytes(player: PlayerId, issued: u64) -> Vec<u8> {
    let mut bytes = DOMAIN.to_vec();
    bytes.extend_from_slice(&player.0.to_be_bytes());
    bytes.extend_from_slice(&issued.to_be_bytes());
    bytes
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 || hex.len() > 256 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: u64 = 24 * 3600 * 1000;
    const NOW: u64 = 1_800_000_000_000;

    fn key(hex: &str) -> TokenKey {
        TokenKey::from_hex(hex).unwrap_or_else(|| panic!("a key"))
    }

    fn cluster_key() -> TokenKey {
        key(&"0123456789abcdef".repeat(4))
    }

    #[test]
    fn a_token_names_the_player_it_was_issued_to() {
        let token = cluster_key().issue(PlayerId(2_000_000_017), NOW);
        assert_eq!(
            cluster_key().check(&token, NOW + 1_000),
            Ok(PlayerId(2_000_000_017))
        );
        assert!(is_signed(&token));
        assert!(token.len() <= 128, "{token}");
    }

    #[test]
    fn another_players_number_under_the_same_signature_is_forged() {
        let token = cluster_key().issue(PlayerId(7), NOW);
        let altered = token.replacen("v1.7.", "v1.8.", 1);
        assert_eq!(cluster_key().check(&altered, NOW), Err(TokenError::Forged));
        let later = token.replacen(&format!(".{NOW}."), &format!(".{}.", NOW + 1), 1);
        assert_eq!(cluster_key().check(&later, NOW), Err(TokenError::Forged));
    }

    #[test]
    fn another_clusters_token_is_forged() {
        let other = key(&"fedcba9876543210".repeat(4));
        let token = other.issue(PlayerId(7), NOW);
        assert_eq!(cluster_key().check(&token, NOW), Err(TokenError::Forged));
    }

    #[test]
    fn a_token_past_its_lifetime_or_from_the_future_is_expired() {
        let token = cluster_key().issue(PlayerId(7), NOW);
        assert_eq!(
            cluster_key().check(&token, NOW + DAY_MS - 1),
            Ok(PlayerId(7))
        );
        assert_eq!(
            cluster_key().check(&token, NOW + DAY_MS + 1),
            Err(TokenError::Expired)
        );
        assert_eq!(
            cluster_key().check(&token, NOW - 3_600_000),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn shapes_that_are_not_tokens_are_malformed() {
        for bad in [
            "",
            "0123456789abcdef0123456789abcdef",
            "v1.7.1",
            "v1.x.1.00",
            "v1.7.1.zz",
            "v1.7.1.00.extra",
            "v2.7.1.00",
        ] {
            assert_eq!(
                cluster_key().check(bad, NOW),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_ring_signs_with_its_current_key_and_accepts_the_previous_one() {
        let (old, new) = (&"0123456789abcdef".repeat(4), &"fedcba9876543210".repeat(4));
        let before = key(old).issue(PlayerId(7), NOW);
        let at = i64::try_from(NOW).ok();
        let rotated = KeyRing::from_hex(new, Some((old, at))).unwrap_or_else(|| panic!("keys"));
        assert_eq!(rotated.check(&before, NOW + 1), Ok(PlayerId(7)));
        // Someone holding the old key cannot mint tokens that outlive the rotation.
        let minted = key(old).issue(PlayerId(7), NOW + 3_600_000);
        assert_eq!(
            rotated.check(&minted, NOW + 3_600_001),
            Err(TokenError::Forged)
        );
        let late = key(old).issue(PlayerId(7), NOW + 60_000);
        assert_eq!(
            rotated.check(&late, NOW + 60_001),
            Ok(PlayerId(7)),
            "within the skew"
        );
        let after = rotated.issue(PlayerId(8), NOW);
        assert_eq!(
            key(new).check(&after, NOW),
            Ok(PlayerId(8)),
            "signed: new key"
        );
        assert_eq!(rotated.check(&after, NOW), Ok(PlayerId(8)));
        let revoked = KeyRing::from_hex(new, None).unwrap_or_else(|| panic!("keys"));
        assert_eq!(revoked.check(&before, NOW + 1), Err(TokenError::Forged));
        assert!(KeyRing::from_hex(new, Some(("abcd", at))).is_none());
    }

    #[test]
    fn a_token_says_whose_and_when_before_it_is_checked() {
        let token = cluster_key().issue(PlayerId(2_000_000_017), NOW);
        assert_eq!(named(&token), Some((PlayerId(2_000_000_017), NOW)));
        assert_eq!(named("v1.x.1.00"), None);
        assert_eq!(named("0123456789abcdef"), None);
    }

    #[test]
    fn short_or_odd_keys_are_refused() {
        assert!(TokenKey::from_hex("abcd").is_none());
        assert!(TokenKey::from_hex(&"g".repeat(64)).is_none());
    }
}
