//! One player's log, walked in order: the table as that player saw it (match, hand, whose
//! turn, the bid, the dice counts), each line held against it.

use std::collections::BTreeMap;

use super::call::judge_call;
use super::lines::{Line, parse};
use super::table::{Hand, Walk};
use super::{DiceLog, DiceSeen, DiceVerdict, DiceViolation, Shared};

/// Walks one log, adding what it shows to `shared` and what it breaks to `violations`.
pub(super) fn walk(
    log: &DiceLog,
    shared: &mut Shared,
    verdict: &mut DiceVerdict,
    violations: &mut Vec<DiceViolation>,
) {
    let mut walk = Walk {
        log,
        match_no: None,
        hand: None,
        counts: None,
    };
    for seen in &log.seen {
        let DiceSeen::Heard(line) = seen else {
            continue;
        };
        match parse(line, &log.name) {
            Some(parsed) => walk.read(parsed, line, shared, verdict, violations),
            None => walk.overheard(line),
        }
    }
}

impl Walk<'_> {
    /// Holds one parsed line against the table as this log knows it, then updates it.
    fn read(
        &mut self,
        parsed: Line,
        line: &str,
        shared: &mut Shared,
        verdict: &mut DiceVerdict,
        violations: &mut Vec<DiceViolation>,
    ) {
        match parsed {
            Line::MatchBegins { match_no } => {
                (self.match_no, self.hand, self.counts) = (Some(match_no), None, None);
            }
            Line::Hand {
                hand,
                starter,
                counts,
                commitments,
            } => {
                let counts: BTreeMap<String, u32> = counts.into_iter().collect();
                new_hand(self, hand, &counts, verdict, violations);
                self.start_hand(hand, starter, counts, commitments);
            }
            Line::YourDice { faces } => your_dice(self, faces, line, violations),
            Line::Bid {
                actor,
                quantity,
                face,
                next,
            } if self.hand.is_some() => {
                verdict.actions += 1;
                in_turn(self, &actor, line, violations);
                self.overheard(line);
                if let Some(hand) = &mut self.hand {
                    (hand.turn, hand.bid) = (next, Some((quantity, face, actor)));
                }
            }
            Line::Called(call) if self.hand.is_some() => {
                verdict.actions += 1;
                in_turn(self, &call.caller, line, violations);
                judge_call(self, &call, line, shared, violations);
                if let Some(counts) = &mut self.counts {
                    lose_one(counts, &call.loser);
                }
                self.hand = None;
            }
            Line::Bid { .. } | Line::Called(_) => {}
            Line::Forfeited { player, next } => self.forfeited(&player, next, line),
            Line::Won { match_no, winner } => {
                won(self, match_no, &winner, line, shared, violations);
                (self.hand, self.counts) = (None, None);
            }
        }
    }

    /// A line read during a hand, kept to look for dice shown before the call.
    fn overheard(&mut self, line: &str) {
        if let Some(hand) = &mut self.hand {
            hand.heard.push(line.to_owned());
        }
    }

    fn start_hand(
        &mut self,
        no: u64,
        starter: String,
        counts: BTreeMap<String, u32>,
        commitments: Vec<(String, u64, String)>,
    ) {
        self.counts = Some(counts.clone());
        self.hand = Some(Hand {
            no,
            turn: starter,
            bid: None,
            counts,
            commitments: commitments
                .into_iter()
                .map(|(name, id, hex)| (name, (id, hex)))
                .collect(),
            mine: None,
            heard: Vec::new(),
        });
    }

    /// A player left: their dice leave the table, and the turn may pass.
    fn forfeited(&mut self, player: &str, next: Option<String>, line: &str) {
        if let Some(counts) = &mut self.counts {
            counts.remove(player);
        }
        self.overheard(line);
        if let Some(hand) = &mut self.hand {
            hand.counts.remove(player);
            if let Some(next) = next {
                hand.turn = next;
            }
        }
    }
}

/// A new hand's counts must be the dice left after the last one.
fn new_hand(
    walk: &mut Walk<'_>,
    hand: u64,
    counts: &BTreeMap<String, u32>,
    verdict: &mut DiceVerdict,
    violations: &mut Vec<DiceViolation>,
) {
    let Some(expected) = &walk.counts else { return };
    if expected == counts {
        verdict.conserved += 1;
        return;
    }
    let mut at = walk.at();
    at.hand = hand;
    violations.push(DiceViolation::DiceNotConserved {
        at,
        expected: expected.clone(),
        got: counts.clone(),
    });
}

/// `Your dice:` within a hand: only to a player of the hand, and the same all hand long.
fn your_dice(walk: &mut Walk<'_>, faces: Vec<u8>, line: &str, violations: &mut Vec<DiceViolation>) {
    let at = walk.at();
    let me = walk.log.name.clone();
    let Some(hand) = &mut walk.hand else { return };
    let leak = |owner| DiceViolation::HiddenDiceSeen {
        at,
        owner,
        line: line.to_owned(),
    };
    if !hand.counts.contains_key(&me) {
        return violations.push(leak(None));
    }
    match &hand.mine {
        Some((mine, _)) if *mine != faces => violations.push(leak(None)),
        Some(_) => {}
        None => hand.mine = Some((faces, line.to_owned())),
    }
}

/// An accepted action by `actor` must be on `actor`'s turn.
fn in_turn(walk: &Walk<'_>, actor: &str, line: &str, violations: &mut Vec<DiceViolation>) {
    let Some(hand) = &walk.hand else { return };
    if hand.turn != actor {
        violations.push(DiceViolation::OutOfTurn {
            at: walk.at(),
            actor: actor.to_owned(),
            turn: hand.turn.clone(),
            line: line.to_owned(),
        });
    }
}

/// The loser of a challenge has one die less; none left, they are out.
fn lose_one(counts: &mut BTreeMap<String, u32>, loser: &str) {
    if let Some(count) = counts.get_mut(loser) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            counts.remove(loser);
        }
    }
}

/// A match won: announced to the table, by the last player with dice.
fn won(
    walk: &Walk<'_>,
    match_no: u64,
    winner: &str,
    line: &str,
    shared: &mut Shared,
    violations: &mut Vec<DiceViolation>,
) {
    let room = walk.log.room;
    shared
        .winners
        .entry((room, match_no))
        .or_default()
        .insert(winner.to_owned());
    if line.starts_with("You win") {
        let told = shared.told_you_win.entry((room, match_no)).or_default();
        told.push(walk.log.name.clone());
    }
    let Some(counts) = &walk.counts else { return };
    if counts.len() != 1 || !counts.contains_key(winner) {
        let mut winners: Vec<String> = counts.keys().cloned().collect();
        winners.push(winner.to_owned());
        violations.push(DiceViolation::SeveralWinners {
            room,
            match_no,
            winners,
        });
    }
}
