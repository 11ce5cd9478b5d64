//! The little of MessagePack a Colyseus bot needs, on bytes: decoding a server message into
//! a JSON value (so that the JSON protocol's [`Codec`](crate::bot::json::Codec) reads it),
//! and encoding the guess request.
//!
//! Colyseus packs its room messages with msgpackr; its encoder uses `map16` and `str8`
//! even for small maps and strings, so the decoder takes every width. Extension types and
//! binary strings never occur in these messages and are refused; so is nesting past
//! sixteen levels, so that no input can exhaust the stack. Written here rather than taken
//! from a crate: the whole subset is a hundred lines and keeps the build's lock file as it is.

use serde_json::{Map, Number, Value};

/// Deepest nesting of maps and arrays accepted (the protocol's messages nest three deep).
const MAX_DEPTH: usize = 16;

/// Why bytes are not a message this decoder takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end inside a value.
    #[error("msgpack value cut short")]
    Truncated,
    /// A format byte this decoder does not take (extensions, binary strings, unused codes).
    #[error("unsupported msgpack format byte {0:#04x}")]
    Unsupported(u8),
    /// A map key that is not a string.
    #[error("msgpack map key is not a string")]
    KeyNotString,
    /// A string that is not UTF-8.
    #[error("msgpack string is not UTF-8")]
    NotUtf8,
    /// Maps and arrays nested deeper than sixteen levels.
    #[error("msgpack value nested too deep")]
    TooDeep,
    /// A float that JSON cannot hold (NaN, infinity).
    #[error("msgpack float is not finite")]
    NotFinite,
}

/// Decodes one value at the start of `bytes`; returns it and the bytes it used.
///
/// # Errors
///
/// A [`DecodeError`] for bytes that are not a complete value of the supported subset.
pub fn decode(bytes: &[u8]) -> Result<(Value, usize), DecodeError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    Ok((value, reader.at))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(len).ok_or(DecodeError::Truncated)?;
        let taken = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(taken)
    }

    /// A big-endian unsigned integer of `len` bytes (1, 2, 4 or 8).
    fn uint(&mut self, len: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(len)?
            .iter()
            .fold(0, |acc, &byte| (acc << 8) | u64::from(byte)))
    }

    /// A big-endian two's complement integer of `len` bytes.
    fn int(&mut self, len: usize) -> Result<i64, DecodeError> {
        let raw = self.uint(len)?;
        let shift = 64 - 8 * len as u32;
        Ok(((raw << shift) as i64) >> shift)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let format = self.take(1)?[0];
        match format {
            0x00..=0x7f => Ok(Value::from(format)),
            0x80..=0x8f => self.map(usize::from(format & 0x0f), depth),
            0x90..=0x9f => self.array(usize::from(format & 0x0f), depth),
            0xa0..=0xbf => self.string(usize::from(format & 0x1f)),
            0xc0 => Ok(Value::Null),
            0xc2 => Ok(Value::Bool(false)),
            0xc3 => Ok(Value::Bool(true)),
            0xca => float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Ok(Value::from(self.uint(1 << (format - 0xcc))?)),
            0xd0..=0xd3 => Ok(Value::from(self.int(1 << (format - 0xd0))?)),
            0xd9..=0xdb => {
                let len = self.len(1 << (format - 0xd9))?;
                self.string(len)
            }
            0xdc | 0xdd => {
                let len = self.len(2 << (format - 0xdc))?;
                self.array(len, depth)
            }
            0xde | 0xdf => {
                let len = self.len(2 << (format - 0xde))?;
                self.map(len, depth)
            }
            0xe0..=0xff => Ok(Value::from(i64::from(format as i8))),
            other => Err(DecodeError::Unsupported(other)),
        }
    }

    /// A length of `width` bytes, no longer than what is left (so nothing allocates for it).
    fn len(&mut self, width: usize) -> Result<usize, DecodeError> {
        let len = usize::try_from(self.uint(width)?).map_err(|_| DecodeError::Truncated)?;
        match len <= self.bytes.len() - self.at {
            true => Ok(len),
            false => Err(DecodeError::Truncated),
        }
    }

    fn string(&mut self, len: usize) -> Result<Value, DecodeError> {
        let text = std::str::from_utf8(self.take(len)?).map_err(|_| DecodeError::NotUtf8)?;
        Ok(Value::String(text.to_owned()))
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut items = Vec::with_capacity(len.min(self.bytes.len() - self.at));
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut map = Map::new();
        for _ in 0..len {
            let Value::String(key) = self.value(depth + 1)? else {
                return Err(DecodeError::KeyNotString);
            };
            map.insert(key, self.value(depth + 1)?);
        }
        Ok(Value::Object(map))
    }
}

fn float(value: f64) -> Result<Value, DecodeError> {
    Number::from_f64(value)
        .map(Value::Number)
        .ok_or(DecodeError::NotFinite)
}

/// Appends `text` as a msgpack string.
pub fn put_str(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    match len {
        0..=31 => out.push(0xa0 | len as u8),
        32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
        _ => {
            let len = u32::try_from(len).unwrap_or(u32::MAX);
            out.push(0xdb);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(text.as_bytes());
}

/// Appends `value` as a msgpack unsigned integer, in its shortest form.
pub fn put_uint(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=0x7f => out.push(value as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, value as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(value as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

/// Appends the header of a map of `len` (at most 15) entries.
pub fn put_fixmap(out: &mut Vec<u8>, len: u8) {
    out.push(0x80 | (len & 0x0f));
}
