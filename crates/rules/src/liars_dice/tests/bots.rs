//! Bots' seats: they sit only as the countdown ends with a human seated,
//! stand up when their match ends, and never stay without a human.

use super::*;

const BOT_A: PlayerId = PlayerId(101);
const BOT_B: PlayerId = PlayerId(102);
const BOT_C: PlayerId = PlayerId(103);

fn with_bots(players: u8) -> LiarsDice {
    LiarsDice::new(&config(players).with_bots(true), &mut rng())
}

/// The time the countdown ends.
fn ends(game: &LiarsDice) -> Millis {
    game.deadline().expect("a countdown")
}

#[test]
fn one_human_starts_the_countdown_when_bots_may_fill() {
    let mut game = with_bots(4);
    let events = game.add_player(ANN, T0, &mut rng());
    assert!(matches!(events[..], [DiceEvent::CountdownStarted { .. }]));
    assert_eq!(game.seats_for_bots(T0), 0, "not before the countdown ends");
    assert_eq!(game.seats_for_bots(ends(&game)), 3);
}

#[test]
fn without_bots_one_player_waits_and_no_seat_is_offered() {
    let mut game = LiarsDice::new(&config(4), &mut rng());
    assert!(game.add_player(ANN, T0, &mut rng()).is_empty());
    assert_eq!(game.seats_for_bots(Millis(u64::MAX)), 0);
    assert_eq!(game.seat_bots(&[BOT_A], Millis(u64::MAX), &mut rng()), []);
}

#[test]
fn bots_fill_the_empty_seats_and_the_match_starts() {
    let mut game = with_bots(4);
    game.add_player(ANN, T0, &mut rng());
    game.add_player(BOB, T0, &mut rng());
    let at = ends(&game);
    let events = game.seat_bots(&[BOT_A, BOT_B, BOT_C], at, &mut rng());
    assert_eq!(
        events[0],
        DiceEvent::BotsSat {
            bots: vec![BOT_A, BOT_B]
        }
    );
    assert!(matches!(&events[1], DiceEvent::MatchStarted { players, .. } if players.len() == 4));
    assert_eq!(game.bots(), [BOT_A, BOT_B]);
    let view = game.view(Viewer::Spectator);
    let bots: Vec<bool> = view.seats.iter().map(|seat| seat.bot).collect();
    assert_eq!(bots, [false, false, true, true]);
}

#[test]
fn bots_stand_up_when_their_match_ends() {
    let mut game = with_bots(2);
    game.add_player(ANN, T0, &mut rng());
    let at = ends(&game);
    game.seat_bots(&[BOT_A], at, &mut rng());
    // Down to one die each: Ann's shows 6, the bot's 2; a bid of 1 six holds.
    set_dice(&mut game, &[&[6], &[2]]);
    let turn = game.turn();
    let Turn::Player(bidder) = turn else { panic!() };
    play(&mut game, bidder, bid(1, 6));
    let caller = if bidder == ANN { BOT_A } else { ANN };
    let events = play(&mut game, caller, DiceAction::Liar);
    assert!(
        events
            .iter()
            .any(|event| matches!(event, DiceEvent::MatchWon { .. }))
    );
    assert!(events.contains(&DiceEvent::BotsLeft { bots: vec![BOT_A] }));
    assert!(game.bots().is_empty());
    assert_eq!(game.seated, [ANN]);
    assert!(game.scores().iter().all(|score| score.player == ANN));
    assert!(
        matches!(events.last(), Some(DiceEvent::CountdownStarted { .. })),
        "Ann alone counts down to the next match with bots"
    );
}

#[test]
fn the_last_human_leaving_takes_the_bots_and_the_match() {
    let mut game = with_bots(3);
    game.add_player(ANN, T0, &mut rng());
    let at = ends(&game);
    game.seat_bots(&[BOT_A, BOT_B], at, &mut rng());
    let events = game.remove_player(ANN, at, &mut rng());
    assert_eq!(
        events,
        [DiceEvent::BotsLeft {
            bots: vec![BOT_A, BOT_B]
        }]
    );
    assert!(game.seated.is_empty() && game.bots().is_empty());
    assert_eq!(game.deadline(), None, "nothing left to time");
    assert_eq!(game.turn(), Turn::Nobody);
}

#[test]
fn a_human_leaving_while_another_stays_forfeits_as_usual() {
    let mut game = with_bots(4);
    game.add_player(ANN, T0, &mut rng());
    game.add_player(BOB, T0, &mut rng());
    let at = ends(&game);
    game.seat_bots(&[BOT_A, BOT_B], at, &mut rng());
    let events = game.remove_player(ANN, at, &mut rng());
    assert!(matches!(
        events[0],
        DiceEvent::Forfeited { player: ANN, .. }
    ));
    assert_eq!(game.bots(), [BOT_A, BOT_B]);
}

/// A match against bots is replayable from its log: the bots' seating is a logged step, and
/// their moves are actions like anyone's.
#[test]
fn a_match_with_bots_replays_from_its_log() {
    use crate::{LogEntry, MatchLog, match_rng, replay, state_hash};

    let config = config(3).with_bots(true);
    let mut log = MatchLog::<LiarsDice>::new(config, 21);
    let mut rng = match_rng(21);
    let mut game = LiarsDice::new(&config, &mut rng);
    let mut step = |game: &mut LiarsDice, entry: LogEntry<DiceAction>, rng: &mut ChaCha8Rng| {
        log.entries.push(entry.clone());
        entry.apply(game, rng).unwrap()
    };
    step(
        &mut game,
        LogEntry::Seat {
            player: ANN,
            at: T0,
        },
        &mut rng,
    );
    let at = ends(&game);
    let bots = vec![BOT_A, BOT_B];
    step(&mut game, LogEntry::SeatBots { bots, at }, &mut rng);
    let mut choices = ChaCha8Rng::seed_from_u64(3);
    loop {
        let Turn::Player(player) = game.turn() else {
            panic!("no turn")
        };
        let view = game.view(Viewer::Player(player));
        let action = LiarsDice::bot_action(&view, player, &mut choices).unwrap();
        let act = LogEntry::Act {
            player,
            seen_round: 1,
            action,
            at,
        };
        let events = step(&mut game, act, &mut rng);
        if events
            .iter()
            .any(|event| matches!(event, DiceEvent::MatchWon { .. }))
        {
            break;
        }
    }
    let replayed = replay(&log).unwrap();
    assert_eq!(state_hash(&replayed).unwrap(), state_hash(&game).unwrap());
    assert!(replayed.bots().is_empty(), "the bots stood up at the end");
}
