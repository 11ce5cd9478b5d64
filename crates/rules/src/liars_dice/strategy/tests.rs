//! The strategy on hand-made views (what it calls, what it raises to) and in
//! whole bot-vs-bot games through the rules (always legal, always ends).

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::*;
use crate::liars_dice::{DiceConfig, LiarsDice, SeatView};
use crate::{Game, Millis, Outcome, Turn, Viewer};

const ME: PlayerId = PlayerId(1);

/// `ME`'s view on its turn: its own dice, the others' counts, a bid.
fn view(own: &[u8], others: &[u32], bid: Option<(u32, u8)>) -> DiceView {
    let seat = |player, dice_count| SeatView {
        player,
        dice_count,
        commitment: None,
        bot: false,
    };
    let mut seats = vec![seat(ME, u32::try_from(own.len()).unwrap())];
    seats.extend(
        (2..)
            .map(PlayerId)
            .zip(others.iter().copied())
            .map(|(p, n)| seat(p, n)),
    );
    DiceView {
        match_no: 1,
        playing: true,
        countdown: None,
        hand: 1,
        seats,
        dice: Some(own.to_vec()),
        bid: bid.map(|(quantity, face)| Bid { quantity, face }),
        bidder: bid.map(|_| PlayerId(2)),
        turn: Some(ME),
        deadline: Some(Millis(30_000)),
        waiting: Vec::new(),
    }
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn does_nothing_out_of_turn_or_without_dice() {
    let mut other_turn = view(&[1, 2, 3], &[3], None);
    other_turn.turn = Some(PlayerId(2));
    assert_eq!(choose(&other_turn, ME, &mut rng(1)), None);
    let mut no_dice = view(&[1, 2, 3], &[3], None);
    no_dice.dice = None;
    assert_eq!(choose(&no_dice, ME, &mut rng(1)), None);
}

#[test]
fn calls_a_bid_far_above_what_it_can_expect() {
    // 12 fives among 15 dice, holding none: about 1.7 expected.
    for seed in 0..50 {
        let view = view(&[1, 2, 3, 4, 6], &[5, 5], Some((12, 5)));
        assert_eq!(choose(&view, ME, &mut rng(seed)), Some(DiceAction::Liar));
    }
}

#[test]
fn raises_on_the_face_it_holds_most_of() {
    // Opening with three sixes in hand: the bid is on sixes.
    for seed in 0..50 {
        let view = view(&[6, 6, 6, 2, 3], &[5], None);
        let Some(DiceAction::Bid(bid)) = choose(&view, ME, &mut rng(seed)) else {
            panic!("no bid");
        };
        assert_eq!(bid.face, 6, "seed {seed}");
    }
}

#[test]
fn calls_when_nothing_is_higher() {
    let view = view(&[1], &[1], Some((2, 6)));
    assert_eq!(choose(&view, ME, &mut rng(3)), Some(DiceAction::Liar));
}

/// Plays a whole match of `players` bots through the rules, checking each
/// move is one of the legal ones; returns the outcome and the moves made.
fn bot_match(players: u8, seed: u64) -> (Outcome, u64) {
    let config = DiceConfig::new(players, Millis::from_secs(30), Millis::ZERO).unwrap();
    let mut rules_rng = rng(seed);
    let mut bot_rng = rng(seed ^ 0xb07);
    let mut game = LiarsDice::new(&config, &mut rules_rng);
    for player in 1..=u64::from(players) {
        game.add_player(PlayerId(player), Millis(0), &mut rules_rng);
    }
    // Each call takes a die; a hand has at most 6 × (dice on the table) bids.
    let bound = u64::from(players) * 5 * (6 * u64::from(players) * 5 + 1);
    for moves in 1..=bound {
        let Turn::Player(player) = game.turn() else {
            panic!("no turn mid-match");
        };
        let view = game.view(Viewer::Player(player));
        let action = choose(&view, player, &mut bot_rng).expect("a bot on its turn acts");
        assert!(
            game.legal_actions(player).contains(&action),
            "{action:?} is not legal"
        );
        let events = game
            .apply(player, 1, action, Millis(0), &mut rules_rng)
            .unwrap();
        if let Some(won) = events.iter().find_map(LiarsDice::outcome) {
            return (won, moves);
        }
    }
    panic!("the match did not end in {bound} moves");
}

#[test]
fn bot_matches_end_with_a_winner() {
    let (won, moves) = bot_match(4, 1);
    assert!((1..=4).contains(&won.winner.0));
    assert_eq!(won.moves, moves);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every action is legal and every bot-vs-bot match ends (checked
    /// inside `bot_match`).
    #[test]
    fn bot_vs_bot_games_always_finish_with_legal_moves(players in 2u8..=6, seed in any::<u64>()) {
        let (won, _) = bot_match(players, seed);
        prop_assert!((1..=u64::from(players)).contains(&won.winner.0));
    }

    /// Whatever the dice and the counts, a bid the bot's own dice already
    /// make true is never called.
    #[test]
    fn never_calls_a_bid_its_own_dice_make_true(
        own in prop::collection::vec(1u8..=6, 1..=5),
        others in prop::collection::vec(1u32..=5, 1..=5),
        pick in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let face = own[pick.index(own.len())];
        let held = u32::try_from(own.iter().filter(|&&die| die == face).count()).unwrap();
        for quantity in 1..=held {
            let view = view(&own, &others, Some((quantity, face)));
            let action = choose(&view, ME, &mut rng(seed));
            prop_assert_ne!(action, Some(DiceAction::Liar));
            prop_assert!(action.is_some());
        }
    }

    /// On any view of its turn, the bot's move is one of the legal ones.
    #[test]
    fn always_chooses_a_legal_action_on_any_view(
        own in prop::collection::vec(1u8..=6, 1..=5),
        others in prop::collection::vec(1u32..=5, 1..=5),
        bid in prop::option::of((1u32..=30, 1u8..=6)),
        seed in any::<u64>(),
    ) {
        let view = view(&own, &others, bid);
        let total: u32 = view.seats.iter().map(|seat| seat.dice_count).sum();
        prop_assume!(bid.is_none_or(|(quantity, _)| quantity <= total));
        let action = choose(&view, ME, &mut rng(seed));
        match action {
            Some(DiceAction::Liar) => prop_assert!(bid.is_some()),
            Some(DiceAction::Bid(raise)) => {
                prop_assert!((1..=6).contains(&raise.face));
                prop_assert!((1..=total).contains(&raise.quantity));
                let last = view.bid;
                prop_assert!(last.is_none_or(|last| raise.beats(last)));
            }
            None => prop_assert!(false, "no action on its turn"),
        }
    }
}
