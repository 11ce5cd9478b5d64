//! Hash commitments: the referee fixes a hidden value before anyone plays,
//! publishes only its hash, and reveals value and salt afterwards, so anyone
//! can check the value was not changed in between.
//!
//! A [`Commitment`] is `sha256(domain ‖ parts…)`. The `domain` is a
//! versioned, NUL-terminated label that fixes what the parts are and how
//! long each one is, so a commitment made for one purpose can never be passed
//! off as one for another, and the hashed bytes can be reproduced exactly by
//! any outside tool. Guess-the-number uses [`GUESS_DOMAIN`]:
//!
//! ```text
//! sha256("referee/guess/v1\0" ‖ round as u64 big-endian ‖ secret as u32 big-endian ‖ salt (16 bytes))
//! ```
//!
//! The [`Salt`] is drawn fresh from the game's RNG for every commitment:
//! without it a secret from a small range (0..20) could be found from its
//! commitment by trying every value. Another game commits the same way with
//! its own domain and [`commit_bytes`]; a part whose length varies must then
//! carry its own length in the layout its domain names.
//!
//! Liar's Dice commits to each player's dice at every hand's roll under
//! [`DICE_DOMAIN`] (the dice vary in number, so their count comes first):
//!
//! ```text
//! sha256("referee/dice/v1\0" ‖ match as u64 BE ‖ hand as u64 BE ‖ player as u64 BE
//!        ‖ dice count as u8 ‖ each face as u8 ‖ salt (16 bytes))
//! ```
//!
//! `docs/protocol.md` ("Provably fair rounds") has worked examples.
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use referee_rules::{Salt, commit_guess, verify_guess};
//!
//! let salt = Salt::draw(&mut StdRng::seed_from_u64(1));
//! let commitment = commit_guess(4, 7, &salt);
//! assert!(verify_guess(&commitment, 4, 7, &salt));
//! assert!(!verify_guess(&commitment, 4, 8, &salt));
//! let shown = commitment.to_string(); // 64 lowercase hex digits
//! assert_eq!(shown.parse(), Ok(commitment));
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::PlayerId;
use crate::hex_text::Hex;

/// The domain of guess-the-number's round commitments (version 1).
pub const GUESS_DOMAIN: &[u8] = b"referee/guess/v1\0";

/// The domain of Liar's Dice's per-player hand commitments (version 1).
pub const DICE_DOMAIN: &[u8] = b"referee/dice/v1\0";

/// A SHA-256 commitment; shown and serialized as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment([u8; 32]);

/// A random salt mixed into a commitment; shown and serialized as 32
/// lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Salt([u8; Salt::LEN]);

/// Why a text is not a commitment or a salt.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The text has the wrong number of characters.
    #[error("expected {expected} hex digits, found {found} characters")]
    Length {
        /// Hex digits the value needs.
        expected: usize,
        /// Characters the text has.
        found: usize,
    },
    /// The text has a character that is not a hex digit.
    #[error("not a hex digit: {0:?}")]
    NotHex(char),
}

/// `sha256(domain ‖ parts[0] ‖ parts[1] ‖ …)`: the building block under
/// every commitment. `domain` must fix the number and lengths of the parts.
pub fn commit_bytes(domain: &[u8], parts: &[&[u8]]) -> Commitment {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    for part in parts {
        hasher.update(part);
    }
    Commitment(hasher.finalize().into())
}

/// The commitment to guess-the-number's `secret` for `round`, under [`GUESS_DOMAIN`].
pub fn commit_guess(round: u64, secret: u32, salt: &Salt) -> Commitment {
    commit_bytes(
        GUESS_DOMAIN,
        &[&round.to_be_bytes(), &secret.to_be_bytes(), &salt.0],
    )
}

/// Whether `commitment` is the one for `secret` and `salt` in `round`.
pub fn verify_guess(commitment: &Commitment, round: u64, secret: u32, salt: &Salt) -> bool {
    commit_guess(round, secret, salt) == *commitment
}

