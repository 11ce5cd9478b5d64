//! Invariants of guess-the-number that must hold for any sequence of moves,
//! checked with proptest against the public `Game` interface only.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_rules::{
    Game, GuessAction, GuessConfig, GuessEvent, GuessNumber, Hint, Millis, PlayerId, Viewer,
    verify_guess,
};

/// Players 0..SEATED sit down; player SEATED never does.
const SEATED: u64 = 3;

/// Which round a guess is aimed at, relative to the game's current round.
#[derive(Clone, Debug)]
enum Aim {
    /// The current round (the common case).
    Current,
    /// The current round plus an offset (stale or future rounds).
    Offset(i64),
    /// Any round at all.
    Arbitrary(u64),
}

#[derive(Clone, Debug)]
enum Step {
    Guess {
        player: u64,
        aim: Aim,
        explicit: bool,
        value: i64,
    },
    Join {
        player: u64,
    },
    Leave {
        player: u64,
    },
}

fn aim() -> impl Strategy<Value = Aim> {
    prop_oneof![
        6 => Just(Aim::Current),
        2 => (-3i64..=3).prop_map(Aim::Offset),
        1 => any::<u64>().prop_map(Aim::Arbitrary),
    ]
}

fn value() -> impl Strategy<Value = i64> {
    prop_oneof![8 => -1i64..10, 1 => any::<i64>()]
}

fn guess() -> impl Strategy<Value = Step> {
    (0..=SEATED, aim(), any::<bool>(), value()).prop_map(|(player, aim, explicit, value)| {
        Step::Guess {
            player,
            aim,
            explicit,
            value,
        }
    })
}

/// Guesses only, or guesses mixed with players joining and leaving.
fn steps(with_seating: bool) -> impl Strategy<Value = Vec<Step>> {
    let step = if with_seating {
        prop_oneof![
            8 => guess(),
            1 => (0..=SEATED + 1).prop_map(|player| Step::Join { player }),
            1 => (0..=SEATED + 1).prop_map(|player| Step::Leave { player }),
        ]
        .boxed()
    } else {
        guess().boxed()
    };
    prop::collection::vec(step, 0..200)
}

fn seated_game(max: u32, rng: &mut StdRng) -> GuessNumber {
    let mut game = GuessNumber::new(&GuessConfig::new(max).unwrap(), rng);
    (0..SEATED).for_each(|player| {
        game.add_player(PlayerId(player), Millis::ZERO, rng);
    });
    game
}

fn aimed_round(game: &GuessNumber, aim: &Aim) -> u64 {
    match *aim {
        Aim::Current => game.round(),
        Aim::Offset(offset) => game.round().saturating_add_signed(offset),
        Aim::Arbitrary(round) => round,
    }
}

/// Runs one step; for a rejected guess, checks that nothing changed.
fn run_step(game: &mut GuessNumber, step: &Step, rng: &mut StdRng) -> Vec<GuessEvent> {
    match step {
        Step::Join { player } => return game.add_player(PlayerId(*player), Millis::ZERO, rng),
        Step::Leave { player } => {
            return game.remove_player(PlayerId(*player), Millis::ZERO, rng);
        }
        Step::Guess {
            player,
            aim,
            explicit,
            value,
        } => {
            let round = aimed_round(game, aim);
            let action = GuessAction::Guess {
                value: *value,
                round: explicit.then_some(round),
            };
            let before = game.clone();
            match game.apply(PlayerId(*player), round, action, Millis::ZERO, rng) {
                Ok(events) => return events,
                Err(rejection) => assert_eq!(*game, before, "{rejection} changed the state"),
            }
        }
    }
    Vec::new()
}

fn run(max: u32, seed: u64, steps: &[Step]) -> (GuessNumber, Vec<GuessEvent>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut game = seated_game(max, &mut rng);
    let events = steps
        .iter()
        .flat_map(|step| run_step(&mut game, step, &mut rng))
        .collect();
    (game, events)
}

fn wins(events: &[GuessEvent]) -> usize {
    events
        .iter()
        .filter(|event| GuessNumber::outcome(event).is_some())
        .count()
}

/// Whether `hint` about `value` is true of `secret`.
fn hint_holds(value: u32, hint: Hint, secret: u32) -> bool {
    match hint {
        Hint::Higher => secret > value,
        Hint::Lower => secret < value,
    }
}

fn ceil_log2(max: u32) -> u32 {
    u32::BITS - (max - 1).leading_zeros()
}

