//! A deadline that costs almost nothing until it is needed.
//!
//! Almost every ask is answered within microseconds, so arming a tokio timer for each one
//! (a lock on the timer wheel to insert it and another to remove it: +150 ns, 1.66× the
//! hand-written round trip) would be paid for nothing. Instead, an ask that has to wait first
//! registers with the [`watchdog`](crate::watchdog): a coarse shared clock that wakes it, from
//! outside, if it is still waiting two of its ticks later (5 to 10 ms). Only then is a real
//! timer armed, for the time certainly left. Limits shorter than [`EAGER_BELOW`] get their timer at once: they need
//! the precision.
//!
//! The price is precision: a deadline may fire up to one watchdog tick (5 ms) late, never
//! early.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use crate::watchdog::{self, Watch};

/// Limits below this get a tokio timer at once instead of the watchdog.
pub(crate) const EAGER_BELOW: Duration = Duration::from_millis(20);

/// Returned when the deadline passed first.
#[derive(Debug)]
pub(crate) struct Elapsed;

pub(crate) struct LazyDeadline {
    limit: Option<Duration>,
    state: State,
}

enum State {
    /// Nothing has waited yet.
    Idle,
    /// Waiting, watched by the watchdog.
    Watched(Watch),
    /// The timer runs.
    Armed(Pin<Box<Sleep>>),
}

impl LazyDeadline {
    /// `None` never elapses.
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        LazyDeadline {
            limit,
            state: State::Idle,
        }
    }

    /// Runs `fut` until it completes or the deadline passes. A small, hand-written future
    /// (two words), because it sits inside every ask's future.
    pub(crate) fn run<F: Future + Unpin>(&mut self, fut: F) -> Until<'_, F> {
        Until {
            fut,
            deadline: self,
        }
    }

    /// The limit this deadline was made with.
    pub(crate) fn limit(&self) -> Option<Duration> {
        self.limit
    }

    /// Polls `fut` once, then the deadline: `Ready(Err)` once it has passed.
    ///
    /// Inlined, with the common cases first: the answer is there, there is no limit, or the
    /// wait starts and only needs registering with the watchdog. Everything else (a spurious
    /// wake-up, the watchdog's call, a short limit, a running timer) is out of line.
    #[inline]
    pub(crate) fn poll_run<F: Future + Unpin>(
        &mut self,
        fut: &mut F,
        cx: &mut Context<'_>,
    ) -> Poll<Result<F::Output, Elapsed>> {
        if let Poll::Ready(output) = Pin::new(fut).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match (self.limit, &self.state) {
            (None, _) => Poll::Pending,
            (Some(limit), State::Idle) if limit >= EAGER_BELOW => {
                self.state = State::Watched(watchdog::watch(cx.waker()));
                Poll::Pending
            }
            (Some(limit), _) => self.poll_elapsed(limit, cx).map(|()| Err(Elapsed)),
        }
    }

    #[cold]
    #[inline(never)]
    fn poll_elapsed(&mut self, limit: Duration, cx: &mut Context<'_>) -> Poll<()> {
        if matches!(self.state, State::Idle) {
            // Only short limits get here idle (see `poll_run`): they need the precision.
            self.arm(limit);
        }
        if let State::Watched(watch) = &self.state {
            if !watch.overdue() {
                // Polled again before the watchdog's call (a spurious wake-up, or the future
                // moved to another task): make sure the watchdog wakes this poller.
                watch.rewake(cx.waker());
                return Poll::Pending;
            }
            self.arm(limit.saturating_sub(watch.waited()));
        }
        match &mut self.state {
            State::Armed(sleep) => sleep.as_mut().poll(cx),
            State::Idle | State::Watched(_) => Poll::Pending,
        }
    }

    fn arm(&mut self, after: Duration) {
        self.state = State::Armed(Box::pin(tokio::time::sleep(after)));
    }
}

/// The future returned by [`LazyDeadline::run`].
pub(crate) struct Until<'a, F> {
    fut: F,
    deadline: &'a mut LazyDeadline,
}

impl<F: Future + Unpin> Future for Until<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.deadline.poll_run(&mut this.fut, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn a_quick_answer_never_arms_the_timer() {
        let (tx, rx) = oneshot::channel::<u8>();
        tokio::spawn(async move { tx.send(3) });
        let mut deadline = LazyDeadline::new(Some(Duration::from_secs(2)));
        assert_eq!(deadline.run(rx).await.ok().and_then(Result::ok), Some(3));
        assert!(!matches!(deadline.state, State::Armed(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_limit_is_armed_at_once_and_exact() {
        let (_tx, rx) = oneshot::channel::<u8>();
        let start = tokio::time::Instant::now();
        let mut deadline = LazyDeadline::new(Some(Duration::from_millis(3)));
        assert!(deadline.run(rx).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_millis(3));
    }

    #[tokio::test]
    async fn a_long_wait_times_out_near_its_limit() {
        let (_tx, rx) = oneshot::channel::<u8>();
        let start = std::time::Instant::now();
        let mut deadline = LazyDeadline::new(Some(Duration::from_millis(60)));
        assert!(deadline.run(rx).await.is_err());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(60), "fired early: {took:?}");
        assert!(
            took < Duration::from_millis(60) + watchdog::TICK * 4,
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_limit_waits_as_long_as_it_takes() {
        let (tx, rx) = oneshot::channel::<u8>();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            tx.send(4)
        });
        let mut deadline = LazyDeadline::new(None);
        assert_eq!(deadline.run(rx).await.ok().and_then(Result::ok), Some(4));
    }
}
