//! The JSON protocol (WebSocket) as the brain hears it: the requests a bot sends, and each
//! server message turned into a [`Heard`]. Pure: no I/O, no clock.
//!
//! The wire is `docs/protocol.md`, section "WebSocket protocol (JSON)". What differs from the
//! line protocol, and what this layer hides from the [`Brain`](super::Brain):
//!
//! * A WebSocket player is not seated on connect: the bot sends [`Codec::play`] once.
//! * Every guess carries an `id`; its answer is the `event` (`hint` or `won`), `rejected` or
//!   `error` that carries it back as `re`. Should a server not echo ids, the first own
//!   `hint` / `won` (`player` = the `welcome`'s `player`) or `rejected` without `re` after a
//!   guess answers it.
//! * Other players' hints arrive too (the live feed) and are ignored, like their wins; the
//!   `round_started` that follows a win, and `state`, announce the range. `max` is
//!   exclusive: `"max": 20` means `0..=19`.
//! * `rejected` `already_won` is a late guess ("another player won in the meantime"); any
//!   other rejection, and any `error`, counts as an error, as `error:` lines do.
//!
//! ```
//! use referee_load::bot::json::Codec;
//! use referee_load::bot::{Answer, Brain, Heard};
//!
//! let mut codec = Codec::new();
//! let mut brain = Brain::new();
//! assert_eq!(codec.play(true), r#"{"v":1,"id":1,"op":"play"}"#);
//! let state = r#"{"v":1,"re":1,"type":"state","view":{"round":4,"max":20},"text":"Round 4"}"#;
//! let guess = brain.on_heard(codec.heard(state)).send.unwrap();
//! assert_eq!(codec.guess(guess), r#"{"v":1,"id":2,"op":"guess","value":9}"#);
//! let hint = r#"{"v":1,"re":2,"type":"event","round":4,
//!                "event":{"type":"hint","round":4,"player":7,"value":9,"hint":"lower"}}"#;
//! assert_eq!(codec.heard(hint), Heard::Answer(Answer::Lower));
//! ```

use std::borrow::Cow;

use serde::Deserialize;

use super::{Answer, Heard};

/// One bot's side of a JSON connection: its request ids, its player number and the id of
/// the guess awaiting its answer. A few words, like the [`Brain`](super::Brain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// This connection's player, from `welcome`.
    me: Option<u64>,
    /// The id the next request gets.
    next_id: u64,
    /// The id of the guess waiting for its answer.
    outstanding: Option<u64>,
}

/// The fields of a server message a bot reads; serde skips the others (`text`, `members`…).
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    re: Option<u64>,
    /// In `welcome`: this connection's player.
    player: Option<u64>,
    /// In `state`.
    view: Option<View>,
    /// In `event`.
    #[serde(borrow)]
    event: Option<Event<'a>>,
    /// In `rejected`.
    #[serde(borrow)]
    rejection: Option<Tagged<'a>>,
}

/// Guess-the-number's view: the round and its exclusive upper bound.
#[derive(Deserialize)]
struct View {
    round: u64,
    max: u64,
}

/// Guess-the-number's event: `hint`, `won` or `round_started`.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    round: Option<u64>,
    player: Option<u64>,
    max: Option<u64>,
    #[serde(borrow)]
    hint: Option<Cow<'a, str>>,
}

/// Anything with just a `type` that matters (a rejection).
#[derive(Deserialize)]
struct Tagged<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

impl Default for Codec {
    fn default() -> Self {
        Self::new()
    }
}

impl Codec {
    /// A codec for a fresh connection: requests are numbered from 1.
    pub fn new() -> Self {
        Self {
            me: None,
            next_id: 1,
            outstanding: None,
        }
    }

