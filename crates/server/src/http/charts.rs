//! The charts of the last minutes: this node samples its own figures every
//! [`SAMPLE_EVERY`](crate::metrics::series::SAMPLE_EVERY) (players, moves per second,
//! commits per second, the p99 of its remote room asks) into the ring of
//! `metrics/series.rs`; a cluster node also answers the other nodes' requests for them on
//! `<prefix>.series.<node>`, and asks each of them for theirs when `/api/cluster` is read.
//!
//! A request rather than gossip: the ring is ten minutes of samples (tens of kilobytes),
//! too much to announce twice a second, and only wanted when someone looks (at most once
//! per `CLUSTER_VIEW_MAX_AGE`, `metrics/fresh.rs`). Each answer is bounded in size and
//! versioned ([`SeriesReply`]); a node that does not answer in [`ASK_LIMIT`] is shown as such.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use futures_util::future::join_all;
use referee_rules::Render;

use crate::cluster::ClusterNode;
use crate::lobby::TakeCensus;
use crate::metrics::cluster_view::SERIES_VERSION;
use crate::metrics::series::{KEPT, Reading, SAMPLE_EVERY};
use crate::metrics::{Metrics, NodeSeries, SeriesReply};
use crate::shared::Shared;

/// How long a node's answer may take.
pub(super) const ASK_LIMIT: Duration = Duration::from_millis(1_000);

/// The largest answer read: [`KEPT`] samples are about 25 kB in JSON.
const REPLY_LIMIT: usize = 256 * 1024;

/// The subject node `name` answers for its charts on.
fn series_subject(prefix: &str, name: &str) -> String {
    format!("{prefix}.series.{name}")
}

/// Samples this node's figures, and answers the other nodes' requests for them, until the
/// server shuts down.
pub(super) async fn run<G: Render>(shared: Arc<Shared<G>>) {
    let mut requests = match &shared.cluster {
        Some(node) => listen(node).await,
        None => None,
    };
    let started = Instant::now();
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let request = async {
            match requests.as_mut() {
                Some(requests) => requests.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.shutdown.cancelled() => return,
            _ = tick.tick() => sample(&shared, started).await,
            message = request => match (message, &shared.cluster) {
                (Some(message), Some(node)) => answer(node, &shared.metrics, message).await,
                _ => requests = None,
            },
        }
    }
}

async fn listen(node: &ClusterNode) -> Option<async_nats::Subscriber> {
    let subject = series_subject(&node.prefix, &node.name);
    match node.client.subscribe(subject).await {
        Ok(requests) => Some(requests),
        Err(err) => {
            tracing::warn!(%err, "the charts are not served: other nodes show this one as silent");
            None
        }
    }
}

/// Reads the figures the metrics do not count themselves, and takes a sample.
async fn sample<G: Render>(shared: &Shared<G>, started: Instant) {
    let players = match shared.lobby.ask(TakeCensus).await {
        Ok(census) => census.heads.seated as u64,
        Err(err) => {
            tracing::debug!(%err, "the lobby did not answer; no sample this period");
            return;
        }
    };
    if let Some(node) = &shared.cluster {
        if let Ok(held) = node.keeper.held().await {
            let held = i64::try_from(held.len()).unwrap_or(i64::MAX);
            shared.metrics.cluster.claims_held.set(held);
        }
    }
    let wall_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(0));
    shared.metrics.sample(Reading {
        at: started.elapsed(),
        wall_ms,
        players,
        moves: 0,
        commits: shared
            .store_status
            .as_ref()
            .map_or(0, |status| status.commits()),
        remote_ask_p99_us: None,
    });
}

/// This node's charts, as it answers for them.
pub(super) fn own(node: &ClusterNode, metrics: &Metrics) -> SeriesReply {
    SeriesReply {
        v: SERIES_VERSION,
        node: node.name.clone(),
        every_ms: u64::try_from(SAMPLE_EVERY.as_millis()).unwrap_or(u64::MAX),
        samples: metrics.samples(),
    }
}

