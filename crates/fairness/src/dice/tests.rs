//! The dice checker against hand-written logs: one fair match passes, and each broken
//! promise is caught.

use referee_rules::{PlayerId, Salt, commit_dice};

use super::*;

/// Ann (#1) and Bob (#2) at table 5, two dice each: Bob loses hand 1 (the bid holds), Ann
/// hand 2 (she calls a true bid) and hand 3 (her bid fails); Bob wins match 1.
struct Match {
    /// (hand, starter, counts, dice, moves, call)
    hands: Vec<HandPlan>,
}

struct HandPlan {
    starter: &'static str,
    dice: [(&'static str, Vec<u8>); 2],
    /// (actor, quantity, face word, next)
    bids: Vec<(&'static str, u32, &'static str, &'static str)>,
    /// (caller, quantity, face word, bidder, count, count word, holds, loser)
    call: (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        u32,
        &'static str,
        bool,
        &'static str,
    ),
}

fn id(name: &str) -> u64 {
    if name == "Ann" { 1 } else { 2 }
}

fn salt(hand: u64, name: &str) -> Salt {
    Salt::from_bytes([(hand * 10 + id(name)) as u8; 16])
}

fn faces(dice: &[u8]) -> String {
    dice.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")
}

fn the_match() -> Match {
    Match {
        hands: vec![
            HandPlan {
                starter: "Ann",
                dice: [("Ann", vec![3, 5]), ("Bob", vec![5, 2])],
                bids: vec![("Ann", 2, "fives", "Bob")],
                call: ("Bob", "2", "fives", "Ann", 2, "fives", true, "Bob"),
            },
            HandPlan {
                starter: "Bob",
                dice: [("Ann", vec![6, 6]), ("Bob", vec![1])],
                bids: vec![("Bob", 1, "one", "Ann")],
                call: ("Ann", "1", "one", "Bob", 1, "one", true, "Ann"),
            },
            HandPlan {
                starter: "Ann",
                dice: [("Ann", vec![4]), ("Bob", vec![2])],
                bids: vec![("Ann", 1, "six", "Bob")],
                call: ("Bob", "1", "six", "Ann", 0, "sixes", false, "Ann"),
            },
        ],
    }
}

/// The lines `me` reads during the match, in the server's words.
fn lines_for(me: &str, plan: &Match) -> Vec<String> {
    let name = |who: &str| {
        if who == me {
            "You".to_owned()
        } else {
            who.to_owned()
        }
    };
    let mut lines = vec!["Match 1 begins: Ann, Bob.".to_owned()];
    for (index, hand) in plan.hands.iter().enumerate() {
        let no = index as u64 + 1;
        let starts = match hand.starter == me {
            true => "you start".to_owned(),
            false => format!("{} starts", hand.starter),
        };
        let counts: Vec<String> = hand
            .dice
            .iter()
            .map(|(n, d)| format!("{n} {}", d.len()))
            .collect();
        let commitments: Vec<String> = hand
            .dice
            .iter()
            .map(|(n, d)| {
                let c = commit_dice(1, no, PlayerId(id(n)), d, &salt(no, n));
                format!("{n} #{} {c}", id(n))
            })
            .collect();
        lines.push(format!(
            "Hand {no}: {starts}. Dice: {}. Commitments: {}.",
            counts.join(", "),
            commitments.join(", ")
        ));
        let own = hand
            .dice
            .iter()
            .find(|(n, _)| *n == me)
            .map(|(_, d)| faces(d));
        lines.push(format!("Your dice: {}", own.unwrap_or_default()));
        for (actor, quantity, face, next) in &hand.bids {
            let verb = if *actor == me { "bid" } else { "bids" };
            let next = if *next == me {
                "Your turn.".to_owned()
            } else {
                format!("{next}'s turn.")
            };
            lines.push(format!("{} {verb} {quantity} {face}. {next}", name(actor)));
        }
        let (caller, quantity, face, bidder, count, count_word, holds, loser) = hand.call;
        let shown: Vec<String> = hand
            .dice
            .iter()
            .map(|(n, d)| format!("{n}: {} salt {}", faces(d), salt(no, n)))
            .collect();
        let verb = if caller == me { "call" } else { "calls" };
        let there = if count == 1 { "is" } else { "are" };
        let verdict = if holds { "holds" } else { "fails" };
        let loses = if loser == me {
            "you lose".to_owned()
        } else {
            format!("{loser} loses")
        };
        lines.push(format!(
            "{} {verb} liar on {quantity} {face} by {bidder}: there {there} {count} {count_word} ({}). The bid {verdict}: {loses} a die.",
            name(caller),
            shown.join(" · ")
        ));
    }
    lines.push(
        "Ann is out of dice.".replace("Ann is", if me == "Ann" { "You are" } else { "Ann is" }),
    );
    lines.push(
        if me == "Bob" {
            "You win match 1!"
        } else {
            "Bob wins match 1!"
        }
        .to_owned(),
    );
    lines
}

fn logs_of(plan: &Match) -> Vec<DiceLog> {
    ["Ann", "Bob"]
        .map(|me| {
            let mut log = DiceLog::new(me, 5);
            log.sent("/play dice");
            for line in lines_for(me, plan) {
                log.heard(line);
            }
            log
        })
        .into()
}

/// `logs` with `from` replaced by `to` in every line read that contains it.
fn edit(mut logs: Vec<DiceLog>, from: &str, to: &str) -> Vec<DiceLog> {
    for log in &mut logs {
        for seen in &mut log.seen {
            if let DiceSeen::Heard(line) = seen {
                *line = line.replace(from, to);
            }
        }
    }
    logs
}

fn violations(logs: &[DiceLog]) -> Vec<DiceViolation> {
    check_dice(logs).err().unwrap_or_default()
}

#[test]
fn a_fair_match_passes() {
    let verdict = check_dice(&logs_of(&the_match()));
    assert_eq!(
        verdict,
        Ok(DiceVerdict {
            challenges: 3,
            opened: 6,
            actions: 12,
            matches: 1,
            conserved: 4,
        })
    );
}

#[test]
fn the_wrong_loser_is_caught() {
    let logs = edit(
        logs_of(&the_match()),
        "The bid holds: you lose a die.",
        "The bid holds: Ann loses a die.",
    );
    let logs = edit(
        logs,
        "The bid holds: Bob loses a die.",
        "The bid holds: Ann loses a die.",
    );
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::WrongLoser { .. })),
        "{found:?}"
    );
}

