//! The checker against hand-written logs: one fair game, and each violation kind.

use crate::*;

/// Ann wins round 1 (secret 7) after a hint; Bo's late guess hears "meantime". The lines
/// carry the round's commitment and salt as the server sends them.
fn fair_game() -> Vec<Log> {
    let mut ann = Log::new("Ann", 1);
    ann.sent(10, 1);
    ann.heard("Lower! The number is less than 10.");
    ann.sent(7, 1);
    ann.heard("Correct! 7 was the number. You won round 1 and now have 1 point. Salt: 00ff");
    ann.heard("Round 2: guess a number from 0 to 19. Commitment: 9f2c");
    ann.heard("Scores in room 1: Ann 1, Bo 0.");
    let mut bo = Log::new("Bo", 1);
    bo.heard("* Ann won round 1: the number was 7. Salt: 00ff");
    bo.heard("Round 2: guess a number from 0 to 19. Commitment: 9f2c");
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
            meantimes: 1,
            opened: 0,
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

/// Round 4 of room 1 (secret 7): Ann wins it, Bo hears it; the commitment is the one of
/// docs/protocol.md's worked example.
fn committed_round(ann_salt: &str, bo_commitment: &str) -> Vec<Log> {
    const COMMITMENT: &str = "58f90d9dfb598e76a8c0fe4e95cdf8715f494d22153abfba53a60af3d1417e62";
    let mut ann = Log::new("Ann", 1);
    ann.heard(format!(
        "Round 4: guess a number from 0 to 19. Commitment: {COMMITMENT}"
    ));
    ann.sent(7, 4);
    ann.heard(format!(
        "Correct! 7 was the number. You won round 4 and now have 1 point.{ann_salt}"
    ));
    let mut bo = Log::new("Bo", 1);
    bo.heard(format!(
        "Round 4: guess a number from 0 to 19. Commitment: {bo_commitment}"
    ));
    bo.heard("* Ann won round 4: the number was 7. Salt: 000102030405060708090a0b0c0d0e0f");
    vec![ann, bo]
}

const SALT: &str = " Salt: 000102030405060708090a0b0c0d0e0f";
const SAME: &str = "58f90d9dfb598e76a8c0fe4e95cdf8715f494d22153abfba53a60af3d1417e62";

#[test]
fn a_win_that_opens_its_commitment_is_counted() {
    let verdict = check(&committed_round(SALT, SAME));
    assert_eq!(verdict.map(|verdict| verdict.opened), Ok(1));
}

#[test]
fn a_salt_that_does_not_open_the_commitment_is_caught() {
    for salt in [" Salt: 100102030405060708090a0b0c0d0e0f", " Salt: 00", ""] {
        let violations = check(&committed_round(salt, SAME))
            .err()
            .unwrap_or_default();
        assert!(
            matches!(
                violations[..],
                [Violation::BrokenCommitment { round: 4, .. }]
            ),
            "{salt:?}: {violations:?}"
        );
    }
}

#[test]
fn players_told_different_commitments_are_caught() {
    let other = SAME.replace('5', "6");
    let violations = check(&committed_round(SALT, &other))
        .err()
        .unwrap_or_default();
    assert!(
        violations
            .iter()
            .any(|v| matches!(v, Violation::CommitmentsDiffer { round: 4, .. })),
        "{violations:?}"
    );
}
