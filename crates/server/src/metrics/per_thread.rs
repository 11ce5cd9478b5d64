//! Ask latencies and moves, written by each thread in a cell of its own and added up when read.
//!
//! Every move is an ask, so these are written on every guess, by every worker thread. Shared
//! by all threads they were three writes on cache lines that every write moves from core to
//! core: prometheus-client's histogram (an `RwLock`), the percentiles' HDR histogram (a
//! `Mutex`) and the moves counter. Here each thread writes its own cell (`thread_local`'s
//! [`ThreadLocal`], padded to its own cache lines), under a lock no other thread takes but a
//! reader's; reading (a scrape, the status page, the charts) walks the cells and adds them up.
//! Exact, as before: every ask is counted, none is sampled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram as Hdr;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::histogram::exponential_buckets;
use thread_local::ThreadLocal;

use super::{AskTarget, latencies};

/// The kinds of actor a session asks ([`AskTarget`]'s indices).
const TARGETS: usize = 3;

/// Upper bounds of the latency buckets, in seconds: 10 µs to about 5 s, then everything.
fn bounds() -> Vec<f64> {
    exponential_buckets(0.000_01, 2.0, 20)
        .chain(std::iter::once(f64::MAX))
        .collect()
}

/// What every thread has recorded: asks by target (Prometheus), all asks' latencies in
/// microseconds (the status page's percentiles), and moves.
#[derive(Debug)]
pub(crate) struct AskRecords {
    cells: ThreadLocal<CachePadded<Cell>>,
    bounds: Vec<f64>,
}

/// One thread's records.
#[derive(Debug)]
struct Cell {
    asks: Mutex<Asks>,
    moves: AtomicU64,
}

#[derive(Debug)]
struct Asks {
    by_target: [Tally; TARGETS],
    percentiles: Hdr<u64>,
}

/// One histogram's share: per bucket, not cumulative (as prometheus-client encodes them).
#[derive(Clone, Debug, Default, PartialEq)]
struct Tally {
    sum: f64,
    count: u64,
    buckets: Vec<u64>,
}

impl Default for AskRecords {
    fn default() -> Self {
        AskRecords {
            cells: ThreadLocal::new(),
            bounds: bounds(),
        }
    }
}

impl AskRecords {
    fn cell(&self) -> &Cell {
        self.cells.get_or(|| {
            CachePadded::new(Cell {
                asks: Mutex::new(Asks {
                    by_target: std::array::from_fn(|_| Tally::empty(self.bounds.len())),
                    percentiles: latencies(),
                }),
                moves: AtomicU64::new(0),
            })
        })
    }

    /// Records one ask's latency.
    pub(crate) fn ask(&self, target: AskTarget, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = self
            .bounds
            .iter()
            .position(|bound| *bound >= seconds)
            .unwrap_or(self.bounds.len() - 1);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let mut asks = lock(&self.cell().asks);
        asks.by_target[target.index()].add(seconds, bucket);
        asks.percentiles.saturating_record(micros.max(1));
    }

    /// Counts one move.
    pub(crate) fn moved(&self) {
        self.cell().moves.fetch_add(1, Ordering::Relaxed);
    }

    /// Moves counted so far, by every thread.
    pub(crate) fn moves(&self) -> u64 {
        self.cells
            .iter()
            .map(|cell| cell.moves.load(Ordering::Relaxed))
            .sum()
    }

    /// Every thread's asks to `target`.
    fn tally(&self, target: AskTarget) -> Tally {
        let mut total = Tally::empty(self.bounds.len());
        for cell in &self.cells {
            total.merge(&lock(&cell.asks).by_target[target.index()]);
        }
        total
    }

    /// Every thread's ask latencies, in microseconds.
    pub(crate) fn percentiles(&self) -> Hdr<u64> {
        let mut total = latencies();
        for cell in &self.cells {
            if let Err(err) = total.add(&lock(&cell.asks).percentiles) {
                tracing::error!(%err, "ask latencies of one thread could not be added");
            }
        }
        total
    }

    /// Writes `ask_seconds` (a histogram by actor) and `moves` for Prometheus.
    fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "ask_seconds",
            // `Registry::register` ends a help text with a full stop; a collector writes its own.
            "How long a session's ask took to be answered, by actor kind.",
            None,
            MetricType::Histogram,
        )?;
        for target in [AskTarget::Room, AskTarget::Lobby, AskTarget::Board] {
            let tally = self.tally(target);
            let buckets: Vec<(f64, u64)> = self.bounds.iter().copied().zip(tally.buckets).collect();
            family
                .encode_family(&target.label())?
                .encode_histogram::<NoLabelSet>(tally.sum, tally.count, &buckets, None)?;
        }
        let moves = ConstCounter::new(self.moves());
        let metric = encoder.encode_descriptor(
            "moves",
            "Moves (guesses, bids) this node's players sent to their rooms.",
            None,
            moves.metric_type(),
        )?;
        moves.encode(metric)
    }
}

