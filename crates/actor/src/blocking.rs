//! Driving a future to completion on a plain thread, with an optional deadline.
//!
//! The seed's players are threads: `blocking_ask` parks the calling thread until the reply
//! arrives. tokio's own `blocking_recv` panics inside an async context and has no deadline;
//! this one has a deadline, and callers check [`in_async_context`] first and return an error
//! instead of panicking.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

/// Wakes a parked thread.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// One waker per thread, made once: a blocking ask allocates nothing for its waiting.
    static THREAD_WAKER: Waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
}

/// Whether the current thread runs inside a tokio runtime context, where parking the thread
/// would stall the runtime's other tasks.
///
/// This is conservative: a `spawn_blocking` thread also carries the runtime's context and
/// is refused too; there, `Handle::current().block_on(handle.ask(msg))` works.
pub(crate) fn in_async_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Rounds of busy-waiting before a blocked thread sleeps: round `k < SPIN_ROUNDS` spins
/// `2^k` times, the rounds after it yield the thread, up to `BACKOFF_ROUNDS`. A reply that
/// comes within a few microseconds then costs no sleep and no wake-up system call (the
/// same backoff std's channels use before they block).
const SPIN_ROUNDS: u32 = 7;
const BACKOFF_ROUNDS: u32 = 11;

/// Polls `fut` on this thread until it completes (`Some`) or `deadline` passes (`None`).
pub(crate) fn block_on<F: Future>(fut: F, deadline: Option<Instant>) -> Option<F::Output> {
    let mut fut = pin!(fut);
    THREAD_WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        let mut round = 0;
        loop {
            if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
                return Some(output);
            }
            if round < BACKOFF_ROUNDS {
                back_off(round);
                round += 1;
                continue;
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(Instant::now())?;
                    thread::park_timeout(left);
                }
            }
        }
    })
}

fn back_off(round: u32) {
    if round < SPIN_ROUNDS {
        for _ in 0..1_u32 << round {
            std::hint::spin_loop();
        }
    } else {
        thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::oneshot;

    #[test]
    fn completes_when_woken_from_another_thread() {
        let (tx, rx) = oneshot::channel();
        let sender = thread::spawn(move || tx.send(7));
        assert_eq!(block_on(rx, None).and_then(Result::ok), Some(7));
        assert!(sender.join().is_ok());
    }

    #[test]
    fn gives_up_at_the_deadline() {
        let (_tx, rx) = oneshot::channel::<u8>();
        let deadline = Instant::now() + Duration::from_millis(5);
        assert!(block_on(rx, Some(deadline)).is_none());
    }

    #[test]
    fn plain_threads_are_not_async_contexts() {
        assert!(!in_async_context());
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        let inside = runtime.map(|rt| rt.block_on(async { in_async_context() }));
        assert!(inside.unwrap_or(false));
    }
}
