//! A round's secret, sealed: the salt and the commitment published when the
//! round starts, so players can check at the win that the secret they were
//! told was fixed before the first guess (see [`crate::commitment`]).

use crate::commitment::{Commitment, Salt, commit_guess};

/// The published half ([`Seal::commitment`]) and the hidden half
/// ([`Seal::salt`], revealed with the win) of one round's commitment.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Seal {
    pub(super) salt: Salt,
    pub(super) commitment: Commitment,
}

impl Seal {
    /// Seals `secret` for `round` with a fresh salt drawn from `rng` right
    /// after the secret, so a seeded game stays reproducible (salts included).
    pub(super) fn new(round: u64, secret: u32, rng: &mut dyn rand::Rng) -> Seal {
        let salt = Salt::draw(rng);
        Seal {
            salt,
            commitment: commit_guess(round, secret, &salt),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use crate::{
        Commitment, Game, GuessAction, GuessConfig, GuessEvent, GuessNumber, PlayerId, verify_guess,
    };

    const ALICE: PlayerId = PlayerId(1);

    /// Alice binary-searches one round; returns the win's round, secret and
    /// salt, and the next round's commitment.
    fn win_a_round(game: &mut GuessNumber, rng: &mut StdRng) -> (GuessEvent, GuessEvent) {
        let (mut low, mut high) = (0, 20);
        loop {
            let value = (low + high) / 2;
            let action = GuessAction::Guess { value, round: None };
            let mut events = game
                .apply(ALICE, game.round(), action, crate::Millis::ZERO, rng)
                .unwrap();
            match events.as_slice() {
                [GuessEvent::Hint { hint, .. }] if *hint == crate::Hint::Higher => low = value + 1,
                [GuessEvent::Hint { .. }] => high = value,
                [_, _] => {
                    let started = events.pop().unwrap();
                    return (events.pop().unwrap(), started);
                }
                other => panic!("unexpected events {other:?}"),
            }
        }
    }

    #[test]
    fn every_rounds_commitment_opens_to_its_revealed_secret() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(ALICE, crate::Millis::ZERO, &mut rng);
        let mut published: Commitment = game.view(crate::Viewer::Player(ALICE)).commitment;
        for expected_round in 1..=30 {
            let (won, started) = win_a_round(&mut game, &mut rng);
            let GuessEvent::Won {
                round,
                secret,
                salt,
                ..
            } = won
            else {
                panic!("not a win: {won:?}")
            };
            assert_eq!(round, expected_round);
            assert!(
                verify_guess(&published, round, secret, &salt),
                "round {round}"
            );
            assert!(!verify_guess(&published, round, secret ^ 1, &salt));
            let GuessEvent::RoundStarted { commitment, .. } = started else {
                panic!("not a round start: {started:?}")
            };
            assert_eq!(
                commitment,
                game.view(crate::Viewer::Player(ALICE)).commitment
            );
            published = commitment;
        }
    }

    #[test]
    fn each_round_gets_a_fresh_salt() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng);
        game.add_player(ALICE, crate::Millis::ZERO, &mut rng);
        let salts: std::collections::BTreeSet<String> = (0..20)
            .map(|_| match win_a_round(&mut game, &mut rng).0 {
                GuessEvent::Won { salt, .. } => salt.to_string(),
                other => panic!("not a win: {other:?}"),
            })
            .collect();
        assert_eq!(salts.len(), 20);
    }

    #[test]
    fn a_seeded_game_publishes_the_same_commitments() {
        let first = |seed| {
            let game = GuessNumber::new(&GuessConfig::default(), &mut StdRng::seed_from_u64(seed));
            game.view(crate::Viewer::Player(ALICE)).commitment
        };
        assert_eq!(first(9), first(9));
        assert_ne!(first(9), first(10));
    }
}
