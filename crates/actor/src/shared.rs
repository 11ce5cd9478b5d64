//! State shared by an actor's handles and its run loop: control signals, counters and the
//! stop reason. Never the actor's own state, which only the run loop can reach.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use atomic_waker::AtomicWaker;
use tokio::sync::Notify;

use crate::StopReason;

/// What the handles ask the run loop to do. Ordered: a stronger request overrides a weaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Control {
    Run = 0,
    Stop = 1,
    Kill = 2,
}

pub(crate) struct Shared {
    pub(crate) name: Box<str>,
    control: AtomicU8,
    /// The run loop's waker, registered only while it waits (mailbox empty or handler
    /// pending), so that `stop` and `kill` can wake it. A few atomics, no lock.
    control_waker: AtomicWaker,
    pub(crate) handled: AtomicU64,
    pub(crate) restarts: AtomicU32,
    end: Mutex<End>,
    /// For threads blocked in `blocking_*` waits.
    end_changed: Condvar,
    /// For tasks awaiting the stop reason or the end.
    end_notify: Notify,
}

#[derive(Default)]
pub(crate) struct End {
    /// Set as soon as the final reason is known, before queued messages are dropped, so that
    /// an asker whose reply channel closes can always say why.
    reason: Option<StopReason>,
    /// Set last, after the actor's state and mailbox were dropped.
    finished: bool,
}

impl Shared {
    pub(crate) fn new(name: Box<str>) -> Self {
        Shared {
            name,
            control: AtomicU8::new(Control::Run as u8),
            control_waker: AtomicWaker::new(),
            handled: AtomicU64::new(0),
            restarts: AtomicU32::new(0),
            end: Mutex::new(End::default()),
            end_changed: Condvar::new(),
            end_notify: Notify::new(),
        }
    }

    #[inline]
    pub(crate) fn control(&self) -> Control {
        match self.control.load(Ordering::Acquire) {
            0 => Control::Run,
            1 => Control::Stop,
            _ => Control::Kill,
        }
    }

    /// Raises the control level (never lowers it) and, if it rose, wakes the loop. Only a
    /// rise takes the registered waker: the loop relies on that to skip registering again
    /// while the level stays the same.
    pub(crate) fn request(&self, wanted: Control) {
        let before = self.control.fetch_max(wanted as u8, Ordering::AcqRel);
        if before < wanted as u8 {
            self.control_waker.wake();
        }
    }

    /// Registers the loop's waker, then reads the control level: a request made after the
    /// read finds the new waker, so no wake-up is lost.
    pub(crate) fn watch_control(&self, waker: &std::task::Waker) -> Control {
        self.control_waker.register(waker);
        self.control()
    }

    fn lock_end(&self) -> MutexGuard<'_, End> {
        // A poisoned lock only means a panic happened while it was held; the data (two
        // plain fields) stays consistent, so carry on with it.
        self.end
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records the final reason; the first one recorded wins.
    pub(crate) fn set_reason(&self, reason: StopReason) {
        let mut end = self.lock_end();
        if end.reason.is_none() {
            end.reason = Some(reason);
        }
        drop(end);
        self.wake_end_waiters();
    }

    pub(crate) fn finish(&self) {
        self.lock_end().finished = true;
        self.wake_end_waiters();
    }

    fn wake_end_waiters(&self) {
        self.end_changed.notify_all();
        self.end_notify.notify_waiters();
    }

    #[cfg(test)]
    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.lock_end().reason.clone()
    }

    pub(crate) fn finished_reason(&self) -> Option<StopReason> {
        finished(&self.lock_end())
    }

    /// Waits (async) until `pick` finds something in the end state.
    pub(crate) async fn wait_end<T>(&self, pick: impl Fn(&End) -> Option<T>) -> T {
        loop {
            let notified = self.end_notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = pick(&self.lock_end()) {
                return found;
            }
            notified.await;
        }
    }

    /// Waits (blocking the thread) until `pick` finds something, or `limit` passes.
    pub(crate) fn blocking_wait_end<T>(
        &self,
        pick: impl Fn(&End) -> Option<T>,
        limit: Option<Duration>,
    ) -> Option<T> {
        let deadline = limit.map(|limit| std::time::Instant::now() + limit);
        let mut end = self.lock_end();
        loop {
            if let Some(found) = pick(&end) {
                return Some(found);
            }
            end = match deadline {
                None => self
                    .end_changed
                    .wait(end)
                    .unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let left = deadline.checked_duration_since(std::time::Instant::now())?;
                    let waited = self.end_changed.wait_timeout(end, left);
                    waited.unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }
}

/// Picks the final reason once the actor has finished.
pub(crate) fn finished(end: &End) -> Option<StopReason> {
    if end.finished {
        end.reason.clone()
    } else {
        None
    }
}

/// Picks the reason as soon as it is known.
pub(crate) fn decided(end: &End) -> Option<StopReason> {
    end.reason.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_only_goes_up() {
        let shared = Shared::new("t".into());
        shared.request(Control::Kill);
        shared.request(Control::Stop);
        assert_eq!(shared.control(), Control::Kill);
    }

    #[test]
    fn only_a_rising_request_takes_the_registered_waker() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        use std::task::{Wake, Waker};

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let woken = || count.0.load(Ordering::Relaxed);
        let shared = Shared::new("t".into());
        assert_eq!(shared.watch_control(&waker), Control::Run);
        shared.request(Control::Stop);
        assert_eq!(woken(), 1);
        assert_eq!(shared.watch_control(&waker), Control::Stop);
        // Asked again at the same level: no wake-up, and the registration stays for a kill.
        shared.request(Control::Stop);
        assert_eq!(woken(), 1);
        shared.request(Control::Kill);
        assert_eq!(woken(), 2);
    }

    #[test]
    fn first_reason_wins() {
        let shared = Shared::new("t".into());
        shared.set_reason(StopReason::Killed);
        shared.set_reason(StopReason::Normal);
        assert_eq!(shared.reason(), Some(StopReason::Killed));
        assert_eq!(shared.finished_reason(), None);
        shared.finish();
        assert_eq!(shared.finished_reason(), Some(StopReason::Killed));
    }

    #[test]
    fn blocking_wait_times_out_when_nothing_happens() {
        let shared = Shared::new("t".into());
        let got = shared.blocking_wait_end(decided, Some(Duration::from_millis(1)));
        assert_eq!(got, None);
    }
}
