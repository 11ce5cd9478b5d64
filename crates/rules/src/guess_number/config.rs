//! How a guess-the-number room is set up: [`GuessConfig`], validated on
//! construction so the rules never draw from an empty range.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The settings of a guess-the-number room.
///
/// Secrets are drawn uniformly in `0..max`. The field is private so every
/// config has passed [`GuessConfig::new`]'s checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct GuessConfig {
    max: u32,
}

/// A config as read from bytes (a match log), before [`GuessConfig::new`]
/// checks it.
#[derive(Deserialize)]
struct Unchecked {
    max: u32,
}

impl TryFrom<Unchecked> for GuessConfig {
    type Error = ConfigError;

    fn try_from(unchecked: Unchecked) -> Result<Self, ConfigError> {
        GuessConfig::new(unchecked.max)
    }
}

/// Why a [`GuessConfig`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Fewer than two possible numbers would make the game trivial.
    #[error("max {max} is too small: it must be at least {min}")]
    MaxTooSmall {
        /// The requested max.
        max: u32,
        /// The smallest accepted max ([`GuessConfig::MIN_MAX`]).
        min: u32,
    },
    /// Larger ranges are refused to keep numbers readable.
    #[error("max {max} is too large: it must be at most {limit}")]
    MaxTooLarge {
        /// The requested max.
        max: u32,
        /// The largest accepted max ([`GuessConfig::MAX_MAX`]).
        limit: u32,
    },
}

impl GuessConfig {
    /// The smallest accepted `max`: two possible numbers.
    pub const MIN_MAX: u32 = 2;
    /// The largest accepted `max`.
    pub const MAX_MAX: u32 = 1_000_000_000;
    /// The `max` of [`GuessConfig::default`].
    pub const DEFAULT_MAX: u32 = 20;

    /// A config whose secrets are drawn from `0..max`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::MaxTooSmall`] below [`Self::MIN_MAX`],
    /// [`ConfigError::MaxTooLarge`] above [`Self::MAX_MAX`].
    pub fn new(max: u32) -> Result<Self, ConfigError> {
        if max < Self::MIN_MAX {
            return Err(ConfigError::MaxTooSmall {
                max,
                min: Self::MIN_MAX,
            });
        }
        if max > Self::MAX_MAX {
            return Err(ConfigError::MaxTooLarge {
                max,
                limit: Self::MAX_MAX,
            });
        }
        Ok(Self { max })
    }

    /// The exclusive upper bound of secrets and valid guesses.
    pub fn max(&self) -> u32 {
        self.max
    }
}

impl Default for GuessConfig {
    /// Numbers from 0 to 19.
    fn default() -> Self {
        Self {
            max: Self::DEFAULT_MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_max_is_twenty() {
        assert_eq!(GuessConfig::default().max(), 20);
    }

    #[test]
    fn accepts_the_smallest_max() {
        assert_eq!(GuessConfig::new(2).map(|c| c.max()), Ok(2));
    }

    #[test]
    fn accepts_the_largest_max() {
        assert!(GuessConfig::new(GuessConfig::MAX_MAX).is_ok());
    }

    #[test]
    fn rejects_max_below_two() {
        assert_eq!(
            GuessConfig::new(1),
            Err(ConfigError::MaxTooSmall { max: 1, min: 2 })
        );
        assert!(GuessConfig::new(0).is_err());
    }

    #[test]
    fn rejects_max_above_the_limit() {
        let err = GuessConfig::new(GuessConfig::MAX_MAX + 1).unwrap_err();
        assert!(matches!(err, ConfigError::MaxTooLarge { .. }));
    }

    #[test]
    fn error_message_names_the_bound() {
        let err = GuessConfig::new(1).unwrap_err();
        assert_eq!(err.to_string(), "max 1 is too small: it must be at least 2");
    }
}
