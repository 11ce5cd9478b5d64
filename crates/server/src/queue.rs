//! A connection's outgoing queue: bounded, many senders (the rooms), one receiver (the
//! writer), first in first out — and nothing allocated for frames until the first is sent.
//!
//! Why not tokio's `mpsc`: its bounded channel allocates its first block of 32 slots when it
//! is made, and keeps it. With 48-byte frames that is ~1.6 KB per connection, plus a channel
//! header padded to cache lines, even for a connection that is never sent anything; at
//! 10,000 idle connections it was a fifth of their memory (docs/PERFORMANCE.md, "memory per
//! idle connection"). Here the frames live in a `VecDeque` behind a mutex, which allocates at
//! the first push, and which is given back once drained if a burst grew it past
//! [`KEEP_SLOTS`]. The lock is held only to move one frame in or out; a sender never waits
//! for room (a full queue refuses, and the outbox then drops the slow reader).
//!
//! Closing, as with tokio's channel: once every sender is gone the receiver gets what was
//! queued and then `None`; once the receiver is gone every send is refused as closed (and
//! the frames still queued are dropped at once).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

/// A drained queue keeps at most this many slots' worth of memory (a first push allocates
/// four): more is given back, so a burst does not stay on an idle connection.
const KEEP_SLOTS: usize = 8;

/// Makes a queue holding at most `capacity` items (at least one).
pub(crate) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        capacity: capacity.max(1),
        state: Mutex::new(State {
            items: VecDeque::new(),
            receiver: None,
            senders: 1,
            closed: false,
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

/// Why an item was refused; the item is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendError {
    /// The queue holds its capacity already.
    Full,
    /// The receiver is gone.
    Closed,
}

/// What became of an item offered with [`Sender::try_send_keeping`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Queued,
    /// Too few slots were free: the item was dropped.
    Dropped,
}

/// Why nothing was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvError {
    /// Nothing is queued now.
    Empty,
    /// Nothing is queued and every sender is gone.
    Disconnected,
}

struct Shared<T> {
    capacity: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    items: VecDeque<T>,
    /// The receiver's task, waiting for an item (taken by the send that wakes it).
    receiver: Option<Waker>,
    senders: usize,
    /// The receiver is gone.
    closed: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing here panics while holding the lock, and the state is consistent between
        // any two statements anyway: a poisoned lock is still good.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> State<T> {
    /// Takes the first item, giving a burst's memory back once the queue is drained.
    fn pop(&mut self) -> Option<T> {
        let item = self.items.pop_front()?;
        if self.items.is_empty() && self.items.capacity() > KEEP_SLOTS {
            self.items = VecDeque::new();
        }
        Some(item)
    }
}

/// The sending side; clones share the queue.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues `item` without waiting, unless the queue is full or the receiver gone.
    pub(crate) fn try_send(&self, item: T) -> Result<(), SendError> {
        match self.try_send_keeping(item, 1) {
            Ok(Sent::Queued) => Ok(()),
            Ok(Sent::Dropped) => Err(SendError::Full),
            Err(refused) => Err(refused),
        }
    }

    /// Queues `item` if at least `free` slots (one at least) are free now, and drops it
    /// otherwise; refuses it only if the receiver is gone. One look under the lock.
    pub(crate) fn try_send_keeping(&self, item: T, free: usize) -> Result<Sent, SendError> {
        let mut state = self.shared.lock();
        let refused = if state.closed {
            Err(SendError::Closed)
        } else if state.items.len() + free.max(1) > self.shared.capacity {
            Ok(Sent::Dropped)
        } else {
            state.items.push_back(item);
            let receiver = state.receiver.take();
            drop(state);
            if let Some(receiver) = receiver {
                receiver.wake();
            }
            return Ok(Sent::Queued);
        };
        drop(state);
        drop(item);
        refused
    }

    /// How many items the queue holds at most.
    pub(crate) fn max_capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders -= 1;
        let receiver = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

/// The receiving side.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// The next item, or `None` once every sender is gone and the queue is drained.
    /// Cancel-safe: an item is taken only when it is returned.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| {
            let mut state = self.shared.lock();
            if let Some(item) = state.pop() {
                return Poll::Ready(Some(item));
            }
            if state.senders == 0 {
                return Poll::Ready(None);
            }
            match &state.receiver {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => state.receiver = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// The next item if one is queued now.
    pub(crate) fn try_recv(&mut self) -> Result<T, RecvError> {
        let mut state = self.shared.lock();
        match state.pop() {
            Some(item) => Ok(item),
            None if state.senders == 0 => Err(RecvError::Disconnected),
            None => Err(RecvError::Empty),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.receiver = None;
        let items = std::mem::take(&mut state.items);
        drop(state);
        drop(items);
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl<T> Receiver<T> {
    /// How many items the memory now held for the queue could take.
    fn slots(&self) -> usize {
        self.shared.lock().items.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_nothing_was_sent_to_holds_no_slots() {
        let (tx, rx) = channel::<String>(256);
        assert_eq!(rx.slots(), 0, "made without memory for items");
        let _other = tx.clone();
        assert_eq!(rx.slots(), 0);
    }

    #[test]
    fn a_drained_burst_gives_its_memory_back() {
        let (tx, mut rx) = channel(256);
        for n in 0..200 {
            assert_eq!(tx.try_send(n), Ok(()));
        }
        assert!(rx.slots() >= 200);
        let drained: Vec<i32> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(drained, (0..200).collect::<Vec<_>>(), "in order");
        assert!(rx.slots() <= KEEP_SLOTS, "kept {} slots", rx.slots());
    }

    #[test]
    fn it_is_bounded_and_closes_both_ways() {
        let (tx, mut rx) = channel(2);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Ok(()));
        assert_eq!(tx.try_send(3), Err(SendError::Full));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(
            tx.try_send_keeping(3, 2),
            Ok(Sent::Dropped),
            "one slot free"
        );
        let other = tx.clone();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(RecvError::Empty), "a sender is left");
        assert_eq!(other.try_send(4), Ok(()));
        drop(other);
        assert_eq!(rx.try_recv(), Ok(4), "what was queued comes first");
        assert_eq!(rx.try_recv(), Err(RecvError::Disconnected));
        let (tx, rx) = channel(2);
        drop(rx);
        assert_eq!(tx.try_send(1), Err(SendError::Closed));
    }

    /// Paused time: a wake-up that never comes makes the runtime idle, which fires the
    /// time-out at once instead of hanging.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_receiver_is_woken_by_a_send_and_by_the_last_sender_leaving() {
        let (tx, mut rx) = channel(4);
        let (gate_tx, gate) = tokio::sync::oneshot::channel::<()>();
        let receiving = tokio::spawn(async move {
            let first = rx.recv().await;
            let _ = gate_tx.send(());
            (first, rx.recv().await)
        });
        let steps = async move {
            tokio::task::yield_now().await;
            assert_eq!(tx.try_send(7), Ok(()));
            let _ = gate.await;
            drop(tx);
            receiving.await.ok()
        };
        let received = tokio::time::timeout(std::time::Duration::from_secs(60), steps).await;
        assert_eq!(received, Ok(Some((Some(7), None))));
    }

    #[tokio::test]
    async fn a_receive_given_up_takes_nothing() {
        let (tx, mut rx) = channel(4);
        let waited = tokio::time::timeout(std::time::Duration::ZERO, rx.recv()).await;
        assert!(waited.is_err());
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(rx.recv().await, Some(1));
    }
}
