//! The WebSocket protocol: one JSON object per text message, both ways.
//!
//! It carries the same operations and the same pushes as the line protocol, so a browser
//! player and a netcat player can share a room; what it adds is structure:
//!
//! * every message has a protocol version, `"v": 1` ([`VERSION`]);
//! * a request may carry an `id`; every message the server sends *because of* that request
//!   carries it back as `re`, so a client can match answers to questions;
//! * errors have a stable `code` ([`ErrorCode`]) beside their message;
//! * every push also carries `text`, what the line protocol would have shown, so a simple
//!   client can print it and a rich one can ignore it.
//!
//! Parsing never panics and never gives up on the connection: whatever arrives, the answer
//! is a [`Request`] or a [`RequestError`] that names what was wrong (fuzzed by
//! `fuzz/fuzz_targets/json_protocol.rs`). `docs/protocol.md` is the reference.
//!
//! ```
//! use referee_protocol::json::{Op, parse_request};
//! let request = parse_request(r#"{"v":1,"id":4,"op":"guess","value":7}"#).unwrap();
//! assert_eq!(request.id, Some(4));
//! assert_eq!(request.op, Op::Guess { value: "7".into() });
//! ```

use referee_rules::Millis;
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::command::{Command, Input};
use crate::notice::{ErrorCode, Notice};

/// The protocol version this crate speaks.
pub const VERSION: u64 = 1;

/// Longest string field accepted in a request, in bytes; longer ones are refused before any
/// other check (the server also bounds the whole message).
pub const MAX_FIELD: usize = 1024;

/// One request from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The client's id for this request, echoed as `re` in the answers.
    pub id: Option<u64>,
    /// What to do.
    pub op: Op,
    /// For `play`, `join`, `create` and `watch`: whether to follow the room's live feed
    /// (everyone else's moves as they happen). `None`: the default — on for the JSON
    /// protocol, spectators always — so a client that does not read the feed need not pay
    /// for it.
    pub feed: Option<bool>,
}

/// The operations of the JSON protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Quick match: a seat in the public room that is filling, or a new one.
    Play {
        /// Which game (`None`: the player's current one).
        game: Option<String>,
    },
    /// A seat in a room, by number (public) or code (private).
    Join {
        /// The room's number or code.
        room: String,
    },
    /// A new private room; the answer carries its code.
    Create {
        /// Which game (`None`: the player's current one).
        game: Option<String>,
    },
    /// Watch a room without playing.
    Watch {
        /// The room's number or code.
        room: String,
    },
    /// A move: the game parses `value` (in guess-the-number, a number).
    Guess {
        /// The move, as text.
        value: String,
    },
    /// A chat line to the room.
    Chat {
        /// What to say.
        text: String,
    },
    /// The room's scoreboard.
    Scores,
    /// The public rooms.
    Rooms,
    /// Leave the room, or stop watching it.
    Leave,
    /// Who plays in the room and who watches it.
    Who,
    /// Whether the private room you opened may be watched.
    Spectators {
        /// `true`: anyone with the code may watch; `false`: nobody may.
        allow: bool,
    },
    /// A new display name.
    Name {
        /// The name wanted.
        name: String,
    },
    /// The leaderboard of a game (`None`: the player's current game when the server hosts
    /// several, all games when it hosts one).
    Top {
        /// Which game.
        game: Option<String>,
    },
    /// The games this server hosts, with their rooms and players now (`/games`).
    Games,
    /// The server answers `pong`.
    Ping,
    /// Say goodbye and close.
    Quit,
}

