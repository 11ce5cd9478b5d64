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
//!
//! # Matches within a room
//!
//! A room lives across many matches (guess-the-number: each round is its
//! match; Liar's Dice: each match), and the room draws a fresh seed for each
//! one. A match's log therefore starts from the room's state where the match
//! began ([`MatchLog::start`]: seated players, scores, the round number),
//! not from [`Game::new`].
//!
//! Where exactly does a match begin? Both games start the next round or
//! match inside the very step that decides the current one (the winning
//! guess draws the next secret; the deciding call deals the next match when
//! the table is full). Drawn from the ending match's stream, those secrets
//! would be computable by anyone replaying its published log. So the rules
//! keep one promise ([`Game::outcome`]): **a step that decides a match draws
//! nothing before its outcome** — every draw of that step is for what
//! follows. The room runs such a step again, from the state before it, with
//! the *next* match's RNG, and keeps that run: the next match's log starts
//! from the state before the deciding step, with that step as its first
//! entry. The decided match's log ends with the deciding step too; replayed
//! with its own stream, that step decides the same way and then draws a
//! next round that never was — the state hash the room records is of that
//! run, so the published log replays to exactly the recorded hash, and no
//! published log tells anything about a match still in play.

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
    /// When the step was taken, by the game's clock.
    pub fn at(&self) -> Millis {
        match self {
            LogEntry::Seat { at, .. }
            | LogEntry::Leave { at, .. }
            | LogEntry::Act { at, .. }
            | LogEntry::Tick { at }
            | LogEntry::SeatBots { at, .. } => *at,
        }
    }

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
/// its RNG, the state it started from, and every step in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct MatchLog<G: Game> {
    /// The name of the game played (one of [`Game::games`]).
    pub game: String,
    /// The config the game was created with.
    pub config: G::Config,
    /// The seed of the match's RNG ([`match_rng`]).
    pub seed: u64,
    /// The state the match started from; `None` for a game made by
    /// [`Game::new`] from `config` with the match's RNG (which then also
    /// draws the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<G>,
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
            start: None,
            entries: Vec::new(),
        }
    }

    /// An empty log for a match that starts from `start` (a room's state
    /// between two matches) and draws from `match_rng(seed)`.
    pub fn from_state(config: G::Config, seed: u64, start: G) -> Self {
        MatchLog {
            game: start.game().to_owned(),
            config,
            seed,
            start: Some(start),
            entries: Vec::new(),
        }
    }
}

/// Why a log could not be replayed.
#[derive(Debug, Error)]
pub enum ReplayError<R: std::error::Error + 'static> {
    /// The log is of another game (or its start state is of another game
    /// than it names).
    #[error("log is of game {found:?}, not {expected:?}")]
    WrongGame {
        /// The game the rules (or the start state) play.
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
    replay_steps(log, |_, _| ())
}

/// As [`replay`], calling `step(state, events)` after each entry with the
/// state it left and the events it returned (a replay viewer shows them).
///
/// # Errors
///
/// As [`replay`].
pub fn replay_steps<G: Game>(
    log: &MatchLog<G>,
    mut step: impl FnMut(&G, Vec<G::Event>),
) -> Result<G, ReplayError<G::Rejection>> {
    let mut rng = match_rng(log.seed);
    let mut game = match &log.start {
        Some(start) => start.clone(),
        None => G::new(&log.config, &mut rng),
    };
    if log.game != game.game() {
        return Err(ReplayError::WrongGame {
            expected: game.game(),
            found: log.game.clone(),
        });
    }
    for (index, entry) in log.entries.iter().enumerate() {
        let events = entry
            .clone()
            .apply(&mut game, &mut rng)
            .map_err(|rejection| ReplayError::Refused { index, rejection })?;
        step(&game, events);
    }
    Ok(game)
}

/// The SHA-256 of a state's JSON serialization.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateHash(pub [u8; 32]);

impl fmt::Display for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::hex_text::Hex::of(&self.0).as_str())
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
    // Room for a guess-the-number state at once (`to_vec` starts at 128 bytes and grows).
    let mut bytes = Vec::with_capacity(1024);
    serde_json::to_writer(&mut bytes, state)?;
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
    fn a_log_from_a_start_state_replays_from_it() {
        let mut rng = match_rng(1);
        let mut start = GuessNumber::new(&GuessConfig::default(), &mut rng);
        start.add_player(PlayerId(1), Millis(0), &mut rng);
        let mut log = MatchLog::from_state(GuessConfig::default(), 5, start.clone());
        let mut game = start;
        let mut rng = match_rng(5);
        // Every number in turn, up to the winning one (which draws round 2).
        for v in 0..20 {
            let events = guess(1, v, v as u64).apply(&mut game, &mut rng).unwrap();
            log.entries.push(guess(1, v, v as u64));
            if events.iter().any(|e| GuessNumber::outcome(e).is_some()) {
                break;
            }
        }
        let json = serde_json::to_string(&log).unwrap();
        let back: MatchLog<GuessNumber> = serde_json::from_str(&json).unwrap();
        let mut steps = 0;
        let replayed = replay_steps(&back, |_, _| steps += 1).unwrap();
        assert_eq!(steps, log.entries.len());
        assert_eq!(replayed.round(), 2);
        assert_eq!(state_hash(&replayed).unwrap(), state_hash(&game).unwrap());
    }

    #[test]
    fn a_winning_guess_draws_nothing_before_its_outcome() {
        let mut rng = match_rng(2);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(PlayerId(1), Millis(0), &mut rng);
        let won = (0..20)
            .find_map(|v| {
                let mut tried = game.clone();
                let events = guess(1, v, 0).apply(&mut tried, &mut match_rng(3)).ok()?;
                events
                    .iter()
                    .any(|e| GuessNumber::outcome(e).is_some())
                    .then_some((v, events))
            })
            .unwrap();
        let again = guess(1, won.0, 0)
            .apply(&mut game, &mut match_rng(4))
            .unwrap();
        assert_eq!(again[0], won.1[0], "the win itself depends on no draw");
        assert_ne!(
            again[1], won.1[1],
            "the next round is drawn from the RNG given"
        );
    }

    #[test]
    fn a_start_state_of_another_game_is_refused() {
        let start = GuessNumber::new(&GuessConfig::default(), &mut match_rng(1));
        let mut log = MatchLog::from_state(GuessConfig::default(), 5, start);
        log.game = "dice".into();
        assert!(matches!(replay(&log), Err(ReplayError::WrongGame { .. })));
    }

    #[test]
    fn hash_displays_as_hex() {
        let hash = StateHash([0xab; 32]);
        assert_eq!(hash.to_string(), "ab".repeat(32));
    }
}
