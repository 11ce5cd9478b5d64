//! Proof that a race was refereed fairly, from what the players saw.
//!
//! Each player keeps a [`Log`]: every guess they sent and every line they heard, in the order
//! they saw them. [`check`] reads all the logs of a game together and finds every
//! [`Violation`] of the referee's promises:
//!
//! * exactly one winner per round, the same one for everyone in the room, with the same
//!   secret;
//! * the winning guess was correct, and every other guess for that round with the secret in it
//!   was told "another player won in the meantime" — the first correct guess the referee took
//!   won, later ones lost;
//! * every hint agrees with the secret the round turned out to have;
//! * "another player won" only for a round someone did win, and never to the winner;
//! * every answer is about the guess its player sent (value and round): no reply reached the
//!   wrong player;
//! * each room's final scoreboard equals the wins its players were told about.
//!
//! Pure: no I/O, no clock. The players must tag each guess with its round (`7 @3`, or over
//! WebSocket `"value": "7 @3"`), so that what a guess was for is not a matter of timing.
//! Players of either protocol are checked together: a WebSocket player's log keeps each
//! message's `text`, which is what the line protocol shows for it ([`Log::heard_json`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One thing a player saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The player sent `value @round`.
    Sent {
        /// The number guessed.
        value: i64,
        /// The round it was for.
        round: u64,
    },
    /// A line from the server.
    Heard(String),
}

/// Everything one player saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Log {
    /// The player's display name (as the server shows it to others).
    pub name: String,
    /// The room they played in.
    pub room: u64,
    /// What they sent and heard, in the order they saw it.
    pub seen: Vec<Seen>,
}

impl Log {
    /// An empty log.
    pub fn new(name: impl Into<String>, room: u64) -> Self {
        Log {
            name: name.into(),
            room,
            seen: Vec::new(),
        }
    }

    /// Notes a guess sent.
    pub fn sent(&mut self, value: i64, round: u64) {
        self.seen.push(Seen::Sent { value, round });
    }

    /// Notes a line heard.
    pub fn heard(&mut self, line: impl Into<String>) {
        self.seen.push(Seen::Heard(line.into()));
    }

    /// Notes a JSON-protocol message heard (a WebSocket player): its `text`, what the line
    /// protocol shows this player for it, line by line. Messages without a `text` (or that
    /// are not JSON) add nothing.
    pub fn heard_json(&mut self, message: &str) {
        #[derive(serde::Deserialize)]
        struct Text {
            text: Option<String>,
        }
        if let Ok(Text { text: Some(text) }) = serde_json::from_str(message) {
            for line in text.lines() {
                self.heard(line);
            }
        }
    }
}

/// A broken promise, with where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// More than one player was told they won the round.
    SeveralWinners {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// Who was told so.
        winners: Vec<String>,
    },
    /// Players in one room were told different winners or secrets for one round.
    Disagreement {
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// What each announcement said, as "winner/secret".
        told: Vec<String>,
    },
    /// An answer that does not fit the guess it answers (or an answer with no guess).
    WrongAnswer {
        /// The player.
        player: String,
        /// The guess, if any was outstanding.
        guess: Option<(i64, u64)>,
        /// The answer.
        line: String,
    },
    /// A hint or a win that contradicts the round's secret.
    AgainstTheSecret {
        /// The player.
        player: String,
        /// The room.
        room: u64,
        /// The round.
        round: u64,
        /// The secret announced for it.
        secret: i64,
        /// The answer.
        line: String,
    },
    /// "Another player won" for a round nobody was told they won, or told to its winner.
    FalseMeantime {
        /// The player.
        player: String,
        /// The room.
        room: u64,
        /// The round.
        round: u64,
    },
    /// A room's scoreboard differs from the wins its players were told about.
    Scoreboard {
        /// The room.
        room: u64,
        /// The scoreboard line.
        line: String,
        /// Wins counted from the logs, per player.
        counted: BTreeMap<String, u64>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What the checker established when nothing was violated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Rounds won, over all rooms.
    pub rounds: u64,
    /// Guesses checked.
    pub guesses: u64,
    /// "Another player won" answers checked.
    pub meantimes: u64,
}

