//! [`Games`]: two games as one, so one server hosts several.
//!
//! The server is generic over one `G:` [`Game`]; rather than make it juggle
//! several types, a *game set* is itself a [`Game`] whose state is one
//! member's state, delegating every call to it. Sets nest
//! (`Games<A, Games<B, C>>`), and a server of one game is unaffected.
//!
//! Which member a room plays is chosen when it is made
//! ([`Game::new_game`] by name); a player's typed move is parsed knowing the
//! seat's game ([`Game::parse_action_in`]), since the same text could mean
//! different things in two games.
//!
//! Events, rejections and views serialize *untagged*: each game's JSON is
//! exactly what it is when the game is hosted alone, so a client of one game
//! sees no difference. The state itself (snapshots) is tagged, since it is
//! read back.

use serde::{Deserialize, Serialize};

use crate::{Audience, Game, Millis, Outcome, PlayerId, Render, Score, Turn, Viewer};

/// One of two games: the state of a room of a game set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Games<A, B> {
    /// A room of the first game.
    First(A),
    /// A room of the second game.
    Second(B),
}

/// A value of the first or the second game, serialized as that game's own
/// value (untagged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Either<A, B> {
    /// The first game's.
    First(A),
    /// The second game's.
    Second(B),
}

/// Why a game set refused an action: the member's rejection, or an action of
/// the other game.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[serde(untagged)]
pub enum SetRejection<A, B> {
    /// The first game refused it.
    #[error(transparent)]
    First(A),
    /// The second game refused it.
    #[error(transparent)]
    Second(B),
    /// A move of another game than the room's.
    #[error("that move belongs to another game")]
    OtherGame,
}

/// The set's config: each member's.
pub type GamesConfig<A, B> = (<A as Game>::Config, <B as Game>::Config);

type Events<A, B> = Vec<Either<<A as Game>::Event, <B as Game>::Event>>;

fn first<A: Game, B: Game>(events: Vec<A::Event>) -> Events<A, B> {
    events.into_iter().map(Either::First).collect()
}

fn second<A: Game, B: Game>(events: Vec<B::Event>) -> Events<A, B> {
    events.into_iter().map(Either::Second).collect()
}

impl<A: Game, B: Game> Game for Games<A, B> {
    const NAME: &'static str = A::NAME;

    type Config = GamesConfig<A, B>;
    type Action = Either<A::Action, B::Action>;
    type Event = Either<A::Event, B::Event>;
    type Rejection = SetRejection<A::Rejection, B::Rejection>;
    type View = Either<A::View, B::View>;

