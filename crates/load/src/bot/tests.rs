use super::*;
use proptest::prelude::*;

const ROUND_1: &str = "Round 1: guess a number from 0 to 19.";
const ROUND_2: &str = "Round 2: guess a number from 0 to 19.";

/// A brain that has seen `ROUND_1` and sent its first guess, 9.
fn playing() -> Brain {
    let mut brain = Brain::new();
    assert_eq!(brain.on_line(ROUND_1).send, Some(9));
    brain
}

fn higher(value: u64) -> String {
    format!("Higher! The number is more than {value}.")
}

fn lower(value: u64) -> String {
    format!("Lower! The number is less than {value}.")
}

/// The referee's answer to `guess` for `secret`, as the line protocol words it.
fn referee(secret: u64, guess: u64) -> String {
    match guess.cmp(&secret) {
        std::cmp::Ordering::Less => higher(guess),
        std::cmp::Ordering::Greater => lower(guess),
        std::cmp::Ordering::Equal => {
            format!("Correct! {guess} was the number. You won round 1 and now have 1 point.")
        }
    }
}

/// Plays one round against [`referee`]; returns how many guesses it took.
fn guesses_to_win(max: u64, secret: u64) -> u64 {
    let mut brain = Brain::new();
    let mut guess = brain.on_line(&format!("Round 1: guess a number from 0 to {max}."));
    let mut count = 0;
    while let Some(value) = guess.send {
        count += 1;
        let reaction = brain.on_line(&referee(secret, value));
        if reaction.answer == Some(Answer::Correct) {
            return count;
        }
        assert!(
            count <= 70,
            "no convergence for secret {secret} in 0..={max}"
        );
        guess = reaction;
    }
    panic!("the brain stopped guessing before finding {secret}");
}

/// ceil(log2(max + 1)) + 1, the bound the brief asks the search to meet.
fn guess_bound(max: u64) -> u64 {
    let size = u128::from(max) + 1;
    u64::from(size.next_power_of_two().trailing_zeros()) + 1
}

#[test]
fn waits_for_a_round_before_guessing() {
    let mut brain = Brain::new();
    assert_eq!(brain.start(), None);
    let welcome = brain.on_line("Welcome to Referee! You are player 7.");
    assert_eq!(welcome, Reaction::default());
    assert_eq!(brain.outstanding(), None);
}

#[test]
fn first_guess_is_the_middle_of_the_range() {
    let brain = playing();
    assert_eq!(brain.outstanding(), Some(9));
    assert_eq!(brain.round(), Some(1));
    assert_eq!(brain.bounds(), Some((0, 19)));
}

#[test]
fn higher_moves_the_low_bound_above_the_guess() {
    let mut brain = playing();
    let reaction = brain.on_line(&higher(9));
    assert_eq!(reaction.answer, Some(Answer::Higher));
    assert_eq!(brain.bounds(), Some((10, 19)));
    assert_eq!(reaction.send, Some(14));
}

#[test]
fn lower_moves_the_high_bound_below_the_guess() {
    let mut brain = playing();
    let reaction = brain.on_line(&lower(9));
    assert_eq!(reaction.answer, Some(Answer::Lower));
    assert_eq!(brain.bounds(), Some((0, 8)));
    assert_eq!(reaction.send, Some(4));
}

#[test]
fn correct_counts_a_win_and_waits_for_the_next_round() {
    let mut brain = playing();
    let reaction =
        brain.on_line("Correct! 9 was the number. You won round 1 and now have 1 point.");
    assert_eq!(reaction.answer, Some(Answer::Correct));
    assert_eq!(reaction.send, None);
    assert_eq!(brain.round(), None);
    assert_eq!(brain.on_line(ROUND_2).send, Some(9));
}

#[test]
fn never_sends_while_a_guess_is_outstanding() {
    let mut brain = playing();
    for line in [
        ROUND_2,
        "* Alice won round 1: the number was 3.",
        "<Alice> hi",
        ROUND_1,
    ] {
        assert_eq!(brain.on_line(line).send, None, "sent on {line:?}");
    }
    assert_eq!(brain.outstanding(), Some(9));
}

