//! Every rule of Liar's Dice on plain values: a seeded RNG, game time as
//! numbers, and dice set by hand where the outcome depends on them.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::*;
use crate::Render;

const ANN: PlayerId = PlayerId(1);
const BOB: PlayerId = PlayerId(2);
const CY: PlayerId = PlayerId(3);
const DEE: PlayerId = PlayerId(4);
const T0: Millis = Millis(1_000);

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(5)
}

fn config(players: u8) -> DiceConfig {
    DiceConfig::new(players, Millis::from_secs(30), Millis::from_secs(15)).unwrap()
}

/// A table of `players.len()` seats, full, so the match has started.
fn started(players: &[PlayerId]) -> LiarsDice {
    let seats = u8::try_from(players.len()).unwrap();
    let mut game = LiarsDice::new(&config(seats), &mut rng());
    for &player in players {
        game.add_player(player, T0, &mut rng());
    }
    assert!(matches!(game.phase, Phase::Playing(_)));
    game
}

fn table(game: &LiarsDice) -> &Table {
    match &game.phase {
        Phase::Playing(table) => table,
        Phase::Waiting { .. } => panic!("no match"),
    }
}

fn table_mut(game: &mut LiarsDice) -> &mut Table {
    match &mut game.phase {
        Phase::Playing(table) => table,
        Phase::Waiting { .. } => panic!("no match"),
    }
}

/// Sets every player's dice (in seat order).
fn set_dice(game: &mut LiarsDice, hands: &[&[u8]]) {
    for (seat, dice) in table_mut(game).seats.iter_mut().zip(hands) {
        seat.dice = dice.to_vec();
    }
}

fn bid(quantity: u32, face: u8) -> DiceAction {
    DiceAction::Bid(Bid { quantity, face })
}

fn play(game: &mut LiarsDice, player: PlayerId, action: DiceAction) -> Vec<DiceEvent> {
    game.apply(player, 1, action, T0, &mut rng()).unwrap()
}

fn refuse(game: &mut LiarsDice, player: PlayerId, action: DiceAction) -> DiceRejection {
    let before = game.clone();
    let rejection = game.apply(player, 1, action, T0, &mut rng()).unwrap_err();
    assert_eq!(*game, before, "a rejection changed the state");
    rejection
}

fn count_of(game: &LiarsDice, player: PlayerId) -> usize {
    table(game).seat(player).map_or(0, |seat| seat.dice.len())
}

fn called(events: &[DiceEvent]) -> (PlayerId, u32) {
    events
        .iter()
        .find_map(|event| match event {
            DiceEvent::Called { loser, count, .. } => Some((*loser, *count)),
            _ => None,
        })
        .unwrap()
}

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
fn nobody_acts_out_of_turn() {
    let mut game = started(&[ANN, BOB]);
    assert_eq!(
        refuse(&mut game, BOB, bid(1, 2)),
        DiceRejection::NotYourTurn { turn: ANN }
    );
    assert_eq!(
        refuse(&mut game, PlayerId(9), bid(1, 2)),
        DiceRejection::NotSeated {
            player: PlayerId(9)
        }
    );
}

#[test]
fn a_bid_passes_the_turn_and_resets_the_clock() {
    let mut game = started(&[ANN, BOB, CY]);
    let events = game
        .apply(ANN, 1, bid(2, 3), Millis(5_000), &mut rng())
        .unwrap();
    assert!(matches!(
        events[..],
        [DiceEvent::Bid {
            next: BOB,
            deadline: Millis(35_000),
            ..
        }]
    ));
    assert_eq!(game.turn(), Turn::Player(BOB));
}

#[test]
fn bids_must_rise() {
    let mut game = started(&[ANN, BOB]);
    play(&mut game, ANN, bid(3, 5));
    let last = Bid {
        quantity: 3,
        face: 5,
    };
    for (quantity, face) in [(3, 5), (3, 4), (2, 6)] {
        let rejection = refuse(&mut game, BOB, bid(quantity, face));
        assert_eq!(
            rejection,
            DiceRejection::NotHigher {
                bid: Bid { quantity, face },
                last
            }
        );
    }
    play(&mut game, BOB, bid(3, 6));
    play(&mut game, ANN, bid(4, 1));
}

#[test]
fn faces_and_quantities_are_checked() {
    let mut game = started(&[ANN, BOB]);
    assert_eq!(
        refuse(&mut game, ANN, bid(1, 7)),
        DiceRejection::BadFace { face: 7 }
    );
    assert_eq!(
        refuse(&mut game, ANN, bid(1, 0)),
        DiceRejection::BadFace { face: 0 }
    );
    assert_eq!(
        refuse(&mut game, ANN, bid(0, 3)),
        DiceRejection::BadQuantity {
            quantity: 0,
            dice: 10
        }
    );
    assert_eq!(
        refuse(&mut game, ANN, bid(11, 3)),
        DiceRejection::BadQuantity {
            quantity: 11,
            dice: 10
        }
    );
}

