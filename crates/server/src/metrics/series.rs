//! The last minutes of a node's figures, for the status page's charts: a [`Sampler`] turns
//! the node's running totals (moves played, commits made), read every [`SAMPLE_EVERY`], into
//! [`Sample`]s of rates, kept in a bounded ring of [`KEPT`] (ten minutes).
//!
//! Pure (STYLE §1): no tokio, no clock of its own. The time of each reading is passed in, so
//! the rates are tested on plain values; the task that reads the totals on a timer is
//! `http/charts.rs`.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How often a node samples its figures.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(2);

/// Samples kept: ten minutes of them.
pub(crate) const KEPT: usize = 300;

/// What a node's totals were at one moment, as the sampler is given them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Reading {
    /// When, on a monotonic clock (only differences count).
    pub(crate) at: Duration,
    /// When, in milliseconds since the Unix epoch (shown, never subtracted).
    pub(crate) wall_ms: u64,
    /// Players seated on the node now.
    pub(crate) players: u64,
    /// Moves (guesses, bids) played by the node's players since it started.
    pub(crate) moves: u64,
    /// Commits of results to the store since it started.
    pub(crate) commits: u64,
    /// The 99th percentile of the asks to rooms on other nodes since the last reading, in
    /// microseconds; `None` when there were none.
    pub(crate) remote_ask_p99_us: Option<u64>,
}

/// One point of a node's charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sample {
    /// When, in milliseconds since the Unix epoch.
    pub(crate) at_ms: u64,
    /// Players seated.
    pub(crate) players: u64,
    /// Moves played per second since the sample before.
    pub(crate) moves_per_s: f64,
    /// Commits per second since the sample before.
    pub(crate) commits_per_s: f64,
    /// The 99th percentile of remote room asks since the sample before (µs), or `null`.
    pub(crate) remote_ask_p99_us: Option<u64>,
}

/// Turns readings into samples and keeps the last [`KEPT`] of them.
#[derive(Debug)]
pub(crate) struct Sampler {
    previous: Option<Reading>,
    ring: VecDeque<Sample>,
    kept: usize,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::with_capacity(KEPT)
    }
}

impl Sampler {
    /// A sampler keeping at most `kept` samples (at least one).
    pub(crate) fn with_capacity(kept: usize) -> Self {
        let kept = kept.max(1);
        Sampler {
            previous: None,
            ring: VecDeque::with_capacity(kept),
            kept,
        }
    }

    /// Takes a reading. The first one only sets the base: a rate needs two. A reading no
    /// later than the one before (a clock that did not move) is ignored, and totals that went
    /// down (they never should) count as no change.
    pub(crate) fn take(&mut self, now: Reading) {
        let Some(before) = self.previous else {
            self.previous = Some(now);
            return;
        };
        let Some(elapsed) = now.at.checked_sub(before.at).filter(|d| !d.is_zero()) else {
            return;
        };
        let seconds = elapsed.as_secs_f64();
        let rate = |now: u64, before: u64| now.saturating_sub(before) as f64 / seconds;
        if self.ring.len() == self.kept {
            self.ring.pop_front();
        }
        self.ring.push_back(Sample {
            at_ms: now.wall_ms,
            players: now.players,
            moves_per_s: rate(now.moves, before.moves),
            commits_per_s: rate(now.commits, before.commits),
            remote_ask_p99_us: now.remote_ask_p99_us,
        });
        self.previous = Some(now);
    }

    /// The samples kept, oldest first.
    pub(crate) fn samples(&self) -> Vec<Sample> {
        self.ring.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(secs: u64, moves: u64, commits: u64) -> Reading {
        Reading {
            at: Duration::from_secs(secs),
            wall_ms: 1_000_000 + secs * 1_000,
            players: 3,
            moves,
            commits,
            remote_ask_p99_us: None,
        }
    }

    #[test]
    fn the_first_reading_makes_no_sample() {
        let mut sampler = Sampler::default();
        sampler.take(reading(0, 10, 1));
        assert!(sampler.samples().is_empty());
    }

    #[test]
    fn rates_are_the_difference_over_the_time_between_readings() {
        let mut sampler = Sampler::default();
        sampler.take(reading(0, 10, 1));
        sampler.take(reading(2, 30, 5));
        sampler.take(reading(6, 30, 9));
        let samples = sampler.samples();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].moves_per_s, 10.0);
        assert_eq!(samples[0].commits_per_s, 2.0);
        assert_eq!(samples[0].at_ms, 1_002_000);
        assert_eq!(samples[1].moves_per_s, 0.0);
        assert_eq!(samples[1].commits_per_s, 1.0);
        assert_eq!(samples[1].players, 3);
    }

    #[test]
    fn the_ring_keeps_the_newest_samples_only() {
        let mut sampler = Sampler::with_capacity(3);
        for second in 0..10 {
            sampler.take(reading(second, second * 4, 0));
        }
        let samples = sampler.samples();
        assert_eq!(samples.len(), 3);
        let times: Vec<u64> = samples.iter().map(|s| s.at_ms).collect();
        assert_eq!(times, [1_007_000, 1_008_000, 1_009_000]);
        assert!(samples.iter().all(|s| s.moves_per_s == 4.0));
    }

    #[test]
    fn a_clock_that_did_not_move_or_totals_that_fell_do_no_harm() {
        let mut sampler = Sampler::default();
        sampler.take(reading(5, 100, 10));
        sampler.take(reading(5, 200, 20));
        assert!(sampler.samples().is_empty(), "no time passed: no rate");
        sampler.take(reading(7, 50, 10));
        assert_eq!(sampler.samples()[0].moves_per_s, 0.0);
    }

    #[test]
    fn the_remote_ask_p99_is_passed_through() {
        let mut sampler = Sampler::default();
        sampler.take(reading(0, 0, 0));
        let mut later = reading(2, 0, 0);
        later.remote_ask_p99_us = Some(850);
        sampler.take(later);
        assert_eq!(sampler.samples()[0].remote_ask_p99_us, Some(850));
    }
}
