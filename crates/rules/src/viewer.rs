//! Who is looking: [`Viewer`], the argument of `Game::view`.
//!
//! Hidden information is the game's business: a game computes what each
//! viewer may see, and the server sends nothing else. A spectator (or a
//! player not dealt into the current match) sees only what is public.

use serde::{Deserialize, Serialize};

use crate::PlayerId;

/// Whose view of the state to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "player", rename_all = "snake_case")]
pub enum Viewer {
    /// A member of the room, seated or not: sees their own secrets, if any.
    Player(PlayerId),
    /// Someone watching: sees only what is public.
    Spectator,
}

impl Viewer {
    /// The player behind this viewer, if any.
    pub fn player(self) -> Option<PlayerId> {
        match self {
            Viewer::Player(player) => Some(player),
            Viewer::Spectator => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectator_has_no_player() {
        assert_eq!(Viewer::Spectator.player(), None);
        assert_eq!(Viewer::Player(PlayerId(4)).player(), Some(PlayerId(4)));
    }
}
