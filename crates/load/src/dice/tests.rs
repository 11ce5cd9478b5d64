//! The dice brain against hand-written lines: when it moves, what answers its move, what
//! it counts; and that no line can make it panic.

use proptest::prelude::*;

use super::strategy::Move;
use super::*;

const HAND: &str =
    "Hand 1: you start. Dice: Player 1 5, Player 2 5. Commitments: Player 1 #1 aa, Player 2 #2 bb.";

#[test]
fn the_starter_bids_once_its_dice_are_known() {
    let mut brain = DiceBrain::new(1);
    assert_eq!(brain.on_line(HAND).send, None, "no dice yet");
    let first = brain.on_line("Your dice: 4 4 2 1 6");
    assert_eq!(
        first.send,
        Some(Move::Bid {
            quantity: 1,
            face: 4
        })
    );
    assert!(brain.outstanding());
    let answer = brain.on_line("You bid 1 four. Player 2's turn.");
    assert!(answer.answered && answer.send.is_none());
    assert!(!brain.outstanding());
}

#[test]
fn a_bot_moves_on_its_turn_and_only_then() {
    let mut brain = DiceBrain::new(2);
    brain.on_line(&HAND.replace("you start", "Player 2 starts"));
    assert_eq!(brain.on_line("Your dice: 6 6 6 6 6").send, None);
    assert_eq!(
        brain.on_line("Player 2 bids 1 two. Player 3's turn.").send,
        None
    );
    let mine = brain.on_line("Player 3 bids 9 ones. Your turn.");
    assert_eq!(
        mine.send,
        Some(Move::Liar),
        "9 ones among 10 dice, holding none"
    );
    let call = "You call liar on 9 ones by Player 3: there are 0 ones (…). The bid fails: \
                Player 3 loses a die.";
    let called = brain.on_line(call);
    assert!(called.answered && called.hand && called.send.is_none());
}

#[test]
fn the_status_line_on_sitting_down_can_give_the_turn() {
    let mut brain = DiceBrain::new(3);
    brain.on_line("* You joined room 4 (2/2 players: Player 1, Player 2).");
    let status = brain.on_line("Your dice: 3 3 · bid: 1 three by Player 1 · your turn (20 s)");
    assert!(matches!(
        status.send,
        Some(Move::Bid { .. }) | Some(Move::Liar)
    ));
    assert_eq!(brain.room(), Some(4));
}

#[test]
fn refusals_and_time_outs_are_counted_and_moves_by_the_referee_answer_nothing() {
    let mut brain = DiceBrain::new(4);
    brain.on_line(HAND);
    brain.on_line("Your dice: 1 2 3 4 5");
    let refused = brain.on_line("Not your turn: it is Player 2's.");
    assert!(refused.answered && refused.rejected);
    let timed = brain.on_line("You bid 1 one (time ran out). Player 2's turn.");
    assert!(timed.timed_out && !timed.answered);
    assert!(brain.on_line("You win match 1!").match_won);
    assert!(!brain.on_line("Player 2 wins match 2!").match_won);
}

proptest! {
    /// Whatever the server says, the brain answers without panicking, and it never has
    /// two moves in flight.
    #[test]
    fn no_line_makes_the_brain_panic(lines in proptest::collection::vec(
        prop_oneof![
            Just(HAND.to_owned()),
            Just("Your dice: 2 2 5".to_owned()),
            Just("Player 2 bids 3 sixes. Your turn.".to_owned()),
            "Your dice: [0-9 ·a-z:]{0,20}",
            "(You|Ann) (bid|bids|call liar) [0-9]{1,3} [a-z]{1,6}[. a-zA-Z']{0,20}",
            ".{0,40}",
        ],
        0..30,
    ), seed: u64) {
        let mut brain = DiceBrain::new(seed);
        for line in lines {
            let outstanding = brain.outstanding();
            let reaction = brain.on_line(&line);
            prop_assert!(!(outstanding && !reaction.answered && reaction.send.is_some()));
        }
    }
}
