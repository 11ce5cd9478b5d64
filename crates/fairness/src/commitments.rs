//! The referee's commitments, checked from the players' side (docs/protocol.md, "Provably
//! fair rounds"): everyone in a room heard the same `Round N: … Commitment: HEX` for a round,
//! and every win's revealed secret and salt (`… Salt: HEX`) open it. A round whose start no
//! log heard (a bot's first round line is read before its log starts) cannot be checked and
//! is skipped; the verdict counts the won rounds that were.

use std::collections::{BTreeMap, BTreeSet};

use referee_rules::{Commitment, Salt, verify_guess};

use crate::lines::{Answer, answer, won_by_other};
use crate::{Log, Seen, Verdict, Violation};

/// (room, round) -> what was heard.
type ByRound<T> = BTreeMap<(u64, u64), BTreeSet<T>>;

/// Adds a violation for every round whose commitment differs between players or does not
/// open to what its win revealed; counts the won rounds that opened their commitment.
pub(crate) fn judge(logs: &[Log], verdict: &mut Verdict, violations: &mut Vec<Violation>) {
    let mut published: ByRound<String> = BTreeMap::new();
    let mut revealed: ByRound<(i64, Option<String>)> = BTreeMap::new();
    for log in logs {
        for line in log.seen.iter().filter_map(|seen| match seen {
            Seen::Heard(line) => Some(line.as_str()),
            Seen::Sent { .. } => None,
        }) {
            if let Some((round, commitment)) = round_commitment(line) {
                let key = (log.room, round);
                published
                    .entry(key)
                    .or_default()
                    .insert(commitment.to_owned());
            } else if let Some((round, secret)) = win(line) {
                let salt = line.split_once(" Salt: ").map(|(_, salt)| salt.to_owned());
                revealed
                    .entry((log.room, round))
                    .or_default()
                    .insert((secret, salt));
            }
        }
    }
    for (&(room, round), heard) in &published {
        if heard.len() > 1 {
            let heard = heard.iter().cloned().collect();
            violations.push(Violation::CommitmentsDiffer { room, round, heard });
        }
    }
    for (&(room, round), reveals) in &revealed {
        let Some(commitment) = published.get(&(room, round)).and_then(|c| c.first()) else {
            continue;
        };
        for (secret, salt) in reveals {
            if opens(commitment, round, *secret, salt.as_deref()) {
                verdict.opened += 1;
            } else {
                violations.push(Violation::BrokenCommitment {
                    room,
                    round,
                    commitment: commitment.clone(),
                    secret: *secret,
                    salt: salt.clone(),
                });
            }
        }
    }
}

/// `Round N: … Commitment: HEX` as `(N, HEX)`.
fn round_commitment(line: &str) -> Option<(u64, &str)> {
    let (head, commitment) = line.strip_prefix("Round ")?.split_once(". Commitment: ")?;
    let (round, _) = head.split_once(':')?;
    Some((round.parse().ok()?, commitment))
}

/// The round and secret of a win, the winner's line or the others'.
fn win(line: &str) -> Option<(u64, i64)> {
    match answer(line) {
        Some(Answer::Correct { value, round }) => Some((round, value)),
        _ => won_by_other(line).map(|(round, _, secret)| (round, secret)),
    }
}

fn opens(commitment: &str, round: u64, secret: i64, salt: Option<&str>) -> bool {
    let parsed = (
        commitment.parse::<Commitment>(),
        u32::try_from(secret),
        salt.map(str::parse::<Salt>),
    );
    match parsed {
        (Ok(commitment), Ok(secret), Some(Ok(salt))) => {
            verify_guess(&commitment, round, secret, &salt)
        }
        _ => false,
    }
}
