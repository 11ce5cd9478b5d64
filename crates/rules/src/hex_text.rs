//! Hashes and salts as lowercase hex, written from a buffer on the stack.
//!
//! Commitments, salts and state hashes are shown (every round's announcement), serialized
//! (every snapshot and recorded match) and hashed (every match's state hash) as hex, on the
//! hot path of a won round. `hex::encode` builds a `String` a `char` at a time and `write!`
//! per byte goes through the formatting machinery; this writes the digits into an array
//! once and hands out a `&str`: the same text, a fraction of the instructions.

use std::fmt;

/// Up to 32 bytes as 64 lowercase hex digits, on the stack.
pub(crate) struct Hex {
    digits: [u8; 64],
    len: usize,
}

impl Hex {
    /// `bytes` in lowercase hex (at most 32 bytes: checked when compiled).
    pub(crate) fn of<const N: usize>(bytes: &[u8; N]) -> Hex {
        const { assert!(N <= 32, "Hex holds at most 32 bytes") };
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0; 64];
        for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        Hex { digits, len: 2 * N }
    }

    /// The digits.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and letters were written: never fails.
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or_default()
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_reads_as_hex_encode_writes_it() {
        let low: [u8; 32] = std::array::from_fn(|i| i as u8 * 8);
        let high: [u8; 32] = std::array::from_fn(|i| 255 - i as u8 * 8);
        let all: Vec<u8> = (0..=255).collect();
        for bytes in [low, high] {
            assert_eq!(Hex::of(&bytes).as_str(), hex::encode(bytes));
        }
        for chunk in all.chunks_exact(16) {
            let bytes: [u8; 16] = chunk.try_into().unwrap();
            assert_eq!(Hex::of(&bytes).to_string(), hex::encode(bytes));
        }
    }
}
