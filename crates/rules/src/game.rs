//! The contract between a game's rules and the server: the [`Game`] and
//! [`Render`] traits.
//!
//! The room actor owns a `G: Game` and only translates: a player's line goes
//! through [`Game::parse_action`] and [`Game::apply`], and each returned event
//! is pushed to the members that [`Game::audience`] names, as text from
//! [`Render::describe`] or as JSON from the event's `Serialize` impl.
//!
//! One shape carries both a race where everyone acts at once
//! (guess-the-number) and a turn-based game with hidden hands and a turn
//! clock (Liar's Dice):
//! - the state says whose [`Turn`] it is, and refuses an action out of turn
//!   with its own rejection;
//! - [`Game::view`] computes what one [`Viewer`] may see; events carrying a
//!   secret are addressed to its owner ([`Audience::Player`]);
//! - game time comes in as [`Millis`]; the state may expose a
//!   [`Game::deadline`], and the server calls [`Game::tick`] once it passed;
//! - seating changes are rule steps that may return events;
//! - the state is serde-serializable (a [`crate::Snapshot`]) and fully
//!   determined by (config, seed, [`crate::LogEntry`] log): see
//!   [`crate::replay()`].
//!
//! # A tiny game
//!
//! Nim, turn-based: players take 1 to 3 stones in turn; whoever takes the
//! last one wins. Everything is public, so every viewer sees the same view.
//!
//! ```
//! use referee_rules::{Audience, Game, Millis, Outcome, PlayerId, Score, Turn, Viewer};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! struct Nim { stones: u32, players: Vec<PlayerId>, next: usize, moves: u64 }
//!
//! #[derive(Clone, Debug, Serialize)]
//! enum NimEvent { Took { player: PlayerId, stones: u32, left: u32 }, Won { player: PlayerId, moves: u64 } }
//!
//! #[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
//! enum NimRejection {
//!     #[error("say a number from 1 to 3")] Syntax,
//!     #[error("not your turn")] NotYourTurn,
//!     #[error("take 1 to 3 stones, at most what is left")] BadTake,
//! }
//!
//! impl Game for Nim {
//!     const NAME: &'static str = "nim";
//!     type Config = u32;
//!     type Action = u32;
//!     type Event = NimEvent;
//!     type Rejection = NimRejection;
//!     type View = u32;
//!
//!     fn new(stones: &u32, _: &mut dyn rand::Rng) -> Self {
//!         Nim { stones: *stones, players: Vec::new(), next: 0, moves: 0 }
//!     }
//!     fn round(&self) -> u64 { 1 }
//!     fn turn(&self) -> Turn {
//!         match self.players.get(self.next) {
//!             Some(&player) if self.stones > 0 && self.players.len() > 1 => Turn::Player(player),
//!             _ => Turn::Nobody,
//!         }
//!     }
//!     fn add_player(&mut self, player: PlayerId, _: Millis, _: &mut dyn rand::Rng) -> Vec<NimEvent> {
//!         if !self.players.contains(&player) { self.players.push(player) }
//!         Vec::new()
//!     }
//!     fn remove_player(&mut self, player: PlayerId, _: Millis, _: &mut dyn rand::Rng) -> Vec<NimEvent> {
//!         self.players.retain(|&p| p != player);
//!         self.next = 0;
//!         Vec::new()
//!     }
//!     fn parse_action(text: &str) -> Result<u32, NimRejection> {
//!         text.trim().parse().map_err(|_| NimRejection::Syntax)
//!     }
//!     fn apply(&mut self, player: PlayerId, _: u64, take: u32, _: Millis, _: &mut dyn rand::Rng)
//!         -> Result<Vec<NimEvent>, NimRejection> {
//!         if !self.turn().allows(player) { return Err(NimRejection::NotYourTurn) }
//!         if !(1..=3).contains(&take) || take > self.stones { return Err(NimRejection::BadTake) }
//!         self.stones -= take;
//!         self.moves += 1;
//!         self.next = (self.next + 1) % self.players.len();
//!         let mut events = vec![NimEvent::Took { player, stones: take, left: self.stones }];
//!         if self.stones == 0 { events.push(NimEvent::Won { player, moves: self.moves }) }
//!         Ok(events)
//!     }
//!     fn random_action(&self, player: PlayerId, rng: &mut dyn rand::Rng) -> Option<u32> {
//!         use rand::RngExt;
//!         self.turn().allows(player).then(|| rng.random_range(1..=self.stones.min(3)))
//!     }
//!     fn scores(&self) -> Vec<Score> {
//!         self.players.iter().map(|&player| Score { player, points: 0 }).collect()
//!     }
//!     fn view(&self, _: Viewer) -> u32 { self.stones }
//!     fn audience(_: &NimEvent) -> Audience { Audience::Everyone }
//!     fn outcome(event: &NimEvent) -> Option<Outcome> {
//!         match *event {
//!             NimEvent::Won { player, moves } => Some(Outcome { round: 1, winner: player, moves }),
//!             NimEvent::Took { .. } => None,
//!         }
//!     }
//! }
//!
//! let (ann, bob) = (PlayerId(1), PlayerId(2));
//! let mut rng = referee_rules::match_rng(1);
//! let mut nim = Nim::new(&5, &mut rng);
//! nim.add_player(ann, Millis(0), &mut rng);
//! nim.add_player(bob, Millis(0), &mut rng);
//! assert_eq!(nim.apply(bob, 1, 2, Millis(0), &mut rng).unwrap_err(), NimRejection::NotYourTurn);
//! nim.apply(ann, 1, 1, Millis(0), &mut rng)?;
//! nim.apply(bob, 1, 3, Millis(0), &mut rng)?;
//! let events = nim.apply(ann, 1, 1, Millis(0), &mut rng)?;
//! assert_eq!(Nim::outcome(&events[1]).map(|won| won.winner), Some(ann));
//! # Ok::<(), NimRejection>(())
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Audience, Millis, Outcome, PlayerId, Score, Turn, Viewer};