/// [`AskRecords`] as a Prometheus collector: added up at each scrape.
#[derive(Debug)]
pub(crate) struct Collected(pub(crate) Arc<AskRecords>);

impl Collector for Collected {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        self.0.encode(&mut encoder)
    }
}

impl Tally {
    fn empty(buckets: usize) -> Self {
        Tally {
            sum: 0.0,
            count: 0,
            buckets: vec![0; buckets],
        }
    }

    fn add(&mut self, value: f64, bucket: usize) {
        self.sum += value;
        self.count += 1;
        if let Some(count) = self.buckets.get_mut(bucket) {
            *count += 1;
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.sum += other.sum;
        self.count += other.count;
        for (total, more) in self.buckets.iter_mut().zip(&other.buckets) {
            *total += more;
        }
    }
}

/// A poisoned cell is still a whole record: each write is one step under the lock.
fn lock(asks: &Mutex<Asks>) -> MutexGuard<'_, Asks> {
    asks.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::Histogram;
    use prometheus_client::registry::Registry;

    use super::*;

    fn latencies_of(thread: u64) -> Vec<Duration> {
        (1..=500)
            .map(|i| Duration::from_micros(i * 37 * (thread + 1)))
            .collect()
    }

    #[test]
    fn asks_recorded_on_several_threads_add_up_exactly() {
        let records = Arc::new(AskRecords::default());
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let records = records.clone();
                std::thread::spawn(move || {
                    for took in latencies_of(thread) {
                        records.ask(AskTarget::Room, took);
                        records.moved();
                    }
                    records.ask(AskTarget::Lobby, Duration::from_secs(30));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let all: Vec<Duration> = (0..4).flat_map(latencies_of).collect();
        let room = records.tally(AskTarget::Room);
        assert_eq!(room.count, 2_000);
        assert_eq!(records.moves(), 2_000);
        let sum: f64 = all.iter().map(Duration::as_secs_f64).sum();
        assert!((room.sum - sum).abs() < 1e-9, "{} against {sum}", room.sum);
        // Bucket by bucket, what one shared histogram would have counted.
        let bounds = bounds();
        for (index, bound) in bounds.iter().enumerate() {
            let lower = if index == 0 {
                f64::MIN
            } else {
                bounds[index - 1]
            };
            let expected = all
                .iter()
                .map(Duration::as_secs_f64)
                .filter(|s| *s > lower && *s <= *bound)
                .count() as u64;
            assert_eq!(room.buckets[index], expected, "bucket {index} (≤ {bound})");
        }
        // Past the last finite bound: the +Inf bucket.
        let lobby = records.tally(AskTarget::Lobby);
        assert_eq!(lobby.count, 4);
        assert_eq!(lobby.buckets.last(), Some(&4));
        assert_eq!(records.tally(AskTarget::Board).count, 0);
        let percentiles = records.percentiles();
        assert_eq!(percentiles.len(), 2_004);
        assert_eq!(
            percentiles.max(),
            percentiles.highest_equivalent(30_000_000)
        );
    }

    /// The lines of a registry's text, sorted (families come in no set order).
    fn lines(registry: &Registry) -> Vec<String> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    }

    #[test]
    fn the_text_is_what_shared_prometheus_metrics_wrote() {
        // What `metrics/mod.rs` registered before the records were kept per thread.
        let mut before = Registry::with_prefix("referee");
        let asks = Family::<[(&str, &str); 1], Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_01, 2.0, 20))
        });
        before.register(
            "ask_seconds",
            "How long a session's ask took to be answered, by actor kind",
            asks.clone(),
        );
        let moves = Counter::<u64>::default();
        before.register(
            "moves",
            "Moves (guesses, bids) this node's players sent to their rooms",
            moves.clone(),
        );
        let records = Arc::new(AskRecords::default());
        let mut after = Registry::with_prefix("referee");
        after.register_collector(Box::new(Collected(records.clone())));
        let targets = [AskTarget::Room, AskTarget::Lobby, AskTarget::Board];
        for target in targets {
            drop(asks.get_or_create(&target.label()));
        }
        for (i, took) in latencies_of(1).into_iter().enumerate() {
            let target = targets[i % 3];
            asks.get_or_create(&target.label())
                .observe(took.as_secs_f64());
            records.ask(target, took);
            moves.inc();
            records.moved();
        }
        asks.get_or_create(&AskTarget::Board.label()).observe(60.0);
        records.ask(AskTarget::Board, Duration::from_secs(60));
        assert_eq!(lines(&after), lines(&before));
    }
}
