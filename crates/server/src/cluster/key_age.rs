//! The token key rotated on a schedule (`referee serve --cluster … --token-key-max-age`):
//! a key that never changes lets whoever copied it once (a database backup, a replica, a
//! leaked dump) mint any player's token for ever; rotated every week, a copied key is worth
//! at most two weeks, and nobody is logged out: a rotation keeps the key before it accepted
//! for the tokens it signed (`parking/signed.rs`), which expire after 24 h, long before the
//! next rotation drops it.
//!
//! Every node with the flag asks, now and then, for a rotation *if the key is older than
//! the age* by the database's clock (`PgNodes::rotate_token_key_if_older`): the condition
//! is in the update itself, under the row's lock, so when several nodes ask at once exactly
//! one rotates and the others find a key drawn just now. Each node then takes the new keys
//! with its next re-read (`keys.rs`), as after the host's `rotate-token-key`.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{ClusterNode, HEARTBEAT};
use crate::parking::signed::LIFETIME;

/// The default age (`--token-key-max-age`): a week, well past a token's lifetime, so a
/// token is never refused because of the schedule.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// When this node next asks for a rotation.
pub(super) struct Schedule {
    max_age: Option<Duration>,
    next: Instant,
}

impl Schedule {
    /// The schedule of a node whose key may be at most `max_age` old (`None`: never
    /// rotated on a schedule).
    pub(super) fn new(max_age: Option<Duration>) -> Schedule {
        if let Some(age) = max_age.filter(|age| *age < LIFETIME) {
            tracing::warn!(
                ?age,
                "--token-key-max-age is shorter than a token's lifetime (24 h): a token \
                 older than two rotations is refused and its player comes back as a new one"
            );
        }
        Schedule {
            max_age,
            next: Instant::now(),
        }
    }

    /// Asks for a rotation if it is time to ask (every quarter of the age, between a
    /// heartbeat and a minute: the key is rotated within a minute of reaching its age).
    pub(super) async fn tick(&mut self, node: &Arc<ClusterNode>) {
        let Some(max_age) = self.max_age else {
            return;
        };
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + asking_every(max_age);
        let nodes = node.nodes.clone();
        let asked = tokio::task::spawn_blocking(move || {
            let mut nodes = nodes.lock().unwrap_or_else(PoisonError::into_inner);
            nodes.rotate_token_key_if_older(max_age)
        });
        match asked.await.map_err(|err| err.to_string()) {
            Ok(Ok(Some(at_ms))) => tracing::info!(
                at_ms,
                ?max_age,
                "the token key reached --token-key-max-age: rotated it on schedule (the \
                 previous key stays accepted for the tokens it signed)"
            ),
            Ok(Ok(None)) => {}
            Ok(Err(err)) => tracing::warn!(%err, "the token key's age not checked"),
            Err(err) => tracing::warn!(%err, "the token key's age not checked"),
        }
    }
}

/// How often a node asks.
fn asking_every(max_age: Duration) -> Duration {
    (max_age / 4).clamp(HEARTBEAT, Duration::from_secs(60))
}

/// `--token-key-max-age`: `off`, or a duration as `humantime` reads one (`7d`, `12h`,
/// `30m`, `90s`, `1w 2d`), from a second to ten years.
///
/// # Errors
/// What is wrong with it, for the command line.
pub fn parse_max_age(text: &str) -> Result<Option<Duration>, String> {
    if text == "off" {
        return Ok(None);
    }
    let age = humantime::parse_duration(text)
        .map_err(|err| format!("{text:?}: {err} (give 7d, 12h, 30m, 90s, or off)"))?;
    if (Duration::from_secs(1)..=MAX_AGE_BOUND).contains(&age) {
        Ok(Some(age))
    } else {
        Err(format!("{text:?}: between 1s and 3650d"))
    }
}

/// The longest `--token-key-max-age` taken: ten years.
const MAX_AGE_BOUND: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_a_host_writes_them() {
        assert_eq!(parse_max_age("7d"), Ok(Some(DEFAULT_MAX_AGE)));
        assert_eq!(parse_max_age("2s"), Ok(Some(Duration::from_secs(2))));
        assert_eq!(parse_max_age("90m"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(parse_max_age("1.5h"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(parse_max_age("off"), Ok(None));
        for bad in [
            "",
            "7",
            "d",
            "0s",
            "500ms",
            "11000d",
            "7x",
            "-1d",
            "99999999999999999999d",
        ] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_node_asks_often_enough_but_not_every_heartbeat_for_a_week() {
        assert_eq!(asking_every(Duration::from_secs(2)), HEARTBEAT);
        assert_eq!(asking_every(DEFAULT_MAX_AGE), Duration::from_secs(60));
    }
}