#[test]
fn a_round_line_during_a_guess_restarts_the_search_without_sending() {
    let mut brain = playing();
    brain.on_line(&higher(9));
    brain.on_line("Round 2: guess a number from 0 to 99.");
    assert_eq!(brain.round(), Some(2));
    assert_eq!(brain.bounds(), Some((0, 99)));
    assert_eq!(brain.outstanding(), Some(14));
}

#[test]
fn a_hint_after_a_round_change_narrows_the_new_round() {
    let mut brain = playing();
    brain.on_line(ROUND_2);
    let reaction = brain.on_line(&higher(9));
    assert_eq!(brain.round(), Some(2));
    assert_eq!(brain.bounds(), Some((10, 19)));
    assert_eq!(reaction.send, Some(14));
}

#[test]
fn a_contradicting_hint_restarts_the_search_over_the_whole_range() {
    let mut brain = playing();
    brain.on_line(&lower(9)); // 0..=8, sends 4
    brain.on_line(ROUND_2);
    brain.on_line("Round 3: guess a number from 0 to 3.");
    let reaction = brain.on_line(&higher(4)); // nothing above 4 in 0..=3
    assert_eq!(brain.bounds(), Some((0, 3)));
    assert_eq!(reaction.send, Some(1));
}

#[test]
fn late_guess_in_a_finished_round_waits_for_the_next_round() {
    let mut brain = playing();
    let reaction = brain.on_line("Sorry, another player won in the meantime! (Alice won round 1.)");
    assert_eq!(reaction.answer, Some(Answer::Late));
    assert_eq!(reaction.send, None);
    assert_eq!(brain.round(), None);
}

#[test]
fn late_guess_after_the_next_round_was_announced_plays_on() {
    let mut brain = playing();
    brain.on_line("* Alice won round 1: the number was 3.");
    brain.on_line(ROUND_2);
    let reaction = brain.on_line("Sorry, another player won in the meantime! (Round 1 is over.)");
    assert_eq!(reaction.answer, Some(Answer::Late));
    assert_eq!(reaction.send, Some(9));
    assert_eq!(brain.round(), Some(2));
}

#[test]
fn an_error_answer_is_counted_and_the_bot_waits_for_a_round() {
    let mut brain = playing();
    let reaction = brain.on_line("error: you are not in a room: type /play to join one.");
    assert_eq!(reaction.answer, Some(Answer::Error));
    assert_eq!(reaction.send, None);
    assert_eq!(brain.outstanding(), None);
    assert_eq!(brain.on_line(ROUND_2).send, Some(9));
}

#[test]
fn an_unsolicited_error_is_counted_without_sending() {
    let mut brain = Brain::new();
    let reaction = brain.on_line("error: the server is full (10 connections); try again later");
    assert_eq!(reaction.answer, Some(Answer::Error));
    assert_eq!(reaction.send, None);
}

#[test]
fn announcements_chat_and_the_feed_are_ignored() {
    let mut brain = playing();
    for line in [
        "* You joined room 3 (2/3 players: Player 5, Player 7).",
        "* Alice guessed 10: the number is higher.",
        "<Alice> Higher! fooled you",
        "Type a number to guess; /help lists the commands.",
        "",
    ] {
        assert_eq!(
            brain.on_line(line),
            Reaction::default(),
            "reacted to {line:?}"
        );
    }
    assert_eq!(brain.bounds(), Some((0, 19)));
}

#[test]
fn a_hint_without_a_guess_changes_nothing() {
    let mut brain = Brain::new();
    let reaction = brain.on_line(&higher(3));
    assert_eq!(reaction.answer, Some(Answer::Higher));
    assert_eq!(reaction.send, None);
    assert_eq!(brain, Brain::new());
}

#[test]
fn malformed_round_lines_are_ignored() {
    let mut brain = Brain::new();
    for line in [
        "Round x: guess a number from 0 to 19.",
        "Round 1: guess a number from 19 to 0.",
        "Round 1: guess a number from 0 to 19",
        "Round 1: guess a number from 0 to 99999999999999999999999.",
        "Round 1: guess a number from -1 to 19.",
    ] {
        assert_eq!(
            brain.on_line(line),
            Reaction::default(),
            "reacted to {line:?}"
        );
    }
}

#[test]
fn a_round_line_with_a_commitment_starts_the_search() {
    let mut brain = Brain::new();
    let line = format!(
        "Round 4: guess a number from 0 to 19. Commitment: {}",
        "9f".repeat(32)
    );
    assert_eq!(brain.on_line(&line).send, Some(9));
}