/// An answer to one's own guess, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Higher(i64),
    Lower(i64),
    Correct { value: i64, round: u64 },
    Late { round: u64 },
    Error,
}

/// Facts gathered from all logs before judging.
#[derive(Default)]
struct Facts {
    /// (room, round) -> the players told they won.
    winners: BTreeMap<(u64, u64), BTreeSet<String>>,
    /// (room, round) -> every announcement heard, "winner/secret".
    announced: BTreeMap<(u64, u64), BTreeSet<String>>,
    /// (room, round) -> the secret.
    secrets: BTreeMap<(u64, u64), i64>,
    /// (room, player) -> wins told.
    wins: BTreeMap<(u64, String), u64>,
    /// room -> the last scoreboard line heard in it.
    scoreboards: BTreeMap<u64, String>,
}

/// Checks a game's logs together.
///
/// # Errors
/// Every violation found, in the order found.
pub fn check(logs: &[Log]) -> Result<Verdict, Vec<Violation>> {
    let mut violations = Vec::new();
    let mut facts = Facts::default();
    let mut verdict = Verdict::default();
    for log in logs {
        gather(log, &mut facts, &mut verdict, &mut violations);
    }
    judge_rounds(&facts, &mut violations);
    for log in logs {
        judge_answers(log, &facts, &mut violations);
    }
    judge_scoreboards(logs, &facts, &mut violations);
    verdict.rounds = facts.secrets.len() as u64;
    if violations.is_empty() {
        Ok(verdict)
    } else {
        Err(violations)
    }
}

/// Pairs answers with guesses and collects wins, announcements and scoreboards.
fn gather(log: &Log, facts: &mut Facts, verdict: &mut Verdict, violations: &mut Vec<Violation>) {
    let mut outstanding: Option<(i64, u64)> = None;
    for seen in &log.seen {
        match seen {
            Seen::Sent { value, round } => {
                verdict.guesses += 1;
                outstanding = Some((*value, *round));
            }
            Seen::Heard(line) => {
                if let Some(answer) = answer(line) {
                    let guess = outstanding.take();
                    pair(log, guess, answer, line, facts, verdict, violations);
                } else if let Some((round, winner, secret)) = won_by_other(line) {
                    let key = (log.room, round);
                    facts
                        .announced
                        .entry(key)
                        .or_default()
                        .insert(format!("{winner}/{secret}"));
                    facts.secrets.insert(key, secret);
                } else if line.starts_with("Scores in ") {
                    facts.scoreboards.insert(log.room, line.clone());
                }
            }
        }
    }
}

fn pair(
    log: &Log,
    guess: Option<(i64, u64)>,
    answer: Answer,
    line: &str,
    facts: &mut Facts,
    verdict: &mut Verdict,
    violations: &mut Vec<Violation>,
) {
    let wrong = || Violation::WrongAnswer {
        player: log.name.clone(),
        guess,
        line: line.to_owned(),
    };
    let Some((value, round)) = guess else {
        return violations.push(wrong());
    };
    match answer {
        Answer::Higher(than) | Answer::Lower(than) if than != value => violations.push(wrong()),
        Answer::Correct { value: v, round: r } if v != value || r != round => {
            violations.push(wrong());
        }
        Answer::Correct { .. } => {
            let key = (log.room, round);
            facts
                .winners
                .entry(key)
                .or_default()
                .insert(log.name.clone());
            let told = format!("{}/{value}", log.name);
            facts.announced.entry(key).or_default().insert(told);
            facts.secrets.insert(key, value);
            *facts.wins.entry((log.room, log.name.clone())).or_default() += 1;
        }
        Answer::Late { round: r } if r != round => violations.push(wrong()),
        Answer::Late { .. } => verdict.meantimes += 1,
        Answer::Higher(_) | Answer::Lower(_) | Answer::Error => {}
    }
}

