//! What all bots of one phase count, shared without a global lock.
//!
//! Counters are plain atomics, bumped with `Relaxed` ordering: they are only read for the
//! progress bar and, once every bot task has ended, for the report. Latencies go into a few
//! histogram *shards*, one `Mutex` each: bot `i` records into shard `i % shards`, so with
//! about four shards per core two bots rarely meet on one lock, and memory stays a few
//! hundred KiB per shard whatever the number of bots (one histogram per bot would cost
//! that much per bot).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::LoadError;
use crate::bot::Answer;
use crate::dice::DiceReaction;
use crate::latency::Latency;

/// The largest latency tracked exactly: one minute, in microseconds.
const MAX_LATENCY_US: u64 = 60_000_000;

/// The counters and latency histograms of one phase.
#[derive(Debug)]
pub(crate) struct Stats {
    pub(crate) connected: AtomicU64,
    /// Answers to this bot's own guesses, i.e. guesses that completed.
    pub(crate) guesses: AtomicU64,
    pub(crate) rounds_won: AtomicU64,
    pub(crate) late_guesses: AtomicU64,
    pub(crate) error_lines: AtomicU64,
    pub(crate) io_errors: AtomicU64,
    /// Connections the server closed while the bot was still playing.
    pub(crate) disconnects: AtomicU64,
    /// Dice: hands ended by a call (counted by the caller, so once per table).
    pub(crate) hands: AtomicU64,
    /// Dice: matches won (counted by the winner).
    pub(crate) matches: AtomicU64,
    /// Dice: refusals of a bot's move (and `error:` lines); a correct bot gets none.
    pub(crate) rejections: AtomicU64,
    /// Dice: moves the referee made for a bot whose clock ran out.
    pub(crate) timeouts: AtomicU64,
    /// The first failed connection attempt, worded for the report: it usually says it all
    /// ("Connection refused" when no server listens).
    first_connect_error: OnceLock<String>,
    shards: Box<[Mutex<Histogram<u64>>]>,
    /// Latencies of winning guesses only (write to `Correct!`): what announcing a win costs,
    /// a durable commit included.
    wins: Box<[Mutex<Histogram<u64>>]>,
}

