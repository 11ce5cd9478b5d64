//! A connection's off switch: thrown once — by the room for a reader too slow to keep up, by
//! the server at shutdown, by the connection's own task when it fails — and seen by the
//! connection's reader and writer without taking a lock (the reader checks it for every
//! line it reads).

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::Poll;

use atomic_waker::AtomicWaker;

/// Why a connection is being ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Its outgoing queue filled up: the client does not read.
    TooSlow = 1,
    /// The server is shutting down: the reader says goodbye, the writer delivers it.
    Shutdown = 2,
    /// The connection's task failed.
    Failed = 3,
    /// The same player connected again (a reloaded page) and takes over: the reader hands
    /// the seat over and says goodbye, the writer delivers it.
    Replaced = 4,
}

/// The switch, shared by everything that may end one connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kick(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// 0 until thrown; then the first reason.
    reason: AtomicU8,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl Kick {
    /// Throws the switch; the first reason wins.
    pub(crate) fn kick(&self, reason: Reason) {
        let first = self
            .0
            .reason
            .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            self.0.reader.wake();
            self.0.writer.wake();
        }
    }

    /// Why the switch was thrown, if it was.
    pub(crate) fn reason(&self) -> Option<Reason> {
        match self.0.reason.load(Ordering::Acquire) {
            1 => Some(Reason::TooSlow),
            2 => Some(Reason::Shutdown),
            3 => Some(Reason::Failed),
            4 => Some(Reason::Replaced),
            _ => None,
        }
    }

    /// Completes when the switch is thrown, for any reason (the reader's view).
    pub(crate) fn for_reader(&self) -> impl Future<Output = Reason> + '_ {
        poll_fn(|cx| {
            self.0.reader.register(cx.waker());
            self.reason().map_or(Poll::Pending, Poll::Ready)
        })
    }

    /// Completes when the connection must stop writing at once: too slow, or failed. A
    /// shutdown does not count: the writer still has a goodbye to deliver.
    pub(crate) fn for_writer(&self) -> impl Future<Output = Reason> + '_ {
        poll_fn(|cx| {
            self.0.writer.register(cx.waker());
            match self.reason() {
                Some(reason @ (Reason::TooSlow | Reason::Failed)) => Poll::Ready(reason),
                Some(Reason::Shutdown | Reason::Replaced) | None => Poll::Pending,
            }
        })
    }
}

/// Throws the switch (as a failure) when dropped: held by a connection's task, so that if
/// the task dies, its writer stops too.
pub(crate) struct KickOnDrop(pub(crate) Kick);

impl Drop for KickOnDrop {
    fn drop(&mut self) {
        self.0.kick(Reason::Failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_wins_and_both_sides_see_it() {
        let kick = Kick::default();
        assert_eq!(kick.reason(), None);
        kick.kick(Reason::TooSlow);
        kick.kick(Reason::Shutdown);
        assert_eq!(kick.for_reader().await, Reason::TooSlow);
        assert_eq!(kick.for_writer().await, Reason::TooSlow);
    }

    #[tokio::test]
    async fn a_shutdown_stops_the_reader_but_not_the_writer() {
        let kick = Kick::default();
        kick.kick(Reason::Shutdown);
        assert_eq!(kick.for_reader().await, Reason::Shutdown);
        let mut writer = std::pin::pin!(kick.for_writer());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            writer.as_mut().poll(&mut cx).is_pending(),
            "the writer keeps going to deliver the goodbye"
        );
    }

    #[tokio::test]
    async fn a_waiting_side_is_woken() {
        let kick = Kick::default();
        let waiting = tokio::spawn({
            let kick = kick.clone();
            async move { kick.for_writer().await }
        });
        tokio::task::yield_now().await;
        kick.kick(Reason::Failed);
        assert_eq!(waiting.await.ok(), Some(Reason::Failed));
    }
}
