use proptest::prelude::*;
use referee_protocol::json::{self as protocol, Op};
use referee_protocol::notice::{ErrorCode, Notice, RoomLabel, Seated};
use referee_rules::{
    Commitment, GuessEvent, GuessRejection, GuessView, Hint, Millis, PlayerId, Salt,
};

use super::*;
use crate::bot::Brain;

const ME: u64 = 7;

/// A codec that heard its welcome (player 7) and sent `play` (id 1).
fn seated() -> Codec {
    let mut codec = Codec::new();
    codec.play(true);
    let welcome = Notice::Welcome {
        player: PlayerId(ME),
        name: "Player 7".into(),
        token: Some("9f".repeat(16)),
        resumed: false,
        how_to_play: None,
    };
    assert_eq!(
        codec.heard(&protocol::notice(&welcome, None)),
        Heard::Ignored
    );
    codec
}

/// The server's message for a game event, as the real encoder writes it.
fn event(event: &GuessEvent, re: Option<u64>) -> String {
    protocol::event(4, Millis(0), event, "(text)", re)
}

fn commitment() -> Commitment {
    referee_rules::commit_guess(4, 6, &salt())
}

fn salt() -> Salt {
    Salt::from_bytes([9; Salt::LEN])
}

fn hint(player: u64, value: u32, hint: Hint) -> GuessEvent {
    GuessEvent::Hint {
        round: 4,
        player: PlayerId(player),
        value,
        hint,
    }
}

fn won(player: u64) -> GuessEvent {
    GuessEvent::Won {
        round: 4,
        player: PlayerId(player),
        secret: 6,
        salt: salt(),
        guesses: 3,
        points: 1,
    }
}

fn rejected(rejection: &GuessRejection, re: Option<u64>) -> String {
    protocol::rejected(rejection, "(text)", re)
}

#[test]
fn requests_are_what_the_server_parses() {
    let mut codec = Codec::new();
    let play = protocol::parse_request(&codec.play(true)).unwrap();
    assert_eq!(
        (play.id, play.op, play.feed),
        (Some(1), Op::Play { game: None }, None)
    );
    let lean = protocol::parse_request(&codec.play(false)).unwrap();
    assert_eq!(
        (lean.id, lean.op, lean.feed),
        (Some(2), Op::Play { game: None }, Some(false))
    );
    let guess = protocol::parse_request(&codec.guess(u64::MAX)).unwrap();
    let value = u64::MAX.to_string();
    assert_eq!((guess.id, guess.op), (Some(3), Op::Guess { value }));
    assert_eq!(codec.outstanding(), Some(3));
    let quit = protocol::parse_request(&codec.quit()).unwrap();
    assert_eq!((quit.id, quit.op), (Some(4), Op::Quit));
}

#[test]
fn the_welcome_tells_the_player_number() {
    assert_eq!(seated().me(), Some(ME));
    assert_eq!(Codec::new().me(), None);
}

#[test]
fn state_and_round_started_announce_the_range_with_an_exclusive_max() {
    let mut codec = seated();
    let view = GuessView {
        round: 4,
        max: 20,
        points: 0,
        guesses_this_round: 2,
        commitment: commitment(),
    };
    let state = protocol::state(
        &view,
        Millis(0),
        "Round 4: guess a number from 0 to 19.",
        Some(1),
    );
    let range = Heard::Round {
        round: 4,
        min: 0,
        max: 19,
    };
    assert_eq!(codec.heard(&state), range);
    let started = event(
        &GuessEvent::RoundStarted {
            round: 5,
            max: 2,
            commitment: commitment(),
        },
        None,
    );
    let next = Heard::Round {
        round: 5,
        min: 0,
        max: 1,
    };
    assert_eq!(codec.heard(&started), next);
}

#[test]
fn an_empty_range_is_ignored() {
    let mut codec = seated();
    let state = r#"{"v":1,"type":"state","view":{"round":1,"max":0}}"#;
    assert_eq!(codec.heard(state), Heard::Ignored);
}

