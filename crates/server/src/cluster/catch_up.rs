//! A failed-over room whose snapshot is behind its records: caught up before it serves.
//!
//! A room's snapshot is saved in the background after each committed win, so a host killed
//! under load may have committed a few rounds more than its last snapshot holds (found by the
//! kills test: rounds played and recorded twice, under two epochs, with two winners told).
//! Those rounds are decided: their winners were told and PostgreSQL has them, on the
//! leaderboard. The adopter therefore gives each of them its points again on the room's own
//! scoreboard ([`referee_rules::Game::credit`], from the [`referee_store::Credit`] each
//! result was stored with), then skips each of their numbers unplayed
//! ([`referee_rules::Game::skip_round`]: a guess round is voided into the next; a Liar's Dice
//! match ends without a winner and the next match number is dealt — and a table snapshotted
//! while counting down to a match, as it is after every win, counts down to the next number
//! instead: found by `tests/cluster_dice.rs`, where match 2 was dealt, played and recorded a
//! second time on the new host), so that the round voided
//! next (`Resume::Failover`) is the one in play at the death and every new round's number is
//! new: no round or match is played, or recorded, twice.
//!
//! A score belongs to a seat, and the winner of such a round may have sat down after the
//! snapshot: the snapshot has no seat for them, and their points had nowhere to go (their
//! session, asking for its seat back, was told the room holds none). Such a winner is seated
//! first ([`seat_winners`]), as a player connected when the snapshot was taken is: away, held
//! for the reconnect window, taken back (with the points) at their next move. Bots are not
//! (they stand up after their match anyway), nor anyone when the room is full.

use std::collections::BTreeSet;

use referee_cluster::Keeper;
use referee_rules::{Game, Millis, PlayerId, Render};
use referee_store::{CommittedRound, StoredSnapshot};

use crate::ids::{default_name, is_bot};
use crate::room::{RoomSnapshot, SeatSnapshot};

/// The most rounds a failover moves a snapshot on (each one a void of the game's round).
const CATCH_UP_MAX: u64 = 10_000;

/// Brings a failed-over room's `snapshot` (read as `stored`) past the last round committed
/// for it, with those rounds' points. Points that cannot be read back (the database fails
/// now) are left out, said in the log: the room still comes back.
pub(crate) async fn catch_up<G: Render>(
    keeper: &Keeper,
    snapshot: &mut RoomSnapshot<G>,
    stored: &StoredSnapshot,
    claim: &str,
) {
    let Some(last) = stored.last_round else {
        return;
    };
    let in_play = snapshot.state.round();
    if in_play > last {
        return;
    }
    match keeper.rounds_since(claim, stored.epoch, in_play).await {
        Ok(rounds) => {
            let seated = seat_winners(
                &mut snapshot.state,
                &mut snapshot.seats,
                snapshot.capacity,
                snapshot.now,
                &rounds,
            );
            let credited = credit(&mut snapshot.state, &rounds);
            tracing::info!(
                room = claim,
                credited,
                seated,
                "points of rounds committed after the snapshot"
            );
        }
        Err(err) => {
            tracing::warn!(room = claim, %err, "the points of rounds committed after the snapshot are lost to the room's scoreboard");
        }
    }
    past_committed(snapshot, last, claim);
}

/// Seats each winner of a round in `rounds` from the one in play on (the rounds [`credit`]
/// gives) that `seats` has no seat for — they sat down after the snapshot — as a restored
/// seat of a player connected then: away, no deadline carried (held for the reconnect
/// window from the restore), in `game` with no points yet. Not a bot; not past `capacity`,
/// nor where the game seats nobody more. How many were seated.
pub(crate) fn seat_winners<G: Game>(
    game: &mut G,
    seats: &mut Vec<SeatSnapshot>,
    capacity: usize,
    now: Millis,
    rounds: &[CommittedRound],
) -> usize {
    let in_play = game.round();
    let mut rng = rand::rng();
    let mut seated = 0;
    for round in rounds.iter().filter(|round| round.round >= in_play) {
        let Some(credit) = round.credit else {
            continue;
        };
        let player = PlayerId(credit.player);
        if is_bot(player) || seats.iter().any(|seat| seat.player == player) {
            continue;
        }
        if seats.len() >= capacity {
            tracing::info!(%player, "no seat left for a winner who sat down after the snapshot");
            continue;
        }
        let _ = game.add_player(player, now, &mut rng);
        if !game.scores().iter().any(|score| score.player == player) {
            continue;
        }
        seats.push(SeatSnapshot {
            player,
            name: round.winner.clone(),
            // Their win went on the record under that name unless it is the default one.
            named: round.winner != default_name(player),
            feed: false,
            held_until_ms: None,
            reach: None,
        });
        seated += 1;
    }
    seated
}

/// Gives `game` the points of each round in `rounds` it does not hold (its number at or
/// after the round in play), once per round number. How many rounds were handed to it.
pub(crate) fn credit<G: Game>(game: &mut G, rounds: &[CommittedRound]) -> usize {
    let in_play = game.round();
    let mut seen = BTreeSet::new();
    let mut credited = 0;
    for round in rounds {
        let Some(credit) = round.credit else {
            continue;
        };
        if round.round < in_play || !seen.insert(round.round) {
            continue;
        }
        game.credit(PlayerId(credit.player), credit.points);
        credited += 1;
    }
    credited
}

