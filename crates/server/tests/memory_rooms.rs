//! A measurement, not a test of behaviour (so `#[ignore]`d): the `referee` binary's resident
//! memory before, at the peak of, and after a park-and-drop flood (connect over WebSocket,
//! open a private room, drop, again and again). Run it with
//!
//! ```text
//! cargo test -p referee-server --test memory_rooms -- --ignored --nocapture
//! ```
//!
//! and set `REFEREE_FLOOD` (default 5000 connections) and `REFEREE_MAX_PARKED` (default: the
//! server's, a quarter of `--max-connections`). The figures are in docs/RELIABILITY.md.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::http::http_get;
use common::listening_address;
use common::ws::WsClient;
use serde_json::{Value, json};

/// The child's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn rooms(http: SocketAddr) -> u64 {
    let (_, body) = http_get(http, "/api/status").await;
    let status: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    status["rooms"].as_u64().unwrap_or(0)
}

/// One flooding client: `count` times connect, open a private room, drop.
async fn flood(http: SocketAddr, count: usize) {
    for _ in 0..count {
        let mut client = WsClient::connect(http, None).await;
        let id = client.request("create", json!({})).await;
        client.reply(id).await;
        client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn memory_returns_after_a_park_and_drop_flood() {
    let total: usize = std::env::var("REFEREE_FLOOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let window = 5;
    let mut args = vec![
        "serve".to_owned(),
        "--tcp=127.0.0.1:0".to_owned(),
        "--http=127.0.0.1:0".to_owned(),
        "--no-db".to_owned(),
        format!("--reconnect-window={window}"),
        "--max-parked-per-ip=100000".to_owned(),
    ];
    if let Ok(cap) = std::env::var("REFEREE_MAX_PARKED") {
        args.push(format!("--max-parked={cap}"));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args(&args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start the binary: {err}"));
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let _tcp = listening_address(&mut stderr);
    let http = listening_address(&mut stderr);
    std::thread::spawn(move || for _ in stderr.lines() {});

    // Baseline: warmed up by a few rounds of the same traffic, let go.
    flood(http, 50).await;
    tokio::time::sleep(Duration::from_secs(window + 2)).await;
    let baseline = rss_kib(pid);

    let tasks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(flood(http, total / 20)))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let peak = rss_kib(pid);
    let peak_rooms = rooms(http).await;
    // The windows, then the allocator's decay time (jemalloc purges after 10 s).
    tokio::time::sleep(Duration::from_secs(window * 2 + 12)).await;
    let after = rss_kib(pid);
    let after_rooms = rooms(http).await;
    println!(
        "flood {total}: baseline {baseline} KiB; peak {peak} KiB ({peak_rooms} rooms); \
         after the windows {after} KiB ({after_rooms} rooms): {:+.1}% of baseline",
        (after as f64 - baseline as f64) * 100.0 / baseline as f64
    );
    let _ = child.kill();
    let _ = child.wait();
}
