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

/// Sets every player's dice (in seat order), recommitting to them as if
/// they had been rolled.
fn set_dice(game: &mut LiarsDice, hands: &[&[u8]]) {
    let table = table_mut(game);
    let (match_no, hand) = (table.match_no, table.hand);
    for (seat, dice) in table.seats.iter_mut().zip(hands) {
        seat.dice = dice.to_vec();
        seat.commitment = crate::commit_dice(match_no, hand, seat.player, dice, &seat.salt);
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

mod bots;
mod hands;
mod seats;
mod views;