impl Op {
    /// The same operation as the line protocol would have read it: the server handles both
    /// protocols with one session.
    pub fn as_input(&self) -> Input<'_> {
        let command = match self {
            Op::Guess { value } => return Input::Move(value),
            Op::Play { game } => Command::Play(game.as_deref()),
            Op::Join { room } => Command::Join(room),
            Op::Create { game } => Command::New(game.as_deref()),
            Op::Watch { room } => Command::Watch(room),
            Op::Chat { text } => Command::Say(text),
            Op::Scores => Command::Score,
            Op::Rooms => Command::Rooms,
            Op::Leave => Command::Leave,
            Op::Who => Command::Who,
            Op::Spectators { allow } => Command::Spectators(*allow),
            Op::Name { name } => Command::Name(name),
            Op::Top { game } => Command::Top(game.as_deref()),
            Op::Games => Command::Games,
            Op::Ping => Command::Ping,
            Op::Quit => Command::Quit,
        };
        Input::Command(command)
    }

    /// The operation's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Play { .. } => "play",
            Op::Join { .. } => "join",
            Op::Create { .. } => "create",
            Op::Watch { .. } => "watch",
            Op::Guess { .. } => "guess",
            Op::Chat { .. } => "chat",
            Op::Scores => "scores",
            Op::Rooms => "rooms",
            Op::Leave => "leave",
            Op::Who => "who",
            Op::Spectators { .. } => "spectators",
            Op::Name { .. } => "name",
            Op::Top { .. } => "top",
            Op::Games => "games",
            Op::Ping => "ping",
            Op::Quit => "quit",
        }
    }
}

impl Request {
    /// The request as a JSON text message (what a client sends).
    pub fn to_json(&self) -> String {
        let mut object = Map::new();
        object.insert("v".into(), VERSION.into());
        if let Some(id) = self.id {
            object.insert("id".into(), id.into());
        }
        object.insert("op".into(), self.op.name().into());
        let field = match &self.op {
            Op::Join { room } | Op::Watch { room } => Some(("room", room)),
            Op::Guess { value } => Some(("value", value)),
            Op::Chat { text } => Some(("text", text)),
            Op::Name { name } => Some(("name", name)),
            _ => None,
        };
        if let Some((key, value)) = field {
            object.insert(key.into(), value.as_str().into());
        }
        if let Op::Play { game: Some(game) }
        | Op::Create { game: Some(game) }
        | Op::Top { game: Some(game) } = &self.op
        {
            object.insert("game".into(), game.as_str().into());
        }
        if let Op::Spectators { allow } = &self.op {
            object.insert("allow".into(), (*allow).into());
        }
        if let Some(feed) = self.feed {
            object.insert("feed".into(), feed.into());
        }
        Value::Object(object).to_string()
    }
}

/// Why a message is not a request. The connection stays up; the client gets an `error`
/// with this code (and the request's `id` as `re`, if it could be read).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct RequestError {
    /// The request's id, if the message got that far.
    pub id: Option<u64>,
    /// What kind of problem.
    pub code: ErrorCode,
    /// What, in words.
    pub message: String,
}

impl RequestError {
    fn new(id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> Self {
        RequestError {
            id,
            code,
            message: message.into(),
        }
    }

    /// The error as the notice the client is sent.
    pub fn to_notice(&self) -> Notice {
        Notice::error(self.code, &self.message)
    }
}

/// Reads one text message as a request.
///
/// # Errors
/// A [`RequestError`] saying what is wrong: not JSON, not an object, a version this crate
/// does not speak, a missing or mistyped field, an unknown `op`.
pub fn parse_request(text: &str) -> Result<Request, RequestError> {
    let value: Value = serde_json::from_str(text).map_err(|err| {
        RequestError::new(
            None,
            ErrorCode::BadRequest,
            format!("not valid JSON ({err})"),
        )
    })?;
    let Value::Object(object) = value else {
        return Err(RequestError::new(
            None,
            ErrorCode::BadRequest,
            "a request is a JSON object",
        ));
    };
    let id = request_id(&object)?;
    check_version(&object, id)?;
    let op = match object.get("op") {
        Some(Value::String(op)) => op,
        Some(_) => return Err(field_error(id, "\"op\" must be a string")),
        None => return Err(field_error(id, "a request needs an \"op\"")),
    };
    let op = read_op(op, &object, id)?;
    let feed = feed_field(&op, &object, id)?;
    Ok(Request { id, op, feed })
}

/// `feed`: a JSON boolean, on the operations that take a seat or watch.
fn feed_field(
    op: &Op,
    object: &Map<String, Value>,
    id: Option<u64>,
) -> Result<Option<bool>, RequestError> {
    let takes_feed = matches!(
        op,
        Op::Play { .. } | Op::Join { .. } | Op::Create { .. } | Op::Watch { .. }
    );
    match object.get("feed") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(feed)) if takes_feed => Ok(Some(*feed)),
        Some(Value::Bool(_)) => Err(field_error(
            id,
            "\"feed\" is a field of play, join, create and watch",
        )),
        Some(_) => Err(field_error(id, "\"feed\" must be true or false")),
    }
}