proptest! {
    #[test]
    fn each_round_has_one_winner_and_rounds_advance_by_one(
        max in 2u32..8, seed in any::<u64>(), steps in steps(true),
    ) {
        let (game, events) = run(max, seed, &steps);
        let mut round = 1;
        for (index, event) in events.iter().enumerate() {
            if let GuessEvent::Won { round: won, .. } = event {
                prop_assert_eq!(*won, round);
                round += 1;
                let next = events.get(index + 1);
                let started = matches!(next, Some(&GuessEvent::RoundStarted { round: r, max: m, .. })
                    if (r, m) == (round, max));
                prop_assert!(started, "{next:?} after the win of round {won}");
            }
        }
        prop_assert_eq!(game.round(), round);
    }

    #[test]
    fn every_win_opens_the_commitment_published_at_its_rounds_start(
        max in 2u32..8, seed in any::<u64>(), steps in steps(true),
    ) {
        let first = seated_game(max, &mut StdRng::seed_from_u64(seed)).view(Viewer::Player(PlayerId(0)));
        let (game, events) = run(max, seed, &steps);
        let mut published = first.commitment;
        for event in &events {
            match event {
                GuessEvent::Won { round, secret, salt, .. } => {
                    prop_assert!(verify_guess(&published, *round, *secret, salt), "round {round}");
                }
                GuessEvent::RoundStarted { commitment, .. } => published = *commitment,
                GuessEvent::Hint { .. } => {}
            }
        }
        prop_assert_eq!(game.view(Viewer::Player(PlayerId(0))).commitment, published);
    }

    #[test]
    fn sum_of_scores_equals_number_of_wins(
        max in 2u32..8, seed in any::<u64>(), steps in steps(false),
    ) {
        let (game, events) = run(max, seed, &steps);
        let total: u64 = game.scores().iter().map(|score| u64::from(score.points)).sum();
        prop_assert_eq!(total, wins(&events) as u64);
    }

    #[test]
    fn rejected_steps_leave_the_state_unchanged(
        max in 2u32..8, seed in any::<u64>(), steps in steps(true),
    ) {
        // `run_step` asserts the state is unchanged after every rejection.
        run(max, seed, &steps);
    }

    #[test]
    fn hints_agree_with_the_secret_that_wins(
        max in 2u32..8, seed in any::<u64>(), steps in steps(false),
    ) {
        let (_, events) = run(max, seed, &steps);
        let mut hints = Vec::new();
        for event in &events {
            match *event {
                GuessEvent::Hint { value, hint, .. } => hints.push((value, hint)),
                GuessEvent::Won { secret, .. } => {
                    prop_assert!(secret < max);
                    prop_assert!(hints.drain(..).all(|(v, h)| hint_holds(v, h, secret)));
                }
                GuessEvent::RoundStarted { .. } => {}
            }
        }
    }

    #[test]
    fn scoreboard_is_sorted_by_points_then_player(
        max in 2u32..8, seed in any::<u64>(), steps in steps(true),
    ) {
        let (game, _) = run(max, seed, &steps);
        let scores = game.scores();
        for pair in scores.windows(2) {
            let key = |i: usize| (std::cmp::Reverse(pair[i].points), pair[i].player);
            prop_assert!(key(0) < key(1));
        }
    }

    #[test]
    fn parse_action_never_panics(text in any::<String>()) {
        let _ = GuessNumber::parse_action(&text);
    }

    #[test]
    fn parse_action_never_panics_on_number_like_text(
        text in "[ \t]*[-+]?[0-9]{0,40}[ ]?(@[-+]?[0-9]{0,40})?[ \t]*",
    ) {
        let _ = GuessNumber::parse_action(&text);
    }

    #[test]
    fn parse_action_reads_back_any_printed_guess(value in any::<i64>(), round in any::<u64>()) {
        let plain = GuessNumber::parse_action(&value.to_string());
        prop_assert_eq!(plain, Ok(GuessAction::Guess { value, round: None }));
        let aimed = GuessNumber::parse_action(&format!("{value} @{round}"));
        prop_assert_eq!(aimed, Ok(GuessAction::Guess { value, round: Some(round) }));
    }

    #[test]
    fn binary_search_wins_within_log2_max_plus_one_guesses(
        max in GuessConfig::MIN_MAX..=GuessConfig::MAX_MAX, seed in any::<u64>(),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut game = seated_game(max, &mut rng);
        let (player, mut low, mut high) = (PlayerId(0), 0u32, max);
        let mut guesses = 0;
        loop {
            let value = low + (high - low) / 2;
            let action = GuessAction::Guess { value: value.into(), round: None };
            guesses += 1;
            match game.apply(player, game.round(), action, Millis::ZERO, &mut rng).unwrap()[0] {
                GuessEvent::Hint { hint: Hint::Higher, .. } => low = value + 1,
                GuessEvent::Hint { hint: Hint::Lower, .. } => high = value,
                _ => break,
            }
        }
        prop_assert!(guesses <= ceil_log2(max) + 1, "{guesses} guesses for max {max}");
    }
}

#[test]
fn ceil_log2_rounds_up() {
    assert_eq!(
        [2, 3, 4, 5, 20, 1 << 20].map(ceil_log2),
        [1, 2, 2, 3, 5, 20]
    );
}
