//! Determinism and replays: a match is fully described by (game, config,
//! seed, log).
//!
//! All randomness of a room's game comes from one [`ChaCha8Rng`] seeded with
//! [`match_rng`]: ChaCha8 is a specified algorithm whose output does not
//! change across platforms or crate versions (unlike `StdRng`, whose
//! algorithm may). Every step that changed the game is a [`LogEntry`] —
//! a seat, a leave, an accepted action or a tick, each at its game time —
//! and [`replay`] feeds the same entries through the same rules from the
//! same seed, which rebuilds the same state. [`state_hash`] compares two
//! states without comparing them field by field (or shipping them).

use std::fmt;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::{Game, Millis, PlayerId};

/// One step that changed a game, at game time `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEntry<A> {
    /// A player sat down.
    Seat {
        /// Who.
        player: PlayerId,
        /// When.
        at: Millis,
    },
    /// A player left.
    Leave {
        /// Who.
        player: PlayerId,
        /// When.
        at: Millis,
    },
    /// A player's action, accepted by the rules (rejected ones change
    /// nothing and are not logged).
    Act {
        /// Who acted.
        player: PlayerId,
        /// The round the player had been shown.
        seen_round: u64,
        /// What they did.
        action: A,
        /// When.
        at: Millis,
    },
    /// The server ticked the game clock.
    Tick {
        /// When.
        at: Millis,
    },
    /// Bots took the open seats ([`Game::seat_bots`]), just before a tick.
    SeatBots {
        /// The bots' ids, as the server minted them.
        bots: Vec<PlayerId>,
        /// When.
        at: Millis,
    },
}

impl<A> LogEntry<A> {
    /// Applies this step to `game`.
    ///
    /// # Errors
    ///
    /// The game's rejection of an [`LogEntry::Act`].
    pub fn apply<G: Game<Action = A>>(
        self,
        game: &mut G,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<G::Event>, G::Rejection> {
        match self {
            LogEntry::Seat { player, at } => Ok(game.add_player(player, at, rng)),
            LogEntry::Leave { player, at } => Ok(game.remove_player(player, at, rng)),
            LogEntry::Act {
                player,
                seen_round,
                action,
                at,
            } => game.apply(player, seen_round, action, at, rng),
            LogEntry::Tick { at } => Ok(game.tick(at, rng)),
            LogEntry::SeatBots { bots, at } => Ok(game.seat_bots(&bots, at, rng)),
        }
    }
}

/// Everything needed to rebuild a game: which game, its config, the seed of
/// its RNG, and every step in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct MatchLog<G: Game> {
    /// The game's [`Game::NAME`].
    pub game: String,
    /// The config the game was created with.
    pub config: G::Config,
    /// The seed of the game's RNG ([`match_rng`]).
    pub seed: u64,
    /// Every step, in the order applied.
    pub entries: Vec<LogEntry<G::Action>>,
}

impl<G: Game> MatchLog<G> {
    /// An empty log for a game created from `config` and `seed`.
    pub fn new(config: G::Config, seed: u64) -> Self {
        MatchLog {
            game: G::NAME.to_owned(),
            config,
            seed,
            entries: Vec::new(),
        }
    }
}

/// Why a log could not be replayed.
#[derive(Debug, Error)]
pub enum ReplayError<R: std::error::Error + 'static> {
    /// The log is of another game.
    #[error("log is of game {found:?}, not {expected:?}")]
    WrongGame {
        /// The game asked for.
        expected: &'static str,
        /// The game named in the log.
        found: String,
    },
    /// An action the original run accepted was refused: the log does not
    /// belong to these rules (or was tampered with).
    #[error("entry {index} was refused on replay: {rejection}")]
    Refused {
        /// Its position in the log.
        index: usize,
        /// The rules' reason.
        #[source]
        rejection: R,
    },
}