/// The commitment to `player`'s `dice` (faces in the order rolled) in
/// `hand` of match `match_no`, under [`DICE_DOMAIN`]. A cup holds at most
/// [`crate::DiceConfig::DICE_EACH`] dice, so the count always fits its byte.
pub fn commit_dice(
    match_no: u64,
    hand: u64,
    player: PlayerId,
    dice: &[u8],
    salt: &Salt,
) -> Commitment {
    let count = [u8::try_from(dice.len()).unwrap_or(u8::MAX)];
    commit_bytes(
        DICE_DOMAIN,
        &[
            &match_no.to_be_bytes(),
            &hand.to_be_bytes(),
            &player.0.to_be_bytes(),
            &count,
            dice,
            &salt.0,
        ],
    )
}

/// Whether `commitment` is the one for `player`'s `dice` and `salt` in
/// `hand` of match `match_no`.
pub fn verify_dice(
    commitment: &Commitment,
    match_no: u64,
    hand: u64,
    player: PlayerId,
    dice: &[u8],
    salt: &Salt,
) -> bool {
    dice.len() <= usize::from(u8::MAX)
        && commit_dice(match_no, hand, player, dice, salt) == *commitment
}

impl Commitment {
    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Salt {
    /// Bytes in a salt: 128 bits, too many to guess.
    pub const LEN: usize = 16;

    /// A fresh salt from `rng` (the game's RNG, so seeded servers replay).
    pub fn draw(rng: &mut dyn rand::Rng) -> Salt {
        let mut bytes = [0; Salt::LEN];
        rng.fill_bytes(&mut bytes);
        Salt(bytes)
    }

    /// A salt with these bytes.
    pub fn from_bytes(bytes: [u8; Salt::LEN]) -> Salt {
        Salt(bytes)
    }

    /// The salt's bytes.
    pub fn as_bytes(&self) -> &[u8; Salt::LEN] {
        &self.0
    }
}

/// Decodes exactly `N` bytes from `text` (2·N hex digits, either case).
fn decode<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(HexError::NotHex(bad));
    }
    let mut bytes = [0; N];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| HexError::Length {
        expected: 2 * N,
        found: text.chars().count(),
    })?;
    Ok(bytes)
}

