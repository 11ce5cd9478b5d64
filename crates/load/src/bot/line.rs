//! The line protocol as the brain hears it: one line in, one [`Heard`] out. Pure.
//!
//! The bots branch on the first words of a line, as `docs/protocol.md` promises they can:
//! `Round`, `Higher!`, `Lower!`, `Correct!`, `Sorry,` and `error:`. Everything else is
//! [`Heard::Ignored`].
//!
//! ```
//! use referee_load::bot::{Answer, Heard, line};
//!
//! let round = line::heard("Round 2: guess a number from 0 to 19.", false);
//! assert_eq!(round, Heard::Round { round: 2, min: 0, max: 19 });
//! let higher = line::heard("Higher! The number is more than 9.", false);
//! assert_eq!(higher, Heard::Answer(Answer::Higher));
//! assert_eq!(line::heard("* Ann guessed 3: the number is higher.", false), Heard::Ignored);
//! assert_eq!(line::heard("10", true), Heard::Answer(Answer::Echo)); // an echo server's answer
//! ```

use super::{Answer, Heard};

/// What `line` (without its line ending) means to a bot. Against an echo server (`echo`),
/// any non-empty line is the answer to the bot's guess.
pub fn heard(line: &str, echo: bool) -> Heard {
    if echo {
        return match line.is_empty() {
            true => Heard::Ignored,
            false => Heard::Answer(Answer::Echo),
        };
    }
    if let Some((round, min, max)) = parse_round(line) {
        return Heard::Round { round, min, max };
    }
    classify(line).map_or(Heard::Ignored, Heard::Answer)
}

/// Parses `Round R: guess a number from LOW to HIGH.` into `(R, LOW, HIGH)`; what follows
/// the full stop (the round's `Commitment: …`) is not the bots' business.
fn parse_round(line: &str) -> Option<(u64, u64, u64)> {
    let rest = line.strip_prefix("Round ")?;
    let (round, range) = rest.split_once(": guess a number from ")?;
    let (range, _after) = range.split_once('.')?;
    let (low, high) = range.split_once(" to ")?;
    let (low, high) = (low.parse().ok()?, high.parse().ok()?);
    (low <= high).then_some((round.parse().ok()?, low, high))
}

/// The answer a line carries, if it is one.
fn classify(line: &str) -> Option<Answer> {
    const ANSWERS: [(&str, Answer); 5] = [
        ("Higher!", Answer::Higher),
        ("Lower!", Answer::Lower),
        ("Correct!", Answer::Correct),
        ("Sorry, another player won in the meantime!", Answer::Late),
        ("error:", Answer::Error),
    ];
    ANSWERS
        .iter()
        .find(|(prefix, _)| line.starts_with(prefix))
        .map(|&(_, answer)| answer)
}
