//! Game time: [`Millis`], milliseconds since the room started.
//!
//! Rules never read a clock. The room turns its own monotonic clock into a
//! `Millis` and passes it to every rule step, so a turn clock or a countdown
//! is tested with plain numbers and a replay reproduces it exactly.

use std::fmt;
use std::ops::Add;

use serde::{Deserialize, Serialize};

/// A point in game time, or a duration: milliseconds since the room started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// The start of game time.
    pub const ZERO: Millis = Millis(0);

    /// `seconds` as milliseconds.
    pub const fn from_secs(seconds: u64) -> Millis {
        Millis(seconds.saturating_mul(1000))
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> Millis {
        Millis(self.0.saturating_sub(earlier.0))
    }

    /// Whole seconds, rounded up (what a countdown shows: 0.2 s left reads `1 s`).
    pub fn ceil_secs(self) -> u64 {
        self.0.div_ceil(1000)
    }
}

impl Add for Millis {
    type Output = Millis;

    fn add(self, rhs: Millis) -> Millis {
        Millis(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_saturates_at_zero() {
        assert_eq!(Millis(5).since(Millis(9)), Millis::ZERO);
        assert_eq!(Millis(9).since(Millis(5)), Millis(4));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(Millis(200).ceil_secs(), 1);
        assert_eq!(Millis(25_000).ceil_secs(), 25);
        assert_eq!(Millis(0).ceil_secs(), 0);
    }

    #[test]
    fn adding_saturates() {
        assert_eq!(Millis(u64::MAX) + Millis(1), Millis(u64::MAX));
        assert_eq!(Millis::from_secs(15) + Millis(1), Millis(15_001));
    }

    #[test]
    fn serializes_as_a_bare_number() {
        assert_eq!(serde_json::to_string(&Millis(30_000)).unwrap(), "30000");
    }
}
