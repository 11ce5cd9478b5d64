//! MessagePack for a Colyseus bot, through `rmp-serde`: decoding a server message into a
//! JSON value (so that the JSON protocol's [`Codec`](crate::bot::json::Codec) reads it),
//! and encoding the guess request.
//!
//! This module only adapts the crate to what [`frame`](super::frame) needs: one value at
//! the start of a byte slice and how many bytes it used, the bounds below, and typed errors.
//! Colyseus packs its room messages with msgpackr, whose encoder uses `map16` and `str8`
//! even for small maps and strings: `rmp-serde` takes every width.
//!
//! What bad input gets (none of it panics):
//! * nesting past [`MAX_DEPTH`] levels is refused, so no input exhausts the stack
//!   (`rmp-serde` counts depth itself, 1024 by default; set lower here);
//! * a length longer than the bytes left ends at the bytes' end: nothing is allocated for
//!   a string's claimed length, an array's reservation is bounded by serde's cautious
//!   size hint (at most 1 MiB), a map's is none;
//! * binary strings, extension types, non-string map keys and non-UTF-8 strings are
//!   refused, since a JSON value cannot hold them;
//! * a non-finite float (NaN, infinity) becomes `null`: serde_json's rule, not an error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Deepest nesting of maps and arrays accepted (the protocol's messages nest three deep).
pub const MAX_DEPTH: usize = 16;

/// Why bytes are not a message this decoder takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end inside a value.
    #[error("msgpack value cut short")]
    Truncated,
    /// Maps and arrays nested deeper than [`MAX_DEPTH`] levels.
    #[error("msgpack value nested too deep")]
    TooDeep,
    /// Valid or not as msgpack, no JSON value: binary, extensions, non-string keys, bad
    /// UTF-8, reserved format bytes. Carries `rmp-serde`'s description.
    #[error("msgpack value not taken: {0}")]
    Invalid(String),
}

impl From<rmp_serde::decode::Error> for DecodeError {
    fn from(error: rmp_serde::decode::Error) -> Self {
        use rmp_serde::decode::Error;
        match error {
            Error::InvalidMarkerRead(io) | Error::InvalidDataRead(io)
                if io.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                Self::Truncated
            }
            Error::DepthLimitExceeded => Self::TooDeep,
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// Why a value could not be written as msgpack (never for the guess request: its fields
/// are plain numbers and strings, written to memory).
#[derive(Debug, thiserror::Error)]
#[error("msgpack encoding: {0}")]
pub struct EncodeError(#[from] rmp_serde::encode::Error);

/// Decodes one value at the start of `bytes`; returns it and the bytes it used.
///
/// # Errors
///
/// A [`DecodeError`] for bytes that do not start with a complete msgpack value that JSON
/// can hold, nested at most [`MAX_DEPTH`] deep.
pub fn decode(bytes: &[u8]) -> Result<(Value, usize), DecodeError> {
    let mut deserializer = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
    // rmp-serde refuses the container that brings its counter to zero: one more than the
    // levels it lets through.
    deserializer.set_max_depth(MAX_DEPTH + 1);
    let value = Value::deserialize(&mut deserializer)?;
    let used = usize::try_from(deserializer.position()).unwrap_or(bytes.len());
    Ok((value, used))
}

/// Appends `value` to `out` as msgpack, a struct as a map keyed by its field names (as
/// msgpackr packs a JavaScript object), every number and string in its shortest form.
///
/// # Errors
///
/// An [`EncodeError`] if `value`'s `Serialize` fails.
pub fn encode<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), EncodeError> {
    Ok(rmp_serde::encode::write_named(out, value)?)
}
