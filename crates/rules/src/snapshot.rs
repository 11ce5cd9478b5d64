//! A room's game as bytes: the versioned [`Snapshot`].
//!
//! A snapshot is what a restarted referee resumes from, and what a player
//! who reconnects or a spectator who arrives mid-hand is computed from. It
//! names its format version and its game, so bytes written by another game
//! or a future format are refused instead of misread.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Game;

/// One game's whole state, tagged with format version and game name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot<G> {
    /// The snapshot format ([`SNAPSHOT_FORMAT`] when written by this crate).
    pub format: u32,
    /// The game's [`Game::NAME`].
    pub game: String,
    /// The game's state, secrets included: a snapshot is never sent to a
    /// player as it is, only views computed from it.
    pub state: G,
}

/// The snapshot format this crate writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// Why bytes could not be read back as a [`Snapshot`].
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// Not JSON, or not this game's state.
    #[error("snapshot is not readable: {0}")]
    Json(#[from] serde_json::Error),
    /// Written by another game.
    #[error("snapshot is of game {found:?}, not one of {expected:?}")]
    WrongGame {
        /// The games the reading type plays ([`Game::games`]).
        expected: Vec<&'static str>,
        /// The game named in the snapshot.
        found: String,
    },
    /// Written in a format this build does not read.
    #[error("snapshot format {found} is not supported (this build reads {supported})")]
    UnsupportedFormat {
        /// The format named in the snapshot.
        found: u32,
        /// The format this build reads.
        supported: u32,
    },
}

impl<G: Game> Snapshot<G> {
    /// A snapshot of `state`.
    pub fn new(state: G) -> Self {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            game: state.game().to_owned(),
            state,
        }
    }

    /// The snapshot as JSON bytes.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Json`] if the state cannot be serialized (a game
    /// whose state has non-string map keys, for instance).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        Ok(serde_json::to_vec(self)?)
    }

    /// Reads a snapshot written by [`Snapshot::to_bytes`], checking that it is
    /// of this game and in this format.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Json`] for unreadable bytes,
    /// [`SnapshotError::WrongGame`] or [`SnapshotError::UnsupportedFormat`]
    /// for another game's or format's snapshot.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let header: Header = serde_json::from_slice(bytes)?;
        if header.format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::UnsupportedFormat {
                found: header.format,
                supported: SNAPSHOT_FORMAT,
            });
        }
        let expected = G::games();
        if !expected.contains(&header.game.as_str()) {
            return Err(SnapshotError::WrongGame {
                expected,
                found: header.game,
            });
        }
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// The fields read first, before trusting the state's shape.
#[derive(Deserialize)]
struct Header {
    format: u32,
    game: String,
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    use super::*;
    use crate::{GuessConfig, GuessNumber, Millis, PlayerId};

    fn game() -> GuessNumber {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(PlayerId(1), Millis::ZERO, &mut rng);
        game
    }

    #[test]
    fn round_trips_through_bytes() {
        let snapshot = Snapshot::new(game());
        let bytes = snapshot.to_bytes().unwrap();
        let back = Snapshot::<GuessNumber>::from_bytes(&bytes).unwrap();
        assert_eq!(back, snapshot);
    }

    #[test]
    fn names_format_and_game() {
        let json = String::from_utf8(Snapshot::new(game()).to_bytes().unwrap()).unwrap();
        assert!(
            json.starts_with(r#"{"format":1,"game":"guess","state":{"#),
            "{json}"
        );
    }

    #[test]
    fn refuses_another_game() {
        let json = r#"{"format":1,"game":"dice","state":{}}"#;
        let err = Snapshot::<GuessNumber>::from_bytes(json.as_bytes()).unwrap_err();
        assert!(matches!(err, SnapshotError::WrongGame { found, .. } if found == "dice"));
    }

    #[test]
    fn refuses_a_future_format() {
        let json = r#"{"format":2,"game":"guess","state":{}}"#;
        let err = Snapshot::<GuessNumber>::from_bytes(json.as_bytes()).unwrap_err();
        assert!(matches!(
            err,
            SnapshotError::UnsupportedFormat { found: 2, .. }
        ));
    }
}
