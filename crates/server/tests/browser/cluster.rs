//! A browser player whose node is killed: two `referee` nodes of one cluster (real
//! PostgreSQL, real NATS), the page opened on node a, seated there and winning a round; a is
//! SIGKILLed; the page, finding a gone, reconnects to node b (learned from `/api/cluster`)
//! with its token and room, and is in the same seat — same player, name and points — and
//! wins again there, each win stored once. And a player in the lobby when their node dies
//! keeps the name they chose (and its record) on the other node.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

use std::time::Instant;

use super::common::cluster::{NodeProc, eventually, services};
use super::{ChromeDriver, points_of, screenshot_dir};

/// One seat per room, a short lease (the room comes back on b within about 2 s).
const FLAGS: &[&str] = &["--players-per-room", "1", "--lease-ms", "2000"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver: cargo test -p referee-server --test browser -- --ignored"]
async fn a_browser_player_whose_node_is_killed_reconnects_to_another_node_into_the_same_seat() {
    let Some(pg) = services("browser_cluster").await else {
        return;
    };
    let shots = screenshot_dir();
    let a = NodeProc::start(&pg, "a", FLAGS);
    let b = NodeProc::start(&pg, "b", FLAGS);
    let mut driver = ChromeDriver::start().await;
    let ann = driver.browser().await;
    ann.open(&format!("http://{}/", a.http)).await;
    ann.wait_for(r#"body[data-view="lobby"]"#).await;
    ann.wait_text("#connection", "connected").await;
    ann.type_into("#name-input", "Ann").await;
    ann.click("#name-button").await;
    ann.wait_text("#me", "Ann").await;
    ann.click("#quick-play").await;
    ann.wait_for(r#"body[data-view="room"]"#).await;
    let me = ann.player().await;
    let title = ann.text_of("#room-title").await.unwrap_or_default();
    let room: u64 = title
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no room number in {title:?}"));
    ann.play_round(20).await;
    ann.wait_text("#my-points", "1").await;
    // The page knows both nodes (node a's `/api/cluster`, read at the welcome and every 10 s).
    ann.wait_for(r#"body[data-nodes="2"]"#).await;
    // The kill comes once the snapshot taken after the win is saved.
    let saved_after_win = format!(
        "SELECT COUNT(*) FROM room_snapshots s WHERE s.room = 'room/{room}' \
         AND s.saved_at > (SELECT MAX(committed_at) FROM rounds WHERE room = {room})"
    );
    eventually(&pg, &saved_after_win, 1).await;

    a.signal("-KILL");
    let killed = Instant::now();
    ann.wait_for(&format!(r#"body[data-node="http://{}"]"#, b.http))
        .await;
    ann.wait_text("#connection", "connected").await;
    ann.wait_for(r#"body[data-view="room"]"#).await;
    ann.wait_text("#room-title", &room.to_string()).await;
    assert_eq!(ann.player().await, me, "the same player");
    ann.wait_text("#me", "Ann").await;
    ann.wait_text("#my-points", "1").await;
    ann.wait_text(&points_of(me), "1").await;
    println!(
        "the page was back in its seat on b {:.1?} after the kill",
        killed.elapsed()
    );
    ann.screenshot(&shots.join("cluster-back-on-b.png")).await;

    // She wins on b: stored once, under b's claim.
    ann.play_round(20).await;
    ann.wait_text("#my-points", "2").await;
    let wins = format!("SELECT COUNT(*) FROM rounds WHERE room = {room} AND winner = 'Ann'");
    eventually(&pg, &wins, 2).await;
    let under_b = format!(
        "SELECT COUNT(*) FROM rounds WHERE room = {room} AND claim_node = 'b' AND claim_epoch = 2"
    );
    assert_eq!(pg.count(&under_b), Ok(1));
    assert_eq!(
        ann.js_errors().await,
        Vec::<String>::new(),
        "uncaught errors in the page"
    );
    ann.close().await;
    drop(driver);
}

/// A browser player in the lobby (no seat) whose node is killed: no room vouches for them on
/// another node, so node b greets them as a new player; the page tells b the name it had
/// chosen, and that name's record comes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver: cargo test -p referee-server --test browser -- --ignored"]
async fn a_browser_player_in_the_lobby_whose_node_is_killed_keeps_their_name_on_another_node() {
    let Some(pg) = services("browser_cluster_lobby").await else {
        return;
    };
    let a = NodeProc::start(&pg, "a", FLAGS);
    let b = NodeProc::start(&pg, "b", FLAGS);
    let mut driver = ChromeDriver::start().await;
    let bea = driver.browser().await;
    bea.open(&format!("http://{}/", a.http)).await;
    bea.wait_for(r#"body[data-view="lobby"]"#).await;
    bea.wait_text("#connection", "connected").await;
    bea.type_into("#name-input", "Bea").await;
    bea.click("#name-button").await;
    bea.wait_text("#me", "Bea").await;
    // A win on record, then back to the lobby.
    bea.click("#quick-play").await;
    bea.wait_for(r#"body[data-view="room"]"#).await;
    bea.play_round(20).await;
    bea.wait_text("#my-points", "1").await;
    eventually(&pg, "SELECT COUNT(*) FROM rounds WHERE winner = 'Bea'", 1).await;
    bea.click("#leave").await;
    bea.wait_for(r#"body[data-view="lobby"]"#).await;
    bea.wait_for(r#"body[data-nodes="2"]"#).await;

    a.signal("-KILL");
    bea.wait_for(&format!(r#"body[data-node="http://{}"]"#, b.http))
        .await;
    bea.wait_text("#connection", "connected").await;
    bea.wait_for(r#"body[data-view="lobby"]"#).await;
    bea.wait_text("#me", "Bea").await;
    bea.wait_text("#name-status", "1 round won on record").await;
    assert_eq!(
        bea.js_errors().await,
        Vec::<String>::new(),
        "uncaught errors in the page"
    );
    bea.close().await;
    drop(driver);
}