    fn games() -> Vec<&'static str> {
        let mut games = A::games();
        games.extend(B::games());
        games
    }

    fn game(&self) -> &'static str {
        match self {
            Games::First(a) => a.game(),
            Games::Second(b) => b.game(),
        }
    }

    fn new(config: &Self::Config, rng: &mut dyn rand::Rng) -> Self {
        Games::First(A::new(&config.0, rng))
    }

    fn new_game(config: &Self::Config, game: &str, rng: &mut dyn rand::Rng) -> Self {
        if !A::games().contains(&game) && B::games().contains(&game) {
            Games::Second(B::new_game(&config.1, game, rng))
        } else {
            Games::First(A::new_game(&config.0, game, rng))
        }
    }

    fn parse_action_in(game: &str, text: &str) -> Result<Self::Action, Self::Rejection> {
        if !A::games().contains(&game) && B::games().contains(&game) {
            B::parse_action_in(game, text)
                .map(Either::Second)
                .map_err(SetRejection::Second)
        } else {
            A::parse_action_in(game, text)
                .map(Either::First)
                .map_err(SetRejection::First)
        }
    }

    fn round(&self) -> u64 {
        match self {
            Games::First(a) => a.round(),
            Games::Second(b) => b.round(),
        }
    }

    fn turn(&self) -> Turn {
        match self {
            Games::First(a) => a.turn(),
            Games::Second(b) => b.turn(),
        }
    }

    fn deadline(&self) -> Option<Millis> {
        match self {
            Games::First(a) => a.deadline(),
            Games::Second(b) => b.deadline(),
        }
    }

    fn add_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.add_player(player, now, rng)),
            Games::Second(b) => second::<A, B>(b.add_player(player, now, rng)),
        }
    }

    fn remove_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.remove_player(player, now, rng)),
            Games::Second(b) => second::<A, B>(b.remove_player(player, now, rng)),
        }
    }

    /// The default game's syntax; the server parses with
    /// [`Game::parse_action_in`], knowing the seat's game.
    fn parse_action(text: &str) -> Result<Self::Action, Self::Rejection> {
        Self::parse_action_in(A::NAME, text)
    }

    fn apply(
        &mut self,
        player: PlayerId,
        seen_round: u64,
        action: Self::Action,
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Result<Vec<Self::Event>, Self::Rejection> {
        match (self, action) {
            (Games::First(a), Either::First(action)) => a
                .apply(player, seen_round, action, now, rng)
                .map(first::<A, B>)
                .map_err(SetRejection::First),
            (Games::Second(b), Either::Second(action)) => b
                .apply(player, seen_round, action, now, rng)
                .map(second::<A, B>)
                .map_err(SetRejection::Second),
            _ => Err(SetRejection::OtherGame),
        }
    }

    fn tick(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.tick(now, rng)),
            Games::Second(b) => second::<A, B>(b.tick(now, rng)),
        }
    }

    fn void_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.void_round(now, rng)),
            Games::Second(b) => second::<A, B>(b.void_round(now, rng)),
        }
    }

    fn skip_round(&mut self, now: Millis, rng: &mut dyn rand::Rng) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.skip_round(now, rng)),
            Games::Second(b) => second::<A, B>(b.skip_round(now, rng)),
        }
    }

    fn credit(&mut self, player: PlayerId, points: u32) {
        match self {
            Games::First(a) => a.credit(player, points),
            Games::Second(b) => b.credit(player, points),
        }
    }

    fn random_action(&self, player: PlayerId, rng: &mut dyn rand::Rng) -> Option<Self::Action> {
        match self {
            Games::First(a) => a.random_action(player, rng).map(Either::First),
            Games::Second(b) => b.random_action(player, rng).map(Either::Second),
        }
    }

    fn scores(&self) -> Vec<Score> {
        match self {
            Games::First(a) => a.scores(),
            Games::Second(b) => b.scores(),
        }
    }

    fn view(&self, viewer: Viewer) -> Self::View {
        match self {
            Games::First(a) => Either::First(a.view(viewer)),
            Games::Second(b) => Either::Second(b.view(viewer)),
        }
    }

    fn seats_for_bots(&self, now: Millis) -> usize {
        match self {
            Games::First(a) => a.seats_for_bots(now),
            Games::Second(b) => b.seats_for_bots(now),
        }
    }

    fn seat_bots(
        &mut self,
        bots: &[PlayerId],
        now: Millis,
        rng: &mut dyn rand::Rng,
    ) -> Vec<Self::Event> {
        match self {
            Games::First(a) => first::<A, B>(a.seat_bots(bots, now, rng)),
            Games::Second(b) => second::<A, B>(b.seat_bots(bots, now, rng)),
        }
    }

    fn bots(&self) -> Vec<PlayerId> {
        match self {
            Games::First(a) => a.bots(),
            Games::Second(b) => b.bots(),
        }
    }

    fn bot_action(
        view: &Self::View,
        bot: PlayerId,
        rng: &mut dyn rand::Rng,
    ) -> Option<Self::Action> {
        match view {
            Either::First(view) => A::bot_action(view, bot, rng).map(Either::First),
            Either::Second(view) => B::bot_action(view, bot, rng).map(Either::Second),
        }
    }

    fn audience(event: &Self::Event) -> Audience {
        match event {
            Either::First(event) => A::audience(event),
            Either::Second(event) => B::audience(event),
        }
    }

    fn outcome(event: &Self::Event) -> Option<Outcome> {
        match event {
            Either::First(event) => A::outcome(event),
            Either::Second(event) => B::outcome(event),
        }
    }

    fn may_decide(&self, action: &Self::Action) -> bool {
        match (self, action) {
            (Games::First(a), Either::First(action)) => a.may_decide(action),
            (Games::Second(b), Either::Second(action)) => b.may_decide(action),
            // Another game's action is refused: it decides nothing.
            _ => false,
        }
    }
}

