//! What the host sees: the page and its files, `/healthz`, `/metrics` and `/api/status`,
//! served by the real server and counting real connections.

mod common;

use common::TestServer;
use common::http::http_get;
use common::ws::WsClient;
use serde_json::{Value, json};

#[tokio::test]
async fn the_page_and_its_files_are_served_from_the_binary() {
    let server = TestServer::start(|config| config).await;
    let (status, body) = http_get(server.http, "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("<html") && body.contains("app.js"), "{body}");
    for (path, needle) in [
        ("/app.js", "WebSocket"),
        ("/style.css", "{"),
        ("/status", "status.js"),
        ("/status.js", "/api/status"),
    ] {
        let (status, body) = http_get(server.http, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains(needle), "{path} lacks {needle}");
    }
    let (status, _) = http_get(server.http, "/nothing-here").await;
    assert_eq!(status, 404);
}

/// The value of a metric line `name{labels} value` (or `name value`).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test]
async fn metrics_count_connections_rooms_players_and_actor_work() {
    let server = TestServer::start(|config| config).await;
    let (mut nc, _, _) = server.player().await;
    let mut web = WsClient::connect(server.http, None).await;
    web.play().await;
    let mut watcher = WsClient::connect(server.http, None).await;
    let id = watcher.request("watch", json!({"room": 1})).await;
    watcher.reply(id).await;
    assert_eq!(web.play_round(20).await, Some(1));
    nc.send("/score").await;
    nc.until("Scores in").await;

    let (status, text) = http_get(server.http, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&text, "referee_connections{transport=\"tcp\"}"), 1.0);
    assert_eq!(metric(&text, "referee_connections{transport=\"ws\"}"), 2.0);
    assert_eq!(metric(&text, "referee_rooms"), 1.0);
    assert_eq!(metric(&text, "referee_players"), 2.0);
    assert_eq!(metric(&text, "referee_spectators"), 1.0);
    assert_eq!(metric(&text, "referee_rounds_won_total"), 1.0);
    // Every message the room handled here was an ask from a session (joins, the watch,
    // guesses, the scores): the room's count and the sessions' count agree.
    let handled = metric(&text, "referee_messages_handled_total{actor=\"room\"}");
    let asked = metric(&text, "referee_ask_seconds_count{actor=\"room\"}");
    assert!(handled >= 5.0, "{handled}");
    assert_eq!(handled, asked, "{text}");
    assert!(metric(&text, "referee_messages_handled_total{actor=\"lobby\"}") >= 3.0);
    assert!(metric(&text, "referee_messages_handled_total{actor=\"parking\"}") >= 2.0);
    assert_eq!(
        metric(&text, "referee_actor_restarts_total{actor=\"room\"}"),
        0.0
    );
    assert!(
        text.contains("referee_mailbox_depth{actor=\"room\"}"),
        "{text}"
    );
    assert!(metric(&text, "referee_ask_seconds_count{actor=\"lobby\"}") >= 3.0);

    let (status, body) = http_get(server.http, "/api/status").await;
    assert_eq!(status, 200);
    let status: Value = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{body}: {err}"));
    assert_eq!(status["connections"], json!({"tcp": 1, "ws": 2}));
    assert_eq!(
        (status["rooms"].as_u64(), status["players"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(status["spectators"], 1);
    assert_eq!(status["rounds_won"], 1);
    assert!(
        status["ask_latency"]["count"].as_u64().unwrap_or(0) >= 8,
        "{status}"
    );
    assert!(
        status["ask_latency"]["p99_us"].as_u64().unwrap_or(0) > 0,
        "{status}"
    );
    assert_eq!(status["actors"]["room"]["handled"].as_f64(), Some(handled));

    // A connection that goes is counted out.
    drop(nc);
    let mut open = 1.0;
    for _ in 0..200 {
        let (_, text) = http_get(server.http, "/metrics").await;
        open = metric(&text, "referee_connections{transport=\"tcp\"}");
        if open == 0.0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(open, 0.0);
}

#[tokio::test]
async fn players_away_are_counted_until_they_return() {
    let server = TestServer::start(|config| config).await;
    let ann = WsClient::connect(server.http, None).await;
    let token = ann.token();
    let mut ann = ann;
    ann.play().await;
    let mut bo = WsClient::connect(server.http, None).await;
    bo.play().await;
    ann.close().await;
    bo.expect("member_away").await;
    let (_, body) = http_get(server.http, "/api/status").await;
    let status: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(
        (status["players"].as_u64(), status["away"].as_u64()),
        (Some(2), Some(1)),
        "{status}"
    );
    let _back = WsClient::connect(server.http, Some(&token)).await;
    bo.expect("member_back").await;
    let (_, body) = http_get(server.http, "/api/status").await;
    let status: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(status["away"], 0, "{status}");
}