/// One winner per round, one story per round.
fn judge_rounds(facts: &Facts, violations: &mut Vec<Violation>) {
    for (&(room, round), winners) in &facts.winners {
        if winners.len() > 1 {
            violations.push(Violation::SeveralWinners {
                room,
                round,
                winners: winners.iter().cloned().collect(),
            });
        }
    }
    for (&(room, round), told) in &facts.announced {
        if told.len() > 1 {
            violations.push(Violation::Disagreement {
                room,
                round,
                told: told.iter().cloned().collect(),
            });
        }
    }
}

/// Hints against the secret; "meantime" only for won rounds, never to the winner; the secret
/// guessed by another player for a won round must have been told "meantime".
fn judge_answers(log: &Log, facts: &Facts, violations: &mut Vec<Violation>) {
    let mut outstanding: Option<(i64, u64)> = None;
    for seen in &log.seen {
        match seen {
            Seen::Sent { value, round } => outstanding = Some((*value, *round)),
            Seen::Heard(line) => {
                let Some(answer) = answer(line) else { continue };
                let Some((value, round)) = outstanding.take() else {
                    continue;
                };
                judge_one(log, value, round, answer, line, facts, violations);
            }
        }
    }
}

fn judge_one(
    log: &Log,
    value: i64,
    round: u64,
    answer: Answer,
    line: &str,
    facts: &Facts,
    violations: &mut Vec<Violation>,
) {
    let key = (log.room, round);
    let secret = facts.secrets.get(&key).copied();
    let against = |secret: i64| Violation::AgainstTheSecret {
        player: log.name.clone(),
        room: log.room,
        round,
        secret,
        line: line.to_owned(),
    };
    let contradicts = match (answer, secret) {
        (Answer::Higher(_), Some(s)) => s <= value,
        (Answer::Lower(_), Some(s)) => s >= value,
        (Answer::Correct { .. }, Some(s)) => s != value,
        _ => false,
    };
    if let (true, Some(s)) = (contradicts, secret) {
        violations.push(against(s));
    }
    if let Answer::Late { .. } = answer {
        let winners = facts.winners.get(&key);
        let won = winners.is_some_and(|w| !w.is_empty());
        let is_winner = winners.is_some_and(|w| w.contains(&log.name));
        if !won || is_winner {
            violations.push(Violation::FalseMeantime {
                player: log.name.clone(),
                room: log.room,
                round,
            });
        }
    }
}

/// Each room's last scoreboard against the wins counted.
fn judge_scoreboards(logs: &[Log], facts: &Facts, violations: &mut Vec<Violation>) {
    for (&room, line) in &facts.scoreboards {
        let board = scoreboard(line);
        let players: BTreeSet<&str> = logs
            .iter()
            .filter(|log| log.room == room)
            .map(|log| log.name.as_str())
            .collect();
        let counted: BTreeMap<String, u64> = players
            .iter()
            .map(|name| {
                let wins = facts
                    .wins
                    .get(&(room, (*name).to_owned()))
                    .copied()
                    .unwrap_or(0);
                ((*name).to_owned(), wins)
            })
            .collect();
        let matches = counted
            .iter()
            .all(|(name, wins)| board.get(name).copied().unwrap_or(0) == *wins);
        if !matches {
            violations.push(Violation::Scoreboard {
                room,
                line: line.clone(),
                counted,
            });
        }
    }
}