#[test]
fn the_range_may_start_above_zero() {
    let mut brain = Brain::new();
    let reaction = brain.on_line(&format!("Round 9: guess a number from 5 to {}.", u64::MAX));
    assert_eq!(reaction.send, Some(5 + (u64::MAX - 5) / 2));
}

#[test]
fn hints_past_the_ends_of_u64_restart_instead_of_overflowing() {
    let mut brain = Brain::new();
    let top = format!("Round 1: guess a number from {0} to {0}.", u64::MAX);
    assert_eq!(brain.on_line(&top).send, Some(u64::MAX));
    assert_eq!(brain.on_line(&higher(u64::MAX)).send, Some(u64::MAX));
    assert_eq!(
        brain.on_line("Round 2: guess a number from 0 to 0.").send,
        None
    );
    assert_eq!(brain.on_line(&lower(u64::MAX)).send, Some(0)); // hint for round 2: 0..=0
    assert_eq!(brain.on_line(&lower(0)).send, Some(0));
    assert_eq!(brain.bounds(), Some((0, 0)));
}

#[test]
fn binary_search_converges_on_every_secret_of_the_default_range() {
    for secret in 0..=19 {
        assert!(
            guesses_to_win(19, secret) <= guess_bound(19),
            "secret {secret}"
        );
    }
}

#[test]
fn echo_brain_sends_at_once_and_counts_any_line_as_the_answer() {
    let mut brain = Brain::echo();
    assert_eq!(brain.start(), Some(ECHO_GUESS));
    let reaction = brain.on_line("10");
    assert_eq!(reaction.answer, Some(Answer::Echo));
    assert_eq!(reaction.send, Some(ECHO_GUESS));
}

#[test]
fn echo_brain_ignores_lines_it_did_not_ask_for() {
    let mut brain = Brain::echo();
    assert_eq!(brain.on_line("10"), Reaction::default());
    brain.start();
    assert_eq!(brain.on_line("").answer, None);
}

/// Lines a server might send, with arbitrary numbers spliced into the protocol's shapes.
fn any_line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,60}",
        (any::<u64>(), any::<u64>(), any::<u64>())
            .prop_map(|(r, l, h)| format!("Round {r}: guess a number from {l} to {h}.")),
        (0u64..4, 0u64..40).prop_map(|(r, h)| format!("Round {r}: guess a number from 0 to {h}.")),
        any::<u64>().prop_map(higher),
        any::<u64>().prop_map(lower),
        Just("Correct! 3 was the number. You won round 1 and now have 1 point.".to_owned()),
        Just("Sorry, another player won in the meantime! (Round 1 is over.)".to_owned()),
        Just("error: 25 is out of range: guess a number from 0 to 19.".to_owned()),
    ]
}

proptest! {
    #[test]
    fn arbitrary_lines_never_panic_nor_break_the_one_guess_rule(
        echo in any::<bool>(),
        lines in prop::collection::vec(any_line(), 0..60),
    ) {
        let mut brain = if echo { Brain::echo() } else { Brain::new() };
        let mut in_flight = brain.start().is_some();
        for line in &lines {
            let reaction = brain.on_line(line);
            let answered = in_flight && reaction.answer.is_some();
            prop_assert!(reaction.send.is_none() || !in_flight || answered, "two guesses in flight");
            in_flight = (in_flight && !answered) || reaction.send.is_some();
            prop_assert_eq!(brain.outstanding().is_some(), in_flight);
            if let (Some(value), Some((low, high))) = (reaction.send, brain.bounds()) {
                prop_assert!((low..=high).contains(&value));
            }
        }
    }

    #[test]
    fn simulated_rounds_find_the_number_within_log2_plus_one_guesses(
        (max, secret) in (0u64..=u64::MAX / 2).prop_flat_map(|max| (Just(max), 0..=max)),
    ) {
        prop_assert!(guesses_to_win(max, secret) <= guess_bound(max));
    }

    #[test]
    fn simulated_small_rounds_find_the_number(
        (max, secret) in (0u64..=1000).prop_flat_map(|max| (Just(max), 0..=max)),
    ) {
        prop_assert!(guesses_to_win(max, secret) <= guess_bound(max));
    }
}