#[test]
fn the_hint_carrying_the_guess_id_answers_it() {
    let mut codec = seated();
    codec.guess(10); // id 2
    let answer = codec.heard(&event(&hint(ME, 10, Hint::Lower), Some(2)));
    assert_eq!(answer, Heard::Answer(Answer::Lower));
    assert_eq!(codec.outstanding(), None);
    codec.guess(4); // id 3
    let answer = codec.heard(&event(&hint(ME, 4, Hint::Higher), Some(3)));
    assert_eq!(answer, Heard::Answer(Answer::Higher));
}

#[test]
fn other_players_hints_on_the_live_feed_are_ignored() {
    let mut codec = seated();
    codec.guess(10);
    for other in [hint(5, 10, Hint::Lower), hint(5, 3, Hint::Higher), won(5)] {
        assert_eq!(codec.heard(&event(&other, None)), Heard::Ignored);
    }
    assert_eq!(codec.outstanding(), Some(2), "still waiting for the answer");
}

#[test]
fn a_win_is_answered_then_the_next_round_starts() {
    let mut codec = seated();
    codec.guess(6);
    assert_eq!(
        codec.heard(&event(&won(ME), Some(2))),
        Heard::Answer(Answer::Correct)
    );
    let started = event(
        &GuessEvent::RoundStarted {
            round: 5,
            max: 20,
            commitment: commitment(),
        },
        Some(2),
    );
    assert!(matches!(
        codec.heard(&started),
        Heard::Round { round: 5, .. }
    ));
}

#[test]
fn already_won_is_a_late_guess_and_other_rejections_are_errors() {
    let mut codec = seated();
    codec.guess(6);
    let late = GuessRejection::AlreadyWon {
        round: 4,
        winner: Some(PlayerId(5)),
    };
    assert_eq!(
        codec.heard(&rejected(&late, Some(2))),
        Heard::Answer(Answer::Late)
    );
    codec.guess(25);
    let range = GuessRejection::OutOfRange { value: 25, max: 20 };
    assert_eq!(
        codec.heard(&rejected(&range, Some(3))),
        Heard::Answer(Answer::Error)
    );
}

#[test]
fn errors_count_with_or_without_a_guess() {
    let mut codec = seated();
    let busy = protocol::notice(&Notice::error(ErrorCode::Busy, "try again"), Some(1));
    assert_eq!(codec.heard(&busy), Heard::Answer(Answer::Error));
    codec.guess(3);
    let slow = protocol::notice(&Notice::error(ErrorCode::SlowDown, "slow down"), Some(2));
    assert_eq!(codec.heard(&slow), Heard::Answer(Answer::Error));
    assert_eq!(codec.outstanding(), None);
}

#[test]
fn without_an_id_the_first_own_answer_after_a_guess_counts_once() {
    let mut codec = seated();
    assert_eq!(
        codec.heard(&event(&hint(ME, 10, Hint::Lower), None)),
        Heard::Ignored,
        "nothing was asked"
    );
    codec.guess(10);
    let own = event(&hint(ME, 10, Hint::Lower), None);
    assert_eq!(codec.heard(&own), Heard::Answer(Answer::Lower));
    assert_eq!(codec.heard(&own), Heard::Ignored, "answered already");
    codec.guess(4);
    let late = GuessRejection::AlreadyWon {
        round: 4,
        winner: None,
    };
    assert_eq!(
        codec.heard(&rejected(&late, None)),
        Heard::Answer(Answer::Late)
    );
}

#[test]
fn answers_to_an_older_request_are_ignored() {
    let mut codec = seated();
    codec.guess(10); // id 2
    codec.heard(&event(&hint(ME, 10, Hint::Lower), Some(2)));
    codec.guess(4); // id 3
    assert_eq!(
        codec.heard(&event(&hint(ME, 10, Hint::Lower), Some(2))),
        Heard::Ignored
    );
    let late = GuessRejection::AlreadyWon {
        round: 4,
        winner: None,
    };
    assert_eq!(codec.heard(&rejected(&late, Some(1))), Heard::Ignored);
    assert_eq!(codec.outstanding(), Some(3));
}

