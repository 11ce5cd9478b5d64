//! `/status`, the host's status page, and `/status/nodes`, its "Nodes" card alone: on a
//! cluster node the card holds each node's charts of the last minutes (players, moves per
//! second, remote ask p99, commits per second), drawn here as SVG sparklines from
//! `/api/cluster`'s last read. The page's script fetches the card again every few seconds.
//!
//! Both are served from the same kept read as `/api/cluster` (`metrics/fresh.rs`): loading
//! the page in a loop costs the database and NATS one read per period, whoever asks.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use referee_rules::Render;

use super::assets::STATUS;
use super::cluster::latest;
use super::error::error;
use super::sparkline::{escape, sparkline};
use crate::metrics::{ClusterView, NodeSeries};
use crate::shared::Shared;

/// Where the "Nodes" card goes in `status.html`.
const NODES_HERE: &str = "<!--nodes-->";

/// `GET /status`: the page, with the nodes' charts on a cluster node.
pub(super) async fn page<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    let card = match nodes_card(&shared).await {
        Some(card) => {
            format!("<div class=\"card\"><h2>Nodes</h2><div id=\"nodes\">{card}</div></div>")
        }
        None => String::new(),
    };
    let page = STATUS.replacen(NODES_HERE, &card, 1);
    ([(header::CACHE_CONTROL, "no-cache")], Html(page)).into_response()
}

/// `GET /status/nodes`: the card's content alone (404 off a cluster).
pub(super) async fn nodes<G: Render>(State(shared): State<Arc<Shared<G>>>) -> Response {
    match nodes_card(&shared).await {
        Some(card) => ([(header::CACHE_CONTROL, "no-store")], Html(card)).into_response(),
        None => error(StatusCode::NOT_FOUND, "this server is not in a cluster"),
    }
}

/// The card's content, or `None` off a cluster.
async fn nodes_card<G: Render>(shared: &Shared<G>) -> Option<String> {
    let node = shared.cluster.clone()?;
    let read = latest(shared, &node).await;
    Some(match &read.answer {
        Ok(view) => render(view),
        Err(err) => format!(
            "<p class=\"warn\">Cannot read the cluster: {}</p>",
            escape(err)
        ),
    })
}

/// Every node's charts, this node first.
fn render(view: &ClusterView) -> String {
    let mut html = String::from("<div class=\"node-charts\">");
    for series in &view.series {
        html.push_str(&node_section(series, series.node == view.node));
    }
    html.push_str("</div>");
    html
}

/// One chart: its label, its values (oldest first), how its last value is shown.
type Chart<'a> = (&'a str, Vec<Option<f64>>, fn(f64) -> String);

fn node_section(series: &NodeSeries, own: bool) -> String {
    let name = escape(&series.node);
    let mut html = format!("<section class=\"node-chart\" data-node=\"{name}\"><h3>{name}");
    if own {
        html.push_str(" <span class=\"muted small\">(this node)</span>");
    }
    html.push_str("</h3>");
    if let Some(err) = &series.error {
        html.push_str(&format!(
            "<p class=\"warn small\">Not answering: {}</p></section>",
            escape(err)
        ));
        return html;
    }
    let samples = &series.samples;
    let charts: [Chart<'_>; 4] = [
        (
            "Players",
            samples.iter().map(|s| Some(s.players as f64)).collect(),
            whole,
        ),
        (
            "Moves / s",
            samples.iter().map(|s| Some(s.moves_per_s)).collect(),
            tenths,
        ),
        (
            "Remote ask p99",
            samples
                .iter()
                .map(|s| s.remote_ask_p99_us.map(|us| us as f64))
                .collect(),
            micros,
        ),
        (
            "Commits / s",
            samples.iter().map(|s| Some(s.commits_per_s)).collect(),
            tenths,
        ),
    ];
    html.push_str("<div class=\"charts\">");
    for (label, values, show) in charts {
        let last = values
            .last()
            .copied()
            .flatten()
            .map_or("–".to_owned(), show);
        html.push_str(&format!(
            "<figure><figcaption>{label} <b>{last}</b></figcaption>{}</figure>",
            sparkline(
                &format!("{} {label}, last 10 minutes", series.node),
                &values
            )
        ));
    }
    html.push_str("</div></section>");
    html
}

fn whole(value: f64) -> String {
    format!("{value:.0}")
}

fn tenths(value: f64) -> String {
    format!("{value:.1}")
}

fn micros(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.1} ms", us / 1_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::Sample;

    fn series(node: &str, error: Option<&str>) -> NodeSeries {
        let sample = Sample {
            at_ms: 1,
            players: 4,
            moves_per_s: 2.5,
            commits_per_s: 0.0,
            remote_ask_p99_us: Some(1_500),
        };
        NodeSeries {
            node: node.to_owned(),
            error: error.map(str::to_owned),
            every_ms: 2_000,
            samples: if error.is_some() {
                vec![]
            } else {
                vec![sample; 3]
            },
        }
    }

    #[test]
    fn each_answering_node_gets_its_charts_and_a_silent_one_says_so() {
        let html = [
            series("a", None),
            series("<b>", Some("no answer within 1s")),
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| node_section(s, i == 0))
        .collect::<String>();
        let (a, b) = html.split_at(html.find("data-node=\"&lt;b&gt;\"").unwrap_or(0));
        assert_eq!(a.matches("<svg").count(), 4, "{a}");
        assert!(a.contains("(this node)") && a.contains("<b>2.5</b>") && a.contains("1.5 ms"));
        assert_eq!(b.matches("<svg").count(), 0, "{b}");
        assert!(b.contains("Not answering: no answer within 1s"), "{b}");
    }
}
