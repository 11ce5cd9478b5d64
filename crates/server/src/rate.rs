//! A per-player line budget: a token bucket, and the patience it has with a flood.
//!
//! Each line costs a token; tokens come back at `per_second` up to `burst`. A line with no
//! token left is refused with `error: slow down`; every line let through takes one refusal
//! back, and a player whose refusals outrun that by the burst is disconnected (so a flood is
//! cut off at any rate, and a pause that refills the bucket forgives everything). A human
//! never meets it; a flood meets it at once. Pure: the clock is passed in.

use std::time::Duration;

use tokio::time::Instant;

/// What to do with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Within budget.
    Yes,
    /// Over budget: refuse it, say so.
    SlowDown,
    /// Over budget for too long: disconnect.
    Disconnect,
}

/// The budget: `per_second` sustained, `burst` at once. A rate of zero means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Lines per second, sustained.
    pub per_second: u32,
    /// Lines at once.
    pub burst: u32,
}

impl RateLimit {
    /// No limit at all (for load tests).
    pub const OFF: RateLimit = RateLimit {
        per_second: 0,
        burst: 0,
    };
}

impl Default for RateLimit {
    /// 50 lines a second, 100 at once: far above any human, far below a flood.
    fn default() -> Self {
        RateLimit {
            per_second: 50,
            burst: 100,
        }
    }
}

/// One player's bucket.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
    /// Refusals since the last line that was let through.
    strikes: u32,
}

impl Bucket {
    pub(crate) fn new(limit: RateLimit, now: Instant) -> Self {
        Bucket {
            limit,
            tokens: f64::from(limit.burst),
            last: now,
            strikes: 0,
        }
    }

    /// Charges one line at `now`.
    pub(crate) fn admit(&mut self, now: Instant) -> Admit {
        if self.limit.per_second == 0 {
            return Admit::Yes;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // Each line let through takes one strike back: a client over the rate for long
            // collects refusals faster than it earns them back, whatever the rate.
            self.strikes = self.strikes.saturating_sub(1);
            return Admit::Yes;
        }
        self.strikes += 1;
        if self.strikes > self.limit.burst.max(1) {
            Admit::Disconnect
        } else {
            Admit::SlowDown
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed: Duration = now.saturating_duration_since(self.last);
        self.last = now;
        let earned = elapsed.as_secs_f64() * f64::from(self.limit.per_second);
        let full = f64::from(self.limit.burst.max(1));
        self.tokens = (self.tokens + earned).min(full);
        if self.tokens >= full {
            // A pause long enough to fill the bucket forgives everything.
            self.strikes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_second: 10,
        burst: 5,
    };

    #[test]
    fn a_burst_goes_through_then_the_rate_applies() {
        let start = Instant::now();
        let mut bucket = Bucket::new(LIMIT, start);
        for _ in 0..5 {
            assert_eq!(bucket.admit(start), Admit::Yes);
        }
        assert_eq!(bucket.admit(start), Admit::SlowDown);
        assert_eq!(bucket.admit(start + Duration::from_millis(100)), Admit::Yes);
    }

    #[test]
    fn a_flood_that_goes_on_is_disconnected() {
        let start = Instant::now();
        let mut bucket = Bucket::new(LIMIT, start);
        let verdicts: Vec<Admit> = (0..11).map(|_| bucket.admit(start)).collect();
        assert_eq!(verdicts[..5], [Admit::Yes; 5]);
        assert_eq!(verdicts[5..10], [Admit::SlowDown; 5]);
        assert_eq!(verdicts[10], Admit::Disconnect);
    }

    #[test]
    fn a_pause_forgives_the_strikes() {
        let start = Instant::now();
        let mut bucket = Bucket::new(LIMIT, start);
        for _ in 0..9 {
            bucket.admit(start);
        }
        let later = start + Duration::from_secs(1);
        assert_eq!(bucket.admit(later), Admit::Yes);
        for _ in 0..4 {
            assert_eq!(bucket.admit(later), Admit::Yes);
        }
        assert_eq!(
            bucket.admit(later),
            Admit::SlowDown,
            "strikes start again from zero"
        );
    }

    #[test]
    fn a_flood_faster_than_the_rate_is_disconnected_even_as_tokens_come_back() {
        let start = Instant::now();
        let mut bucket = Bucket::new(LIMIT, start);
        // Four lines a second for every one the limit allows.
        let verdicts: Vec<Admit> = (0..200)
            .map(|n| bucket.admit(start + Duration::from_millis(25 * n)))
            .collect();
        let cut = verdicts.iter().position(|v| *v == Admit::Disconnect);
        assert!(cut.is_some_and(|at| at < 40), "{cut:?}");
    }

    #[test]
    fn a_client_just_under_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut bucket = Bucket::new(LIMIT, start);
        assert!(
            (0..1_000).all(|n| bucket.admit(start + Duration::from_millis(105 * n)) == Admit::Yes)
        );
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let start = Instant::now();
        let mut bucket = Bucket::new(RateLimit::OFF, start);
        assert!((0..10_000).all(|_| bucket.admit(start) == Admit::Yes));
    }
}