/// The RNG a game created with `seed` draws from, start to end.
pub fn match_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Rebuilds the final state of a logged game.
///
/// # Errors
///
/// [`ReplayError::WrongGame`] for another game's log,
/// [`ReplayError::Refused`] when the rules refuse a logged action.
pub fn replay<G: Game>(log: &MatchLog<G>) -> Result<G, ReplayError<G::Rejection>> {
    if log.game != G::NAME {
        return Err(ReplayError::WrongGame {
            expected: G::NAME,
            found: log.game.clone(),
        });
    }
    let mut rng = match_rng(log.seed);
    let mut game = G::new(&log.config, &mut rng);
    for (index, entry) in log.entries.iter().enumerate() {
        entry
            .clone()
            .apply(&mut game, &mut rng)
            .map_err(|rejection| ReplayError::Refused { index, rejection })?;
    }
    Ok(game)
}

/// The SHA-256 of a state's JSON serialization.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateHash(pub [u8; 32]);

impl fmt::Display for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateHash({self})")
    }
}

/// The hash of `state`: equal states (as serialized) hash equal.
///
/// # Errors
///
/// The serializer's error, for a state that cannot be serialized.
pub fn state_hash<G: Game>(state: &G) -> Result<StateHash, serde_json::Error> {
    let bytes = serde_json::to_vec(state)?;
    Ok(StateHash(Sha256::digest(&bytes).into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GuessAction, GuessConfig, GuessNumber};

    fn guess(player: u64, value: i64, at: u64) -> LogEntry<GuessAction> {
        LogEntry::Act {
            player: PlayerId(player),
            seen_round: 1,
            action: GuessAction::Guess { value, round: None },
            at: Millis(at),
        }
    }

    fn logged() -> MatchLog<GuessNumber> {
        let mut log = MatchLog::new(GuessConfig::default(), 11);
        log.entries.push(LogEntry::Seat {
            player: PlayerId(1),
            at: Millis(0),
        });
        log.entries
            .extend((0..5).map(|v| guess(1, v, 10 * v as u64)));
        log
    }

    #[test]
    fn replay_is_deterministic() {
        let a = state_hash(&replay(&logged()).unwrap()).unwrap();
        let b = state_hash(&replay(&logged()).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn another_seed_gives_another_state() {
        let mut seated = logged();
        seated.entries.truncate(1);
        let mut other = seated.clone();
        other.seed = 12;
        let a = state_hash(&replay(&seated).unwrap()).unwrap();
        let b = state_hash(&replay(&other).unwrap()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_refused_entry_is_reported_with_its_index() {
        let mut log = logged();
        log.entries.push(guess(9, 1, 99));
        let err = replay(&log).unwrap_err();
        assert!(
            matches!(err, ReplayError::Refused { index: 6, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_log_round_trips_through_json() {
        let json = serde_json::to_string(&logged()).unwrap();
        let back: MatchLog<GuessNumber> = serde_json::from_str(&json).unwrap();
        let a = state_hash(&replay(&back).unwrap()).unwrap();
        assert_eq!(a, state_hash(&replay(&logged()).unwrap()).unwrap());
    }

    #[test]
    fn chacha8_stream_is_pinned() {
        // Portability: this value must never change across versions or platforms.
        use rand::Rng;
        assert_eq!(match_rng(0).next_u64(), 0xb585f767a79a3b6c);
    }

    #[test]
    fn random_guesses_are_always_accepted_and_replay() {
        let mut log = logged();
        log.entries.truncate(1);
        let mut rng = match_rng(log.seed);
        let mut chooser = match_rng(99);
        let mut game = GuessNumber::new(&log.config, &mut rng);
        log.entries[0].clone().apply(&mut game, &mut rng).unwrap();
        for at in 0..200 {
            let action = game.random_action(PlayerId(1), &mut chooser).unwrap();
            let entry = LogEntry::Act {
                player: PlayerId(1),
                seen_round: game.round(),
                action,
                at: Millis(at),
            };
            entry.clone().apply(&mut game, &mut rng).unwrap();
            log.entries.push(entry);
        }
        assert!(game.round() > 1, "200 random guesses in 0..20 never won");
        assert_eq!(game.random_action(PlayerId(2), &mut chooser), None);
        let replayed = state_hash(&replay(&log).unwrap()).unwrap();
        assert_eq!(replayed, state_hash(&game).unwrap());
    }

    #[test]
    fn hash_displays_as_hex() {
        let hash = StateHash([0xab; 32]);
        assert_eq!(hash.to_string(), "ab".repeat(32));
    }
}
