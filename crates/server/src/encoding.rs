//! How a connection wants its messages: lines of text (netcat) or JSON (WebSocket).
//!
//! The room and the session speak in [`Notice`]s, game states, rejections and events; this is
//! where those become the bytes of one transport, and the only place that tells the two
//! apart: the room and the session say *what* to show a member, never *how*. A message is
//! encoded once per encoding, not once per member.

use referee_protocol::json;
use referee_protocol::notice::Notice;
use referee_rules::{Millis, PlayerId, Render, Viewer};

/// How a message names players: their display name by id.
pub(crate) type Names<'a> = &'a dyn Fn(PlayerId) -> String;

/// A connection's encoding, fixed by its transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) enum Encoding {
    /// The line protocol: `Notice::to_line`, the game's `Render` texts.
    #[default]
    Text,
    /// The JSON protocol of `referee_protocol::json`.
    Json,
}

impl Encoding {
    /// `notice` for this encoding; `re` is the request it answers (JSON only).
    pub(crate) fn notice(self, notice: &Notice, re: Option<u64>) -> String {
        match self {
            Encoding::Text => notice.to_line(),
            Encoding::Json => json::notice(notice, re),
        }
    }

    /// Where `game` stands for `player` at game time `now`: the status lines, or in JSON the
    /// player's view with them. `re` is the request it answers (JSON only).
    pub(crate) fn state<G: Render>(
        self,
        game: &G,
        player: PlayerId,
        now: Millis,
        names: Names<'_>,
        re: Option<u64>,
    ) -> String {
        let viewer = Viewer::Player(player);
        let status = game.status(viewer, now, names);
        match self {
            Encoding::Text => status,
            Encoding::Json => json::state(&game.view(viewer), now, &status, re),
        }
    }

    /// Why a player's move was refused.
    pub(crate) fn rejection<G: Render>(
        self,
        rejection: &G::Rejection,
        names: Names<'_>,
        re: Option<u64>,
    ) -> String {
        let text = G::describe_rejection(rejection, names);
        match self {
            Encoding::Text => text,
            Encoding::Json => json::rejected(rejection, &text, re),
        }
    }

    /// What `viewer` is shown of a game event; in JSON it carries the room's `round` once
    /// the move is done, and the game time `now` (so a client reads deadlines as time left).
    pub(crate) fn event<G: Render>(
        self,
        event: &G::Event,
        viewer: PlayerId,
        names: Names<'_>,
        (round, now): (u64, Millis),
        re: Option<u64>,
    ) -> String {
        let text = G::describe(event, viewer, names);
        match self {
            Encoding::Text => text,
            Encoding::Json => json::event(round, now, event, &text, re),
        }
    }

    /// Whether a client speaking this follows its rooms' live feed (others' moves as they
    /// happen): the web page shows it; a netcat player sees only what concerns them.
    pub(crate) fn follows_feed(self) -> bool {
        matches!(self, Encoding::Json)
    }
}

/// One message for many members: made at most once per encoding, then copied.
#[derive(Default)]
pub(crate) struct Once {
    text: Option<String>,
    json: Option<String>,
}

impl Once {
    /// The message in `encoding`: made by `make` the first time, the same text after.
    pub(crate) fn get(&mut self, encoding: Encoding, make: impl FnOnce() -> String) -> String {
        let slot = match encoding {
            Encoding::Text => &mut self.text,
            Encoding::Json => &mut self.json,
        };
        slot.get_or_insert_with(make).clone()
    }
}

/// One notice for many members: each encoding made at most once.
pub(crate) struct Encoded<'a> {
    notice: &'a Notice,
    made: Once,
}

impl<'a> Encoded<'a> {
    pub(crate) fn new(notice: &'a Notice) -> Self {
        Encoded {
            notice,
            made: Once::default(),
        }
    }

    /// The notice in `encoding` (not an answer to any request).
    pub(crate) fn get(&mut self, encoding: Encoding) -> String {
        let notice = self.notice;
        self.made.get(encoding, || encoding.notice(notice, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_is_made_once_and_reused() {
        let notice = Notice::Pong;
        let mut encoded = Encoded::new(&notice);
        assert_eq!(encoded.get(Encoding::Text), "pong");
        let json = encoded.get(Encoding::Json);
        assert!(json.contains(r#""type":"pong""#), "{json}");
        assert_eq!(encoded.get(Encoding::Json), json);
    }

    #[test]
    fn json_answers_carry_the_request_id() {
        let line = Encoding::Json.notice(&Notice::Pong, Some(9));
        assert!(line.contains(r#""re":9"#), "{line}");
        assert_eq!(Encoding::Text.notice(&Notice::Pong, Some(9)), "pong");
    }
}