impl Stats {
    /// Counters at zero and `shards` empty latency histograms (at least one).
    pub(crate) fn new(shards: usize) -> Result<Self, LoadError> {
        let histograms = || {
            (0..shards.max(1))
                .map(|_| Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).map(Mutex::new))
                .collect::<Result<Box<[_]>, _>>()
                .map_err(|error| LoadError::Histogram(error.to_string()))
        };
        let (shards, wins) = (histograms()?, histograms()?);
        Ok(Self {
            wins,
            connected: AtomicU64::new(0),
            guesses: AtomicU64::new(0),
            rounds_won: AtomicU64::new(0),
            late_guesses: AtomicU64::new(0),
            error_lines: AtomicU64::new(0),
            io_errors: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            hands: AtomicU64::new(0),
            matches: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            first_connect_error: OnceLock::new(),
            shards,
        })
    }

    /// How many histogram shards bots are spread over for `clients` bots on this machine.
    pub(crate) fn shards_for(clients: usize) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        clients.clamp(1, 4 * cores)
    }

    /// Counts one answer line; `latency` is set when it answered this bot's own guess.
    pub(crate) fn answer(&self, bot: usize, answer: Answer, latency: Option<Duration>) {
        if let Some(latency) = latency {
            self.guesses.fetch_add(1, Relaxed);
            record(&self.shards, bot, latency);
            if answer == Answer::Correct {
                record(&self.wins, bot, latency);
            }
        }
        let counter = match answer {
            Answer::Correct => &self.rounds_won,
            Answer::Late => &self.late_guesses,
            Answer::Error => &self.error_lines,
            Answer::Higher | Answer::Lower | Answer::Echo => return,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Counts what one line meant to a dice bot; `latency` is set when it answered the
    /// bot's own move (an action, counted in `guesses`).
    pub(crate) fn dice(&self, bot: usize, reaction: &DiceReaction, latency: Option<Duration>) {
        if let Some(latency) = latency {
            self.guesses.fetch_add(1, Relaxed);
            record(&self.shards, bot, latency);
        }
        let counters = [
            (reaction.hand, &self.hands),
            (reaction.match_won, &self.matches),
            (reaction.rejected, &self.rejections),
            (reaction.timed_out, &self.timeouts),
        ];
        for (happened, counter) in counters {
            if happened {
                counter.fetch_add(1, Relaxed);
            }
        }
    }

    /// Notes a failed connection attempt (the first one is kept for the report).
    pub(crate) fn connect_failed(&self, error: &std::io::Error) {
        tracing::debug!(%error, "connection attempt failed");
        let _ = self.first_connect_error.set(error.to_string());
    }

    /// The first failed connection attempt's error, if any failed.
    pub(crate) fn first_connect_error(&self) -> Option<String> {
        self.first_connect_error.get().cloned()
    }

    /// Reads a counter (for the progress bar and the report).
    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    /// Bumps a counter by one.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// All guesses' latency shards merged into percentiles.
    pub(crate) fn latency(&self) -> Latency {
        merge(&self.shards)
    }

    /// The winning guesses' latency shards merged into percentiles.
    pub(crate) fn win_latency(&self) -> Latency {
        merge(&self.wins)
    }
}

fn merge(shards: &[Mutex<Histogram<u64>>]) -> Latency {
    let mut merged = lock(shards, 0).clone();
    for shard in 1..shards.len() {
        if let Err(error) = merged.add(&*lock(shards, shard)) {
            tracing::warn!(%error, "latency shard could not be merged");
        }
    }
    Latency::from_histogram(&merged)
}

fn record(shards: &[Mutex<Histogram<u64>>], bot: usize, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    lock(shards, bot).saturating_record(micros);
}

/// The shard of `bot`, even if a panicking bot poisoned it (counts stay valid).
fn lock(shards: &[Mutex<Histogram<u64>>], bot: usize) -> std::sync::MutexGuard<'_, Histogram<u64>> {
    let shard = &shards[bot % shards.len()];
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_to_own_guesses_count_as_guesses_with_latency() {
        let stats = Stats::new(2).unwrap();
        stats.answer(0, Answer::Higher, Some(Duration::from_micros(100)));
        stats.answer(1, Answer::Correct, Some(Duration::from_micros(300)));
        stats.answer(1, Answer::Error, None);
        assert_eq!(Stats::get(&stats.guesses), 2);
        assert_eq!(Stats::get(&stats.rounds_won), 1);
        assert_eq!(Stats::get(&stats.error_lines), 1);
        let latency = stats.latency();
        assert_eq!(latency.max_us, 300);
        assert_eq!(
            stats.win_latency().max_us,
            300,
            "the winning guess is also a win"
        );
        assert_eq!(stats.win_latency().p50_us, 300);
        assert!(latency.p50_us >= 100 && latency.p50_us <= latency.p99_us);
    }

    #[test]
    fn an_empty_run_has_zero_latency() {
        let latency = Stats::new(3).unwrap().latency();
        assert_eq!((latency.p50_us, latency.p99_us, latency.max_us), (0, 0, 0));
    }

    #[test]
    fn latencies_beyond_a_minute_are_clamped_not_lost() {
        let stats = Stats::new(1).unwrap();
        stats.answer(0, Answer::Lower, Some(Duration::from_secs(3600)));
        assert_eq!(Stats::get(&stats.guesses), 1);
        assert!(stats.latency().max_us >= MAX_LATENCY_US);
    }

    #[test]
    fn only_the_first_connect_error_is_kept() {
        let stats = Stats::new(1).unwrap();
        stats.connect_failed(&std::io::Error::other("first"));
        stats.connect_failed(&std::io::Error::other("second"));
        assert_eq!(stats.first_connect_error().as_deref(), Some("first"));
    }
}
