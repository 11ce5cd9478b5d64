//! The load generator over a cluster: `referee load --nodes A,B --remote-rooms` against two
//! real `referee` processes (real PostgreSQL, real NATS). Its rooms are opened on one node
//! and played from the other, so the figures of `scripts/cluster-compare.sh` are only worth
//! something if the bots really sit in those rooms, win rounds there, and every guess really
//! crosses NATS: checked here by the nodes' own count of asks to rooms on other nodes.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use common::TIMEOUT;
use common::cluster::{NodeProc, services};
use common::http::http_get;
use referee_load::{LoadArgs, RemoteRooms, Report, RunReport};

/// Bots: four rooms of three, two hosted by each node.
const CLIENTS: u64 = 12;

/// A room seats its three players and, while they join, its opener; moves are not rate
/// limited (the bots play flat out); the joins that come before the node heard of the room
/// are not held against the bots' address.
const FLAGS: &[&str] = &[
    "--players-per-room",
    "4",
    "--rate",
    "0",
    "--max-per-ip",
    "0",
    "--failed-lookups-per-ip",
    "100000",
    "--failed-lookups-per-client",
    "1000",
];

/// Runs `referee load --quiet` with `options`, within the test timeout.
async fn load(options: &[&str]) -> Result<RunReport, String> {
    let argv = ["load", "--quiet", "--duration", "1.5", "--drain", "1"]
        .iter()
        .chain(options);
    let args = LoadArgs::try_parse_from(argv).map_err(|e| format!("bad arguments: {e}"))?;
    match tokio::time::timeout(TIMEOUT, referee_load::run(args)).await {
        Ok(Ok(Report::Run(report))) => Ok(*report),
        Ok(Ok(Report::Compare(_))) => Err("expected one phase".into()),
        Ok(Err(err)) => Err(format!("the load run failed: {err}")),
        Err(_) => Err(format!("the load run did not end within {TIMEOUT:?}")),
    }
}

/// How many asks `node` made to rooms on other nodes (its `/metrics`).
async fn remote_asks(node: &NodeProc) -> Result<u64, String> {
    let (status, metrics) = http_get(node.http, "/metrics").await;
    if status != 200 {
        return Err(format!("/metrics answered {status}"));
    }
    let count = metrics
        .lines()
        .find_map(|line| line.strip_prefix("referee_remote_room_ask_seconds_count "))
        .ok_or_else(|| format!("no remote ask count in {metrics}"))?;
    count
        .trim()
        .parse::<f64>()
        .map(|count| count as u64)
        .map_err(|e| format!("{count:?}: {e}"))
}

#[tokio::test]
async fn remote_rooms_are_played_from_the_other_node_and_every_guess_crosses_nats()
-> Result<(), String> {
    let Some(pg) = services("cluster_load").await else {
        return Ok(());
    };
    let nodes = [
        NodeProc::start(&pg, "a", FLAGS),
        NodeProc::start(&pg, "b", FLAGS),
    ];
    for node in &nodes {
        node.cluster().await;
    }
    let addrs = format!("{},{}", nodes[0].tcp, nodes[1].tcp);
    let clients = CLIENTS.to_string();
    let argv = ["--nodes", &addrs, "--remote-rooms", "--clients", &clients];
    let report = load(&argv).await?;

    assert_eq!(report.connected, CLIENTS, "{report}");
    let placed = RemoteRooms {
        nodes: 2,
        rooms: 4,
        room_players: 3,
    };
    assert_eq!(report.remote_rooms, Some(placed), "{report}");
    assert!(report.rounds_won > 0, "no bot ever won: {report}");
    let troubles = (report.io_errors, report.disconnects, report.error_lines);
    assert_eq!(troubles, (0, 0, 0), "{report}");

    // Each node hosts two rooms and seats the other's players: both ask across, and at
    // least once per answered guess (joins and leaves are asks too).
    let (a, b) = (remote_asks(&nodes[0]).await?, remote_asks(&nodes[1]).await?);
    assert!(a > 0 && b > 0, "remote asks: a {a}, b {b}");
    assert!(
        a + b >= report.guesses,
        "{} guesses answered but only {} remote asks: some were played locally",
        report.guesses,
        a + b
    );
    Ok(())
}
