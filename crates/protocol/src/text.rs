//! Cleaning what players type before anyone else sees it.
//!
//! Chat and names travel from one player's keyboard to other players' terminals. A control
//! character there is an attack (an ANSI escape can rewrite another player's screen), so
//! every control character is replaced; lengths are bounded.

use thiserror::Error;

/// Longest chat message, in characters.
pub const MAX_CHAT: usize = 300;
/// Longest player name, in characters.
pub const MAX_NAME: usize = 20;

/// Replaces every control character (C0, DEL and C1, ESC and TAB included) with `?`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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
}

/// A player name: 1 to [`MAX_NAME`] letters, digits, `-` or `_`.
///
/// # Errors
/// A [`TextError`] saying what is wrong with it.
pub fn name(text: &str) -> Result<String, TextError> {
    let text = text.trim();
    if text.chars().count() > MAX_NAME {
        return Err(TextError::TooLong { max: MAX_NAME });
    }
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(TextError::BadCharacter);
    }
    let lower = text.to_lowercase();
    if lower.starts_with("player") && lower["player".len()..].chars().all(|c| c.is_ascii_digit()) {
        return Err(TextError::Reserved);
    }
    Ok(text.to_owned())
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

    proptest! {
        #[test]
        fn sanitized_text_has_no_control_characters(text in ".{0,100}") {
            prop_assert!(!sanitize(&text).chars().any(char::is_control));
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