fn request_id(object: &Map<String, Value>) -> Result<Option<u64>, RequestError> {
    match object.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number.as_u64().map(Some).ok_or_else(|| {
            field_error(
                None,
                "\"id\" must be a whole number from 0 to 18446744073709551615",
            )
        }),
        Some(_) => Err(field_error(None, "\"id\" must be a number")),
    }
}

fn check_version(object: &Map<String, Value>, id: Option<u64>) -> Result<(), RequestError> {
    match object.get("v") {
        None => Ok(()),
        Some(v) if v.as_u64() == Some(VERSION) => Ok(()),
        Some(v) => Err(RequestError::new(
            id,
            ErrorCode::UnsupportedVersion,
            format!(
                "protocol version {} is not supported (this server speaks {VERSION})",
                crate::text::excerpt(&v.to_string(), 24)
            ),
        )),
    }
}

fn read_op(op: &str, object: &Map<String, Value>, id: Option<u64>) -> Result<Op, RequestError> {
    let text = |key: &'static str, what: &'static str| string_field(object, id, op, key, what);
    Ok(match op {
        "play" => Op::Play {
            game: game_field(object, id, op)?,
        },
        "join" => Op::Join {
            room: room_field(object, id, op)?,
        },
        "create" => Op::Create {
            game: game_field(object, id, op)?,
        },
        "watch" => Op::Watch {
            room: room_field(object, id, op)?,
        },
        "guess" => Op::Guess {
            value: move_field(object, id)?,
        },
        "chat" => Op::Chat {
            text: text("text", "the message")?,
        },
        "scores" => Op::Scores,
        "rooms" => Op::Rooms,
        "leave" => Op::Leave,
        "who" => Op::Who,
        "spectators" => Op::Spectators {
            allow: bool_field(object, id)?,
        },
        "name" => Op::Name {
            name: text("name", "the name wanted")?,
        },
        "top" => Op::Top {
            game: game_field(object, id, op)?,
        },
        "games" => Op::Games,
        "ping" => Op::Ping,
        "quit" => Op::Quit,
        other => {
            return Err(RequestError::new(
                id,
                ErrorCode::UnknownOp,
                format!("unknown op {:?}", crate::text::excerpt(other, 24)),
            ));
        }
    })
}

/// `game`, for `play` and `create`: a string, or absent (the player's current game).
fn game_field(
    object: &Map<String, Value>,
    id: Option<u64>,
    op: &str,
) -> Result<Option<String>, RequestError> {
    match object.get("game") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(game)) => Ok(Some(game.clone())),
        Some(_) => Err(field_error(
            id,
            format!("\"game\" of {op} must be a string (a game's name)"),
        )),
    }
}

/// `allow`, for `spectators`: a JSON boolean.
fn bool_field(object: &Map<String, Value>, id: Option<u64>) -> Result<bool, RequestError> {
    match object.get("allow") {
        Some(Value::Bool(allow)) => Ok(*allow),
        Some(_) => Err(field_error(id, "\"allow\" must be true or false")),
        None => Err(field_error(
            id,
            "spectators needs \"allow\" (true or false)",
        )),
    }
}

fn field_error(id: Option<u64>, message: impl Into<String>) -> RequestError {
    RequestError::new(id, ErrorCode::BadRequest, message)
}

fn string_field(
    object: &Map<String, Value>,
    id: Option<u64>,
    op: &str,
    key: &'static str,
    what: &'static str,
) -> Result<String, RequestError> {
    match object.get(key) {
        Some(Value::String(text)) => bounded(text, id, key),
        Some(_) => Err(field_error(id, format!("\"{key}\" must be a string"))),
        None => Err(field_error(id, format!("{op} needs \"{key}\" ({what})"))),
    }
}

/// A room is named by number or code: a JSON number or a string.
fn room_field(
    object: &Map<String, Value>,
    id: Option<u64>,
    op: &str,
) -> Result<String, RequestError> {
    match object.get("room") {
        Some(Value::String(room)) => bounded(room, id, "room"),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(_) => Err(field_error(id, "\"room\" must be a number or a string")),
        None => Err(field_error(
            id,
            format!("{op} needs \"room\" (a room number or code)"),
        )),
    }
}

