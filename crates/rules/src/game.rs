//! The contract between a game's rules and the server: the [`Game`] and
//! [`Render`] traits, plus the small types they speak in ([`Audience`],
//! [`Score`]).
//!
//! The room actor owns a `G: Game` and only translates: a player's line goes
//! through [`Game::parse_action`] and [`Game::apply`], and each returned event
//! is pushed to the members that [`Game::audience`] names, as text from
//! [`Render::describe`] or as JSON from the event's `Serialize` impl.

use serde::{Deserialize, Serialize};

use crate::PlayerId;

/// Who receives an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "player", rename_all = "snake_case")]
pub enum Audience {
    /// Every member of the room.
    Everyone,
    /// Only this player.
    Player(PlayerId),
    /// This player, plus members who follow the room's live feed (spectators,
    /// browser pages); other players who do not follow the feed do not get it.
    Feed(PlayerId),
}

impl Audience {
    /// Whether a room member receives an event sent to this audience.
    ///
    /// `follows_feed` says whether the member subscribed to the room's live
    /// feed (spectators and browser pages do).
    pub fn reaches(self, member: PlayerId, follows_feed: bool) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Player(player) => player == member,
            Audience::Feed(player) => player == member || follows_feed,
        }
    }
}

/// A won round, as the server records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundWon {
    /// The round's number.
    pub round: u64,
    /// Who won it.
    pub winner: PlayerId,
    /// How many moves the round took, all players together.
    pub moves: u64,
}

/// One line of a scoreboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Whose score this is.
    pub player: PlayerId,
    /// Points won so far in this room.
    pub points: u32,
}

/// The rules of a game: state + action -> events, or a typed rejection.
///
/// Implement this (and [`Render`]) to put a new game on the server. An
/// implementation is pure: randomness arrives as an argument, and nothing
/// here does I/O or reads a clock. It is `Clone` so that the server can keep
/// the last consistent state of a room and restart its referee from it after
/// a crash.
pub trait Game: Clone + Sized + Send + 'static {
    /// How a room of this game is set up (e.g. the range of numbers).
    type Config: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// One move a player can make.
    type Action: Clone + std::fmt::Debug + Send + 'static;
    /// Something that happened, to be shown to an [`Audience`].
    type Event: Clone + std::fmt::Debug + Send + Sync + serde::Serialize + 'static;
    /// Why an action was refused; shown only to the player who acted.
    type Rejection: std::error::Error + Clone + PartialEq + Send + Sync + serde::Serialize + 'static;
    /// What one player may see of the state.
    type View: Clone + std::fmt::Debug + Send + serde::Serialize + 'static;

    /// A new game (first round already started, round number 1).
    fn new(config: &Self::Config, rng: &mut dyn rand::Rng) -> Self;

    /// The current round number (starts at 1, +1 after each won round).
    fn round(&self) -> u64;

    /// A player sits down (score 0). Idempotent for a player already seated.
    fn add_player(&mut self, player: PlayerId);

    /// A player leaves; their score is forgotten. No-op for unknown players.
    fn remove_player(&mut self, player: PlayerId);

    /// Parse the text a player typed (the line protocol's move syntax) into
    /// an action.
    ///
    /// # Errors
    ///
    /// Malformed text is a typed rejection.
    fn parse_action(text: &str) -> Result<Self::Action, Self::Rejection>;

    /// One rule step.
    ///
    /// `seen_round` is the round the player had been shown when they acted
    /// (the connection tracks it).
    ///
    /// # Errors
    ///
    /// A rejection when the rules refuse the action; the state is then
    /// exactly unchanged.
    fn apply(
        &mut self,
        player: PlayerId,
        seen_round: u64,
        action: Self::Action,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// The scoreboard: every seated player, highest points first, ties by
    /// [`PlayerId`] ascending.
    fn scores(&self) -> Vec<Score>;

    /// What one player may see of the state (never the secret).
    fn view(&self, player: PlayerId) -> Self::View;

    /// Who receives an event.
    fn audience(event: &Self::Event) -> Audience;

    /// Whether this event ended a round (the server records it durably
    /// before announcing it, and counts it): `Some` for a win.
    fn round_won(event: &Self::Event) -> Option<RoundWon>;
}

/// How a game reads as text lines (the netcat protocol).
///
/// Separate from [`Game`] so rules stay free of presentation.
pub trait Render: Game {
    /// The line(s) a newcomer or a player at round start is shown, e.g.
    /// `Round 3: guess a number from 0 to 19.` (no trailing newline; may
    /// contain `'\n'` for several lines).
    fn intro(&self) -> String;

    /// The text `viewer` sees for `event`; `names` maps a player id to a
    /// display name.
    fn describe(
        event: &Self::Event,
        viewer: PlayerId,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String;

    /// The text a player sees for their rejected action.
    fn describe_rejection(
        rejection: &Self::Rejection,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: PlayerId = PlayerId(1);
    const OTHER: PlayerId = PlayerId(2);

    #[test]
    fn everyone_reaches_every_member() {
        assert!(Audience::Everyone.reaches(OTHER, false));
    }

    #[test]
    fn player_audience_reaches_only_that_player() {
        assert!(Audience::Player(ME).reaches(ME, false));
        assert!(!Audience::Player(ME).reaches(OTHER, true));
    }

    #[test]
    fn feed_reaches_the_player_and_feed_followers() {
        assert!(Audience::Feed(ME).reaches(ME, false));
        assert!(Audience::Feed(ME).reaches(OTHER, true));
    }

    #[test]
    fn feed_skips_players_not_following_it() {
        assert!(!Audience::Feed(ME).reaches(OTHER, false));
    }

    #[test]
    fn score_serializes_with_bare_player_id() {
        let json = serde_json::to_string(&Score {
            player: ME,
            points: 3,
        })
        .unwrap();
        assert_eq!(json, r#"{"player":1,"points":3}"#);
    }

    #[test]
    fn audience_serializes_tagged() {
        let json = serde_json::to_string(&Audience::Feed(ME)).unwrap();
        assert_eq!(json, r#"{"type":"feed","player":1}"#);
    }
}
