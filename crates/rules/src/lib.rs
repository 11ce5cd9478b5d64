#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
//! Referee's game rules, pure: state + action → events, or a typed rejection.
//!
//! This crate decides; it never does I/O. There is no tokio, no socket, no
//! clock and no operating-system randomness here: randomness arrives as a
//! `&mut dyn rand::Rng` argument, so every rule is testable on plain values
//! with a seeded generator.
//!
//! # How it fits
//!
//! *Rules decide, actors translate.* The room actor in the server owns a
//! `G:` [`Game`] and only translates: a player's message becomes a call to
//! [`Game::parse_action`] and [`Game::apply`], and each returned event
//! becomes a push to the members named by [`Game::audience`]. Text for the
//! line protocol comes from [`Render`], kept apart from [`Game`] so the rules
//! hold no presentation; events, rejections and views also serialize to JSON
//! for the WebSocket protocol.
//!
//! A rejected action leaves the state exactly as it was, so the actor never
//! has to undo anything.
//!
//! To put a new game on the server, implement [`Game`] and [`Render`] for its
//! state type. The founding game is [`GuessNumber`]: guess a secret number
//! with higher/lower hints; the first right guess wins the round.
//!
//! # Example
//!
//! One player binary-searches a secret; a late guess for the finished round
//! is then rejected as "another player won in the meantime".
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use referee_rules::{
//!     Audience, Game, GuessConfig, GuessEvent, GuessNumber, GuessRejection, PlayerId, Render,
//! };
//!
//! let mut rng = StdRng::seed_from_u64(7);
//! let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
//! let alice = PlayerId(1);
//! game.add_player(alice);
//! assert_eq!(game.intro(), "Round 1: guess a number from 0 to 19.");
//!
//! let names = |player: PlayerId| format!("player {player}");
//! let (mut low, mut high) = (0, 20);
//! let won = loop {
//!     let guess = (low + high) / 2;
//!     let action = GuessNumber::parse_action(&guess.to_string())?;
//!     let events = game.apply(alice, 1, action, &mut rng)?;
//!     println!("{}", GuessNumber::describe(&events[0], alice, &names));
//!     match events[0] {
//!         GuessEvent::Hint { hint: referee_rules::Hint::Higher, .. } => low = guess + 1,
//!         GuessEvent::Hint { .. } => high = guess,
//!         _ => break events,
//!     }
//! };
//!
//! // A win is announced to everyone, and the next round starts at once.
//! assert_eq!(GuessNumber::round_won(&won[0]).map(|w| (w.round, w.winner)), Some((1, alice)));
//! assert_eq!(GuessNumber::audience(&won[0]), Audience::Everyone);
//! assert_eq!(game.round(), 2);
//! assert_eq!(game.scores()[0].points, 1);
//!
//! // A guess still aimed at round 1 does not count against the new secret.
//! let late = game.apply(alice, 1, GuessNumber::parse_action("3")?, &mut rng);
//! assert_eq!(late, Err(GuessRejection::AlreadyWon { round: 1, winner: Some(alice) }));
//! # Ok::<(), GuessRejection>(())
//! ```

mod audience;
mod clock;
mod game;
mod guess_number;
mod liars_dice;
mod outcome;
mod player;
mod replay;
mod snapshot;
mod turn;
mod viewer;

pub use audience::Audience;
pub use clock::Millis;
pub use game::{Game, Render};
pub use guess_number::{
    ConfigError, GuessAction, GuessConfig, GuessEvent, GuessNumber, GuessRejection, GuessView, Hint,
};
pub use liars_dice::{
    Bid, DiceAction, DiceConfig, DiceConfigError, DiceCount, DiceEvent, DiceRejection, DiceView,
    Hand, LiarsDice, SeatView,
};
pub use outcome::{Outcome, Score};
pub use player::PlayerId;
pub use replay::{LogEntry, MatchLog, ReplayError, StateHash, match_rng, replay, state_hash};
pub use snapshot::{SNAPSHOT_FORMAT, Snapshot, SnapshotError};
pub use turn::Turn;
pub use viewer::Viewer;
