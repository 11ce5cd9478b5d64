//! Guess latency percentiles, read from an HDR histogram of microseconds.
//!
//! Its own module because both sides need it: `stats` fills histograms and reads them as
//! a [`Latency`], `report` prints and serialises one. Neither depends on the other for it.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Guess latency percentiles, in microseconds: from writing a guess (line or message) to
/// reading its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest answer.
    pub max_us: u64,
}

impl Latency {
    /// Percentiles of a histogram of microseconds (all zero when it is empty).
    pub(crate) fn from_histogram(histogram: &Histogram<u64>) -> Self {
        Self {
            p50_us: histogram.value_at_quantile(0.50),
            p90_us: histogram.value_at_quantile(0.90),
            p99_us: histogram.value_at_quantile(0.99),
            max_us: histogram.max(),
        }
    }
}
