//! Guess-the-number, the founding game: the room holds a secret in
//! `0..max`, players guess, each wrong guess gets a higher/lower hint, and the
//! first right guess wins the round (one point) and starts the next round
//! with a fresh secret.
//!
//! Players guess concurrently, so a guess can arrive after someone else won
//! the round the player was looking at. Each guess therefore names a round
//! (explicitly, or the one the connection last showed the player), and a
//! guess for a finished round is rejected as "another player won in the
//! meantime" instead of counting against the new secret.

mod action;
mod config;
mod event;
mod rejection;
mod render;
mod seal;
mod view;
mod winners;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use rand::RngExt;
use serde::{Deserialize, Serialize};

pub use action::GuessAction;
pub use config::{ConfigError, GuessConfig};
pub use event::{GuessEvent, Hint};
pub use rejection::GuessRejection;
pub use view::GuessView;

use crate::{Audience, Game, Millis, Outcome, PlayerId, Score, Turn, Viewer};
use seal::Seal;
use winners::RecentWinners;

/// The state of one guess-the-number room.
///
/// `Clone` and `PartialEq` let callers snapshot and compare states (the
/// tests check that a rejection changes nothing); `Debug` leaves the secret
/// and its salt out so they never land in a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuessNumber {
    config: GuessConfig,
    round: u64,
    secret: u32,
    /// The secret's salt and published commitment (`seal.rs`).
    seal: Seal,
    /// Guesses that counted this round, by everyone; reported on a win.
    guesses_this_round: u64,
    /// Every seated player's points; a `BTreeMap` keeps equality and
    /// iteration order independent of seating order.
    scores: BTreeMap<PlayerId, u32>,
    /// Lets a late guess be told who won the round it was aimed at.
    winners: RecentWinners,
}

impl fmt::Debug for GuessNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuessNumber")
            .field("config", &self.config)
            .field("round", &self.round)
            .field("guesses_this_round", &self.guesses_this_round)
            .field("scores", &self.scores)
            .finish_non_exhaustive()
    }
}

impl GuessNumber {
    /// The config this room was created with.
    pub fn config(&self) -> &GuessConfig {
        &self.config
    }

    /// Checks a guess against every rule without changing anything; the
    /// order of checks decides which rejection a player sees.
    fn check(&self, player: PlayerId, round: u64, value: i64) -> Result<u32, GuessRejection> {
        self.check_seated(player)?;
        self.check_round(round)?;
        self.check_range(value)
    }

    fn check_seated(&self, player: PlayerId) -> Result<(), GuessRejection> {
        if self.scores.contains_key(&player) {
            Ok(())
        } else {
            Err(GuessRejection::NotSeated { player })
        }
    }

    fn check_round(&self, round: u64) -> Result<(), GuessRejection> {
        if round == 0 {
            return Err(GuessRejection::NoSuchRound { round });
        }
        let current = self.round;
        match round.cmp(&current) {
            Ordering::Equal => Ok(()),
            Ordering::Less => Err(GuessRejection::AlreadyWon {
                round,
                winner: self.winners.winner_of(round),
            }),
            Ordering::Greater => Err(GuessRejection::FutureRound { round, current }),
        }
    }

    fn check_range(&self, value: i64) -> Result<u32, GuessRejection> {
        let max = self.config.max();
        u32::try_from(value)
            .ok()
            .filter(|value| *value < max)
            .ok_or(GuessRejection::OutOfRange { value, max })
    }

    /// Counts a valid guess and compares it with the secret.
    fn judge(&mut self, player: PlayerId, value: u32, rng: &mut dyn rand::Rng) -> Vec<GuessEvent> {
        self.guesses_this_round = self.guesses_this_round.saturating_add(1);
        match self.secret.cmp(&value) {
            Ordering::Greater => vec![self.hint(player, value, Hint::Higher)],
            Ordering::Less => vec![self.hint(player, value, Hint::Lower)],
            Ordering::Equal => self.win(player, rng),
        }
    }

    fn hint(&self, player: PlayerId, value: u32, hint: Hint) -> GuessEvent {
        GuessEvent::Hint {
            round: self.round,
            player,
            value,
            hint,
        }
    }