#[test]
fn notices_chat_and_garbage_are_ignored() {
    let mut codec = seated();
    codec.guess(10);
    let joined = Notice::Joined {
        game: None,
        room: RoomLabel { id: 3, code: None },
        members: vec![Seated {
            player: PlayerId(ME),
            name: "Player 7".into(),
        }],
        capacity: 3,
    };
    let member = Notice::MemberJoined {
        player: PlayerId(5),
        name: "Ann".into(),
    };
    for text in [
        protocol::notice(&joined, Some(1)),
        protocol::notice(&member, None),
        protocol::notice(&Notice::Pong, None),
        r#"{"v":1,"type":"chat","player":5,"from":"Ann","text":"<Ann> Higher!"}"#.into(),
        r#"{"v":1,"type":"event","event":{"type":"hint","player":7,"hint":"sideways"}}"#.into(),
        r#"{"v":1,"type":"event"}"#.into(),
        r#"{"v":1,"type":"state","view":"Round 1"}"#.into(),
        r#"{"type":7}"#.into(),
        "Higher! The number is more than 9.".into(),
        "[]".into(),
        String::new(),
    ] {
        assert_eq!(codec.heard(&text), Heard::Ignored, "{text}");
    }
    assert_eq!(codec.outstanding(), Some(2));
}

/// A one-room referee for one bot, in JSON: answers a guess for `secret` with `re`.
fn referee(secret: u64, guess: u64, re: u64) -> String {
    match guess.cmp(&secret) {
        std::cmp::Ordering::Less => event(&hint(ME, 0, Hint::Higher), Some(re)),
        std::cmp::Ordering::Greater => event(&hint(ME, 0, Hint::Lower), Some(re)),
        std::cmp::Ordering::Equal => event(&won(ME), Some(re)),
    }
}

#[test]
fn a_brain_and_a_codec_win_a_round_by_binary_search() {
    for secret in 0..20 {
        let (mut brain, mut codec) = (Brain::new(), seated());
        let state = r#"{"v":1,"re":1,"type":"state","view":{"round":1,"max":20}}"#;
        let mut send = brain.on_heard(codec.heard(state)).send;
        let mut guesses = 0;
        while let Some(guess) = send {
            guesses += 1;
            codec.guess(guess);
            let id = codec.outstanding().unwrap();
            let reaction = brain.on_heard(codec.heard(&referee(secret, guess, id)));
            if reaction.answer == Some(Answer::Correct) {
                break;
            }
            assert!(guesses <= 6, "secret {secret}: no convergence");
            send = reaction.send;
        }
        assert!(guesses <= 6, "secret {secret}");
    }
}

/// Server messages a bot may hear, well-formed or not.
fn any_message() -> impl Strategy<Value = String> {
    let player = prop_oneof![Just(ME), 0u64..10];
    let re = proptest::option::of(0u64..6);
    prop_oneof![
        any::<String>(),
        (player.clone(), re.clone(), any::<bool>()).prop_map(|(p, re, up)| {
            let word = if up { Hint::Higher } else { Hint::Lower };
            event(&hint(p, 3, word), re)
        }),
        (player, re.clone()).prop_map(|(p, re)| event(&won(p), re)),
        (0u64..4, 0u64..40, re.clone())
            .prop_map(|(r, max, re)| format!(r#"{{"v":1,"type":"state","re":{},"view":{{"round":{r},"max":{max}}}}}"#, re.unwrap_or(0))),
        (0u64..4, any::<u64>()).prop_map(|(round, max)| {
            format!(r#"{{"type":"event","event":{{"type":"round_started","round":{round},"max":{max}}}}}"#)
        }),
        re.clone().prop_map(|re| {
            rejected(&GuessRejection::AlreadyWon { round: 1, winner: None }, re)
        }),
        re.prop_map(|re| protocol::notice(&Notice::error(ErrorCode::Busy, "busy"), re)),
    ]
}

proptest! {
    #[test]
    fn arbitrary_messages_never_panic_nor_break_the_one_guess_rule(
        messages in prop::collection::vec(any_message(), 0..60),
    ) {
        let (mut brain, mut codec) = (Brain::new(), seated());
        for message in &messages {
            let reaction = brain.on_heard(codec.heard(message));
            if let Some(guess) = reaction.send {
                codec.guess(guess);
            }
            prop_assert_eq!(brain.outstanding().is_some(), codec.outstanding().is_some());
        }
    }
}