macro_rules! hex_text {
    ($type:ident) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.hex().as_str())
            }
        }

        impl $type {
            /// The lowercase hex digits, on the stack (what `Display` writes).
            pub(crate) fn hex(&self) -> Hex {
                Hex::of(&self.0)
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($type), "({})"), self)
            }
        }

        impl FromStr for $type {
            type Err = HexError;

            fn from_str(text: &str) -> Result<Self, HexError> {
                decode(text).map($type)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(Hex::of(&self.0).as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_text!(Commitment);
hex_text!(Salt);

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn salt() -> Salt {
        Salt::from_bytes(std::array::from_fn(|i| i as u8))
    }

    /// Computed independently of this crate:
    /// python3 -c "import hashlib; print(hashlib.sha256(b'referee/guess/v1\0'
    ///   + (4).to_bytes(8,'big') + (7).to_bytes(4,'big') + bytes(range(16))).hexdigest())"
    const ROUND_4_SECRET_7: &str =
        "58f90d9dfb598e76a8c0fe4e95cdf8715f494d22153abfba53a60af3d1417e62";

    #[test]
    fn guess_commitment_matches_the_independent_test_vector() {
        assert_eq!(commit_guess(4, 7, &salt()).to_string(), ROUND_4_SECRET_7);
    }

    #[test]
    fn guess_commitment_is_the_domain_then_the_parts() {
        let salt = salt();
        let parts: [&[u8]; 3] = [&4u64.to_be_bytes(), &7u32.to_be_bytes(), salt.as_bytes()];
        assert_eq!(
            commit_bytes(GUESS_DOMAIN, &parts),
            commit_guess(4, 7, &salt)
        );
    }

    #[test]
    fn verify_accepts_the_committed_values() {
        let commitment = commit_guess(4, 7, &salt());
        assert!(verify_guess(&commitment, 4, 7, &salt()));
    }

    #[test]
    fn verify_rejects_a_changed_secret_round_or_salt() {
        let commitment = commit_guess(4, 7, &salt());
        let other_salt = Salt::from_bytes([0; Salt::LEN]);
        assert!(!verify_guess(&commitment, 4, 8, &salt()));
        assert!(!verify_guess(&commitment, 5, 7, &salt()));
        assert!(!verify_guess(&commitment, 4, 7, &other_salt));
    }

    /// Computed independently of this crate:
    /// python3 -c "import hashlib; print(hashlib.sha256(b'referee/dice/v1\0'
    ///   + (2).to_bytes(8,'big') + (3).to_bytes(8,'big') + (7).to_bytes(8,'big')
    ///   + bytes([5, 2, 5, 5, 6, 1]) + bytes(range(16))).hexdigest())"
    const MATCH_2_HAND_3_PLAYER_7: &str =
        "b3f75d0e193558d31402d938ae57c57c2344a4c5ff6028e61a6c20bda4ac3956";

    #[test]
    fn dice_commitment_matches_the_independent_test_vector() {
        let commitment = commit_dice(2, 3, PlayerId(7), &[2, 5, 5, 6, 1], &salt());
        assert_eq!(commitment.to_string(), MATCH_2_HAND_3_PLAYER_7);
    }

    #[test]
    fn verify_dice_rejects_any_changed_part() {
        let dice = [2, 5, 5, 6, 1];
        let commitment = commit_dice(2, 3, PlayerId(7), &dice, &salt());
        assert!(verify_dice(&commitment, 2, 3, PlayerId(7), &dice, &salt()));
        assert!(!verify_dice(&commitment, 1, 3, PlayerId(7), &dice, &salt()));
        assert!(!verify_dice(&commitment, 2, 4, PlayerId(7), &dice, &salt()));
        assert!(!verify_dice(&commitment, 2, 3, PlayerId(8), &dice, &salt()));
        assert!(!verify_dice(
            &commitment,
            2,
            3,
            PlayerId(7),
            &[2, 5, 5, 6, 2],
            &salt()
        ));
        assert!(!verify_dice(
            &commitment,
            2,
            3,
            PlayerId(7),
            &[2, 5, 5, 6],
            &salt()
        ));
        let other = Salt::from_bytes([0; Salt::LEN]);
        assert!(!verify_dice(&commitment, 2, 3, PlayerId(7), &dice, &other));
    }

    #[test]
    fn another_domain_gives_another_commitment() {
        let parts: [&[u8]; 1] = [b"x"];
        assert_ne!(commit_bytes(b"a\0", &parts), commit_bytes(b"b\0", &parts));
    }

    #[test]
    fn salts_are_drawn_fresh_and_reproducibly() {
        let mut rng = StdRng::seed_from_u64(3);
        let (first, second) = (Salt::draw(&mut rng), Salt::draw(&mut rng));
        assert_ne!(first, second);
        assert_eq!(Salt::draw(&mut StdRng::seed_from_u64(3)), first);
    }

    #[test]
    fn hex_text_round_trips_and_accepts_upper_case() {
        let commitment = commit_guess(1, 2, &salt());
        assert_eq!(commitment.to_string().parse(), Ok(commitment));
        assert_eq!(
            commitment.to_string().to_uppercase().parse(),
            Ok(commitment)
        );
        assert_eq!(salt().to_string(), "000102030405060708090a0b0c0d0e0f");
        assert_eq!(salt().to_string().parse(), Ok(salt()));
    }

    #[test]
    fn bad_hex_is_a_typed_error() {
        assert_eq!(
            "abc".parse::<Salt>(),
            Err(HexError::Length {
                expected: 32,
                found: 3
            })
        );
        assert_eq!(
            ROUND_4_SECRET_7.replace('5', "g").parse::<Commitment>(),
            Err(HexError::NotHex('g'))
        );
        assert_eq!("é".parse::<Salt>(), Err(HexError::NotHex('é')));
    }

    #[test]
    fn serde_uses_the_hex_string() {
        let json = serde_json::to_string(&salt()).unwrap();
        assert_eq!(json, "\"000102030405060708090a0b0c0d0e0f\"");
        assert_eq!(serde_json::from_str::<Salt>(&json).unwrap(), salt());
        assert!(serde_json::from_str::<Commitment>("\"00\"").is_err());
    }

    #[test]
    fn debug_names_the_type() {
        assert_eq!(
            format!("{:?}", salt()),
            "Salt(000102030405060708090a0b0c0d0e0f)"
        );
    }
}
