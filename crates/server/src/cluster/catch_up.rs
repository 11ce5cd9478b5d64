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
//! match ends without a winner and the next match number is dealt), so that the round voided
//! next (`Resume::Failover`) is the one in play at the death and every new round's number is
//! new: no round or match is played, or recorded, twice.

use std::collections::BTreeSet;

use referee_cluster::Keeper;
use referee_rules::{Game, Millis, PlayerId, Render};
use referee_store::{CommittedRound, StoredSnapshot};

use crate::room::RoomSnapshot;

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
            let credited = credit(&mut snapshot.state, &rounds);
            tracing::info!(
                room = claim,
                credited,
                "points of rounds committed after the snapshot"
            );
        }
        Err(err) => {
            tracing::warn!(room = claim, %err, "the points of rounds committed after the snapshot are lost to the room's scoreboard");
        }
    }
    past_committed(snapshot, last, claim);
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