#[test]
fn liar_needs_a_bid() {
    let mut game = started(&[ANN, BOB]);
    assert_eq!(
        refuse(&mut game, ANN, DiceAction::Liar),
        DiceRejection::NoBidToCall
    );
}

#[test]
fn a_bid_that_holds_costs_the_caller_a_die_and_the_caller_starts() {
    let mut game = started(&[ANN, BOB, CY]);
    set_dice(
        &mut game,
        &[&[5, 5, 1, 2, 3], &[5, 2, 2, 2, 2], &[1, 1, 1, 1, 1]],
    );
    play(&mut game, ANN, bid(3, 5));
    let events = play(&mut game, BOB, DiceAction::Liar);
    assert_eq!(called(&events), (BOB, 3));
    assert_eq!((count_of(&game, ANN), count_of(&game, BOB)), (5, 4));
    assert_eq!(game.turn(), Turn::Player(BOB));
    assert!(events.iter().any(|e| matches!(
        e,
        DiceEvent::HandStarted {
            hand: 2,
            starter: BOB,
            ..
        }
    )));
}

#[test]
fn a_bid_that_fails_costs_the_bidder_a_die_and_ones_are_not_wild() {
    let mut game = started(&[ANN, BOB, CY]);
    set_dice(
        &mut game,
        &[&[5, 5, 1, 2, 3], &[1, 2, 2, 2, 2], &[1, 1, 1, 1, 1]],
    );
    play(&mut game, ANN, bid(3, 5));
    let events = play(&mut game, BOB, DiceAction::Liar);
    assert_eq!(called(&events), (ANN, 2));
    assert_eq!((count_of(&game, ANN), count_of(&game, BOB)), (4, 5));
    assert_eq!(game.turn(), Turn::Player(ANN));
}

#[test]
fn a_call_reveals_every_hand() {
    let mut game = started(&[ANN, BOB]);
    set_dice(&mut game, &[&[6, 6, 6, 6, 6], &[1, 2, 3, 4, 5]]);
    play(&mut game, ANN, bid(1, 6));
    let events = play(&mut game, BOB, DiceAction::Liar);
    let hands = events.iter().find_map(|e| match e {
        DiceEvent::Called { hands, .. } => Some(hands.clone()),
        _ => None,
    });
    let expected = vec![
        Hand {
            player: ANN,
            dice: vec![6, 6, 6, 6, 6],
        },
        Hand {
            player: BOB,
            dice: vec![1, 2, 3, 4, 5],
        },
    ];
    assert_eq!(hands, Some(expected));
}

#[test]
fn an_out_loser_hands_the_start_to_the_next_player_with_dice() {
    let mut game = started(&[ANN, BOB, CY]);
    set_dice(&mut game, &[&[2, 2, 2, 2, 2], &[3], &[4, 4]]);
    table_mut(&mut game).turn = CY;
    play(&mut game, CY, bid(1, 3));
    let events = play(&mut game, ANN, DiceAction::Liar);
    assert_eq!(called(&events).0, ANN);
    set_dice(&mut game, &[&[2, 2, 2, 2], &[6], &[4, 4]]);
    play(&mut game, ANN, bid(3, 6));
    let events = play(&mut game, BOB, DiceAction::Liar);
    assert_eq!(called(&events).0, ANN);
    assert!(!events.iter().any(|e| matches!(e, DiceEvent::Out { .. })));
    // Now Bob bids wrong and is called by Cy: Bob is out, Cy starts next.
    table_mut(&mut game).turn = BOB;
    set_dice(&mut game, &[&[2, 2, 2], &[6], &[4, 4]]);
    play(&mut game, BOB, bid(2, 6));
    let events = play(&mut game, CY, DiceAction::Liar);
    assert!(events.contains(&DiceEvent::Out { player: BOB }));
    assert_eq!(game.turn(), Turn::Player(CY));
    assert_eq!(
        refuse(&mut game, BOB, bid(1, 1)),
        DiceRejection::NotInMatch { player: BOB }
    );
}

#[test]
fn out_players_are_skipped_in_turn() {
    let mut game = started(&[ANN, BOB, CY]);
    set_dice(&mut game, &[&[2, 2], &[], &[4, 4]]);
    play(&mut game, ANN, bid(1, 2));
    assert_eq!(game.turn(), Turn::Player(CY));
}

#[test]
fn the_last_with_dice_wins_the_match_and_it_is_recorded() {
    let mut game = started(&[ANN, BOB]);
    set_dice(&mut game, &[&[2, 2], &[3]]);
    play(&mut game, ANN, bid(1, 2));
    let events = play(&mut game, BOB, DiceAction::Liar);
    let won = events.iter().find_map(LiarsDice::outcome).unwrap();
    assert_eq!((won.round, won.winner, won.moves), (1, ANN, 2));
    assert_eq!(game.round(), 2);
    assert_eq!(
        game.scores()[0],
        Score {
            player: ANN,
            points: 1
        }
    );
    // Both still seated at a full table: the next match starts at once.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DiceEvent::MatchStarted { match_no: 2, .. }))
    );
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