#[test]
fn a_miscounted_call_is_caught() {
    let logs = edit(
        logs_of(&the_match()),
        "there are 0 sixes",
        "there are 1 sixes",
    );
    let found = violations(&logs);
    assert!(found.iter().any(|v| matches!(v, DiceViolation::WrongLoser { reason, .. } if reason.contains("announced 1"))), "{found:?}");
}

#[test]
fn players_told_different_losers_are_caught() {
    let mut logs = logs_of(&the_match());
    let bob = std::mem::take(&mut logs[1]);
    let mut bob = edit(
        vec![bob],
        "The bid holds: you lose a die.",
        "The bid holds: Ann loses a die.",
    );
    logs[1] = bob.remove(0);
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::LosersDiffer { hand: 1, .. })),
        "{found:?}"
    );
}

#[test]
fn a_die_that_vanishes_or_appears_is_caught() {
    // Hand 2 announces Bob with two dice again, though he lost one in hand 1.
    let logs = edit(
        logs_of(&the_match()),
        "Dice: Ann 2, Bob 1.",
        "Dice: Ann 2, Bob 2.",
    );
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::DiceNotConserved { .. })),
        "{found:?}"
    );
}

#[test]
fn an_action_out_of_turn_is_caught() {
    // Hand 1 says Bob starts, yet Ann's bid is accepted.
    let logs = edit(
        logs_of(&the_match()),
        "Hand 1: you start.",
        "Hand 1: Bob starts.",
    );
    let logs = edit(logs, "Hand 1: Ann starts.", "Hand 1: you start.");
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::OutOfTurn { actor, .. } if actor == "Ann")),
        "{found:?}"
    );
}

#[test]
fn another_players_dice_seen_before_the_call_are_caught() {
    let mut logs = logs_of(&the_match());
    // Ann hears Bob's hand-1 dice in a line before the call.
    logs[0]
        .seen
        .insert(4, DiceSeen::Heard("* Bob: 5 2".to_owned()));
    let found = violations(&logs);
    assert!(
        found.iter().any(
            |v| matches!(v, DiceViolation::HiddenDiceSeen { owner: Some(o), .. } if o == "Bob")
        ),
        "{found:?}"
    );
}

#[test]
fn being_told_another_players_dice_as_ones_own_is_caught() {
    // Ann is sent Bob's dice as hers in hand 1.
    let logs = edit(logs_of(&the_match()), "Your dice: 3 5", "Your dice: 5 2");
    let found = violations(&logs);
    assert!(
        found.iter().any(
            |v| matches!(v, DiceViolation::HiddenDiceSeen { owner: Some(o), .. } if o == "Bob")
        ),
        "{found:?}"
    );
}

#[test]
fn a_hand_that_does_not_open_its_commitment_is_caught() {
    // Ann's hand 3 revealed with another salt than the one committed to: each player's
    // log catches it, and nothing else is wrong.
    let revealed = format!("Ann: 4 salt {}", salt(3, "Ann"));
    let forged = format!("Ann: 4 salt {}", Salt::from_bytes([0; 16]));
    let logs = edit(logs_of(&the_match()), &revealed, &forged);
    let found = violations(&logs);
    assert!(
        matches!(found[..], [DiceViolation::BrokenCommitment { ref owner, .. }, DiceViolation::BrokenCommitment { .. }] if owner == "Ann"),
        "{found:?}"
    );
}

#[test]
fn a_die_changed_after_the_roll_is_caught() {
    // Ann's hand 3 revealed as a 3 instead of the 4 she was told and committed to.
    let logs = edit(logs_of(&the_match()), "Ann: 4 salt", "Ann: 3 salt");
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::BrokenCommitment { .. })),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::HiddenDiceSeen { owner: None, .. })),
        "{found:?}"
    );
}

#[test]
fn two_winners_of_one_match_are_caught() {
    let mut logs = logs_of(&the_match());
    let ann = std::mem::take(&mut logs[0]);
    logs[0] = edit(vec![ann], "Bob wins match 1!", "You win match 1!").remove(0);
    let found = violations(&logs);
    assert!(
        found
            .iter()
            .any(|v| matches!(v, DiceViolation::SeveralWinners { .. })),
        "{found:?}"
    );
}

#[test]
fn the_lines_say_you_as_the_logs_player() {
    let lines = lines_for("Ann", &the_match());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("You bid 2 fives. Bob's turn.")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Hand 1: you start.")),
        "{lines:?}"
    );
}