    fn win(&mut self, player: PlayerId, rng: &mut dyn rand::Rng) -> Vec<GuessEvent> {
        let won = GuessEvent::Won {
            round: self.round,
            player,
            secret: self.secret,
            salt: self.seal.salt,
            guesses: self.guesses_this_round,
            points: self.award(player),
        };
        self.winners.record(self.round, player);
        self.start_next_round(rng);
        let started = GuessEvent::RoundStarted {
            round: self.round,
            max: self.config.max(),
            commitment: self.seal.commitment,
        };
        vec![won, started]
    }

    /// Gives `player` one point and returns their new score.
    fn award(&mut self, player: PlayerId) -> u32 {
        let points = self.scores.entry(player).or_insert(0);
        *points = points.saturating_add(1);
        *points
    }

    fn start_next_round(&mut self, rng: &mut dyn rand::Rng) {
        self.round += 1;
        self.secret = draw_secret(&self.config, rng);
        self.seal = Seal::new(self.round, self.secret, rng);
        self.guesses_this_round = 0;
    }
}

/// A secret drawn uniformly from `0..max` (never empty: configs are
/// validated).
fn draw_secret(config: &GuessConfig, rng: &mut dyn rand::Rng) -> u32 {
    rng.random_range(0..config.max())
}

impl Game for GuessNumber {
    const NAME: &'static str = "guess";

    type Config = GuessConfig;
    type Action = GuessAction;
    type Event = GuessEvent;
    type Rejection = GuessRejection;
    type View = GuessView;

    fn new(config: &GuessConfig, rng: &mut dyn rand::Rng) -> Self {
        let secret = draw_secret(config, rng);
        GuessNumber {
            config: *config,
            round: 1,
            secret,
            seal: Seal::new(1, secret, rng),
            guesses_this_round: 0,
            scores: BTreeMap::new(),
            winners: RecentWinners::default(),
        }
    }

    /// The round in play ends unwon (its secret never told) and the next one starts.
    fn void_round(&mut self, _now: Millis, rng: &mut dyn rand::Rng) -> Vec<GuessEvent> {
        self.start_next_round(rng);
        vec![GuessEvent::RoundStarted {
            round: self.round,
            max: self.config.max(),
            commitment: self.seal.commitment,
        }]
    }

    /// Points added to a seated player's score (a round won and recorded after the snapshot
    /// this state came from).
    fn credit(&mut self, player: PlayerId, points: u32) {
        if let Some(score) = self.scores.get_mut(&player) {
            *score = score.saturating_add(points);
        }
    }

    fn round(&self) -> u64 {
        self.round
    }

    /// A race: every seated player may guess at any time.
    fn turn(&self) -> Turn {
        Turn::Everyone
    }

    fn add_player(
        &mut self,
        player: PlayerId,
        _now: Millis,
        _rng: &mut dyn rand::Rng,
    ) -> Vec<GuessEvent> {
        self.scores.entry(player).or_insert(0);
        Vec::new()
    }

    fn remove_player(
        &mut self,
        player: PlayerId,
        _now: Millis,
        _rng: &mut dyn rand::Rng,
    ) -> Vec<GuessEvent> {
        self.scores.remove(&player);
        Vec::new()
    }

    fn parse_action(text: &str) -> Result<GuessAction, GuessRejection> {
        action::parse(text)
    }

