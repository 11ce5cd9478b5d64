//! Seats and time: when a match starts, the countdown, late arrivals, the turn clock's
//! timeout action, and forfeits.

use super::*;

#[test]
fn a_full_table_starts_at_once_with_five_dice_each() {
    let game = started(&[ANN, BOB]);
    assert_eq!(count_of(&game, ANN), 5);
    assert_eq!(count_of(&game, BOB), 5);
    assert_eq!(game.turn(), Turn::Player(ANN));
    assert!(
        table(&game)
            .seats
            .iter()
            .flat_map(|s| &s.dice)
            .all(|d| (1..=6).contains(d))
    );
}

#[test]
fn two_players_at_a_bigger_table_start_a_countdown() {
    let mut game = LiarsDice::new(&config(4), &mut rng());
    assert!(game.add_player(ANN, T0, &mut rng()).is_empty());
    let events = game.add_player(BOB, T0, &mut rng());
    assert!(matches!(
        events[..],
        [DiceEvent::CountdownStarted { seconds: 15, .. }]
    ));
    assert_eq!(game.deadline(), Some(T0 + Millis::from_secs(15)));
    assert_eq!(game.turn(), Turn::Nobody);
    assert!(game.tick(Millis(15_999), &mut rng()).is_empty());
    let events = game.tick(Millis(16_000), &mut rng());
    assert!(
        matches!(&events[0], DiceEvent::MatchStarted { players, .. } if players == &[ANN, BOB])
    );
    assert_eq!(game.turn(), Turn::Player(ANN));
}

#[test]
fn the_countdown_stops_when_a_player_leaves() {
    let mut game = LiarsDice::new(&config(4), &mut rng());
    game.add_player(ANN, T0, &mut rng());
    game.add_player(BOB, T0, &mut rng());
    let events = game.remove_player(BOB, T0, &mut rng());
    assert!(matches!(events[..], [DiceEvent::CountdownCancelled { .. }]));
    assert_eq!(game.deadline(), None);
}

#[test]
fn a_late_arrival_waits_for_the_next_match() {
    let mut game = started(&[ANN, BOB]);
    assert!(game.add_player(CY, T0, &mut rng()).is_empty());
    assert_eq!(
        refuse(&mut game, CY, bid(1, 2)),
        DiceRejection::NotInMatch { player: CY }
    );
    let view = game.view(Viewer::Player(CY));
    assert_eq!((view.dice, view.waiting), (None, vec![CY]));
}

#[test]
fn timeout_without_a_bid_makes_the_lowest_bid() {
    let mut game = started(&[ANN, BOB]);
    assert!(game.tick(Millis(30_999), &mut rng()).is_empty());
    let events = game.tick(Millis(31_000), &mut rng());
    let lowest = Bid {
        quantity: 1,
        face: 1,
    };
    assert!(
        matches!(events[..], [DiceEvent::Bid { player: ANN, bid, timed_out: true, .. }] if bid == lowest)
    );
}

#[test]
fn timeout_with_a_bid_calls_liar() {
    let mut game = started(&[ANN, BOB]);
    play(&mut game, ANN, bid(2, 2));
    let events = game.tick(Millis(31_000), &mut rng());
    assert!(matches!(
        events[0],
        DiceEvent::Called {
            caller: BOB,
            timed_out: true,
            ..
        }
    ));
}

#[test]
fn a_leaver_on_turn_forfeits_and_the_turn_passes() {
    let mut game = started(&[ANN, BOB, CY]);
    let events = game.remove_player(ANN, Millis(2_000), &mut rng());
    assert_eq!(
        events,
        vec![DiceEvent::Forfeited {
            player: ANN,
            dice_lost: 5,
            next: Some(BOB)
        }]
    );
    assert_eq!(game.turn(), Turn::Player(BOB));
    assert_eq!(game.deadline(), Some(Millis(32_000)));
    assert_eq!(table(&game).dice_total(), 10);
}

#[test]
fn a_leaving_bidder_voids_the_bid_and_a_new_hand_starts() {
    let mut game = started(&[ANN, BOB, CY]);
    play(&mut game, ANN, bid(2, 2));
    let events = game.remove_player(ANN, T0, &mut rng());
    assert!(matches!(
        events[1],
        DiceEvent::HandStarted {
            hand: 2,
            starter: BOB,
            ..
        }
    ));
    assert_eq!(game.view(Viewer::Spectator).bid, None);
}

#[test]
fn the_last_opponent_leaving_gives_the_match_away() {
    let mut game = started(&[ANN, BOB]);
    let events = game.remove_player(BOB, T0, &mut rng());
    assert!(matches!(events[1], DiceEvent::MatchWon { winner: ANN, .. }));
    assert_eq!(game.turn(), Turn::Nobody);
}
