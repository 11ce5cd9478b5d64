//! `referee load --game dice` against a real server hosting both games, its bots' logs
//! checked by the fairness checker's dice invariants (`referee_fairness::dice`).
//!
//! The bots are the load generator's own (crates/load, a client written from
//! docs/protocol.md): a dozen of them sit at dice tables with `/play dice` over TCP and
//! play for a bounded window. Every line each bot wrote and read is recorded; together the
//! logs must show one right loser per challenge, dice conserved, nobody acting out of turn,
//! no hidden die seen, every revealed hand opening its commitment and one winner per match
//! — and the bots must have finished matches without a single refused move.

mod common;

use std::net::SocketAddr;

use common::{TIMEOUT, test_config};
use referee_fairness::dice::{DiceLog, DiceViolation, check_dice};
use referee_load::dice::{Said, Transcript};
use referee_load::{LoadArgs, Report, RunReport};
use referee_rules::{DiceConfig, Games, GuessConfig, GuessNumber, LiarsDice, Millis};
use referee_server::{RateLimit, Server};
use referee_store::MemoryStore;
use tokio::sync::oneshot;

/// Bots: three full four-seat tables.
const CLIENTS: &str = "12";

/// A server of both games, four-seat dice tables; its TCP address and its stop.
async fn dice_server() -> (SocketAddr, oneshot::Sender<()>) {
    let dice = DiceConfig::new(4, Millis::from_secs(30), Millis::from_secs(1))
        .unwrap_or_else(|err| panic!("{err}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let config = test_config()
        .game_seats("dice", 4)
        .rate_limit(RateLimit::OFF)
        .build();
    let server =
        Server::<Games<GuessNumber, LiarsDice>>::new(config, (GuessConfig::default(), dice))
            .with_store(Box::new(MemoryStore::default()));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Runs the dice bots for `secs` against `addr`, recording what they saw.
async fn load_dice(addr: SocketAddr, secs: &str) -> (RunReport, Vec<Transcript>) {
    let addr = addr.to_string();
    let argv = [
        "load",
        "--quiet",
        "--game",
        "dice",
        "--addr",
        &addr,
        "--clients",
        CLIENTS,
        "--duration",
        secs,
        "--drain",
        "1",
        "--seed",
        "16",
    ];
    let args = LoadArgs::try_parse_from(argv).unwrap_or_else(|err| panic!("{err}"));
    match tokio::time::timeout(TIMEOUT, referee_load::run_recorded(args)).await {
        Ok(Ok((Report::Run(report), transcripts))) => (*report, transcripts),
        Ok(Ok((Report::Compare(_), _))) => panic!("expected one phase"),
        Ok(Err(err)) => panic!("the load run failed: {err}"),
        Err(_) => panic!("the load run did not end within {TIMEOUT:?}"),
    }
}

/// A bot's transcript as the checker's log: its name is `Player N`, its table the last
/// room it joined.
fn log_of(transcript: &Transcript) -> DiceLog {
    let player = transcript
        .player
        .unwrap_or_else(|| panic!("a bot heard no welcome"));
    let room = transcript
        .room
        .unwrap_or_else(|| panic!("a bot never sat down"));
    let mut log = DiceLog::new(format!("Player {player}"), room);
    for said in &transcript.lines {
        match said {
            Said::Sent(line) => log.sent(line.clone()),
            Said::Heard(line) => log.heard(line.clone()),
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dice_bots_finish_matches_and_the_checker_finds_nothing_wrong() {
    let (addr, stop) = dice_server().await;
    let (report, transcripts) = load_dice(addr, "2").await;
    let _ = stop.send(());

    assert_eq!(report.connected, 12, "{report}");
    assert_eq!(report.errors, 0, "{report}");
    let dice = report
        .dice
        .clone()
        .unwrap_or_else(|| panic!("no dice figures: {report}"));
    assert_eq!(
        dice.rejections, 0,
        "a correct bot is never refused: {report}"
    );
    assert!(dice.matches > 0, "no match finished: {report}");
    assert!(
        dice.hands >= dice.matches && dice.actions > dice.hands,
        "{report}"
    );

    assert_eq!(transcripts.len(), 12);
    let logs: Vec<DiceLog> = transcripts.iter().map(log_of).collect();
    let rooms: std::collections::BTreeSet<u64> = logs.iter().map(|log| log.room).collect();
    assert_eq!(rooms.len(), 3, "three full tables: {rooms:?}");
    let verdict = check_dice(&logs).unwrap_or_else(|violations: Vec<DiceViolation>| {
        panic!(
            "{} violations, first: {:?}",
            violations.len(),
            violations.first()
        )
    });
    // Every match and hand the bots counted was checked from the logs (the checker also
    // sees hands cut short by the end of the window, hence at least).
    assert!(verdict.matches >= dice.matches, "{verdict:?} vs {report}");
    assert!(verdict.challenges >= dice.hands, "{verdict:?} vs {report}");
    assert!(verdict.opened >= 2 * verdict.challenges, "{verdict:?}");
    assert!(verdict.conserved > 0 && verdict.actions > 0, "{verdict:?}");
}
