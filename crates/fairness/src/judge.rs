//! The judging: gather facts from every log (who won which round with which secret, what
//! was announced, the scoreboards), then hold every answer and scoreboard against them.

use std::collections::{BTreeMap, BTreeSet};

use crate::lines::{Answer, answer, scoreboard, won_by_other};
use crate::{Log, Seen, Verdict, Violation};

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
    crate::commitments::judge(logs, &mut verdict, &mut violations);
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
