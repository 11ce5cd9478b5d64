//! Private rooms' codes: what a code may look like, how one is drawn, how a typed one is read.
//!
//! Pure: the generator comes in as an argument (the directory owns one seeded by the OS).

use rand::RngExt;
use rand::rngs::StdRng;

/// Letters of a private room's code: letters only (a code can never be taken for a room
/// number, and there is no 0 or 1 to confuse) and none that are easily confused (I, L, O).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
/// Letters in a code: 23^10 ≈ 4.1 × 10^13 codes, so that guessing one is hopeless at the
/// rate failed lookups are allowed (see `attempts.rs` and docs/RELIABILITY.md).
pub(crate) const CODE_LENGTH: usize = 10;
/// Codes are shown in groups of this many letters, joined by `-` (`ABCDE-FGHJK`).
const CODE_GROUP: usize = 5;

/// The canonical form of a code as a player typed it: case and separators (`-`, `_`, `.`,
/// spaces) do not matter. `None` if it cannot be a code.
pub(crate) fn canonical_code(wanted: &str) -> Option<String> {
    let letters: Vec<u8> = wanted
        .bytes()
        .filter(|b| !matches!(b, b'-' | b'_' | b'.' | b' ' | b'\t'))
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.len() != CODE_LENGTH || !letters.iter().all(|b| CODE_ALPHABET.contains(b)) {
        return None;
    }
    Some(grouped(&letters))
}

/// A code drawn from `rng`, in its canonical form (it may be taken already).
pub(super) fn draw(rng: &mut StdRng) -> String {
    let letters: Vec<u8> = (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])
        .collect();
    grouped(&letters)
}

/// `letters` in groups of [`CODE_GROUP`], joined by `-`.
fn grouped(letters: &[u8]) -> String {
    let groups: Vec<String> = letters
        .chunks(CODE_GROUP)
        .map(|group| group.iter().map(|&b| char::from(b)).collect())
        .collect();
    groups.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_whatever_the_case_and_separators() {
        let code = Some("ABCDE-FGHJK".to_owned());
        for typed in [
            "ABCDE-FGHJK",
            "abcdefghjk",
            " abcde fghjk ",
            "Abc-de_fg.hjk",
        ] {
            assert_eq!(canonical_code(typed), code, "{typed}");
        }
        for typed in [
            "ABCDE-FGHJ",
            "ABCDE-FGHJKM",
            "ABCDE-FGHJ1",
            "ABCDE-FGHJI",
            "12345",
        ] {
            assert_eq!(canonical_code(typed), None, "{typed}");
        }
    }
}