impl<A: Render, B: Render> Render for Games<A, B> {
    fn intro(&self) -> String {
        match self {
            Games::First(a) => a.intro(),
            Games::Second(b) => b.intro(),
        }
    }

    fn status(&self, viewer: Viewer, now: Millis, names: &dyn Fn(PlayerId) -> String) -> String {
        match self {
            Games::First(a) => a.status(viewer, now, names),
            Games::Second(b) => b.status(viewer, now, names),
        }
    }

    fn describe(
        event: &Self::Event,
        viewer: PlayerId,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        match event {
            Either::First(event) => A::describe(event, viewer, names),
            Either::Second(event) => B::describe(event, viewer, names),
        }
    }

    fn bystander(event: &Self::Event, viewer: PlayerId) -> bool {
        match event {
            Either::First(event) => A::bystander(event, viewer),
            Either::Second(event) => B::bystander(event, viewer),
        }
    }

    fn describe_rejection(
        rejection: &Self::Rejection,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        match rejection {
            SetRejection::First(rejection) => A::describe_rejection(rejection, names),
            SetRejection::Second(rejection) => B::describe_rejection(rejection, names),
            SetRejection::OtherGame => {
                SetRejection::<A::Rejection, B::Rejection>::OtherGame.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiceConfig, GuessConfig, GuessNumber, LiarsDice, match_rng};

    type Both = Games<GuessNumber, LiarsDice>;

    fn config() -> GamesConfig<GuessNumber, LiarsDice> {
        let dice = DiceConfig::new(2, Millis::from_secs(30), Millis::from_secs(15));
        (GuessConfig::default(), dice.unwrap())
    }

    #[test]
    fn names_every_member_and_makes_each_by_name() {
        assert_eq!(Both::games(), vec!["guess", "dice"]);
        let mut rng = match_rng(1);
        assert_eq!(Both::new_game(&config(), "dice", &mut rng).game(), "dice");
        assert_eq!(Both::new_game(&config(), "guess", &mut rng).game(), "guess");
        assert_eq!(Both::new(&config(), &mut rng).game(), "guess");
    }

    #[test]
    fn parses_with_the_seats_game() {
        assert!(matches!(
            Both::parse_action_in("dice", "bid 3 5"),
            Ok(Either::Second(_))
        ));
        assert!(matches!(
            Both::parse_action_in("guess", "7"),
            Ok(Either::First(_))
        ));
        assert!(matches!(
            Both::parse_action_in("guess", "bid 3 5"),
            Err(SetRejection::First(_))
        ));
    }

    #[test]
    fn events_serialize_as_the_game_alone() {
        let mut rng = match_rng(3);
        let mut alone = LiarsDice::new(&config().1, &mut rng);
        let mut rng = match_rng(3);
        let mut set = Both::new_game(&config(), "dice", &mut rng);
        let (mut r1, mut r2) = (match_rng(4), match_rng(4));
        for player in [PlayerId(1), PlayerId(2)] {
            let one = alone.add_player(player, Millis(0), &mut r1);
            let two = set.add_player(player, Millis(0), &mut r2);
            let one = serde_json::to_string(&one).unwrap();
            let two = serde_json::to_string(&two).unwrap();
            assert_eq!(one, two);
        }
        let view = serde_json::to_string(&set.view(Viewer::Spectator)).unwrap();
        assert_eq!(
            view,
            serde_json::to_string(&alone.view(Viewer::Spectator)).unwrap()
        );
    }

    #[test]
    fn refuses_a_move_of_the_other_game() {
        let mut rng = match_rng(5);
        let mut set = Both::new_game(&config(), "dice", &mut rng);
        let Ok(guess) = Both::parse_action_in("guess", "7") else {
            panic!("a guess parses")
        };
        let refused = set.apply(PlayerId(1), 1, guess, Millis(0), &mut rng);
        assert_eq!(refused.unwrap_err(), SetRejection::OtherGame);
    }
}
