#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
//! Referee's game rules, pure: state + action → events, or a typed rejection.
//!
//! This crate decides; it never does I/O. There is no tokio, no socket, no
//! clock and no operating-system randomness here: randomness arrives as a
//! `&mut dyn rand::Rng` argument and game time as [`Millis`], so every rule
//! is testable on plain values, and a game is replayable from its seed and
//! log ([`replay()`]).
//!
//! # How it fits
//!
//! *Rules decide, actors translate.* The room actor in the server owns a
//! `G:` [`Game`] and only translates: a player's message becomes a call to
//! [`Game::parse_action`] and [`Game::apply`], and each returned event
//! becomes a push to the members named by [`Game::audience`]; what a member
//! is shown of the state is [`Game::view`] for them, never more. When the
//! state has a [`Game::deadline`], the room calls [`Game::tick`] once it
//! passed. Text for the line protocol comes from [`Render`], kept apart from
//! [`Game`] so the rules hold no presentation; events, rejections and views
//! also serialize to JSON for the WebSocket protocol.
//!
//! A rejected action leaves the state exactly as it was, so the actor never
//! has to undo anything.
//!
//! Two games ship: [`GuessNumber`] (`"guess"`), a race where everyone guesses
//! a secret number at once, and [`LiarsDice`] (`"dice"`), a turn-based
//! bluffing game with hidden hands and a turn clock. To put a new game on the
//! server, implement [`Game`] and [`Render`] for its state type (the
//! [`Game`] docs show a tiny one).
//! Each guess-the-number round opens with a [`Commitment`] to its secret and
//! each win reveals the [`Salt`] that opens it ([`commitment`]), so players
//! can check the referee did not change the secret mid-round.
//!
//! # Example
//!
//! Two players sit at a two-seat Liar's Dice table, so the match starts at
//! once; each is told their own dice and nobody else's. Ann bids, Bob is too
//! slow, and the turn clock calls liar for him.
//!
//! ```
//! use referee_rules::{
//!     Audience, DiceConfig, DiceEvent, Game, LiarsDice, Millis, PlayerId, Render, Turn, Viewer,
//!     match_rng,
//! };
//!
//! let (ann, bob) = (PlayerId(1), PlayerId(2));
//! let names = |player: PlayerId| if player == ann { "Ann".into() } else { "Bob".into() };
//! let mut rng = match_rng(7);
//! let config = DiceConfig::new(2, Millis::from_secs(30), Millis::from_secs(15))?;
//! let mut game = LiarsDice::new(&config, &mut rng);
//! game.add_player(ann, Millis(0), &mut rng);
//! let events = game.add_player(bob, Millis(0), &mut rng);
//!
//! // Each player's roll is addressed to them alone.
//! for event in &events {
//!     if let DiceEvent::Rolled { player, .. } = event {
//!         assert_eq!(LiarsDice::audience(event), Audience::Player(*player));
//!     }
//! }
//! assert_eq!(game.view(Viewer::Spectator).dice, None);
//! assert_eq!(game.turn(), Turn::Player(ann));
//!
//! let bid = LiarsDice::parse_action("bid 2 5")?;
//! let events = game.apply(ann, 1, bid, Millis(4_000), &mut rng)?;
//! assert_eq!(LiarsDice::describe(&events[0], bob, &names), "Ann bids 2 fives. Your turn.");
//! println!("{}", game.status(Viewer::Player(bob), Millis(10_000), &names));
//!
//! // Bob's 30 s run out: the rules call liar for him, and one of them loses a die.
//! assert_eq!(game.deadline(), Some(Millis(34_000)));
//! let events = game.tick(Millis(34_000), &mut rng);
//! assert!(matches!(events[0], DiceEvent::Called { caller, timed_out: true, .. } if caller == bob));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audience;
mod clock;
pub mod commitment;
mod game;
mod games;
mod guess_number;
mod hex_text;
mod liars_dice;
mod outcome;
mod player;
mod replay;
mod snapshot;
mod turn;
mod viewer;

pub use audience::Audience;
pub use clock::Millis;
pub use commitment::{
    Commitment, DICE_DOMAIN, GUESS_DOMAIN, HexError, Salt, commit_bytes, commit_dice, commit_guess,
    verify_dice, verify_guess,
};
pub use game::{Game, Render};
pub use games::{Either, Games, GamesConfig, SetRejection};
pub use guess_number::{
    ConfigError, GuessAction, GuessConfig, GuessEvent, GuessNumber, GuessRejection, GuessView, Hint,
};
/// The Liar's Dice bots' bidding strategy (it sees one player's view only).
pub use liars_dice::strategy as dice_strategy;
pub use liars_dice::{
    Bid, DiceAction, DiceCommitment, DiceConfig, DiceConfigError, DiceCount, DiceEvent,
    DiceRejection, DiceView, Hand, LiarsDice, SeatView,
};
pub use outcome::{Outcome, Score};
pub use player::PlayerId;
pub use replay::{
    LogEntry, MatchLog, ReplayError, StateHash, match_rng, replay, replay_steps, state_hash,
};
pub use snapshot::{SNAPSHOT_FORMAT, Snapshot, SnapshotError};
pub use turn::Turn;
pub use viewer::Viewer;
