//! How guess-the-number reads on the line protocol: the [`Render`] impl.
//!
//! The first word of each text matters: the netcat client and the
//! load-generator bots branch on `Higher!`, `Lower!`, `Correct!`, `Sorry,`,
//! `Round` and `error:`. The round line ends with the round's commitment and
//! a win line with its salt (`Commitment: HEX`, `Salt: HEX`, no final full
//! stop, so the hex copies cleanly into `referee verify`).

use super::{GuessEvent, GuessNumber, GuessRejection, Hint};
use crate::commitment::{Commitment, Salt};
use crate::{PlayerId, Render};

impl Render for GuessNumber {
    fn intro(&self) -> String {
        round_intro(self.round, self.config.max(), &self.seal.commitment)
    }

    fn describe(
        event: &GuessEvent,
        viewer: PlayerId,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        match *event {
            GuessEvent::Hint {
                player,
                value,
                hint,
                ..
            } if player == viewer => own_hint(value, hint),
            GuessEvent::Hint {
                player,
                value,
                hint,
                ..
            } => {
                let mut digits = itoa::Buffer::new();
                [
                    "* ",
                    &names(player),
                    " guessed ",
                    digits.format(value),
                    ": the number is ",
                    hint.word(),
                    ".",
                ]
                .concat()
            }
            GuessEvent::Won {
                round,
                player,
                secret,
                salt,
                points,
                ..
            } if player == viewer => own_win(round, secret, points, &salt),
            GuessEvent::Won {
                round,
                player,
                secret,
                salt,
                ..
            } => {
                let (mut round_digits, mut secret_digits) =
                    (itoa::Buffer::new(), itoa::Buffer::new());
                [
                    "* ",
                    &names(player),
                    " won round ",
                    round_digits.format(round),
                    ": the number was ",
                    secret_digits.format(secret),
                    ". Salt: ",
                    salt.hex().as_str(),
                ]
                .concat()
            }
            GuessEvent::RoundStarted {
                round,
                max,
                commitment,
            } => round_intro(round, max, &commitment),
        }
    }

    /// Only the guesser (of a hint) and the winner (of a win) read their own text; a new
    /// round reads the same for everyone.
    fn bystander(event: &GuessEvent, viewer: PlayerId) -> bool {
        match *event {
            GuessEvent::Hint { player, .. } | GuessEvent::Won { player, .. } => player != viewer,
            GuessEvent::RoundStarted { .. } => true,
        }
    }

    fn describe_rejection(
        rejection: &GuessRejection,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        match rejection {
            GuessRejection::AlreadyWon { round, winner } => meantime(*round, *winner, names),
            GuessRejection::OutOfRange { value, max } => {
                format!("error: {value} is out of range: {}.", guess_range(*max))
            }
            GuessRejection::NotANumber { text } => {
                format!("error: \"{text}\" is not a number: type a number, or /help for commands.")
            }
            GuessRejection::FutureRound { round, current } => {
                format!("error: round {round} has not started yet (this is round {current}).")
            }
            GuessRejection::NoSuchRound { round } => {
                format!("error: there is no round {round}: rounds are numbered from 1.")
            }
            GuessRejection::NotSeated { .. } => {
                "error: you are not in a room: type /play to join one.".to_owned()
            }
        }
    }
}

// The texts every guess or round sends are put together from their pieces (`concat`, digits
// by `itoa`) rather than by `format!`: its machinery cost ~700 instructions for a one-number
// hint, a twentieth of a guess (docs/PERFORMANCE.md §7). Rarer texts keep `format!`.

/// `Round 3: guess a number from 0 to 19. Commitment: 9f2c…`
fn round_intro(round: u64, max: u32, commitment: &Commitment) -> String {
    let (mut round_digits, mut top_digits) = (itoa::Buffer::new(), itoa::Buffer::new());
    [
        "Round ",
        round_digits.format(round),
        ": guess a number from 0 to ",
        top_digits.format(max.saturating_sub(1)),
        ". Commitment: ",
        commitment.hex().as_str(),
    ]
    .concat()
}

