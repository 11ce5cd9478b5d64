//! Play within a hand: turns, bid ordering, both call outcomes, who starts next, out
//! players, the match's end, and the legal moves.

use super::*;

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
    let seats = table(&game).seats.clone();
    let (ann_salt, bob_salt) = (seats[0].salt, seats[1].salt);
    assert_ne!(ann_salt, bob_salt);
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
            salt: ann_salt,
        },
        Hand {
            player: BOB,
            dice: vec![1, 2, 3, 4, 5],
            salt: bob_salt,
        },
    ];
    assert_eq!(hands, Some(expected.clone()));
    for (hand, seat) in expected.iter().zip(&seats) {
        let opens =
            |dice: &[u8]| crate::verify_dice(&seat.commitment, 1, 1, hand.player, dice, &hand.salt);
        assert!(opens(&hand.dice), "{:?}", hand.player);
        assert!(!opens(&[1, 1, 1, 1, 1]));
    }
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
fn a_voided_hand_is_dealt_again_with_the_same_dice_counts_and_starter() {
    let mut game = started(&[ANN, BOB]);
    game.apply(ANN, 1, bid(2, 3), Millis(5_000), &mut rng())
        .unwrap();
    let before = table(&game).clone();
    let events = game.void_round(Millis(9_000), &mut ChaCha8Rng::seed_from_u64(77));
    let after = table(&game);
    assert!(matches!(
        events[0],
        DiceEvent::HandStarted {
            hand: 2,
            starter: BOB,
            deadline: Millis(39_000),
            ..
        }
    ));
    assert_eq!((after.hand, after.bid, after.turn), (2, None, BOB));
    for (old, new) in before.seats.iter().zip(&after.seats) {
        assert_eq!(old.dice.len(), new.dice.len());
        assert_ne!(old.commitment, new.commitment);
    }
    assert_eq!(game.round(), 1, "the same match");
}

#[test]
fn between_matches_there_is_nothing_to_void() {
    let mut game = LiarsDice::new(&config(3), &mut rng());
    game.add_player(ANN, T0, &mut rng());
    let before = game.clone();
    assert!(game.void_round(T0, &mut rng()).is_empty());
    assert_eq!(game, before);
}

#[test]
fn a_match_recorded_on_an_earlier_host_is_skipped_unplayed_and_credited() {
    let mut game = started(&[ANN, BOB]);
    game.apply(ANN, 1, bid(2, 3), Millis(5_000), &mut rng())
        .unwrap();
    let events = game.skip_round(Millis(9_000), &mut rng());
    // Match 1 ends without a winner here, and the full table is dealt match 2 at once.
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, DiceEvent::MatchWon { .. })),
        "{events:?}"
    );
    assert_eq!(game.round(), 2, "the next match number");
    assert_eq!(table(&game).bid, None);
    // Its win comes through credit: the seated winner only.
    game.credit(BOB, 1);
    game.credit(CY, 1);
    let board: Vec<(PlayerId, u32)> = game
        .scores()
        .iter()
        .map(|score| (score.player, score.points))
        .collect();
    assert_eq!(board, vec![(BOB, 1), (ANN, 0)]);
}

#[test]
fn a_match_recorded_on_an_earlier_host_while_this_table_counted_down_to_it_is_passed() {
    // A snapshot taken during a countdown (as after a win): two of three seated.
    let mut waiting = LiarsDice::new(&config(3), &mut rng());
    waiting.add_player(ANN, T0, &mut rng());
    waiting.add_player(BOB, T0, &mut rng());
    let countdown = waiting.deadline();
    assert!(countdown.is_some());
    assert_eq!(waiting.round(), 1, "match 1 counted down to");
    // That match was dealt, played and recorded on the dead host: it is not dealt again
    // here. The next number is counted down to, on the same clock.
    let events = waiting.skip_round(Millis(1_000), &mut rng());
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(waiting.round(), 2, "the next match number");
    assert_eq!(waiting.deadline(), countdown);
    assert_eq!(
        waiting.turn(),
        Turn::Nobody,
        "nothing dealt before the countdown ends"
    );
    let dealt = waiting.tick(countdown.unwrap(), &mut rng());
    assert!(
        dealt
            .iter()
            .any(|event| matches!(event, DiceEvent::MatchStarted { match_no: 2, .. })),
        "{dealt:?}"
    );
}
