//! Cleaning what players type before anyone else sees it.
//!
//! Chat and names travel from one player's keyboard to other players' terminals. A control
//! character there is an attack (an ANSI escape can rewrite another player's screen), so
//! every control character is replaced; so are the characters that move or hide text without
//! being seen — line and paragraph separators (U+2028, U+2029), bidirectional overrides
//! (U+202E), zero-width characters — with which a chat line could pass for a line of the
//! server's own (`Correct! … You won round 99`). Lengths are bounded.
//!
//! Names are what players recognise each other by, so two players must not be able to look
//! alike. A name is normalised (NFKC: `Ａｌｉｃｅ` and `𝐀𝐥𝐢𝐜𝐞` are `Alice`), written in one
//! script (`Аlice` with a Cyrillic `А` is refused), and compared by its confusable skeleton
//! (Unicode TS #39, from the `unicode-security` crate): [`name_key`] is the identity of a name
//! on the leaderboard, [`names_clash`] says whether two names may not sit in one room.

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::{GeneralSecurityProfile, MixedScript, skeleton};

/// Longest chat message, in characters.
pub const MAX_CHAT: usize = 300;
/// Longest player name, in characters.
pub const MAX_NAME: usize = 20;

/// Replaces every control character (C0, DEL and C1, ESC and TAB included), every format
/// character (bidirectional controls, zero-width characters, the byte-order mark, tags), the
/// line and paragraph separators, and unassigned code points with `?`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if is_hidden_or_control(c) { '?' } else { c })
        .collect()
}

/// Whether `c` controls the terminal, moves or hides text, or means nothing yet.
fn is_hidden_or_control(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

/// `text` cleaned and cut to `max` characters, with `…` if it was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A chat message, cleaned and bounded.
///
/// # Errors
/// [`TextError::TooLong`] past [`MAX_CHAT`] characters.
pub fn chat(text: &str) -> Result<String, TextError> {
    let text = text.trim();
    if text.chars().count() > MAX_CHAT {
        return Err(TextError::TooLong { max: MAX_CHAT });
    }
    Ok(sanitize(text))
}

/// Why a name or message was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// Longer than allowed.
    #[error("too long (at most {max} characters)")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A name with a character outside letters, digits, `-` and `_`.
    #[error("a name may only hold letters, digits, - and _")]
    BadCharacter,
    /// A name that would be confused with the server's own default names.
    #[error("names of the form \"Player N\" are reserved")]
    Reserved,
    /// A name mixing scripts (a Cyrillic letter among Latin ones, Arabic digits after Latin
    /// letters): the classic way to look like someone else.
    #[error("a name must be written in one script (no look-alike letters from another)")]
    MixedScripts,
}

/// A player name: 1 to [`MAX_NAME`] letters, digits, `-` or `_`, normalised to NFKC, in one
/// script, each character one that Unicode recommends for identifiers.
///
/// # Errors
/// A [`TextError`] saying what is wrong with it.
pub fn name(text: &str) -> Result<String, TextError> {
    let text: String = text.trim().nfkc().collect();
    if text.chars().count() > MAX_NAME {
        return Err(TextError::TooLong { max: MAX_NAME });
    }
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c == '-' || c == '_' || (c.is_alphanumeric() && c.identifier_allowed()))
    {
        return Err(TextError::BadCharacter);
    }
    if !text.as_str().is_single_script() {
        return Err(TextError::MixedScripts);
    }
    if is_reserved(&name_key(&text)) || is_reserved(&case_sensitive_skeleton(&text).to_lowercase())
    {
        return Err(TextError::Reserved);
    }
    Ok(text)
}

/// `player` followed by digits only: the server's default names (`Player 7` is shown, and
/// `Player7`, `PIayer7`, `player` would pass for it).
fn is_reserved(key: &str) -> bool {
    let player = name_key("player");
    key.strip_prefix(player.as_str())
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
}

/// The identity of a name, for the leaderboard and for uniqueness in a room: its
/// confusable skeleton (Unicode TS #39) after NFKC and lower-casing, lower-cased again
/// (the skeleton maps some look-alikes to capitals, `0` to `O`). `Alice`, `ALICE`,
/// `Ａｌｉｃｅ` and `𝐀𝐥𝐢𝐜𝐞` have one key; so do `Player3` and `P1ayer3`.
///
/// Not for display: a key is a comparison form, not a name.
pub fn name_key(name: &str) -> String {
    let folded: String = name.nfkc().flat_map(char::to_lowercase).collect();
    skeleton(&folded).flat_map(char::to_lowercase).collect()
}

/// The skeleton of a name as written (NFKC, case kept): `PIayer3` (capital i) and `Player3`
/// share one, although lower-casing first tells them apart.
fn case_sensitive_skeleton(name: &str) -> String {
    let normal: String = name.nfkc().collect();
    skeleton(&normal).collect()
}

