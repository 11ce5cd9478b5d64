//! The lobby timeout: a connection that sits in no room, neither seated nor watching, is
//! closed after a while, however much it talks.
//!
//! The idle timeout (`idle.rs`) closes a connection that says nothing for 30 minutes; a
//! client that opens connections and never plays would hold its slots for all that time.
//! This shorter limit counts from the moment a connection is in no room — at connect, for a
//! browser player (a netcat player is seated by quick match at once), or after `/leave`, or
//! when no seat could be found — and stops when it sits down or starts watching. Activity
//! does not restart it: chatting with the lobby (`/rooms`, `/help`) is not playing.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Tells a reader when its connection has been in no room for too long.
pub(crate) struct LobbyTimer {
    /// Zero: no limit.
    limit: Duration,
    /// When the connection must be in a room by; `None` while it is in one.
    deadline: Option<Instant>,
    timer: Pin<Box<Sleep>>,
}

impl LobbyTimer {
    /// Starts counting now unless the connection is already `in_room`.
    pub(crate) fn new(limit: Duration, in_room: bool) -> Self {
        let mut timer = LobbyTimer {
            limit,
            deadline: None,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        };
        timer.update(in_room);
        timer
    }

    /// Whether the connection is in a room now: stops the count, or starts it if it was not
    /// running.
    pub(crate) fn update(&mut self, in_room: bool) {
        if in_room || self.limit.is_zero() {
            self.deadline = None;
        } else if self.deadline.is_none() {
            self.deadline = Instant::now().checked_add(self.limit);
            if let Some(deadline) = self.deadline {
                self.timer.as_mut().reset(deadline);
            }
        }
    }

    /// Resolves once the connection has been in no room for the whole limit; never while it
    /// is in one. Cancel-safe, like [`IdleTimer::expired`](crate::idle::IdleTimer::expired).
    pub(crate) async fn expired(&mut self) {
        if self.deadline.is_none() {
            return std::future::pending().await;
        }
        self.timer.as_mut().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_connection_in_no_room_expires_at_the_limit() {
        let start = Instant::now();
        let mut timer = LobbyTimer::new(LIMIT, false);
        timer.expired().await;
        assert_eq!(start.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_seated_connection_never_expires() {
        let mut timer = LobbyTimer::new(LIMIT, true);
        let waited = tokio::time::timeout(LIMIT * 10, timer.expired()).await;
        assert!(waited.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn leaving_a_room_starts_the_count_and_talking_does_not_restart_it() {
        let mut timer = LobbyTimer::new(LIMIT, true);
        tokio::time::advance(LIMIT * 2).await;
        let left = Instant::now();
        timer.update(false);
        tokio::time::advance(LIMIT / 2).await;
        // Still in no room: the count goes on from when it left.
        timer.update(false);
        timer.expired().await;
        assert_eq!(left.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_is_no_limit() {
        let mut timer = LobbyTimer::new(Duration::ZERO, false);
        let waited = tokio::time::timeout(LIMIT * 10, timer.expired()).await;
        assert!(waited.is_err());
    }
}