/// Parses an answer to one's own guess.
fn answer(line: &str) -> Option<Answer> {
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

/// `* NAME won round R: the number was S.`
fn won_by_other(line: &str) -> Option<(u64, String, i64)> {
    let rest = line.strip_prefix("* ")?;
    let (winner, rest) = rest.split_once(" won round ")?;
    let (round, rest) = rest.split_once(": the number was ")?;
    let secret = number(rest.trim_end_matches('.'))?;
    Some((round.parse().ok()?, winner.to_owned(), secret))
}

/// `Scores in room R: A 2, B 1.` as name -> points.
fn scoreboard(line: &str) -> BTreeMap<String, u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Ann wins round 1 (secret 7) after a hint; Bo's late guess hears "meantime".
    fn fair_game() -> Vec<Log> {
        let mut ann = Log::new("Ann", 1);
        ann.sent(10, 1);
        ann.heard("Lower! The number is less than 10.");
        ann.sent(7, 1);
        ann.heard("Correct! 7 was the number. You won round 1 and now have 1 point.");
        ann.heard("Round 2: guess a number from 0 to 19.");
        ann.heard("Scores in room 1: Ann 1, Bo 0.");
        let mut bo = Log::new("Bo", 1);
        bo.heard("* Ann won round 1: the number was 7.");
        bo.heard("Round 2: guess a number from 0 to 19.");
        bo.sent(7, 1);
        bo.heard("Sorry, another player won in the meantime! (Ann won round 1.)");
        vec![ann, bo]
    }

    #[test]
    fn websocket_players_are_checked_by_the_text_of_their_messages() {
        let mut logs = fair_game();
        let mut bo = Log::new("Bo", 1);
        bo.heard_json(r#"{"v":1,"type":"welcome","player":2,"text":"Welcome!\nType /help."}"#);
        bo.heard_json(r#"{"v":1,"type":"event","event":{"type":"won"},"text":"* Ann won round 1: the number was 7."}"#);
        bo.heard_json(r#"{"v":1,"type":"event","text":"Round 2: guess a number from 0 to 19."}"#);
        bo.heard_json("not json");
        bo.sent(7, 1);
        bo.heard_json(r#"{"v":1,"re":3,"type":"rejected","text":"Sorry, another player won in the meantime! (Ann won round 1.)"}"#);
        assert_eq!(bo.seen.len(), 6, "{bo:?}");
        logs[1] = bo;
        assert_eq!(check(&logs).map(|verdict| verdict.meantimes), Ok(1));
        logs[1].heard_json(r#"{"v":1,"type":"event","text":"Correct! 7 was the number. You won round 1 and now have 1 point."}"#);
        assert!(check(&logs).is_err(), "an answer without a guess");
    }

    #[test]
    fn a_fair_game_passes() {
        let verdict = check(&fair_game());
        assert_eq!(
            verdict,
            Ok(Verdict {
                rounds: 1,
                guesses: 3,
                meantimes: 1
            })
        );
    }

    #[test]
    fn two_winners_of_one_round_are_caught() {
        let mut logs = fair_game();
        logs[1].seen.pop();
        logs[1].heard("Correct! 7 was the number. You won round 1 and now have 1 point.");
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            violations
                .iter()
                .any(|v| matches!(v, Violation::SeveralWinners { round: 1, .. })),
            "{violations:?}"
        );
    }

    #[test]
    fn a_reply_about_another_players_guess_is_caught() {
        let mut logs = fair_game();
        logs[0].seen[1] = Seen::Heard("Lower! The number is less than 12.".into());
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            matches!(violations[..], [Violation::WrongAnswer { .. }]),
            "{violations:?}"
        );
    }

    #[test]
    fn a_hint_against_the_secret_is_caught() {
        let mut logs = fair_game();
        logs[0].seen[1] = Seen::Heard("Higher! The number is more than 10.".into());
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            violations
                .iter()
                .any(|v| matches!(v, Violation::AgainstTheSecret { secret: 7, .. })),
            "{violations:?}"
        );
    }

    #[test]
    fn meantime_for_a_round_nobody_won_is_caught() {
        let mut logs = fair_game();
        logs[1].sent(3, 2);
        logs[1].heard("Sorry, another player won in the meantime! (Round 2 is over.)");
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            matches!(violations[..], [Violation::FalseMeantime { round: 2, .. }]),
            "{violations:?}"
        );
    }

    #[test]
    fn a_scoreboard_that_does_not_add_up_is_caught() {
        let mut logs = fair_game();
        logs[0].seen[5] = Seen::Heard("Scores in room 1: Ann 2, Bo 0.".into());
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            matches!(violations[..], [Violation::Scoreboard { room: 1, .. }]),
            "{violations:?}"
        );
    }

    #[test]
    fn rooms_telling_different_stories_are_caught() {
        let mut logs = fair_game();
        logs[1].seen[0] = Seen::Heard("* Ann won round 1: the number was 8.".into());
        let violations = check(&logs).err().unwrap_or_default();
        assert!(
            violations
                .iter()
                .any(|v| matches!(v, Violation::Disagreement { round: 1, .. })),
            "{violations:?}"
        );
    }
}