/// The rules of a game: state + action -> events, or a typed rejection.
///
/// Implement this (and [`Render`]) to put a new game on the server. An
/// implementation is pure: randomness and time arrive as arguments, and
/// nothing here does I/O. A rejected action must leave the state exactly
/// unchanged, so the server never undoes anything. The state is `Clone` and
/// serde-serializable so the server can snapshot a room, and so a replay can
/// compare states by hash. A referee restarted after a crash gets its game
/// back by replaying the match's log ([`crate::replay()`]): rules whose log
/// does not replay to the state they reached fail their recorded hashes and
/// restart from an older copy.
pub trait Game: Clone + Sized + Send + Serialize + DeserializeOwned + 'static {
    /// The game's short name (`"guess"`, `"dice"`): how players pick it, and
    /// the key of its leaderboard, metrics and snapshots.
    const NAME: &'static str;

    /// The names of the games this type hosts, first the default one: just
    /// [`Game::NAME`] for one game, every member's for a game set
    /// ([`crate::Games`]).
    fn games() -> Vec<&'static str> {
        vec![Self::NAME]
    }

    /// The name of the game this state plays (one of [`Game::games`]).
    fn game(&self) -> &'static str {
        Self::NAME
    }

    /// A new game of `game` (one of [`Game::games`]); any other name makes
    /// the default game, as [`Game::new`].
    fn new_game(config: &Self::Config, game: &str, rng: &mut dyn rand::Rng) -> Self {
        let _ = game;
        Self::new(config, rng)
    }

    /// Parse a move typed by a player seated in `game` (one of
    /// [`Game::games`]): [`Game::parse_action`] for one game; a game set
    /// asks the member that plays `game`.
    ///
    /// # Errors
    ///
    /// Malformed text is a typed rejection.
    fn parse_action_in(game: &str, text: &str) -> Result<Self::Action, Self::Rejection> {
        let _ = game;
        Self::parse_action(text)
    }

    /// How a room of this game is set up (e.g. the range of numbers).
    type Config: Clone + std::fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// One move a player can make.
    type Action: Clone + std::fmt::Debug + PartialEq + Send + Serialize + DeserializeOwned + 'static;
    /// Something that happened, to be shown to an [`Audience`].
    type Event: Clone + std::fmt::Debug + Send + Sync + Serialize + 'static;
    /// Why an action was refused; shown only to the player who acted.
    type Rejection: std::error::Error + Clone + PartialEq + Send + Sync + Serialize + 'static;
    /// What one viewer may see of the state.
    type View: Clone + std::fmt::Debug + Send + Serialize + 'static;

    /// A new game (round or match number 1), with nobody seated.
    fn new(config: &Self::Config, rng: &mut dyn rand::Rng) -> Self;

    /// The current round (guess-the-number) or match (Liar's Dice) number:
    /// starts at 1, +1 after each [`Outcome`].
    fn round(&self) -> u64;

    /// Who may act now.
    fn turn(&self) -> Turn;

    /// When [`Game::tick`] has something to do (a turn clock, a countdown);
    /// `None` when nothing is timed.
    fn deadline(&self) -> Option<Millis> {
        None
    }

    /// A player sits down. Idempotent for a player already seated. May
    /// start something (a countdown, a match).
    fn add_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event>;

    /// A player leaves; their score is forgotten. No-op (no events) for
    /// unknown players. May end something (a forfeit, a match).
    fn remove_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event>;

    /// Parse the text a player typed (the line protocol's move syntax) into
    /// an action.
    ///
    /// # Errors
    ///
    /// Malformed text is a typed rejection.
    fn parse_action(text: &str) -> Result<Self::Action, Self::Rejection>;

    /// One rule step, at game time `now`.
    ///
    /// `seen_round` is the round the player had been shown when they acted
    /// (the connection tracks it; a race uses it to refuse late moves).
    ///
    /// # Errors
    ///
    /// A rejection when the rules refuse the action (out of turn included);
    /// the state is then exactly unchanged.
    fn apply(
        &mut self,
        player: PlayerId,
        seen_round: u64,
        action: Self::Action,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// Time passed: if [`Game::deadline`] is at or before `now`, apply the
    /// game's timeout action and return its events; otherwise nothing.
    fn tick(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        let _ = (now, rng);
        Vec::new()
    }

    /// Voids the round (or hand) in play: its secrets are dropped unrevealed and a new one is
    /// drawn from `rng`; points of finished rounds stay. A server calls it when a room comes
    /// back on another node after a failure, where the old round's secret may have been seen
    /// by an operator or lost with its node. Returns the events of the new round (its
    /// commitment). Nothing is in play to void, by default.
    fn void_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        let _ = (now, rng);
        Vec::new()
    }

    /// Ends the round (or match) in play unplayed — or, between matches, passes the number
    /// waiting to be dealt — and goes on to the next, with a number of its own: the round
    /// ([`Game::round`]'s number) was decided and recorded while this state did not follow (a
    /// failover from a snapshot taken before rounds its host had already committed), so it
    /// must not be played, or recorded, again. Its points come through [`Game::credit`].
    /// Returns the events of what starts next. By default [`Game::void_round`], for a game
    /// whose void already moves on to the next number (guess-the-number's does).
    fn skip_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        self.void_round(now, rng)
    }

    /// Gives `player` the `points` of a round (or match) decided and recorded while this
    /// state did not follow: a server restoring a room from a snapshot taken before rounds it
    /// had already committed (a failover from a snapshot that is behind) credits each of
    /// those so, before the room serves anyone, after which their numbers are skipped
    /// ([`Game::skip_round`]). Only the scoreboard moves; a player not seated in this state
    /// gets nothing (leaving forgets a score). Nothing, by default.
    fn credit(&mut self, player: PlayerId, points: u32) {
        let _ = (player, points);
    }

    /// A uniformly random legal action for `player` now, or `None` if they
    /// may not act (bots and fuzzers play with this).
    fn random_action(&self, player: PlayerId, rng: &mut dyn rand::Rng) -> Option<Self::Action>;

    /// The scoreboard: every seated player, highest points first, ties by
    /// [`PlayerId`] ascending.
    fn scores(&self) -> Vec<Score>;

    /// What `viewer` may see of the state (never another player's secret).
    fn view(&self, viewer: Viewer) -> Self::View;

    /// How many bots would sit down now, if any: the host allows bots, a
    /// countdown ended with empty seats and a human seated. The server then
    /// mints that many bot ids and calls [`Game::seat_bots`] before
    /// [`Game::tick`]. Never, by default.
    fn seats_for_bots(&self, now: Millis) -> usize {
        let _ = now;
        0
    }

    /// Bots sit down in the seats [`Game::seats_for_bots`] counted (extra
    /// ids are ignored). May start something (a match). Nothing, by default.
    fn seat_bots(
        &mut self,
        bots: &[PlayerId],
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event> {
        let _ = (bots, now, rng);
        Vec::new()
    }

    /// The bots seated now: the rules stand them up (at a match's end, when
    /// the last human leaves), the server follows.
    fn bots(&self) -> Vec<PlayerId> {
        Vec::new()
    }

    /// What `bot` plays now, seeing only its own view (so, by type, nothing
    /// hidden from it); `None` when it may not act. Nothing, by default.
    fn bot_action(
        view: &Self::View,
        bot: PlayerId,
        rng: &mut dyn rand::Rng,
    ) -> Option<Self::Action> {
        let _ = (view, bot, rng);
        None
    }

    /// Who receives an event.
    fn audience(event: &Self::Event) -> Audience;

    /// Whether this event decided a round or match (the server records it
    /// durably before announcing it, and counts it).
    ///
    /// A step that returns an outcome must draw nothing from its RNG before
    /// it: every draw of that step is for the next round or match. The
    /// server runs such a step again with the next match's RNG, so that no
    /// published match log tells anything about the match that follows (see
    /// [`crate::replay()`]'s module).
    fn outcome(event: &Self::Event) -> Option<Outcome>;

    /// Whether `action` may decide the round or match (may give an event with an
    /// [`outcome`](Self::outcome)). A server that must keep the state from before a deciding
    /// step (to run it again with the next match's RNG) copies the state only when this
    /// says so: a game whose outcomes are rare and easy to foresee — a guess that is not the
    /// secret decides nothing — spares a copy per move. `false` must be certain; the default
    /// is `true`.
    fn may_decide(&self, action: &Self::Action) -> bool {
        let _ = action;
        true
    }
}

