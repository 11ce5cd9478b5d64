//! `run()` end to end on 127.0.0.1: against the in-process echo servers (lines over TCP, JSON
//! over WebSocket), against a fake Referee speaking either protocol, and refusing targets
//! that are not loopback.

mod common;

use common::{args, start_fake_referee, start_fake_ws_referee, within};
use referee_load::{LoadError, Mode, Report, Transport, run};

const KEYS: [&str; 18] = [
    "mode",
    "transport",
    "addr",
    "clients",
    "connected",
    "failed_connects",
    "connect_secs",
    "duration_secs",
    "guesses",
    "guesses_per_sec",
    "rounds_won",
    "late_guesses",
    "errors",
    "p50_us",
    "p90_us",
    "p99_us",
    "max_us",
    "first_connect_error",
];

fn single(report: Report) -> referee_load::RunReport {
    match report {
        Report::Run(run) => *run,
        Report::Compare(_) => panic!("expected a single phase"),
    }
}

/// A line echo server on a free loopback port, and its address.
async fn line_echo() -> (referee_load::echo::EchoServer, String) {
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let server = referee_load::echo::EchoServer::start_on(any_port, Transport::Tcp)
        .await
        .unwrap();
    let at = server.addr().to_string();
    (server, at)
}

/// `--echo-pid`: the echo phase samples the echo's process (here this test's own, where the
/// echo runs) and reports its CPU per line, in user space and in the kernel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_pid_samples_the_echo_process() {
    let (_server, at) = line_echo().await;
    let pid = std::process::id().to_string();
    let options = [
        "--echo",
        "--echo-at",
        &at,
        "--echo-pid",
        &pid,
        "--clients",
        "4",
        "--duration",
        "0.5",
    ];
    let report = single(within(run(args(&options))).await.unwrap());
    let usage = report
        .server_usage
        .clone()
        .expect("--echo-pid samples the echo");
    assert_eq!(usage.pid, std::process::id());
    assert!(usage.window_guesses > 0, "{usage:?}");
    let split = usage.user_us_per_guess + usage.system_us_per_guess;
    assert!(
        (split - usage.cpu_us_per_guess).abs() <= 0.02,
        "user and kernel add up to the whole: {usage:?}"
    );
    assert!(report.to_string().contains("kernel"), "{report}");
    // The bots' own process is sampled over the same window, with or without a pid given.
    let bots = report
        .bots_usage
        .clone()
        .expect("the bots sample themselves");
    assert_eq!(bots.pid, std::process::id());
    assert_eq!(bots.window_guesses, usage.window_guesses);
}