    fn apply(
        &mut self,
        player: PlayerId,
        seen_round: u64,
        action: GuessAction,
        _now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<GuessEvent>, GuessRejection> {
        let GuessAction::Guess { value, round } = action;
        let value = self.check(player, round.unwrap_or(seen_round), value)?;
        Ok(self.judge(player, value, rng))
    }

    /// Any number in range, for the current round; `None` if not seated.
    fn random_action(&self, player: PlayerId, rng: &mut dyn rand::Rng) -> Option<GuessAction> {
        self.check_seated(player).ok()?;
        Some(GuessAction::Guess {
            value: draw_secret(&self.config, rng).into(),
            round: Some(self.round),
        })
    }

    fn scores(&self) -> Vec<Score> {
        Score::board(&self.scores)
    }

    fn view(&self, viewer: Viewer) -> GuessView {
        let points = viewer.player().and_then(|player| self.scores.get(&player));
        GuessView {
            round: self.round,
            max: self.config.max(),
            points: points.copied().unwrap_or(0),
            guesses_this_round: self.guesses_this_round,
            commitment: self.seal.commitment,
        }
    }

    fn audience(event: &GuessEvent) -> Audience {
        match event {
            GuessEvent::Hint { player, .. } => Audience::Feed(*player),
            GuessEvent::Won { .. } | GuessEvent::RoundStarted { .. } => Audience::Everyone,
        }
    }

    /// Only the secret itself can win the round.
    fn may_decide(&self, action: &GuessAction) -> bool {
        let GuessAction::Guess { value, .. } = action;
        *value == i64::from(self.secret)
    }

    fn outcome(event: &GuessEvent) -> Option<Outcome> {
        match event {
            GuessEvent::Won {
                round,
                player,
                guesses,
                ..
            } => Some(Outcome {
                round: *round,
                winner: *player,
                moves: *guesses,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const ALICE: PlayerId = PlayerId(1);
    const BOB: PlayerId = PlayerId(2);
    const STRANGER: PlayerId = PlayerId(99);
    const SECRET: u32 = 7;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(42)
    }

    /// Round 1 of a 0..20 game with a known secret, Alice and Bob seated.
    fn game() -> GuessNumber {
        let mut game = GuessNumber::new(&GuessConfig::default(), &mut rng());
        game.secret = SECRET;
        game.seal = Seal::new(1, SECRET, &mut rng());
        game.add_player(ALICE, Millis::ZERO, &mut rng());
        game.add_player(BOB, Millis::ZERO, &mut rng());
        game
    }

    /// `may_decide` is certain when it says no: of every value a player may send, the only
    /// one that wins is the one it lets through.
    #[test]
    fn only_the_secret_may_decide_the_round() {
        let game = game();
        for value in -3..=25 {
            let mut tried = game.clone();
            let events = tried
                .apply(ALICE, 1, guess(value), Millis::ZERO, &mut rng())
                .unwrap_or_default();
            let decided = events.iter().any(|e| GuessNumber::outcome(e).is_some());
            let may = game.may_decide(&guess(value));
            assert!(!decided || may, "{value} decided the round unannounced");
            assert_eq!(may, value == i64::from(SECRET), "{value}");
        }
    }

    fn guess(value: i64) -> GuessAction {
        GuessAction::Guess { value, round: None }
    }

    fn play(game: &mut GuessNumber, player: PlayerId, value: i64) -> Vec<GuessEvent> {
        let round = game.round();
        game.apply(player, round, guess(value), Millis::ZERO, &mut rng())
            .unwrap()
    }

    fn reject(game: &mut GuessNumber, player: PlayerId, seen: u64, value: i64) -> GuessRejection {
        game.apply(player, seen, guess(value), Millis::ZERO, &mut rng())
            .unwrap_err()
    }

    /// Alice wins `rounds` rounds in a row.
    fn win_rounds(game: &mut GuessNumber, rounds: u64) {
        for _ in 0..rounds {
            let secret = game.secret;
            play(game, ALICE, secret.into());
        }
    }

    #[test]
    fn a_voided_round_is_won_by_nobody_and_the_next_has_a_new_commitment() {
        let mut game = game();
        game.apply(ALICE, 1, guess(SECRET.into()), Millis::ZERO, &mut rng())
            .unwrap();
        game.apply(BOB, 2, guess(0), Millis::ZERO, &mut rng())
            .unwrap();
        let before = game.seal.commitment;
        let events = game.void_round(Millis::ZERO, &mut StdRng::seed_from_u64(9));
        assert!(matches!(
            events[..],
            [GuessEvent::RoundStarted { round: 3, commitment, .. }] if commitment != before
        ));
        assert_eq!(game.guesses_this_round, 0);
        assert_eq!(game.scores[&ALICE], 1, "the finished round's point is kept");
        assert!(
            events
                .iter()
                .all(|event| GuessNumber::outcome(event).is_none())
        );
    }

    #[test]
    fn a_credit_adds_points_to_a_seated_player_only_and_reorders_the_board() {
        let mut game = game();
        play(&mut game, BOB, SECRET.into());
        let round = game.round;
        game.credit(ALICE, 2);
        game.credit(STRANGER, 5);
        assert_eq!(game.scores[&ALICE], 2);
        assert_eq!(game.scores[&BOB], 1);
        assert!(!game.scores.contains_key(&STRANGER), "not seated: nothing");
        assert_eq!(game.scores()[0].player, ALICE);
        assert_eq!(game.round, round, "only the scoreboard moves");
        game.credit(ALICE, u32::MAX);
        assert_eq!(game.scores[&ALICE], u32::MAX);
    }

    #[test]
    fn new_game_starts_at_round_one() {
        assert_eq!(
            GuessNumber::new(&GuessConfig::default(), &mut rng()).round(),
            1
        );
    }

    #[test]
    fn new_game_has_no_players() {
        assert!(
            GuessNumber::new(&GuessConfig::default(), &mut rng())
                .scores()
                .is_empty()
        );
    }

    #[test]
    fn new_game_secret_is_within_range() {
        let config = GuessConfig::new(3).unwrap();
        for seed in 0..200 {
            let game = GuessNumber::new(&config, &mut StdRng::seed_from_u64(seed));
            assert!(game.secret < 3);
        }
    }

    #[test]
    fn every_secret_can_be_drawn() {
        let config = GuessConfig::new(4).unwrap();
        let mut rng = rng();
        let mut seen = [false; 4];
        for _ in 0..200 {
            seen[GuessNumber::new(&config, &mut rng).secret as usize] = true;
        }
        assert_eq!(seen, [true; 4]);
    }

    #[test]
    fn added_player_starts_with_zero_points() {
        assert_eq!(game().view(Viewer::Player(ALICE)).points, 0);
    }

    #[test]
    fn adding_a_seated_player_keeps_their_score() {
        let mut game = game();
        play(&mut game, ALICE, SECRET.into());
        game.add_player(ALICE, Millis::ZERO, &mut rng());
        assert_eq!(game.view(Viewer::Player(ALICE)).points, 1);
    }

    #[test]
    fn removing_a_player_forgets_their_score() {
        let mut game = game();
        play(&mut game, ALICE, SECRET.into());
        game.remove_player(ALICE, Millis::ZERO, &mut rng());
        game.add_player(ALICE, Millis::ZERO, &mut rng());
        assert_eq!(game.view(Viewer::Player(ALICE)).points, 0);
    }

    #[test]
    fn removed_player_leaves_the_scoreboard() {
        let mut game = game();
        game.remove_player(ALICE, Millis::ZERO, &mut rng());
        assert_eq!(
            game.scores(),
            vec![Score {
                player: BOB,
                points: 0
            }]
        );
    }

    #[test]
    fn removing_an_unknown_player_is_a_no_op() {
        let mut game = game();
        let before = game.clone();
        game.remove_player(STRANGER, Millis::ZERO, &mut rng());
        assert_eq!(game, before);
    }

    #[test]
    fn low_guess_hints_higher() {
        let events = play(&mut game(), ALICE, 3);
        let hint = GuessEvent::Hint {
            round: 1,
            player: ALICE,
            value: 3,
            hint: Hint::Higher,
        };
        assert_eq!(events, vec![hint]);
    }

    #[test]
    fn high_guess_hints_lower() {
        let events = play(&mut game(), BOB, 12);
        let hint = GuessEvent::Hint {
            round: 1,
            player: BOB,
            value: 12,
            hint: Hint::Lower,
        };
        assert_eq!(events, vec![hint]);
    }

    #[test]
    fn wrong_guess_counts_toward_the_round() {
        let mut game = game();
        play(&mut game, ALICE, 3);
        assert_eq!(game.view(Viewer::Player(BOB)).guesses_this_round, 1);
    }

    #[test]
    fn first_correct_guess_wins_and_starts_next_round() {
        let mut game = game();
        let salt = game.seal.salt;
        let events = play(&mut game, ALICE, SECRET.into());
        let won = GuessEvent::Won {
            round: 1,
            player: ALICE,
            secret: SECRET,
            salt,
            guesses: 1,
            points: 1,
        };
        let commitment = game.seal.commitment;
        let started = GuessEvent::RoundStarted {
            round: 2,
            max: 20,
            commitment,
        };
        assert_eq!(events, vec![won, started]);
        assert_eq!(game.round(), 2);
    }

    #[test]
    fn win_counts_every_guess_of_the_round() {
        let mut game = game();
        play(&mut game, ALICE, 1);
        play(&mut game, BOB, 2);
        let events = play(&mut game, BOB, SECRET.into());
        assert!(matches!(events[0], GuessEvent::Won { guesses: 3, .. }));
    }

    #[test]
    fn wins_accumulate_points() {
        let mut game = game();
        win_rounds(&mut game, 3);
        assert_eq!(game.view(Viewer::Player(ALICE)).points, 3);
    }

    #[test]
    fn new_round_resets_the_guess_counter() {
        let mut game = game();
        play(&mut game, BOB, 1);
        win_rounds(&mut game, 1);
        assert_eq!(game.view(Viewer::Player(ALICE)).guesses_this_round, 0);
    }

    #[test]
    fn new_round_secret_is_within_range() {
        let mut game = game();
        win_rounds(&mut game, 50);
        assert!(game.secret < 20);
    }

    #[test]
    fn second_correct_guess_for_the_same_round_is_rejected() {
        let mut game = game();
        play(&mut game, ALICE, SECRET.into());
        let rejection = reject(&mut game, BOB, 1, SECRET.into());
        assert_eq!(
            rejection,
            GuessRejection::AlreadyWon {
                round: 1,
                winner: Some(ALICE)
            }
        );
    }

    #[test]
    fn guess_for_a_won_round_is_rejected_as_meantime() {
        let mut game = game();
        win_rounds(&mut game, 2);
        let rejection = reject(&mut game, BOB, 2, 5);
        assert_eq!(
            rejection,
            GuessRejection::AlreadyWon {
                round: 2,
                winner: Some(ALICE)
            }
        );
    }

    #[test]
    fn guess_for_a_long_past_round_has_an_unknown_winner() {
        let mut game = game();
        win_rounds(&mut game, 70);
        let rejection = reject(&mut game, BOB, 3, 5);
        assert_eq!(
            rejection,
            GuessRejection::AlreadyWon {
                round: 3,
                winner: None
            }
        );
    }

    #[test]
    fn guess_for_a_future_round_is_rejected() {
        let rejection = reject(&mut game(), ALICE, 5, 3);
        assert_eq!(
            rejection,
            GuessRejection::FutureRound {
                round: 5,
                current: 1
            }
        );
    }

    #[test]
    fn round_zero_never_existed_even_after_rounds_were_won() {
        let mut game = game();
        assert_eq!(
            reject(&mut game, ALICE, 0, 3),
            GuessRejection::NoSuchRound { round: 0 }
        );
        win_rounds(&mut game, 2);
        assert_eq!(
            reject(&mut game, BOB, 0, 3),
            GuessRejection::NoSuchRound { round: 0 }
        );
    }

    #[test]
    fn explicit_round_overrides_seen_round() {
        let mut game = game();
        let action = GuessAction::Guess {
            value: 3,
            round: Some(1),
        };
        assert!(
            game.apply(ALICE, 9, action, Millis::ZERO, &mut rng())
                .is_ok()
        );
    }

    #[test]
    fn stale_explicit_round_is_rejected_even_if_seen_round_is_current() {
        let mut game = game();
        win_rounds(&mut game, 1);
        let action = GuessAction::Guess {
            value: 3,
            round: Some(1),
        };
        let rejection = game
            .apply(BOB, 2, action, Millis::ZERO, &mut rng())
            .unwrap_err();
        assert!(matches!(
            rejection,
            GuessRejection::AlreadyWon { round: 1, .. }
        ));
    }

    #[test]
    fn out_of_range_is_rejected() {
        for value in [20, -1, i64::MAX, i64::MIN, i64::from(u32::MAX) + 1] {
            let rejection = reject(&mut game(), ALICE, 1, value);
            assert_eq!(rejection, GuessRejection::OutOfRange { value, max: 20 });
        }
    }

    #[test]
    fn range_bounds_are_valid_guesses() {
        let mut game = game();
        assert!(
            game.apply(ALICE, 1, guess(0), Millis::ZERO, &mut rng())
                .is_ok()
        );
        assert!(
            game.apply(ALICE, 1, guess(19), Millis::ZERO, &mut rng())
                .is_ok()
        );
    }

    #[test]
    fn unseated_player_is_rejected() {
        let rejection = reject(&mut game(), STRANGER, 1, 3);
        assert_eq!(rejection, GuessRejection::NotSeated { player: STRANGER });
    }

    #[test]
    fn seating_is_checked_before_the_round() {
        let rejection = reject(&mut game(), STRANGER, 9, 3);
        assert!(matches!(rejection, GuessRejection::NotSeated { .. }));
    }

    #[test]
    fn round_is_checked_before_the_range() {
        let rejection = reject(&mut game(), ALICE, 9, 300);
        assert!(matches!(rejection, GuessRejection::FutureRound { .. }));
    }

    #[test]
    fn rejection_leaves_state_unchanged() {
        let mut game = game();
        play(&mut game, BOB, 2);
        let before = game.clone();
        reject(&mut game, ALICE, 1, 300);
        reject(&mut game, ALICE, 0, 3);
        reject(&mut game, STRANGER, 1, SECRET.into());
        assert_eq!(game, before);
    }

    #[test]
    fn scores_sort_by_points_then_player_id() {
        let mut game = game();
        game.add_player(PlayerId(0), Millis::ZERO, &mut rng());
        play(&mut game, BOB, SECRET.into());
        let ids: Vec<PlayerId> = game.scores().iter().map(|score| score.player).collect();
        assert_eq!(ids, vec![BOB, PlayerId(0), ALICE]);
    }

    #[test]
    fn view_shows_own_points_and_everyones_guesses() {
        let mut game = game();
        play(&mut game, BOB, 1);
        play(&mut game, ALICE, SECRET.into());
        play(&mut game, BOB, 1);
        let view = GuessView {
            round: 2,
            max: 20,
            points: 1,
            guesses_this_round: 1,
            commitment: game.seal.commitment,
        };
        assert_eq!(game.view(Viewer::Player(ALICE)), view);
    }

    #[test]
    fn view_of_an_unseated_player_has_zero_points() {
        assert_eq!(game().view(Viewer::Player(STRANGER)).points, 0);
    }

    #[test]
    fn hints_go_to_the_feed_of_the_guesser() {
        let hint = GuessEvent::Hint {
            round: 1,
            player: BOB,
            value: 3,
            hint: Hint::Higher,
        };
        assert_eq!(GuessNumber::audience(&hint), Audience::Feed(BOB));
    }

    #[test]
    fn wins_and_round_starts_go_to_everyone() {
        for event in play(&mut game(), ALICE, SECRET.into()) {
            assert_eq!(GuessNumber::audience(&event), Audience::Everyone);
        }
    }

    #[test]
    fn round_won_reports_only_wins() {
        let events = play(&mut game(), BOB, SECRET.into());
        let won: Vec<_> = events.iter().map(GuessNumber::outcome).collect();
        let bob_won = Outcome {
            round: 1,
            winner: BOB,
            moves: 1,
        };
        assert_eq!(won, vec![Some(bob_won), None]);
    }

    #[test]
    fn round_won_ignores_hints() {
        let hint = GuessEvent::Hint {
            round: 1,
            player: BOB,
            value: 3,
            hint: Hint::Lower,
        };
        assert_eq!(GuessNumber::outcome(&hint), None);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let mut game = game();
        game.secret = 123_456;
        let debug = format!("{game:?}");
        let salt = game.seal.salt.to_string();
        assert!(
            !debug.contains("123456") && !debug.contains("secret") && !debug.contains(&salt),
            "{debug}"
        );
    }
}
