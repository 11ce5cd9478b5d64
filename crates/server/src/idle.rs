//! A connection's idle timeout, shared by the TCP and WebSocket readers.
//!
//! Resetting a tokio timer for every line would cost a timer-wheel update per message.
//! Instead the reader only notes when it last heard from the client, and the timer, when it
//! fires, either ends the connection (silent for the whole limit) or re-arms itself for the
//! time left since the last message: one timer registration per idle period, not per line.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Tells a reader when its client has been silent for too long.
pub(crate) struct IdleTimer {
    limit: Duration,
    last_heard: Instant,
    timer: Pin<Box<Sleep>>,
}

impl IdleTimer {
    /// Starts counting now.
    pub(crate) fn new(limit: Duration) -> Self {
        IdleTimer {
            limit,
            last_heard: Instant::now(),
            timer: Box::pin(tokio::time::sleep(limit)),
        }
    }

    /// The client was just heard from.
    pub(crate) fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// Resolves once the client has been silent for the whole limit.
    ///
    /// Cancel-safe: made anew in each round of a reader's `select!`, and dropped when another
    /// branch wins, it loses nothing (the timer and the last message live in `self`).
    pub(crate) async fn expired(&mut self) {
        loop {
            self.timer.as_mut().await;
            match self.last_heard.checked_add(self.limit) {
                Some(deadline) if deadline > Instant::now() => {
                    self.timer.as_mut().reset(deadline);
                }
                Some(_) => return,
                // A limit beyond the clock's range: the client can never be that silent.
                None => std::future::pending().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_idle_after_the_limit() {
        let start = Instant::now();
        let mut idle = IdleTimer::new(LIMIT);
        idle.expired().await;
        assert_eq!(start.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn each_message_restarts_the_count() {
        let start = Instant::now();
        let mut idle = IdleTimer::new(LIMIT);
        for _ in 0..3 {
            let early = tokio::time::timeout(Duration::from_secs(6), idle.expired()).await;
            assert!(early.is_err(), "idle while the client still talks");
            idle.heard();
        }
        idle.expired().await;
        // Heard last at 18 s: idle at 28 s, not at 10 s.
        assert_eq!(start.elapsed(), Duration::from_secs(18) + LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_beyond_the_clock_never_fires_and_never_panics() {
        let mut idle = IdleTimer::new(Duration::MAX);
        let year = Duration::from_secs(365 * 24 * 3600);
        for _ in 0..3 {
            assert!(
                tokio::time::timeout(year * 40, idle.expired())
                    .await
                    .is_err()
            );
            idle.heard();
        }
    }
}
