//! Colyseus 0.18's room framing, on bytes: what a bot reads from the room's WebSocket and
//! the few frames it writes.
//!
//! Every frame is one binary WebSocket message whose first byte is the protocol code
//! (`@colyseus/shared-types`, `Protocol`; bits 5..7 are modifiers, stripped here):
//!
//! * `JOIN_ROOM` (10), server → client: `[10][len][reconnection token][len][serializer id]
//!   [handshake…]` once the seat is taken; the client confirms with the single byte `[10]`,
//!   and only then does the room send it what it queued (here: `joined`, `state`).
//! * `ROOM_DATA` (13), both ways: `[13][type][msgpack message?]`, the type a schema-encoded
//!   string or number (its short forms are msgpack's: fixstr, str8, positive fixint, uint8).
//! * `ERROR` (11): `[11][code][message]`; `LEAVE_ROOM` (12): the room closes the seat
//!   (a client sends `[12]` to leave); `PING` (18).
//!
//! Read from `@colyseus/core/build/Protocol.mjs` (`getMessageBytes`) and `Room.mjs`
//! (`_onMessage`) of the pinned version; the tests hold bytes captured from that server.

use serde::Serialize;
use serde_json::Value;

use super::msgpack::{self, DecodeError, EncodeError};

/// The protocol codes a bot meets.
mod code {
    pub(super) const JOIN_ROOM: u8 = 10;
    pub(super) const ERROR: u8 = 11;
    pub(super) const LEAVE_ROOM: u8 = 12;
    pub(super) const ROOM_DATA: u8 = 13;
    pub(super) const PING: u8 = 18;
}

/// The bits of the first byte that carry the code (the others are modifiers).
const CODE_MASK: u8 = 0x1f;

/// The message type under which the bench's room sends everything (`server.mjs`).
pub const MESSAGE_TYPE: &str = "m";

/// The message type of a guess.
pub const GUESS_TYPE: &str = "guess";

/// One frame from the server, as far as a bot cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The seat is taken: confirm with [`join_ack`]. The serializer's id is kept to tell
    /// a room with state from one without.
    JoinRoom {
        /// `none` for a room without synchronized state.
        serializer: String,
    },
    /// A room message: its type and, if any, its msgpack-decoded content.
    Data {
        /// The message's type (a string or a number).
        kind: Value,
        /// The message's content.
        message: Option<Value>,
    },
    /// The server reports an error.
    Error {
        /// Colyseus's error code.
        code: Value,
        /// Its message.
        message: Value,
    },
    /// The room closed this seat.
    Leave,
    /// A protocol-level ping.
    Ping,
    /// Any other code (state patches, inputs…), which a guess bot ignores.
    Other(u8),
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// An empty message.
    #[error("empty Colyseus frame")]
    Empty,
    /// A `JOIN_ROOM` cut short.
    #[error("JOIN_ROOM frame cut short")]
    ShortJoin,
    /// A type that is neither a short string nor a short number.
    #[error("unsupported Colyseus message type byte {0:#04x}")]
    Type(u8),
    /// The msgpack content does not decode.
    #[error("Colyseus message content: {0}")]
    Content(#[from] DecodeError),
}

/// Parses one binary WebSocket message from the server.
///
/// # Errors
///
/// A [`FrameError`] for bytes that are not a frame of the kinds above.
pub fn parse(bytes: &[u8]) -> Result<Frame, FrameError> {
    let (&first, rest) = bytes.split_first().ok_or(FrameError::Empty)?;
    match first & CODE_MASK {
        code::JOIN_ROOM => join_room(rest),
        code::ROOM_DATA => room_data(rest),
        code::ERROR => {
            let (code, used) = msgpack::decode(rest)?;
            let (message, _) = msgpack::decode(&rest[used..])?;
            Ok(Frame::Error { code, message })
        }
        code::LEAVE_ROOM => Ok(Frame::Leave),
        code::PING => Ok(Frame::Ping),
        other => Ok(Frame::Other(other)),
    }
}

/// `[len][token][len][serializer]…`: the token is skipped (bots never reconnect).
fn join_room(rest: &[u8]) -> Result<Frame, FrameError> {
    let (&token_len, rest) = rest.split_first().ok_or(FrameError::ShortJoin)?;
    let rest = rest
        .get(usize::from(token_len)..)
        .ok_or(FrameError::ShortJoin)?;
    let (&id_len, rest) = rest.split_first().ok_or(FrameError::ShortJoin)?;
    let id = rest
        .get(..usize::from(id_len))
        .ok_or(FrameError::ShortJoin)?;
    Ok(Frame::JoinRoom {
        serializer: String::from_utf8_lossy(id).into_owned(),
    })
}

fn room_data(rest: &[u8]) -> Result<Frame, FrameError> {
    let type_byte = *rest.first().ok_or(FrameError::Type(0))?;
    // Past the short forms the schema encoder writes lengths little-endian, msgpack
    // big-endian: only the forms on which both agree are taken.
    if !matches!(type_byte, 0x00..=0x7f | 0xa0..=0xbf | 0xcc | 0xd9) {
        return Err(FrameError::Type(type_byte));
    }
    let (kind, used) = msgpack::decode(rest)?;
    let content = &rest[used..];
    let message = match content.is_empty() {
        true => None,
        false => Some(msgpack::decode(content)?.0),
    };
    Ok(Frame::Data { kind, message })
}

/// The client's confirmation of `JOIN_ROOM`.
pub fn join_ack() -> Vec<u8> {
    vec![code::JOIN_ROOM]
}

/// The client's `LEAVE_ROOM`: the room frees the seat and closes the connection.
pub fn leave() -> Vec<u8> {
    vec![code::LEAVE_ROOM]
}

/// Referee's guess request, serialized by field name (as msgpackr packs an object):
/// `{"v":1,"id":ID,"op":"guess","value":VALUE}`.
#[derive(Serialize)]
struct Guess {
    v: u8,
    id: u64,
    op: &'static str,
    value: u64,
}

/// A guess as the bench's room takes it: `ROOM_DATA` of type `guess` carrying Referee's
/// `guess` request, in msgpack.
///
/// # Errors
///
/// An [`EncodeError`] if msgpack encoding fails (it does not for these plain fields).
pub fn guess(id: u64, value: u64) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(32);
    out.push(code::ROOM_DATA);
    msgpack::encode(&mut out, GUESS_TYPE)?;
    let request = Guess {
        v: 1,
        id,
        op: "guess",
        value,
    };
    msgpack::encode(&mut out, &request)?;
    Ok(out)
}