/// A move is text the game parses; a JSON number is taken as its decimal text.
fn move_field(object: &Map<String, Value>, id: Option<u64>) -> Result<String, RequestError> {
    match object.get("value") {
        Some(Value::String(value)) => bounded(value, id, "value"),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(_) => Err(field_error(id, "\"value\" must be a number or a string")),
        None => Err(field_error(id, "guess needs \"value\" (the number)")),
    }
}

fn bounded(text: &str, id: Option<u64>, key: &str) -> Result<String, RequestError> {
    if text.len() > MAX_FIELD {
        return Err(field_error(
            id,
            format!("\"{key}\" is too long (at most {MAX_FIELD} bytes)"),
        ));
    }
    Ok(text.to_owned())
}

/// What every server message is wrapped in: version, the request it answers, the body's own
/// fields (with its `type`), and the line protocol's text.
#[derive(Serialize)]
struct Envelope<'a, B: Serialize> {
    v: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    re: Option<u64>,
    #[serde(flatten)]
    body: B,
    text: &'a str,
}

fn encode<B: Serialize>(body: B, text: &str, re: Option<u64>) -> String {
    let envelope = Envelope {
        v: VERSION,
        re,
        body,
        text,
    };
    // Serializing these types cannot fail (no maps with non-string keys, no I/O); should it
    // ever, the client still gets a well-formed message rather than nothing.
    serde_json::to_string(&envelope).unwrap_or_else(|err| {
        let fallback = Notice::error(ErrorCode::BadRequest, format!("cannot encode: {err}"));
        let text = fallback.to_line();
        serde_json::to_string(&Envelope {
            v: VERSION,
            re,
            body: &fallback,
            text: &text,
        })
        .unwrap_or_default()
    })
}

/// A server notice as a JSON message: `{"v":1,"type":"joined",…,"text":"…"}`.
pub fn notice(notice: &Notice, re: Option<u64>) -> String {
    encode(notice, &notice.to_line(), re)
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "event")]
struct EventBody<'a, E: Serialize> {
    round: u64,
    now: u64,
    event: &'a E,
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "rejected")]
struct RejectedBody<'a, R: Serialize> {
    rejection: &'a R,
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "state")]
struct StateBody<'a, V: Serialize> {
    view: &'a V,
    now: u64,
}

/// A game event as a JSON message:
/// `{"v":1,"type":"event","round":3,"now":41250,"event":{…},"text":"…"}`. `text` is the event
/// as the line protocol shows it to this player; `now` is the room's game clock (ms) when it
/// was sent, so a client turns the event's deadlines into time left (`deadline - now`)
/// without sharing a clock with the server.
pub fn event<E: Serialize>(
    round: u64,
    now: Millis,
    event: &E,
    text: &str,
    re: Option<u64>,
) -> String {
    let now = now.0;
    encode(EventBody { round, now, event }, text, re)
}

/// A refused move: `{"v":1,"type":"rejected","rejection":{…},"text":"…"}`.
pub fn rejected<R: Serialize>(rejection: &R, text: &str, re: Option<u64>) -> String {
    encode(RejectedBody { rejection }, text, re)
}