#[test]
fn rolled_dice_reach_their_owner_only() {
    let mut game = LiarsDice::new(&config(2), &mut rng());
    game.add_player(ANN, T0, &mut rng());
    let events = game.add_player(BOB, T0, &mut rng());
    for event in &events {
        if let DiceEvent::Rolled { player, .. } = event {
            assert_eq!(LiarsDice::audience(event), Audience::Player(*player));
        } else {
            assert_eq!(LiarsDice::audience(event), Audience::Everyone);
        }
    }
}

#[test]
fn views_show_own_dice_and_only_counts_of_others() {
    let mut game = started(&[ANN, BOB]);
    set_dice(&mut game, &[&[2, 5, 5, 6, 1], &[3, 3]]);
    let ann = game.view(Viewer::Player(ANN));
    assert_eq!(ann.dice, Some(vec![2, 5, 5, 6, 1]));
    assert_eq!(
        ann.seats[1],
        SeatView {
            player: BOB,
            dice_count: 2
        }
    );
    assert_eq!(game.view(Viewer::Spectator).dice, None);
    let json = serde_json::to_string(&game.view(Viewer::Spectator)).unwrap();
    assert!(
        !json.contains("[2,5,5,6,1]") && !json.contains("[3,3]"),
        "{json}"
    );
}

#[test]
fn status_reads_like_the_issue() {
    let mut game = started(&[ANN, BOB]);
    set_dice(&mut game, &[&[2, 5, 5, 6, 1], &[3, 3]]);
    play(&mut game, ANN, bid(3, 5));
    table_mut(&mut game).turn = ANN;
    let names = |p: PlayerId| {
        if p == ANN {
            "Ann".to_owned()
        } else {
            "Bob".to_owned()
        }
    };
    let status = game.status(Viewer::Player(ANN), Millis(6_000), &names);
    assert_eq!(
        status,
        "Your dice: 2 5 5 6 1 · bid: 3 fives by Ann · your turn (25 s)"
    );
    let status = game.status(Viewer::Spectator, Millis(6_000), &names);
    assert_eq!(
        status,
        "Liar's Dice · match 1 · dice: Ann 5, Bob 2 · bid: 3 fives by Ann · Ann's turn (25 s)"
    );
}

#[test]
fn a_call_reads_with_the_verdict() {
    let event = DiceEvent::Called {
        caller: BOB,
        bidder: ANN,
        bid: Bid {
            quantity: 3,
            face: 5,
        },
        count: 2,
        hands: vec![
            Hand {
                player: ANN,
                dice: vec![5, 5],
            },
            Hand {
                player: BOB,
                dice: vec![1],
            },
        ],
        loser: ANN,
        timed_out: false,
    };
    let names = |p: PlayerId| {
        if p == ANN {
            "Ann".to_owned()
        } else {
            "Bob".to_owned()
        }
    };
    assert_eq!(
        LiarsDice::describe(&event, CY, &names),
        "Bob calls liar on 3 fives by Ann: there are 2 fives (Ann: 5 5 · Bob: 1). The bid fails: Ann loses a die."
    );
    assert_eq!(
        LiarsDice::describe(&event, ANN, &names),
        "Bob calls liar on 3 fives by Ann: there are 2 fives (Ann: 5 5 · Bob: 1). The bid fails: you lose a die."
    );
}

#[test]
fn rejections_read_clearly() {
    let names = |_| "Bob".to_owned();
    let text = LiarsDice::describe_rejection(&DiceRejection::NotYourTurn { turn: BOB }, &names);
    assert_eq!(text, "Not your turn: it is Bob's.");
    let rejection = DiceRejection::NotHigher {
        bid: Bid {
            quantity: 3,
            face: 4,
        },
        last: Bid {
            quantity: 3,
            face: 5,
        },
    };
    assert!(
        LiarsDice::describe_rejection(&rejection, &names)
            .starts_with("3 fours is not higher than 3 fives")
    );
}

#[test]
fn legal_actions_are_exactly_the_accepted_ones() {
    let mut game = started(&[ANN, BOB, CY, DEE]);
    play(&mut game, ANN, bid(19, 4));
    let legal = game.legal_actions(BOB);
    // 19 fives, 19 sixes, 20 × 6 faces, and liar.
    assert_eq!(legal.len(), 2 + 6 + 1);
    for action in legal {
        assert!(
            game.clone().apply(BOB, 1, action, T0, &mut rng()).is_ok(),
            "{action:?}"
        );
    }
    assert!(game.legal_actions(ANN).is_empty());
}

#[test]
fn a_snapshot_round_trips_mid_hand() {
    let mut game = started(&[ANN, BOB, CY]);
    play(&mut game, ANN, bid(2, 3));
    let bytes = crate::Snapshot::new(game.clone()).to_bytes().unwrap();
    let back = crate::Snapshot::<LiarsDice>::from_bytes(&bytes).unwrap();
    assert_eq!(back.state, game);
}

#[test]
fn debug_hides_the_dice() {
    let mut game = started(&[ANN, BOB]);
    set_dice(&mut game, &[&[6, 6, 6, 6, 6], &[6, 6, 6, 6, 6]]);
    assert!(!format!("{game:?}").contains('6'));
}