/// Skips each round from the one in play to `last`, unplayed ([`Game::skip_round`]).
fn past_committed<G: Render>(snapshot: &mut RoomSnapshot<G>, last: u64, claim: &str) {
    if snapshot.state.round() > last {
        return;
    }
    let behind = last - snapshot.state.round() + 1;
    tracing::info!(
        room = claim,
        last,
        behind,
        "the snapshot is behind the rounds committed"
    );
    skip_past(&mut snapshot.state, snapshot.now, last, behind);
}

/// Skips `game`'s rounds (at most `behind`, and [`CATCH_UP_MAX`]) until its round in play is
/// past `last`, or a skip no longer moves it.
fn skip_past<G: Game>(game: &mut G, now: Millis, last: u64, behind: u64) {
    let mut rng = rand::rng();
    for _ in 0..behind.min(CATCH_UP_MAX) {
        let before = game.round();
        let _ = game.skip_round(now, &mut rng);
        if game.round() <= before || game.round() > last {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use referee_rules::{DiceConfig, GuessConfig, GuessNumber, LiarsDice, match_rng};
    use referee_store::Credit;

    use super::*;

    fn committed(round: u64, credit: Option<(u64, u32)>) -> CommittedRound {
        CommittedRound {
            round,
            epoch: 1,
            winner: "Ann".into(),
            credit: credit.map(|(player, points)| Credit { player, points }),
        }
    }

    #[test]
    fn each_round_from_the_one_in_play_is_credited_once() {
        let mut rng = match_rng(3);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(PlayerId(1), Millis::ZERO, &mut rng);
        game.add_player(PlayerId(2), Millis::ZERO, &mut rng);
        let _ = game.void_round(Millis::ZERO, &mut rng); // round 2 in play
        let rounds = [
            committed(1, Some((2, 1))), // held by the snapshot already
            committed(2, Some((1, 1))),
            committed(2, Some((2, 1))), // the same number again: not twice
            committed(3, None),         // stored before credits were kept
            committed(4, Some((1, 1))),
        ];
        assert_eq!(credit(&mut game, &rounds), 2);
        let board: Vec<(u64, u32)> = game
            .scores()
            .iter()
            .map(|score| (score.player.0, score.points))
            .collect();
        assert_eq!(board, vec![(1, 2), (2, 0)]);
    }

    fn won_by(round: u64, player: u64, name: &str) -> CommittedRound {
        CommittedRound {
            winner: name.into(),
            ..committed(round, Some((player, 1)))
        }
    }

    fn seat(player: u64, name: &str) -> SeatSnapshot {
        SeatSnapshot {
            player: PlayerId(player),
            name: name.into(),
            named: true,
            feed: true,
            held_until_ms: None,
            reach: None,
        }
    }

    #[test]
    fn a_winner_who_sat_down_after_the_snapshot_is_seated_away_and_credited() {
        let mut rng = match_rng(5);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(PlayerId(1), Millis::ZERO, &mut rng);
        let mut seats = vec![seat(1, "Ann")];
        let bot = crate::ids::bot_id(7, 1);
        let rounds = [
            won_by(1, 2, "Bob"),
            won_by(1, 2, "Bob"), // the same round again: one seat
            won_by(2, bot.0, "Bot 1"),
            won_by(3, 3, "Player 3"),
            won_by(4, 4, "Dee"), // no seat left (three in the room)
        ];
        assert_eq!(
            seat_winners(&mut game, &mut seats, 3, Millis::ZERO, &rounds),
            2
        );
        let unnamed = SeatSnapshot {
            named: false,
            feed: false,
            ..seat(3, "Player 3")
        };
        let bob = SeatSnapshot {
            feed: false,
            ..seat(2, "Bob")
        };
        assert_eq!(seats, vec![seat(1, "Ann"), bob, unnamed]);
        assert_eq!(credit(&mut game, &rounds), 4);
        let board: Vec<(u64, u32)> = game
            .scores()
            .iter()
            .map(|score| (score.player.0, score.points))
            .collect();
        assert_eq!(
            board,
            vec![(2, 1), (3, 1), (1, 0)],
            "Bob's round counted once"
        );
    }

    #[test]
    fn rounds_and_matches_committed_after_the_snapshot_are_skipped_not_played_again() {
        let mut rng = match_rng(4);
        let mut guess = GuessNumber::new(&GuessConfig::default(), &mut rng);
        guess.add_player(PlayerId(1), Millis::ZERO, &mut rng);
        // Rounds 1 to 3 committed: round 4 is the first this host may play.
        skip_past(&mut guess, Millis::ZERO, 3, 3);
        assert_eq!(guess.round(), 4);

        let config = DiceConfig::new(2, Millis::from_secs(30), Millis::from_secs(15))
            .unwrap_or_else(|err| panic!("{err}"));
        let mut dice = LiarsDice::new(&config, &mut rng);
        dice.add_player(PlayerId(1), Millis::ZERO, &mut rng);
        dice.add_player(PlayerId(2), Millis::ZERO, &mut rng);
        assert_eq!(dice.round(), 1, "match 1 in play");
        // Match 1 committed by the dead host: not dealt again, match 2 is.
        skip_past(&mut dice, Millis::ZERO, 1, 1);
        assert_eq!(dice.round(), 2);
        assert!(dice.turn() != referee_rules::Turn::Nobody, "match 2 dealt");
    }
}
