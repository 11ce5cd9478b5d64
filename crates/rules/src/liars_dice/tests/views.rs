//! What each member is sent: audiences, views, text, snapshots, logs.

use super::*;

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
            dice_count: 2,
            commitment: Some(table(&game).seats[1].commitment),
            bot: false,
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
                salt: crate::Salt::from_bytes([0xaa; 16]),
            },
            Hand {
                player: BOB,
                dice: vec![1],
                salt: crate::Salt::from_bytes([0x0b; 16]),
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
        "Bob calls liar on 3 fives by Ann: there are 2 fives (Ann: 5 5 salt aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa · Bob: 1 salt 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b). The bid fails: Ann loses a die."
    );
    assert_eq!(
        LiarsDice::describe(&event, ANN, &names),
        "Bob calls liar on 3 fives by Ann: there are 2 fives (Ann: 5 5 salt aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa · Bob: 1 salt 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b). The bid fails: you lose a die."
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

#[test]
fn a_hand_line_shows_every_commitment_in_full_and_the_owner_no_salt() {
    let mut game = LiarsDice::new(&config(2), &mut rng());
    game.add_player(ANN, T0, &mut rng());
    let events = game.add_player(BOB, T0, &mut rng());
    let names = |p: PlayerId| if p == ANN { "Ann" } else { "Bob" }.to_owned();
    let seats = table(&game).seats.clone();
    let started = events
        .iter()
        .find(|e| matches!(e, DiceEvent::HandStarted { .. }))
        .unwrap();
    assert_eq!(
        LiarsDice::describe(started, CY, &names),
        format!(
            "Hand 1: Ann starts. Dice: Ann 5, Bob 5. Commitments: Ann #1 {}, Bob #2 {}.",
            seats[0].commitment, seats[1].commitment
        )
    );
    for event in &events {
        let json = serde_json::to_string(event).unwrap();
        for seat in &seats {
            assert!(!json.contains(&seat.salt.to_string()), "{json}");
        }
    }
}