async fn answer(node: &ClusterNode, metrics: &Metrics, request: async_nats::Message) {
    let Some(reply_to) = request.reply else {
        return;
    };
    match serde_json::to_vec(&own(node, metrics)) {
        Ok(body) => {
            if let Err(err) = node.client.publish(reply_to, body.into()).await {
                tracing::debug!(%err, "charts not sent");
            }
        }
        Err(err) => tracing::warn!(%err, "charts not encoded"),
    }
}

/// Asks each of `names` for its charts, all at once; each answers or is shown as silent.
pub(super) async fn ask_all(node: &ClusterNode, names: Vec<String>) -> Vec<NodeSeries> {
    join_all(names.into_iter().map(|name| ask(node, name))).await
}

async fn ask(node: &ClusterNode, name: String) -> NodeSeries {
    let subject = series_subject(&node.prefix, &name);
    let asked = tokio::time::timeout(
        ASK_LIMIT,
        node.client.request(subject, Vec::<u8>::new().into()),
    );
    let message = match asked.await {
        Ok(Ok(message)) => message,
        Ok(Err(err)) if err.kind() == async_nats::client::RequestErrorKind::NoResponders => {
            return NodeSeries::unanswered(name, "nobody answers for it".to_owned());
        }
        Ok(Err(err)) => return NodeSeries::unanswered(name, err.to_string()),
        Err(_) => {
            return NodeSeries::unanswered(name, format!("no answer within {ASK_LIMIT:?}"));
        }
    };
    match read_reply(&name, &message.payload) {
        Ok(reply) => NodeSeries {
            node: name,
            error: None,
            every_ms: reply.every_ms,
            samples: reply.samples,
        },
        Err(err) => NodeSeries::unanswered(name, err),
    }
}

/// A node's answer, checked: bounded, of this format, from the node asked.
fn read_reply(name: &str, payload: &[u8]) -> Result<SeriesReply, String> {
    if payload.len() > REPLY_LIMIT {
        return Err(format!(
            "an answer of {} bytes, over the limit",
            payload.len()
        ));
    }
    let mut reply: SeriesReply = serde_json::from_slice(payload)
        .map_err(|err| format!("an answer that does not read: {err}"))?;
    if reply.v != SERIES_VERSION {
        return Err(format!(
            "an answer of format {}, not {SERIES_VERSION}",
            reply.v
        ));
    }
    if reply.node != name {
        return Err(format!("answered by {}", reply.node));
    }
    let extra = reply.samples.len().saturating_sub(KEPT);
    reply.samples.drain(..extra);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::Sample;

    fn reply(v: u32, node: &str, samples: usize) -> Vec<u8> {
        let sample = Sample {
            at_ms: 1,
            players: 2,
            moves_per_s: 3.0,
            commits_per_s: 0.5,
            remote_ask_p99_us: None,
        };
        let reply = SeriesReply {
            v,
            node: node.to_owned(),
            every_ms: 2_000,
            samples: vec![sample; samples],
        };
        serde_json::to_vec(&reply).unwrap_or_default()
    }

    #[test]
    fn a_good_answer_reads() {
        let read = read_reply("a", &reply(SERIES_VERSION, "a", 3));
        assert_eq!(read.map(|reply| reply.samples.len()), Ok(3));
    }

    #[test]
    fn answers_of_another_format_or_node_or_too_long_are_refused() {
        assert!(read_reply("a", &reply(SERIES_VERSION + 1, "a", 1)).is_err());
        assert!(read_reply("a", &reply(SERIES_VERSION, "b", 1)).is_err());
        assert!(read_reply("a", b"{\"v\":1").is_err());
        assert!(read_reply("a", &vec![b' '; REPLY_LIMIT + 1]).is_err());
    }

    #[test]
    fn an_answer_with_too_many_samples_keeps_the_newest() {
        let read = read_reply("a", &reply(SERIES_VERSION, "a", KEPT + 5));
        assert_eq!(read.map(|reply| reply.samples.len()), Ok(KEPT));
    }
}