/// `referee echo` and `--echo-at`: the bots load the echo server they are pointed at (in its
/// own process in `scripts/profile-guess.sh`), not one of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_at_loads_the_echo_server_given() {
    let (_server, at) = line_echo().await;
    let report = within(run(args(&[
        "--echo",
        "--echo-at",
        &at,
        "--clients",
        "4",
        "--duration",
        "0.3",
    ])))
    .await
    .unwrap();
    let report = single(report);
    assert_eq!(report.mode, Mode::Echo);
    assert_eq!(report.addr, at, "the bots went elsewhere");
    assert_eq!((report.connected, report.errors), (4, 0), "{report}");
    assert!(report.guesses > 0, "{report}");
    assert_eq!(report.server_usage, None, "no --echo-pid, no echo usage");
    let bots = report
        .bots_usage
        .clone()
        .expect("the bots sample themselves");
    assert!(bots.cpu_secs > 0.0, "the bots spent no CPU: {bots:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_mode_with_20_clients_for_one_second() {
    let report = within(run(args(&["--echo", "--clients", "20", "--duration", "1"])))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let report = single(report);

    assert_eq!(report.mode, Mode::Echo);
    assert_eq!(
        (report.clients, report.connected, report.failed_connects),
        (20, 20, 0)
    );
    assert!(report.guesses > 0, "{report}");
    assert_eq!(report.errors, 0, "{report}");
    assert!(report.latency.p50_us <= report.latency.p99_us);
    assert!(report.latency.p99_us <= report.latency.max_us);
    for key in KEYS {
        assert!(json.get(key).is_some(), "JSON lacks {key}: {json}");
    }
    assert_eq!(json["mode"], "echo");
    assert_eq!(json["transport"], "tcp");
    assert_eq!(json["connected"], 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_echo_mode_with_20_clients_for_one_second() {
    let options = [
        "--transport",
        "ws",
        "--echo",
        "--clients",
        "20",
        "--duration",
        "1",
    ];
    let report = within(run(args(&options))).await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let report = single(report);

    assert_eq!((report.mode, report.transport), (Mode::Echo, Transport::Ws));
    assert_eq!(
        (report.clients, report.connected, report.failed_connects),
        (20, 20, 0),
        "{report}"
    );
    // Closed loop: about one answered guess per bot per round trip, all of them counted.
    assert!(report.guesses >= 20, "{report}");
    assert_eq!(report.errors, 0, "{report}");
    assert_eq!((report.rounds_won, report.late_guesses), (0, 0), "{report}");
    assert!(report.latency.p50_us > 0, "{report}");
    assert!(report.latency.p50_us <= report.latency.p99_us);
    assert!(report.latency.p99_us <= report.latency.max_us);
    for key in KEYS {
        assert!(json.get(key).is_some(), "JSON lacks {key}: {json}");
    }
    assert_eq!(json["transport"], "ws");
    assert_eq!(json["mode"], "echo");
}

#[tokio::test]
async fn a_non_loopback_address_is_refused_before_connecting() {
    for addr in [
        "192.0.2.1:7878",
        "10.1.2.3:7878",
        "[2001:db8::1]:7878",
        "example.com:7878",
    ] {
        let refused = within(run(args(&["--addr", addr, "--duration", "1"]))).await;
        assert!(
            matches!(refused, Err(LoadError::NotLoopback { .. })),
            "{addr}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn echo_mode_checks_the_address_too() {
    let refused = within(run(args(&["--echo", "--addr", "192.0.2.1:7878"]))).await;
    assert!(
        matches!(refused, Err(LoadError::NotLoopback { .. })),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_win_rounds_against_a_referee() {
    let (addr, _referee) = start_fake_referee().await;
    let addr = addr.to_string();
    let options = ["--addr", &addr, "--clients", "6", "--duration", "1"];
    let report = single(within(run(args(&options))).await.unwrap());

    assert_eq!(report.mode, Mode::Server);
    assert_eq!(report.connected, 6);
    assert!(report.rounds_won > 0, "{report}");
    assert!(
        report.guesses >= report.rounds_won + report.late_guesses,
        "{report}"
    );
    assert_eq!(report.errors, 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_echo_runs_both_phases_and_reports_the_ratios() {
    let (addr, _referee) = start_fake_referee().await;
    let addr = addr.to_string();
    let options = [
        "--compare-echo",
        "--addr",
        &addr,
        "--clients",
        "4",
        "--duration",
        "0.5",
    ];
    let report = within(run(args(&options))).await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let Report::Compare(comparison) = report else {
        panic!("expected a comparison");
    };

    assert_eq!(comparison.echo.mode, Mode::Echo);
    assert_eq!(comparison.server.mode, Mode::Server);
    assert!(comparison.echo.guesses > 0 && comparison.server.guesses > 0);
    assert!(comparison.throughput_ratio.is_some_and(|ratio| ratio > 0.0));
    assert_eq!(json["mode"], "compare");
    assert_eq!(json["server"]["connected"], 4);
    assert!(json["p99_ratio"].is_number(), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_bots_win_rounds_against_a_referee_and_ignore_the_live_feed() {
    let (addr, _referee) = start_fake_ws_referee().await;
    let addr = addr.to_string();
    let options = [
        "--transport",
        "ws",
        "--addr",
        &addr,
        "--clients",
        "6",
        "--duration",
        "1",
    ];
    let report = single(within(run(args(&options))).await.unwrap());

    assert_eq!(
        (report.mode, report.transport),
        (Mode::Server, Transport::Ws)
    );
    assert_eq!(report.connected, 6, "{report}");
    assert!(report.rounds_won > 0, "{report}");
    assert!(
        report.guesses >= report.rounds_won + report.late_guesses,
        "{report}"
    );
    assert_eq!(report.errors, 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_compare_echo_runs_both_phases_over_websocket() {
    let (addr, _referee) = start_fake_ws_referee().await;
    let addr = addr.to_string();
    let options = [
        "--compare-echo",
        "--transport",
        "ws",
        "--addr",
        &addr,
        "--clients",
        "4",
        "--duration",
        "0.5",
    ];
    let report = within(run(args(&options))).await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let Report::Compare(comparison) = report else {
        panic!("expected a comparison");
    };

    assert_eq!(comparison.echo.transport, Transport::Ws);
    assert_eq!(comparison.server.transport, Transport::Ws);
    assert!(comparison.echo.guesses > 0 && comparison.server.guesses > 0);
    assert_eq!(comparison.echo.errors + comparison.server.errors, 0);
    assert!(comparison.throughput_ratio.is_some_and(|ratio| ratio > 0.0));
    assert_eq!(json["transport"], "ws");
    assert_eq!(json["echo"]["transport"], "ws");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_bots_at_a_line_server_fail_to_connect() {
    let (addr, _referee) = start_fake_referee().await;
    let addr = addr.to_string();
    let options = [
        "--transport",
        "ws",
        "--addr",
        &addr,
        "--clients",
        "3",
        "--duration",
        "0.2",
        "--connect-timeout",
        "2",
    ];
    let report = single(within(run(args(&options))).await.unwrap());

    assert_eq!(
        (report.connected, report.failed_connects),
        (0, 3),
        "{report}"
    );
    assert!(report.first_connect_error.is_some(), "{report}");
    assert_eq!(report.guesses, 0);
}

#[tokio::test]
async fn ws_checks_the_address_too() {
    let options = ["--transport", "ws", "--addr", "192.0.2.1:8080"];
    let refused = within(run(args(&options))).await;
    assert!(
        matches!(refused, Err(LoadError::NotLoopback { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_not_there_counts_failed_connects() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let options = ["--addr", &addr, "--clients", "3", "--duration", "5"];
    let report = single(within(run(args(&options))).await.unwrap());

    assert_eq!((report.connected, report.failed_connects), (0, 3));
    assert!(report.first_connect_error.is_some(), "{report}");
    assert_eq!(report.guesses, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_ramp_up_in_batches() {
    let options = [
        "--echo",
        "--clients",
        "10",
        "--batch",
        "3",
        "--ramp-up",
        "200ms",
    ];
    let report = within(run(args(&[&options[..], &["--duration", "0.5"]].concat())))
        .await
        .unwrap();
    let report = single(report);
    assert_eq!(report.connected, 10);
    assert_eq!(report.errors, 0, "{report}");
}

#[tokio::test]
async fn dice_bots_refuse_the_websocket_transport_before_connecting() {
    let refused = run(args(&[
        "--game",
        "dice",
        "--transport",
        "ws",
        "--clients",
        "1",
    ]))
    .await;
    assert!(
        matches!(refused, Err(LoadError::DiceOverWebSocket)),
        "{refused:?}"
    );
}
