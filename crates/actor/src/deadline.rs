//! A deadline that costs nothing until it is needed.
//!
//! Almost every ask is answered within microseconds, so arming a tokio timer for each one
//! (a lock on the timer wheel to insert it and another to remove it) would be paid for
//! nothing. Instead the first time the ask has to wait, it only asks the scheduler to poll it
//! once more after the other ready tasks have run — by then the actor has usually replied.
//! If not, the timer is armed on that second poll, for the full limit. tokio runs deferred
//! wake-ups at least every scheduler tick interval, even on a busy worker, so the second
//! poll always comes.
//!
//! The price is precision: the limit is counted from the ask's first wait, not from the
//! call, which adds the time one scheduler pass takes (normally microseconds).

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

/// Returned when the deadline passed first.
#[derive(Debug)]
pub(crate) struct Elapsed;

pub(crate) struct LazyDeadline {
    limit: Option<Duration>,
    state: State,
}

enum State {
    /// Waited this many times, each followed by a deferred wake-up that guarantees another
    /// poll.
    Deferred(u8),
    /// The timer runs.
    Armed(Pin<Box<Sleep>>),
}

/// How many deferred polls an ask gets before it arms its timer. Under contention the reply
/// often needs several scheduler passes; each deferral costs one cheap poll, far less than a
/// timer's two locks on the timer wheel.
const DEFERRALS: u8 = 4;

impl LazyDeadline {
    /// `None` never elapses.
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        LazyDeadline {
            limit,
            state: State::Deferred(0),
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

    fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(limit) = self.limit else {
            return Poll::Pending;
        };
        loop {
            match &mut self.state {
                State::Deferred(count) if *count < DEFERRALS => {
                    *count += 1;
                    defer_wake(cx);
                    return Poll::Pending;
                }
                State::Deferred(_) => {
                    self.state = State::Armed(Box::pin(tokio::time::sleep(limit)));
                }
                State::Armed(sleep) => return sleep.as_mut().poll(cx),
            }
        }
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
        if let Poll::Ready(output) = Pin::new(&mut this.fut).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        this.deadline.poll_elapsed(cx).map(|()| Err(Elapsed))
    }
}

/// Asks the scheduler to poll this task again once the other ready tasks had their turn.
fn defer_wake(cx: &mut Context<'_>) {
    let mut yielded = pin!(tokio::task::yield_now());
    let _ = yielded.as_mut().poll(cx);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    #[tokio::test(start_paused = true)]
    async fn elapses_after_the_limit_when_nothing_comes() {
        let (_tx, rx) = oneshot::channel::<u8>();
        let start = tokio::time::Instant::now();
        let mut deadline = LazyDeadline::new(Some(Duration::from_secs(2)));
        assert!(deadline.run(rx).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_quick_answer_never_arms_the_timer() {
        let (tx, rx) = oneshot::channel::<u8>();
        tokio::spawn(async move { tx.send(3) });
        let mut deadline = LazyDeadline::new(Some(Duration::from_secs(2)));
        assert_eq!(deadline.run(rx).await.ok().and_then(Result::ok), Some(3));
        assert!(!matches!(deadline.state, State::Armed(_)));
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
