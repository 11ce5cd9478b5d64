//! One challenge, judged from one player's log: the count, the loser, the revealed hands
//! against their counts, the player's own dice and the commitments.

use std::collections::BTreeMap;

use referee_rules::{Commitment, PlayerId, Salt, verify_dice};

use super::lines::Call;
use super::table::{Hand, Walk};
use super::{DiceViolation, Shared};

/// Judges `call` (read as `line`) in the walk's current hand.
pub(super) fn judge_call(
    walk: &mut Walk<'_>,
    call: &Call,
    line: &str,
    shared: &mut Shared,
    violations: &mut Vec<DiceViolation>,
) {
    let Some(hand) = &walk.hand else { return };
    let wrong = |reason: String| DiceViolation::WrongLoser {
        at: walk.at(),
        reason,
        line: line.to_owned(),
    };
    for reason in loser_errors(hand, call) {
        violations.push(wrong(reason));
    }
    let revealed: BTreeMap<String, u32> = call
        .hands
        .iter()
        .map(|(name, faces, _)| (name.clone(), faces.len() as u32))
        .collect();
    if revealed != hand.counts {
        violations.push(DiceViolation::DiceNotConserved {
            at: walk.at(),
            expected: hand.counts.clone(),
            got: revealed,
        });
    }
    hidden(walk, hand, call, violations);
    commitments(walk, hand, call, shared, violations);
    if let Some(match_no) = walk.match_no {
        let outcome = format!("{}/{}/{}", call.caller, call.loser, call.count);
        let key = (walk.log.room, match_no, hand.no);
        shared.outcomes.entry(key).or_default().insert(outcome);
    }
}

/// What is wrong with the call's count and loser, if anything.
fn loser_errors(hand: &Hand, call: &Call) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some((quantity, face, bidder)) = &hand.bid {
        if (*quantity, *face, bidder) != (call.quantity, call.face, &call.bidder) {
            errors.push(format!("the last bid was {quantity} x {face} by {bidder}"));
        }
    }
    let shown = call
        .hands
        .iter()
        .flat_map(|(_, faces, _)| faces)
        .filter(|&&die| die == call.face)
        .count() as u32;
    if shown != call.count {
        errors.push(format!(
            "announced {} but the dice show {shown}",
            call.count
        ));
    }
    let holds = shown >= call.quantity;
    let loser = if holds { &call.caller } else { &call.bidder };
    if call.loser != *loser || call.holds != holds {
        errors.push(format!("{shown} of {} bid: {loser} loses", call.quantity));
    }
    errors
}

/// Before the call this player heard no other hand, and was told their own.
fn hidden(walk: &Walk<'_>, hand: &Hand, call: &Call, violations: &mut Vec<DiceViolation>) {
    let me = &walk.log.name;
    let seen = |owner: Option<&str>, line: &str| DiceViolation::HiddenDiceSeen {
        at: walk.at(),
        owner: owner.map(str::to_owned),
        line: line.to_owned(),
    };
    for (owner, faces, _) in call.hands.iter().filter(|(owner, ..)| owner != me) {
        let faces: Vec<String> = faces.iter().map(u8::to_string).collect();
        let shown = format!("{owner}: {}", faces.join(" "));
        if let Some(line) = hand.heard.iter().find(|line| line.contains(&shown)) {
            violations.push(seen(Some(owner), line));
        }
    }
    let Some((told, line)) = &hand.mine else {
        return;
    };
    let own = call.hands.iter().find(|(owner, ..)| owner == me);
    if own.is_some_and(|(_, faces, _)| faces != told) {
        // Someone else's dice, when they match another revealed hand; else dice that
        // changed after the roll.
        let owner = call.hands.iter().find(|(_, faces, _)| faces == told);
        violations.push(seen(owner.map(|(owner, ..)| owner.as_str()), line));
    }
}

/// Every revealed hand opens the commitment its hand line published.
fn commitments(
    walk: &Walk<'_>,
    hand: &Hand,
    call: &Call,
    shared: &mut Shared,
    violations: &mut Vec<DiceViolation>,
) {
    let Some(match_no) = walk.match_no else {
        return;
    };
    for (owner, faces, salt) in &call.hands {
        let opens = hand.commitments.get(owner).is_some_and(|(id, hex)| {
            match (hex.parse::<Commitment>(), salt.parse::<Salt>()) {
                (Ok(commitment), Ok(salt)) => {
                    verify_dice(&commitment, match_no, hand.no, PlayerId(*id), faces, &salt)
                }
                _ => false,
            }
        });
        if opens {
            let key = (walk.log.room, match_no, hand.no, owner.clone());
            shared.opened.insert(key);
        } else {
            violations.push(DiceViolation::BrokenCommitment {
                at: walk.at(),
                owner: owner.clone(),
                faces: faces.clone(),
            });
        }
    }
}