/// How a game reads as text lines (the netcat protocol).
///
/// Separate from [`Game`] so rules stay free of presentation.
pub trait Render: Game {
    /// The line(s) everyone is shown of the game as it stands, e.g.
    /// `Round 3: guess a number from 0 to 19.` (no trailing newline; may
    /// contain `'\n'` for several lines).
    fn intro(&self) -> String;

    /// What `viewer` is shown when they arrive or ask where the game stands
    /// at game time `now`: [`Render::intro`] unless the game has
    /// per-viewer or timed information (your dice, the time left). Built
    /// from [`Game::view`], so it shows no more than the view.
    fn status(&self, viewer: Viewer, now: Millis, names: &dyn Fn(PlayerId) -> String) -> String {
        let _ = (viewer, now, names);
        self.intro()
    }

    /// The text `viewer` sees for `event`; `names` maps a player id to a
    /// display name.
    fn describe(
        event: &Self::Event,
        viewer: PlayerId,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String;

    /// Whether `viewer` is a bystander of `event`: not named in it in any way that changes
    /// its text, so that [`Render::describe`] shows them exactly what it shows every other
    /// bystander of that event. A server renders a bystanders' text once and hands the
    /// same text to all of them. `false` (the default) makes no such promise: every viewer's
    /// text is rendered for them.
    fn bystander(event: &Self::Event, viewer: PlayerId) -> bool {
        let _ = (event, viewer);
        false
    }

    /// The text a player sees for their rejected action.
    fn describe_rejection(
        rejection: &Self::Rejection,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String;
}
