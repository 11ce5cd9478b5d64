//! Who is playing: the [`PlayerId`] the server hands out per connection.
//!
//! Rules never invent ids; they only compare, store and report them, so a
//! plain `u64` newtype is all they need.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A player's identity, assigned by the server per connection.
///
/// Displays (and serializes) as just the number, so `PlayerId(7)` prints `7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlayerId(pub u64);

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_prints_just_the_number() {
        assert_eq!(PlayerId(7).to_string(), "7");
    }

    #[test]
    fn serializes_as_a_bare_number() {
        assert_eq!(serde_json::to_string(&PlayerId(42)).unwrap(), "42");
    }

    #[test]
    fn deserializes_from_a_bare_number() {
        let id: PlayerId = serde_json::from_str("42").unwrap();
        assert_eq!(id, PlayerId(42));
    }

    #[test]
    fn orders_by_number() {
        assert!(PlayerId(2) < PlayerId(10));
    }
}
