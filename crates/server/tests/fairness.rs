//! Proof that the race is fair: a few hundred bots play many rounds, every request and every
//! reply is logged in the order each bot saw it, and the fairness checker
//! (`referee_fairness`) reads the logs together. It must find nothing on the real
//! referee — and it must catch a referee broken on purpose.

mod common;

use common::{Client, TestServer, honest, room_of};
use rand::Rng;
use referee_fairness::{self as fairness, Log, Violation};
use referee_rules::{
    Audience, Game, GuessAction, GuessConfig, GuessEvent, GuessNumber, GuessRejection, GuessView,
    Millis, Outcome, PlayerId, Render, Salt, Score, Turn, Viewer,
};
use referee_server::{RateLimit, Server, ServerConfig};
use tokio::sync::oneshot;

const ROUNDS: u64 = 5;

/// Seats `bots` players, plays `ROUNDS` rounds in every room, then collects the scoreboards.
async fn play_and_log(addr: std::net::SocketAddr, bots: usize) -> Vec<Log> {
    let mut seated = Vec::with_capacity(bots);
    for _ in 0..bots {
        let mut client = Client::connect(addr).await;
        let (id, seat) = client.greeting().await;
        seated.push((client, format!("Player {id}"), room_of(&seat)));
    }
    let games: Vec<_> = seated
        .into_iter()
        .map(|(mut client, name, room)| {
            tokio::spawn(async move {
                let log = honest::play(&mut client, &name, room, ROUNDS, 20).await;
                (client, log)
            })
        })
        .collect();
    let mut played = Vec::with_capacity(bots);
    for game in games {
        played.push(
            game.await
                .unwrap_or_else(|err| panic!("a bot failed: {err}")),
        );
    }
    // Nobody plays any more: every scoreboard is final. (Everyone stays connected until all
    // have asked: a player who left would be missing from the boards asked after.)
    let mut clients = Vec::with_capacity(bots);
    let mut logs = Vec::with_capacity(bots);
    for (mut client, mut log) in played {
        honest::scoreboard(&mut client, &mut log).await;
        clients.push(client);
        logs.push(log);
    }
    drop(clients);
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_bots_race_for_many_rounds_and_the_checker_finds_nothing_wrong() {
    let server = TestServer::start(|c| c.max_connections(400).rate_limit(RateLimit::OFF)).await;
    let logs = play_and_log(server.addr, 300).await;
    let verdict = fairness::check(&logs).unwrap_or_else(|violations| {
        panic!(
            "{} violations, first: {:?}",
            violations.len(),
            violations.first()
        )
    });
    assert!(verdict.rounds >= 100 * ROUNDS, "{verdict:?}");
    // Every round after the first (whose start the bots read before logging) was checked
    // against the commitment published at its start.
    assert!(verdict.opened >= 100 * (ROUNDS - 1), "{verdict:?}");
    assert!(
        verdict.meantimes > 0,
        "the bots raced: some guesses came too late"
    );
}

/// A referee broken on purpose: after a round is won, the next correct guess for that same
/// round wins it too.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct TwoWinners {
    inner: GuessNumber,
    last_won: Option<(u64, u32, Salt)>,
}

impl Game for TwoWinners {
    const NAME: &'static str = "guess";

    type Config = GuessConfig;
    type Action = GuessAction;
    type Event = GuessEvent;
    type Rejection = GuessRejection;
    type View = GuessView;

    fn new(config: &GuessConfig, rng: &mut dyn Rng) -> Self {
        TwoWinners {
            inner: GuessNumber::new(config, rng),
            last_won: None,
        }
    }
    fn round(&self) -> u64 {
        self.inner.round()
    }
    fn turn(&self) -> Turn {
        self.inner.turn()
    }
    fn add_player(&mut self, player: PlayerId, now: Millis, rng: &mut dyn Rng) -> Vec<GuessEvent> {
        self.inner.add_player(player, now, rng)
    }
    fn remove_player(
        &mut self,
        player: PlayerId,
        now: Millis,
        rng: &mut dyn Rng,
    ) -> Vec<GuessEvent> {
        self.inner.remove_player(player, now, rng)
    }
    fn parse_action(text: &str) -> Result<GuessAction, GuessRejection> {
        GuessNumber::parse_action(text)
    }
    fn apply(
        &mut self,
        player: PlayerId,
        seen_round: u64,
        action: GuessAction,
        now: Millis,
        rng: &mut dyn Rng,
    ) -> Result<Vec<GuessEvent>, GuessRejection> {
        let GuessAction::Guess { value, round } = action;
        let tagged = round.unwrap_or(seen_round);
        if let Some((won_round, secret, salt)) = self.last_won.take() {
            if tagged == won_round && value == i64::from(secret) {
                let second = GuessEvent::Won {
                    round: won_round,
                    player,
                    secret,
                    salt,
                    guesses: 0,
                    points: 1,
                };
                return Ok(vec![second]);
            }
            self.last_won = Some((won_round, secret, salt));
        }
        let events = self.inner.apply(player, seen_round, action, now, rng)?;
        for event in &events {
            if let GuessEvent::Won {
                round,
                secret,
                salt,
                ..
            } = event
            {
                self.last_won = Some((*round, *secret, *salt));
            }
        }
        Ok(events)
    }
    fn scores(&self) -> Vec<Score> {
        self.inner.scores()
    }
    fn random_action(&self, player: PlayerId, rng: &mut dyn Rng) -> Option<GuessAction> {
        self.inner.random_action(player, rng)
    }
    fn view(&self, viewer: Viewer) -> GuessView {
        self.inner.view(viewer)
    }
    fn audience(event: &GuessEvent) -> Audience {
        GuessNumber::audience(event)
    }
    fn outcome(event: &GuessEvent) -> Option<Outcome> {
        GuessNumber::outcome(event)
    }
}

impl Render for TwoWinners {
    fn intro(&self) -> String {
        self.inner.intro()
    }
    fn describe(
        event: &GuessEvent,
        viewer: PlayerId,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        GuessNumber::describe(event, viewer, names)
    }
    fn describe_rejection(
        rejection: &GuessRejection,
        names: &dyn Fn(PlayerId) -> String,
    ) -> String {
        GuessNumber::describe_rejection(rejection, names)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_catches_a_referee_that_lets_two_players_win_one_round() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let config = ServerConfig::builder()
        .seed(Some(7))
        .max_per_ip(0)
        .rate_limit(RateLimit::OFF)
        .build();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = Server::<TwoWinners>::new(config, GuessConfig::default());
    let running = tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    let logs = play_and_log(addr, 30).await;
    let violations = fairness::check(&logs).err().unwrap_or_default();
    assert!(
        violations
            .iter()
            .any(|violation| matches!(violation, Violation::SeveralWinners { .. })),
        "the broken referee went unnoticed: {violations:?}"
    );
    let _ = stop.send(());
    let _ = running.await;
}
