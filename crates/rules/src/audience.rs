//! Who receives an event: [`Audience`].
//!
//! Every event a game returns names its audience, and the server pushes it to
//! exactly the members that audience reaches. An event that carries hidden
//! information (a player's own dice) is addressed to its owner alone.

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
    fn audience_serializes_tagged() {
        let json = serde_json::to_string(&Audience::Feed(ME)).unwrap();
        assert_eq!(json, r#"{"type":"feed","player":1}"#);
    }
}
