//! The load generator's bots against the real server, over both transports.
//!
//! `referee load` (crates/load) is a client written from `docs/protocol.md`, independent of
//! the server's crates, and its figures in `docs/PERFORMANCE.md` are only worth something if
//! its bots really play the server's game. Here the same code the tool runs plays a short,
//! bounded match against the real server on 127.0.0.1:0: every bot must connect, rounds must
//! be won, and no bot may get an error or be disconnected. A drift between the bots' codecs
//! and the server's protocol fails here.

mod common;

use common::{TIMEOUT, TestServer};
use referee_load::{LoadArgs, Mode, Report, RunReport, Transport};
use referee_server::RateLimit;

const CLIENTS: u64 = 8;

/// Runs `referee load --quiet` with `options` against the server, within the test timeout.
async fn load(options: &[&str]) -> RunReport {
    let argv = ["load", "--quiet", "--duration", "1", "--drain", "1"]
        .iter()
        .chain(options);
    let args = match LoadArgs::try_parse_from(argv) {
        Ok(args) => args,
        Err(err) => panic!("bad load arguments: {err}"),
    };
    match tokio::time::timeout(TIMEOUT, referee_load::run(args)).await {
        Ok(Ok(Report::Run(report))) => *report,
        Ok(Ok(Report::Compare(_))) => panic!("expected one phase"),
        Ok(Err(err)) => panic!("the load run failed: {err}"),
        Err(_) => panic!("the load run did not end within {TIMEOUT:?}"),
    }
}

/// What every run against the real server must show.
fn assert_played_cleanly(report: &RunReport, transport: Transport) {
    assert_eq!((report.mode, report.transport), (Mode::Server, transport));
    assert_eq!(report.connected, CLIENTS, "{report}");
    assert!(report.rounds_won > 0, "no bot ever won: {report}");
    // Every answer is to a guess: a hint, a win or a late guess.
    assert!(
        report.guesses >= report.rounds_won + report.late_guesses,
        "{report}"
    );
    assert_eq!(report.errors, 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_bots_play_the_real_server_over_tcp_without_an_error() {
    // Bots play flat out: the per-player line limit would (rightly) slow them down.
    let server = TestServer::start(|config| config.rate_limit(RateLimit::OFF)).await;
    let addr = server.addr.to_string();
    let clients = CLIENTS.to_string();
    let report = load(&["--addr", &addr, "--clients", &clients]).await;
    assert_played_cleanly(&report, Transport::Tcp);
    assert!(server.shutdown().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bots_play_the_real_server_over_websocket_without_an_error() {
    let server = TestServer::start(|config| config.rate_limit(RateLimit::OFF)).await;
    let addr = server.http.to_string();
    let clients = CLIENTS.to_string();
    let options = ["--transport", "ws", "--addr", &addr, "--clients", &clients];
    let report = load(&options).await;
    assert_played_cleanly(&report, Transport::Ws);
    assert!(server.shutdown().await.is_ok());
}