/// Where the game stands for one player:
/// `{"v":1,"type":"state","view":{…},"now":41250,"text":"…"}` (`now` as in [`event`]).
pub fn state<V: Serialize>(view: &V, now: Millis, text: &str, re: Option<u64>) -> String {
    let now = now.0;
    encode(StateBody { view, now }, text, re)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use referee_rules::PlayerId;

    use super::*;
    use crate::notice::{RoomLabel, Seated};

    fn parsed(text: &str) -> Result<Request, RequestError> {
        parse_request(text)
    }

    fn code(text: &str) -> ErrorCode {
        match parsed(text) {
            Ok(request) => panic!("{text} was read as {request:?}"),
            Err(err) => err.code,
        }
    }

    #[test]
    fn every_op_reads() {
        let cases = [
            (r#"{"op":"play"}"#, Op::Play { game: None }),
            (
                r#"{"op":"join","room":"KXQ7M"}"#,
                Op::Join {
                    room: "KXQ7M".into(),
                },
            ),
            (r#"{"op":"join","room":3}"#, Op::Join { room: "3".into() }),
            (r#"{"op":"create"}"#, Op::Create { game: None }),
            (r#"{"op":"watch","room":2}"#, Op::Watch { room: "2".into() }),
            (
                r#"{"op":"guess","value":7}"#,
                Op::Guess { value: "7".into() },
            ),
            (
                r#"{"op":"guess","value":"7 @3"}"#,
                Op::Guess {
                    value: "7 @3".into(),
                },
            ),
            (
                r#"{"op":"chat","text":"gg"}"#,
                Op::Chat { text: "gg".into() },
            ),
            (r#"{"op":"scores"}"#, Op::Scores),
            (r#"{"op":"rooms"}"#, Op::Rooms),
            (r#"{"op":"leave"}"#, Op::Leave),
            (r#"{"op":"who"}"#, Op::Who),
            (
                r#"{"op":"spectators","allow":false}"#,
                Op::Spectators { allow: false },
            ),
            (
                r#"{"op":"name","name":"Ann"}"#,
                Op::Name { name: "Ann".into() },
            ),
            (r#"{"op":"top"}"#, Op::Top { game: None }),
            (
                r#"{"op":"top","game":"dice"}"#,
                Op::Top {
                    game: Some("dice".into()),
                },
            ),
            (r#"{"op":"ping"}"#, Op::Ping),
            (r#"{"op":"games"}"#, Op::Games),
            (r#"{"op":"quit"}"#, Op::Quit),
        ];
        for (text, op) in cases {
            assert_eq!(
                parsed(text),
                Ok(Request {
                    id: None,
                    op,
                    feed: None
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn ids_and_versions_are_read() {
        let request = parsed(r#"{"v":1,"id":99,"op":"rooms"}"#);
        assert_eq!(request.map(|r| r.id), Ok(Some(99)));
    }

    #[test]
    fn malformed_messages_get_typed_errors() {
        assert_eq!(code("not json"), ErrorCode::BadRequest);
        assert_eq!(code("[1,2]"), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"id":1}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":7}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":"dance"}"#), ErrorCode::UnknownOp);
        assert_eq!(
            code(r#"{"v":2,"op":"play"}"#),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(code(r#"{"op":"join"}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":"guess","value":[7]}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":"chat","text":5}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":"spectators"}"#), ErrorCode::BadRequest);
        assert_eq!(
            code(r#"{"op":"spectators","allow":"no"}"#),
            ErrorCode::BadRequest
        );
        assert_eq!(code(r#"{"id":-1,"op":"play"}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"id":"a","op":"play"}"#), ErrorCode::BadRequest);
        assert_eq!(code(r#"{"op":"play","feed":"no"}"#), ErrorCode::BadRequest);
        assert_eq!(
            code(r#"{"op":"guess","value":3,"feed":false}"#),
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn feed_is_read_on_the_operations_that_seat_or_watch() {
        for (text, feed) in [
            (r#"{"op":"play","feed":false}"#, Some(false)),
            (r#"{"op":"join","room":"4","feed":true}"#, Some(true)),
            (r#"{"op":"create","feed":false}"#, Some(false)),
            (r#"{"op":"watch","room":2,"feed":false}"#, Some(false)),
            (r#"{"op":"play","feed":null}"#, None),
            (r#"{"op":"play"}"#, None),
        ] {
            assert_eq!(parsed(text).map(|r| r.feed), Ok(feed), "{text}");
        }
    }

    #[test]
    fn errors_keep_the_request_id_when_it_could_be_read() {
        let err = parsed(r#"{"id":5,"op":"dance"}"#).err();
        assert_eq!(
            err.map(|e| (e.id, e.code)),
            Some((Some(5), ErrorCode::UnknownOp))
        );
        let err = parsed(r#"{"id":6,"op":"join"}"#).err();
        assert_eq!(err.and_then(|e| e.id), Some(6));
    }

    #[test]
    fn oversized_fields_are_refused() {
        let long = "x".repeat(MAX_FIELD + 1);
        let text = format!(r#"{{"op":"chat","text":"{long}"}}"#);
        assert_eq!(code(&text), ErrorCode::BadRequest);
    }

    #[test]
    fn requests_map_to_the_line_protocol() {
        assert_eq!(Op::Guess { value: "7".into() }.as_input(), Input::Move("7"));
        assert_eq!(
            Op::Create { game: None }.as_input(),
            Input::Command(Command::New(None))
        );
        assert_eq!(
            Op::Watch { room: "3".into() }.as_input(),
            Input::Command(Command::Watch("3"))
        );
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn notices_carry_version_type_reply_id_and_text() {
        let joined = Notice::Joined {
            game: None,
            room: RoomLabel { id: 3, code: None },
            members: vec![Seated {
                player: PlayerId(7),
                name: "Ann".into(),
            }],
            capacity: 3,
        };
        let message = json(&notice(&joined, Some(12)));
        assert_eq!(message["v"], 1);
        assert_eq!(message["re"], 12);
        assert_eq!(message["type"], "joined");
        assert_eq!(message["room"]["id"], 3);
        assert_eq!(message["members"][0]["player"], 7);
        assert_eq!(message["text"], joined.to_line());
        let pong = json(&notice(&Notice::Pong, None));
        assert_eq!(pong["type"], "pong");
        assert!(pong.get("re").is_none());
    }

    /// Every notice there is, once.
    fn every_notice() -> Vec<Notice> {
        use crate::notice::{ByeReason, LeaderLine, NamedScore, RoomListing};
        let room = RoomLabel {
            id: 1,
            code: Some("KXQ7M".into()),
        };
        let seated = vec![Seated {
            player: PlayerId(1),
            name: "Ann".into(),
        }];
        let name = || "Ann".to_owned();
        let player = PlayerId(1);
        vec![
            Notice::Welcome {
                player,
                name: name(),
                token: Some("ab".into()),
                resumed: false,
                how_to_play: None,
            },
            Notice::Joined {
                game: None,
                room: room.clone(),
                members: seated.clone(),
                capacity: 3,
            },
            Notice::Watching {
                game: None,
                room: room.clone(),
                members: seated.clone(),
                capacity: 3,
            },
            Notice::MemberJoined {
                player,
                name: name(),
            },
            Notice::MemberLeft {
                player,
                name: name(),
            },
            Notice::MemberDropped {
                player,
                name: name(),
                reason: "too slow".into(),
            },
            Notice::MemberAway {
                player,
                name: name(),
                seconds: 30,
            },
            Notice::MemberBack {
                player,
                name: name(),
            },
            Notice::Renamed {
                player,
                old: name(),
                new: "Bo".into(),
            },
            Notice::NameSet { name: name() },
            Notice::Record {
                name: name(),
                wins: 2,
            },
            Notice::Leaderboard {
                game: Some("dice".into()),
                all_time: vec![LeaderLine {
                    name: name(),
                    wins: 2,
                }],
                recent: vec![],
            },
            Notice::Chat {
                player,
                from: name(),
                message: "hi".into(),
            },
            Notice::Scores {
                room: room.clone(),
                scores: vec![NamedScore {
                    player,
                    name: name(),
                    points: 1,
                }],
            },
            Notice::Rooms {
                rooms: vec![RoomListing {
                    game: None,
                    id: 1,
                    players: 1,
                    capacity: 3,
                }],
                total: 1,
            },
            Notice::SpectatorJoined {
                player,
                name: name(),
            },
            Notice::SpectatorLeft {
                player,
                name: name(),
            },
            Notice::Who {
                room: room.clone(),
                members: seated.clone(),
                capacity: 3,
                spectators: seated.clone(),
                watchable: true,
            },
            Notice::SpectatorsAllowed {
                room: room.clone(),
                allowed: false,
            },
            Notice::Left { room },
            Notice::Pong,
            Notice::RefereeRestarted,
            Notice::RoundVoided {
                room: RoomLabel { id: 1, code: None },
                round: 2,
            },
            Notice::FailedOver {
                room: RoomLabel { id: 1, code: None },
            },
            Notice::Help,
            Notice::error(ErrorCode::Busy, "busy"),
            Notice::Bye {
                reason: ByeReason::Replaced,
            },
        ]
    }

    /// The top-level keys of a JSON object as written, duplicates kept (a `Value` would keep
    /// only the last of two equal keys and hide the clash).
    fn keys(text: &str) -> Vec<String> {
        struct Keys(Vec<String>);
        impl<'de> serde::Deserialize<'de> for Keys {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit;
                impl<'de> serde::de::Visitor<'de> for Visit {
                    type Value = Keys;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Keys, A::Error> {
                        let mut keys = Vec::new();
                        while let Some((key, _)) =
                            map.next_entry::<String, serde::de::IgnoredAny>()?
                        {
                            keys.push(key);
                        }
                        Ok(Keys(keys))
                    }
                }
                d.deserialize_map(Visit)
            }
        }
        serde_json::from_str::<Keys>(text)
            .map(|keys| keys.0)
            .unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn no_message_repeats_a_key() {
        for notice in every_notice() {
            let encoded = super::notice(&notice, Some(1));
            let mut keys = keys(&encoded);
            let all = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), all, "a key appears twice in {encoded}");
            for needed in ["v", "re", "type", "text"] {
                assert!(
                    keys.iter().any(|k| k == needed),
                    "{needed} missing in {encoded}"
                );
            }
        }
    }

    #[test]
    fn errors_carry_their_code() {
        let message = json(&notice(&Notice::error(ErrorCode::RoomFull, "full"), None));
        assert_eq!(message["type"], "error");
        assert_eq!(message["code"], "room_full");
        assert_eq!(message["message"], "full");
    }

    #[test]
    fn game_messages_wrap_the_game_types() {
        #[derive(Serialize)]
        struct Hint {
            value: u32,
        }
        let message = json(&event(
            4,
            Millis(41_250),
            &Hint { value: 9 },
            "Ann guessed 9",
            Some(1),
        ));
        assert_eq!(message["type"], "event");
        assert_eq!(message["round"], 4);
        assert_eq!(message["now"], 41_250, "the room's clock, for deadlines");
        assert_eq!(message["event"]["value"], 9);
        assert_eq!(message["re"], 1);
        let message = json(&rejected(&Hint { value: 2 }, "no", None));
        assert_eq!(message["type"], "rejected");
        assert_eq!(message["rejection"]["value"], 2);
        let message = json(&state(&Hint { value: 3 }, Millis(7), "Round 1", None));
        assert_eq!(message["type"], "state");
        assert_eq!(message["now"], 7);
        assert_eq!(message["view"]["value"], 3);
    }

    fn any_op() -> impl Strategy<Value = Op> {
        let text = "[a-zA-Z0-9 _@\u{e9}\\-\"\\\\]{0,40}";
        prop_oneof![
            Just(Op::Play { game: None }),
            text.prop_map(|room| Op::Join { room }),
            Just(Op::Create { game: None }),
            text.prop_map(|room| Op::Watch { room }),
            text.prop_map(|value| Op::Guess { value }),
            text.prop_map(|text| Op::Chat { text }),
            Just(Op::Scores),
            Just(Op::Rooms),
            Just(Op::Leave),
            Just(Op::Who),
            any::<bool>().prop_map(|allow| Op::Spectators { allow }),
            text.prop_map(|name| Op::Name { name }),
            Just(Op::Top { game: None }),
            text.prop_map(|game| Op::Top { game: Some(game) }),
            Just(Op::Ping),
            Just(Op::Games),
            Just(Op::Quit),
        ]
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in ".{0,200}") {
            let _ = parse_request(&text);
        }

        #[test]
        fn parsing_never_panics_on_near_requests(
            op in "(play|join|guess|chat|name|watch|x)",
            key in "(room|value|text|name|id|v)",
            value in prop_oneof![
                Just("null".to_owned()), Just("-1".to_owned()), Just("1e400".to_owned()),
                Just("[]".to_owned()), Just("{}".to_owned()), "\"[^\"\\\\]{0,20}\"", "-?[0-9]{1,25}",
            ],
        ) {
            let text = format!(r#"{{"op":"{op}","{key}":{value}}}"#);
            let _ = parse_request(&text);
        }

        #[test]
        fn requests_round_trip(
            id in proptest::option::of(any::<u64>()),
            op in any_op(),
            feed in proptest::option::of(any::<bool>()),
        ) {
            let takes_feed = matches!(op, Op::Play { .. } | Op::Join { .. } | Op::Create { .. } | Op::Watch { .. });
            let request = Request { id, op, feed: feed.filter(|_| takes_feed) };
            prop_assert_eq!(parse_request(&request.to_json()), Ok(request));
        }
    }
}