/// Whether two names would pass for each other: the same [`name_key`], or the same skeleton
/// as written (`PIayer3` with a capital i against `Player3`).
pub fn names_clash(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b) || case_sensitive_skeleton(a) == case_sensitive_skeleton(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_cannot_reach_other_terminals() {
        assert_eq!(sanitize("hi\u{1b}[2Jthere\u{7}"), "hi?[2Jthere?");
        assert_eq!(sanitize("tab\there"), "tab?here");
    }

    #[test]
    fn excerpts_are_cut_with_an_ellipsis() {
        assert_eq!(excerpt("abcdef", 4), "abc…");
        assert_eq!(excerpt("abc", 4), "abc");
    }

    #[test]
    fn chat_is_trimmed_bounded_and_cleaned() {
        assert_eq!(chat("  gg \u{1b} "), Ok("gg ?".into()));
        assert_eq!(
            chat(&"x".repeat(MAX_CHAT + 1)),
            Err(TextError::TooLong { max: MAX_CHAT })
        );
    }

    #[test]
    fn names_are_short_words() {
        assert_eq!(name("Alice_2"), Ok("Alice_2".into()));
        assert_eq!(name("Zoë"), Ok("Zoë".into()));
        assert_eq!(name("two words"), Err(TextError::BadCharacter));
        assert_eq!(name("x\u{1b}"), Err(TextError::BadCharacter));
        assert_eq!(name(&"a".repeat(21)), Err(TextError::TooLong { max: 20 }));
    }

    #[test]
    fn default_names_are_reserved() {
        assert_eq!(name("Player7"), Err(TextError::Reserved));
        assert_eq!(name("player"), Err(TextError::Reserved));
        assert_eq!(name("Players_fan"), Ok("Players_fan".into()));
    }

    #[test]
    fn look_alikes_of_default_names_are_reserved_too() {
        for fake in ["PIayer3", "P1ayer3", "Ｐｌａｙｅｒ3", "𝐏𝐥𝐚𝐲𝐞𝐫3", "PLAYER3"]
        {
            assert_eq!(name(fake), Err(TextError::Reserved), "{fake}");
        }
    }

    #[test]
    fn names_are_normalised_to_nfkc() {
        assert_eq!(name("Ａｌｉｃｅ"), Ok("Alice".into()));
        assert_eq!(name("𝐀𝐥𝐢𝐜𝐞"), Ok("Alice".into()));
        assert_eq!(name("ﬁona"), Ok("fiona".into()));
    }

    #[test]
    fn names_mixing_scripts_are_refused() {
        // A Cyrillic А among Latin letters; Arabic-Indic digits after Latin letters.
        assert_eq!(name("\u{410}lice"), Err(TextError::MixedScripts));
        assert_eq!(name("Bob\u{663}"), Err(TextError::MixedScripts));
        // One script is fine, whichever it is; ASCII digits and - _ go with any.
        assert_eq!(name("Алиса_2"), Ok("Алиса_2".into()));
        assert_eq!(name("ゆき"), Ok("ゆき".into()));
    }

    #[test]
    fn invisible_characters_are_not_part_of_names() {
        assert_eq!(name("Al\u{200b}ice"), Err(TextError::BadCharacter));
        assert_eq!(name("Al\u{202e}ice"), Err(TextError::BadCharacter));
    }

    #[test]
    fn look_alike_names_share_a_key_or_clash() {
        assert_eq!(name_key("Alice"), name_key("ALICE"));
        assert_eq!(name_key("Alice"), name_key("Ａｌｉｃｅ"));
        assert_eq!(name_key("Alice"), name_key("𝐀𝐥𝐢𝐜𝐞"));
        assert_eq!(name_key("Alice"), name_key("\u{410}lice"));
        assert_eq!(name_key("B0B"), name_key("bob"));
        assert!(names_clash("Paul", "PauI"));
        assert!(names_clash("Alice", "alice"));
        assert!(names_clash("Rn", "m"));
        assert!(!names_clash("Alice", "Alicia"));
        assert!(!names_clash("Ann", "Anna"));
    }

    #[test]
    fn chat_cannot_forge_lines_or_reverse_text() {
        // A line separator followed by what looks like a server line.
        let forged = "gg\u{2028}Correct! 7 was the number. You won round 99";
        assert_eq!(
            chat(forged),
            Ok("gg?Correct! 7 was the number. You won round 99".into())
        );
        assert_eq!(chat("a\u{2029}b"), Ok("a?b".into()));
        // Right-to-left override, zero-width space and joiner, byte-order mark, isolates.
        assert_eq!(chat("\u{202e}olleh"), Ok("?olleh".into()));
        assert_eq!(chat("x\u{200b}y\u{200d}z\u{feff}"), Ok("x?y?z?".into()));
        assert_eq!(chat("\u{2066}a\u{2069}"), Ok("?a?".into()));
        // Ordinary text, accents and emoji pass untouched.
        assert_eq!(
            chat("Zoë says 👋 — ¡hola!"),
            Ok("Zoë says 👋 — ¡hola!".into())
        );
    }

    proptest! {
        #[test]
        fn sanitized_text_has_no_control_characters(text in ".{0,100}") {
            prop_assert!(!sanitize(&text).chars().any(char::is_control));
            prop_assert!(!sanitize(&text).chars().any(is_hidden_or_control));
        }

        #[test]
        fn names_clash_with_their_own_look_alike_spellings(text in "[a-zA-Z0-9_]{1,20}") {
            if let Ok(name) = name(&text) {
                prop_assert!(names_clash(&name, &name.to_uppercase()));
                prop_assert!(names_clash(&name, &name.to_lowercase()));
                let wide: String = name.chars().map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                    other => other,
                }).collect();
                prop_assert_eq!(name_key(&name), name_key(&wide));
            }
        }

        #[test]
        fn accepted_names_are_clean(text in ".{0,30}") {
            if let Ok(name) = name(&text) {
                prop_assert!(!name.is_empty() && name.chars().count() <= MAX_NAME);
                prop_assert!(!name.chars().any(char::is_control));
            }
        }
    }
}
