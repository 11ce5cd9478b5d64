//! A cluster's charts of the last minutes, on real `referee` processes, real PostgreSQL (a
//! fresh schema per test) and real NATS: moves played and rounds won on node a show in
//! node b's `/api/cluster` (a's series, asked of a over NATS) and as an SVG per node on b's
//! status page; a node killed is shown as not answering; and a crowd of requests to
//! `/api/cluster` is answered from one read of the database and the nodes.
//!
//! Skipped (saying so) without PostgreSQL or NATS, unless `REFEREE_REQUIRE_POSTGRES=1` /
//! `REFEREE_REQUIRE_NATS=1`.

mod common;

use common::cluster::{NodeProc, services};
use common::http::http_get;
use serde_json::Value;

/// The series of `node` in a `/api/cluster` answer.
fn series_of<'a>(view: &'a Value, node: &str) -> Option<&'a Value> {
    view["series"]
        .as_array()?
        .iter()
        .find(|series| series["node"] == node)
}

/// Whether some sample of `node`'s series has `field` above zero.
fn some_sample(view: &Value, node: &str, field: &str) -> bool {
    series_of(view, node)
        .and_then(|series| series["samples"].as_array())
        .is_some_and(|samples| samples.iter().any(|s| s[field].as_f64() > Some(0.0)))
}

/// `referee_cluster_status_reads_total`, from `/metrics`.
async fn status_reads(node: &NodeProc) -> Result<u64, String> {
    let (status, text) = http_get(node.http, "/metrics").await;
    if status != 200 {
        return Err(format!("/metrics: {status}"));
    }
    text.lines()
        .find_map(|line| line.strip_prefix("referee_cluster_status_reads_total "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no status reads counted in\n{text}"))
}

#[tokio::test]
async fn moves_played_on_a_show_in_bs_charts_and_a_killed_node_shows_as_silent() {
    let Some(pg) = services("cluster_status_charts").await else {
        return;
    };
    let (a, b) = (
        NodeProc::start(&pg, "a", &[]),
        NodeProc::start(&pg, "b", &[]),
    );
    let (mut player, _room) = a.player().await;
    for _ in 0..2 {
        assert!(player.play_round(20).await.is_some(), "alone, it wins");
    }
    // a samples every 2 s; b asks a when its kept answer (1 s) is stale.
    let view = b
        .cluster_until("a's moves, wins and player in b's charts", |view| {
            some_sample(view, "a", "moves_per_s")
                && some_sample(view, "a", "commits_per_s")
                && some_sample(view, "a", "players")
        })
        .await;
    assert_eq!(view["node"], "b", "{view}");
    assert_eq!(view["series"][0]["node"], "b", "b's own first: {view}");
    for node in ["a", "b"] {
        let series = series_of(&view, node).unwrap_or_else(|| panic!("no {node}: {view}"));
        assert!(series["error"].is_null(), "{series}");
        assert_eq!(series["every_ms"], 2_000, "{series}");
    }
    assert!(
        !some_sample(&view, "b", "moves_per_s"),
        "nobody played on b: {view}"
    );

    let (status, page) = http_get(b.http, "/status").await;
    assert_eq!(status, 200);
    for node in ["a", "b"] {
        let at = format!("<section class=\"node-chart\" data-node=\"{node}\">");
        let section = page
            .split_once(&at)
            .and_then(|(_, rest)| rest.split("</section>").next())
            .unwrap_or_else(|| panic!("no section for {node} in\n{page}"));
        assert_eq!(section.matches("<svg").count(), 4, "{node}: {section}");
        assert!(section.contains("<path"), "a line for {node}: {section}");
    }

    a.signal("-KILL");
    let view = b
        .cluster_until("a shown as not answering", |view| {
            series_of(view, "a").is_some_and(|a| a["error"].is_string())
        })
        .await;
    let a_series = series_of(&view, "a").cloned().unwrap_or_default();
    assert_eq!(a_series["samples"], serde_json::json!([]), "{a_series}");
    let (_, page) = http_get(b.http, "/status").await;
    assert!(page.contains("Not answering:"), "{page}");
}

#[tokio::test]
async fn a_crowd_asking_for_the_cluster_is_answered_from_one_read() {
    let Some(pg) = services("cluster_status_crowd").await else {
        return;
    };
    // A burst the rate limit lets through: the cache, not the limit, is under test.
    let node = NodeProc::start(&pg, "solo", &["--http-burst", "200", "--http-rate", "200"]);
    node.cluster().await;
    let before = status_reads(&node).await.unwrap_or_else(|e| panic!("{e}"));
    let http = node.http;
    let crowd: Vec<_> = (0..30)
        .map(|_| tokio::spawn(async move { http_get(http, "/api/cluster").await }))
        .collect();
    let mut reads = std::collections::BTreeSet::new();
    for asked in crowd {
        let (status, body) = asked.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, 200, "{body}");
        let view: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        reads.insert(view["read"].as_u64().unwrap_or_else(|| panic!("{view}")));
    }
    let made = status_reads(&node).await.unwrap_or_else(|e| panic!("{e}")) - before;
    // All at once, within one kept answer's second; a read that straddles its end (a slow
    // machine) may add one or two.
    assert!(reads.len() <= 3, "30 requests, reads {reads:?}");
    assert!(made <= 3, "30 requests made {made} reads");
}