/// `guess a number from 0 to 19` for `max` 20.
fn guess_range(max: u32) -> String {
    format!("guess a number from 0 to {}", max.saturating_sub(1))
}

fn own_hint(value: u32, hint: Hint) -> String {
    let mut digits = itoa::Buffer::new();
    let value = digits.format(value);
    match hint {
        Hint::Higher => ["Higher! The number is more than ", value, "."].concat(),
        Hint::Lower => ["Lower! The number is less than ", value, "."].concat(),
    }
}

fn own_win(round: u64, secret: u32, points: u32, salt: &Salt) -> String {
    let unit = if points == 1 { " point" } else { " points" };
    let mut digits = [
        itoa::Buffer::new(),
        itoa::Buffer::new(),
        itoa::Buffer::new(),
    ];
    let [secret_digits, round_digits, points_digits] = &mut digits;
    [
        "Correct! ",
        secret_digits.format(secret),
        " was the number. You won round ",
        round_digits.format(round),
        " and now have ",
        points_digits.format(points),
        unit,
        ". Salt: ",
        salt.hex().as_str(),
    ]
    .concat()
}

fn meantime(round: u64, winner: Option<PlayerId>, names: &dyn Fn(PlayerId) -> String) -> String {
    match winner {
        Some(winner) => format!(
            "Sorry, another player won in the meantime! ({} won round {round}.)",
            names(winner)
        ),
        None => format!("Sorry, another player won in the meantime! (Round {round} is over.)"),
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::{Game, GuessConfig};

    const ALICE: PlayerId = PlayerId(1);
    const BOB: PlayerId = PlayerId(2);
    const SALT: &str = "000102030405060708090a0b0c0d0e0f";
    const COMMITMENT: &str = "58f90d9dfb598e76a8c0fe4e95cdf8715f494d22153abfba53a60af3d1417e62";

    fn names(player: PlayerId) -> String {
        match player {
            ALICE => "alice".to_owned(),
            other => format!("player{other}"),
        }
    }

    fn describe(event: &GuessEvent, viewer: PlayerId) -> String {
        GuessNumber::describe(event, viewer, &names)
    }

    fn describe_rejection(rejection: &GuessRejection) -> String {
        GuessNumber::describe_rejection(rejection, &names)
    }

    fn hint(value: u32, hint: Hint) -> GuessEvent {
        GuessEvent::Hint {
            round: 1,
            player: ALICE,
            value,
            hint,
        }
    }

    fn won(points: u32) -> GuessEvent {
        GuessEvent::Won {
            round: 4,
            player: ALICE,
            secret: 11,
            salt: SALT.parse().unwrap(),
            guesses: 6,
            points,
        }
    }

    #[test]
    fn intro_names_round_range_and_commitment() {
        let game = GuessNumber::new(&GuessConfig::default(), &mut StdRng::seed_from_u64(1));
        let commitment = game.view(crate::Viewer::Player(ALICE)).commitment;
        assert_eq!(
            game.intro(),
            format!("Round 1: guess a number from 0 to 19. Commitment: {commitment}")
        );
    }

    #[test]
    fn round_started_reads_like_the_intro() {
        let event = GuessEvent::RoundStarted {
            round: 3,
            max: 20,
            commitment: COMMITMENT.parse().unwrap(),
        };
        assert_eq!(
            describe(&event, BOB),
            format!("Round 3: guess a number from 0 to 19. Commitment: {COMMITMENT}")
        );
    }

    #[test]
    fn guesser_sees_higher() {
        assert_eq!(
            describe(&hint(10, Hint::Higher), ALICE),
            "Higher! The number is more than 10."
        );
    }

    #[test]
    fn guesser_sees_lower() {
        assert_eq!(
            describe(&hint(10, Hint::Lower), ALICE),
            "Lower! The number is less than 10."
        );
    }

    #[test]
    fn others_see_a_higher_hint_with_the_guessers_name() {
        let text = describe(&hint(10, Hint::Higher), BOB);
        assert_eq!(text, "* alice guessed 10: the number is higher.");
    }

    #[test]
    fn others_see_a_lower_hint_with_the_guessers_name() {
        let text = describe(&hint(3, Hint::Lower), BOB);
        assert_eq!(text, "* alice guessed 3: the number is lower.");
    }

    #[test]
    fn winner_sees_one_point_in_singular() {
        let text = describe(&won(1), ALICE);
        assert_eq!(
            text,
            format!(
                "Correct! 11 was the number. You won round 4 and now have 1 point. Salt: {SALT}"
            )
        );
    }

    #[test]
    fn winner_sees_several_points_in_plural() {
        let text = describe(&won(5), ALICE);
        assert_eq!(
            text,
            format!(
                "Correct! 11 was the number. You won round 4 and now have 5 points. Salt: {SALT}"
            )
        );
    }

    #[test]
    fn others_see_who_won() {
        assert_eq!(
            describe(&won(5), BOB),
            format!("* alice won round 4: the number was 11. Salt: {SALT}")
        );
    }

    /// Whoever `bystander` calls a bystander of an event reads the same text as every other
    /// bystander of it (the server renders it once for all of them), and the guesser and
    /// the winner are never bystanders of their own hint and win.
    #[test]
    fn bystanders_of_an_event_read_the_same_text() {
        let started = GuessEvent::RoundStarted {
            round: 3,
            max: 20,
            commitment: COMMITMENT.parse().unwrap(),
        };
        let events = [
            hint(10, Hint::Higher),
            hint(3, Hint::Lower),
            won(1),
            started,
        ];
        let viewers = [ALICE, BOB, PlayerId(3), PlayerId(99)];
        for event in &events {
            let texts: Vec<String> = viewers
                .iter()
                .filter(|&&viewer| GuessNumber::bystander(event, viewer))
                .map(|&viewer| describe(event, viewer))
                .collect();
            assert!(texts.len() >= 3, "{event:?}: {texts:?}");
            assert!(texts.iter().all(|text| *text == texts[0]), "{texts:?}");
        }
        assert!(!GuessNumber::bystander(&hint(10, Hint::Higher), ALICE));
        assert!(!GuessNumber::bystander(&won(1), ALICE));
    }

    #[test]
    fn meantime_names_a_known_winner() {
        let rejection = GuessRejection::AlreadyWon {
            round: 2,
            winner: Some(BOB),
        };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "Sorry, another player won in the meantime! (player2 won round 2.)"
        );
    }

    #[test]
    fn meantime_without_winner_says_the_round_is_over() {
        let rejection = GuessRejection::AlreadyWon {
            round: 2,
            winner: None,
        };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "Sorry, another player won in the meantime! (Round 2 is over.)"
        );
    }

    #[test]
    fn out_of_range_shows_the_valid_range() {
        let rejection = GuessRejection::OutOfRange { value: -4, max: 20 };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "error: -4 is out of range: guess a number from 0 to 19."
        );
    }

    #[test]
    fn not_a_number_quotes_the_text() {
        let rejection = GuessRejection::NotANumber {
            text: "abc".to_owned(),
        };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "error: \"abc\" is not a number: type a number, or /help for commands."
        );
    }

    #[test]
    fn future_round_names_both_rounds() {
        let rejection = GuessRejection::FutureRound {
            round: 5,
            current: 3,
        };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "error: round 5 has not started yet (this is round 3)."
        );
    }

    #[test]
    fn round_zero_is_named_as_never_existing() {
        let rejection = GuessRejection::NoSuchRound { round: 0 };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "error: there is no round 0: rounds are numbered from 1."
        );
    }

    #[test]
    fn not_seated_points_to_play() {
        let rejection = GuessRejection::NotSeated { player: BOB };
        let text = describe_rejection(&rejection);
        assert_eq!(
            text,
            "error: you are not in a room: type /play to join one."
        );
    }
}