    /// The quick-match request, `{"v":1,"id":N,"op":"play"}`; with `feed` false, it
    /// declines the room's live feed (`"feed":false`).
    pub fn play(&mut self, feed: bool) -> String {
        let id = self.take_id();
        if feed {
            format!(r#"{{"v":1,"id":{id},"op":"play"}}"#)
        } else {
            format!(r#"{{"v":1,"id":{id},"op":"play","feed":false}}"#)
        }
    }

    /// The goodbye, `{"v":1,"id":N,"op":"quit"}`: the server frees the seat and closes.
    pub fn quit(&mut self) -> String {
        let id = self.take_id();
        format!(r#"{{"v":1,"id":{id},"op":"quit"}}"#)
    }

    /// The request for `guess`, `{"v":1,"id":N,"op":"guess","value":GUESS}`; its answer is
    /// awaited from now on.
    pub fn guess(&mut self, guess: u64) -> String {
        let id = self.guess_id();
        format!(r#"{{"v":1,"id":{id},"op":"guess","value":{guess}}}"#)
    }

    /// The id of a new guess, whose answer is awaited from now on: for a wire that encodes
    /// the guess request itself (`{"v":1,"id":N,"op":"guess","value":GUESS}` in msgpack).
    pub fn guess_id(&mut self) -> u64 {
        let id = self.take_id();
        self.outstanding = Some(id);
        id
    }

    /// What one text message from the server means to the bot. Never panics: anything that
    /// is not a message of the protocol is [`Heard::Ignored`].
    pub fn heard(&mut self, text: &str) -> Heard {
        match serde_json::from_str::<Message<'_>>(text) {
            Ok(message) => self.message(message),
            Err(_) => Heard::Ignored,
        }
    }

    /// What one message already decoded into a JSON value means to the bot: the same
    /// messages carried in another encoding (msgpack, from a Colyseus server). Never panics.
    pub fn heard_value(&mut self, value: &serde_json::Value) -> Heard {
        match Message::deserialize(value) {
            Ok(message) => self.message(message),
            Err(_) => Heard::Ignored,
        }
    }

    fn message(&mut self, message: Message<'_>) -> Heard {
        match &*message.kind {
            "welcome" => {
                self.me = message.player.or(self.me);
                Heard::Ignored
            }
            "state" => message
                .view
                .map_or(Heard::Ignored, |view| round(view.round, view.max)),
            "event" => match message.event {
                Some(event) => self.event(message.re, &event),
                None => Heard::Ignored,
            },
            "rejected" if self.answers(message.re) => {
                let late = message
                    .rejection
                    .is_some_and(|rejection| rejection.kind == "already_won");
                self.answer(if late { Answer::Late } else { Answer::Error })
            }
            // Errors count whatever they answer (or none), as `error:` lines do.
            "error" => self.answer(Answer::Error),
            _ => Heard::Ignored,
        }
    }

    /// This connection's player number, once the `welcome` was heard.
    pub fn me(&self) -> Option<u64> {
        self.me
    }

    /// The id of the guess waiting for its answer, if any.
    pub fn outstanding(&self) -> Option<u64> {
        self.outstanding
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn event(&mut self, re: Option<u64>, event: &Event<'_>) -> Heard {
        let answer = match (&*event.kind, event.hint.as_deref()) {
            ("round_started", _) => {
                return match (event.round, event.max) {
                    (Some(number), Some(max)) => round(number, max),
                    _ => Heard::Ignored,
                };
            }
            ("hint", Some("higher")) => Answer::Higher,
            ("hint", Some("lower")) => Answer::Lower,
            ("won", _) => Answer::Correct,
            _ => return Heard::Ignored,
        };
        let own = re.is_some() || (self.me.is_some() && event.player == self.me);
        match own && self.answers(re) {
            true => self.answer(answer),
            false => Heard::Ignored, // someone else's move: the live feed
        }
    }

    /// Whether a message with this `re` answers the outstanding guess: it carries the
    /// guess's id, or no id at all while a guess is outstanding.
    fn answers(&self, re: Option<u64>) -> bool {
        self.outstanding.is_some() && (re.is_none() || re == self.outstanding)
    }

    /// An answer closes the outstanding guess, as it does in the brain.
    fn answer(&mut self, answer: Answer) -> Heard {
        self.outstanding = None;
        Heard::Answer(answer)
    }
}

/// A round whose secrets lie in `0..max`.
fn round(round: u64, max: u64) -> Heard {
    match max.checked_sub(1) {
        Some(max) => Heard::Round { round, min: 0, max },
        None => Heard::Ignored,
    }
}

#[cfg(test)]
mod tests;
