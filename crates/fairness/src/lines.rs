//! The server's lines the checker reads, parsed: answers to one's own guess, others' wins
//! and scoreboards. The wording is the line protocol's (`referee-protocol`'s `notice`).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Higher(i64),
    Lower(i64),
    Correct { value: i64, round: u64 },
    Late { round: u64 },
    Error,
}

/// Parses an answer to one's own guess.
pub(crate) fn answer(line: &str) -> Option<Answer> {
    if let Some(rest) = line.strip_prefix("Higher! The number is more than ") {
        return number(rest.trim_end_matches('.')).map(Answer::Higher);
    }
    if let Some(rest) = line.strip_prefix("Lower! The number is less than ") {
        return number(rest.trim_end_matches('.')).map(Answer::Lower);
    }
    if let Some(rest) = line.strip_prefix("Correct! ") {
        let value = number(rest.split(' ').next()?)?;
        let round = after(rest, "won round ")?;
        return Some(Answer::Correct { value, round });
    }
    if line.starts_with("Sorry, another player won in the meantime!") {
        let round = after(line, "won round ").or_else(|| after(line, "(Round "))?;
        return Some(Answer::Late { round });
    }
    line.starts_with("error:").then_some(Answer::Error)
}

/// `* NAME won round R: the number was S.` (and the round's `Salt: …` after the full stop).
pub(crate) fn won_by_other(line: &str) -> Option<(u64, String, i64)> {
    let rest = line.strip_prefix("* ")?;
    let (winner, rest) = rest.split_once(" won round ")?;
    let (round, rest) = rest.split_once(": the number was ")?;
    let secret = number(rest.split('.').next()?)?;
    Some((round.parse().ok()?, winner.to_owned(), secret))
}

/// `Scores in room R: A 2, B 1.` as name -> points.
pub(crate) fn scoreboard(line: &str) -> BTreeMap<String, u64> {
    let Some((_, entries)) = line.split_once(": ") else {
        return BTreeMap::new();
    };
    entries
        .trim_end_matches('.')
        .split(", ")
        .filter_map(|entry| {
            let (name, points) = entry.rsplit_once(' ')?;
            Some((name.to_owned(), points.parse().ok()?))
        })
        .collect()
}

fn number(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// The number right after `marker` in `text`.
fn after(text: &str, marker: &str) -> Option<u64> {
    let rest = text.split_once(marker)?.1;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
