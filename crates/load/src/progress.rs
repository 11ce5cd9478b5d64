//! The progress bar on stderr: connected bots, guesses (or dice moves) answered so far,
//! elapsed of total.
//!
//! One bar per phase, refreshed by one ticker task from the shared counters: bots never
//! touch it. It is hidden with `--quiet` or when stderr is not a terminal.

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::report::Mode;
use crate::stats::Stats;

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(200);

/// A visible bar and its ticker, or nothing.
pub(crate) struct Progress {
    shown: Option<Shown>,
}

struct Shown {
    bar: ProgressBar,
    /// The measured window, once the bots are connected.
    window: Arc<OnceLock<(Instant, Duration)>>,
    ticker: JoinHandle<()>,
}

/// What the ticker reads.
struct Watch {
    bar: ProgressBar,
    stats: Arc<Stats>,
    clients: usize,
    window: Arc<OnceLock<(Instant, Duration)>>,
}

impl Progress {
    /// Starts a bar for a phase with `clients` bots, unless `quiet` or stderr is not a
    /// terminal. It shows the connections until [`window_started`](Self::window_started).
    pub(crate) fn start(mode: Mode, stats: Arc<Stats>, clients: usize, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { shown: None };
        }
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
        bar.set_style(style());
        bar.set_prefix(mode.to_string());
        let window = Arc::default();
        let watch = Watch {
            bar: bar.clone(),
            stats,
            clients,
            window: Arc::clone(&window),
        };
        let ticker = tokio::spawn(watch.tick());
        let shown = Shown {
            bar,
            window,
            ticker,
        };
        Self { shown: Some(shown) }
    }

    /// The bots are connected and play from `start` for `duration`.
    pub(crate) fn window_started(&self, start: Instant, duration: Duration) {
        if let Some(shown) = &self.shown {
            shown.bar.set_length(millis(duration).max(1));
            let _ = shown.window.set((start, duration));
        }
    }

    /// Stops the ticker and clears the bar.
    pub(crate) fn finish(self) {
        drop(self);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(shown) = self.shown.take() {
            shown.ticker.abort();
            shown.bar.finish_and_clear();
        }
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>6} {bar:30.cyan/blue} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Watch {
    /// Redraws the bar until aborted by [`Progress::finish`].
    async fn tick(self) {
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            self.bar.set_message(self.message());
            if let Some(&(start, duration)) = self.window.get() {
                self.bar.set_position(millis(start.elapsed().min(duration)));
            }
        }
    }

    fn message(&self) -> String {
        let connected = Stats::get(&self.stats.connected);
        let Some(&(start, duration)) = self.window.get() else {
            return format!("connecting {connected}/{} bots", self.clients);
        };
        format!(
            "{:.0}/{:.0} s  {connected}/{} bots  {} answered",
            start.elapsed().as_secs_f64(),
            duration.as_secs_f64(),
            self.clients,
            Stats::get(&self.stats.guesses),
        )
    }
}
