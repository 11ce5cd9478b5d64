//! The mailbox: a bounded queue from many handles to one run loop, made for this crate.
//!
//! Why not tokio's `mpsc`: its bounded channel counts room with a semaphore that every send
//! takes from and every receive gives back to under a lock, on a cache line that every
//! sender and the receiver write. Here the queue is a ring ([`concurrent_queue`]'s bounded
//! queue) whose own head and tail are the bound: a send is one compare-and-swap on the tail,
//! a receive one on the head, and room needs no counter of its own. Replacing tokio's
//! channel by this mailbox made the contended ask 4–6% faster and the saturated one up to
//! 1.4× (docs/PERFORMANCE.md §1).
//!
//! What the ring alone does not give, this module adds:
//! * **Waking the run loop**: one [`AtomicWaker`], woken after every send.
//! * **Waiting for room, first come first served**: a sender that finds the ring full leaves
//!   its letter in a line ([`Room`]); while anyone waits, newcomers join the line instead of
//!   taking a freed slot. The run loop moves the letters from the line into the ring: as
//!   many at a time as there are freed slots, once it has freed as many slots as there are
//!   waiters or half the ring, whichever is fewer (and at once when the ring runs empty). A
//!   lone waiter gets the first slot that frees; a long line costs the run loop the line's
//!   lock once per half ring rather than per letter — under saturation the receiving side
//!   is what limits throughput (per letter: 0.76× the floor at 256 clients on two workers,
//!   batched: 0.89×). A waiting `tell` is woken when its letter goes in; a waiting `ask` is
//!   not — the next thing it needs is its reply. With room to spare, nothing here takes a
//!   lock.
//! * **Sending soon** ([`Sender::send_soon`]): a letter that finds no room can also be left
//!   in the line with nobody waiting on it — for senders that cannot wait (a handler, a
//!   `Drop`). It keeps its place like any other and goes in as room frees. At most a set
//!   number of such letters wait at once (by default as many as the ring holds); beyond
//!   that they are refused (`Full`), so the line stays bounded without any task spawned per
//!   letter.
//! * **Closing**: closing the ring refuses every later send atomically with the tail's
//!   compare-and-swap, so a letter is either refused or certainly seen by the run loop (it
//!   drains until the ring reports closed *and* empty). `stop` and `kill` close it the
//!   moment they are called; letters waiting in line go back to their senders (those sent
//!   soon, with no sender waiting, are dropped).
//! * **Counting handles**: when the last strong sender is dropped, the run loop finds the
//!   ring empty with no sender left and stops after what was queued.
//! * **Cooperation**: a run loop whose mailbox never runs empty yields to the other tasks of
//!   its thread every 128 letters, as tokio's own channels make it do through their budget.
//!   (Counted here: spending tokio's budget through its public API cost 3% of the whole
//!   contended ask.)
//!
//! A refused letter comes back as it went in ([`Refused`]); the caller opens it again
//! (`envelope::reopen`) to hand the message back typed.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use concurrent_queue::{ConcurrentQueue, PushError};
use slab::Slab;
use smallvec::SmallVec;

use crate::Actor;
use crate::envelope::Envelope;
use crate::sync::{Arc, AtomicUsize, AtomicWaker, Mutex, MutexGuard, Ordering, seqcst_in_model};

/// A message in its envelope, as the mailbox carries it.
pub(crate) type Letter<A> = Box<dyn Envelope<A>>;

/// Why a letter was not put in the mailbox; the letter comes back.
pub(crate) enum Refused<A: Actor> {
    /// No room now (or others are waiting for room and come first).
    Full(Letter<A>),
    /// The actor stopped, or was asked to.
    Closed(Letter<A>),
}

struct Chan<A: Actor> {
    ring: ConcurrentQueue<Letter<A>>,
    /// The run loop's waker.
    receiver: AtomicWaker,
    /// Strong senders: the run loop stops once none is left and the ring is empty.
    senders: AtomicUsize,
    /// Most letters sent soon that may wait in line at once.
    soon: usize,
    room: Room<A>,
}

/// The sending end, held by every [`ActorHandle`](crate::ActorHandle).
pub(crate) struct Sender<A: Actor> {
    chan: Arc<Chan<A>>,
}

/// A sending end that does not keep the mailbox open.
pub(crate) struct WeakSender<A: Actor> {
    chan: Arc<Chan<A>>,
}

/// The receiving end, held by the run loop.
pub(crate) struct Receiver<A: Actor> {
    chan: Arc<Chan<A>>,
    /// Slots freed since letters waiting in line were last moved in.
    freed: usize,
    /// Most slots to gather before moving waiting letters in: half the ring. With as many
    /// senders waiting, the line's lock is taken once per half ring rather than per letter
    /// — the receive is what limits a saturated actor's throughput. With fewer waiting, as
    /// many slots as there are waiters: a lone waiter gets the first slot that frees.
    batch: usize,
    /// Letters received since the mailbox last ran empty (or the loop last yielded).
    streak: u32,
}

/// Letters a run loop receives in a row before it yields to the other tasks of its thread:
/// tokio's own budget per task poll.
const STREAK: u32 = 128;

/// A mailbox for `capacity` letters (at least one), with room in line for `soon` letters
/// sent soon.
pub(crate) fn channel<A: Actor>(capacity: usize, soon: usize) -> (Sender<A>, Receiver<A>) {
    let chan = Arc::new(Chan {
        ring: ConcurrentQueue::bounded(capacity.max(1)),
        receiver: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
        soon,
        room: Room::default(),
    });
    let receiver = Receiver {
        chan: chan.clone(),
        freed: 0,
        batch: (capacity / 2).max(1),
        streak: 0,
    };
    (Sender { chan }, receiver)
}

impl<A: Actor> Chan<A> {
    /// Puts `letter` in if there is room now and nobody waits for room before it.
    #[inline]
    fn try_push(&self, letter: Letter<A>) -> Result<(), Refused<A>> {
        if self.room.waiting.load(Ordering::Relaxed) != 0 {
            // Checked again under the line's lock by `Send`; here it only keeps newcomers
            // from overtaking those who wait.
            return Err(Refused::Full(letter));
        }
        self.push(letter)
    }

    fn push(&self, letter: Letter<A>) -> Result<(), Refused<A>> {
        match self.ring.push(letter) {
            Ok(()) => {
                self.receiver.wake();
                Ok(())
            }
            Err(PushError::Full(letter)) => Err(Refused::Full(letter)),
            Err(PushError::Closed(letter)) => Err(Refused::Closed(letter)),
        }
    }

    fn close(&self) {
        if self.ring.close() {
            self.room.close();
            self.receiver.wake();
        }
    }
}

impl<A: Actor> Sender<A> {
    /// Puts `letter` in the mailbox if there is room now and nobody waits for room before it.
    #[inline]
    pub(crate) fn try_send(&self, letter: Letter<A>) -> Result<(), Refused<A>> {
        self.chan.try_push(letter)
    }

    /// Puts `letter` in at once if it can ([`try_send`](Self::try_send)); otherwise waits for
    /// room, in line behind those already waiting.
    pub(crate) fn send(&self, letter: Letter<A>) -> Send<'_, A> {
        Send {
            chan: &self.chan,
            letter: Some(letter),
            place: None,
            notify: true,
        }
    }

    /// Puts `letter` in at once if it can; otherwise leaves it in the line, behind those
    /// already waiting, to go in as room frees — without waiting for that. `Full` (with the
    /// letter) when the line already holds as many letters sent this way as the mailbox
    /// allows (`ActorBuilder::soon_capacity`, by default the ring's size).
    pub(crate) fn send_soon(&self, letter: Letter<A>) -> Result<(), Refused<A>> {
        let chan = &*self.chan;
        let letter = match chan.try_push(letter) {
            Err(Refused::Full(letter)) => letter,
            sent_or_closed => return sent_or_closed,
        };
        let mut line = chan.room.lock();
        if line.closed || chan.ring.is_closed() {
            return Err(Refused::Closed(letter));
        }
        if line.unattended >= chan.soon {
            return Err(Refused::Full(letter));
        }
        line.leave_letter(letter);
        chan.room.count(&line);
        if line.waiters.len() > 1 {
            return Ok(());
        }
        // First in line: the slot it missed may have freed before it joined (see
        // `Send::join`).
        let (admitted, woken) = line.admit(&chan.ring);
        chan.room.count(&line);
        drop(line);
        if admitted > 0 {
            chan.receiver.wake();
        }
        woken.into_iter().for_each(Waker::wake);
        Ok(())
    }

    /// Refuses every later letter; queued ones stay for the run loop.
    pub(crate) fn close(&self) {
        self.chan.close();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.chan.ring.is_closed()
    }

    pub(crate) fn len(&self) -> usize {
        self.chan.ring.len()
    }

    /// How many senders wait for room.
    pub(crate) fn waiting(&self) -> usize {
        self.chan.room.waiting.load(Ordering::Relaxed)
    }

    pub(crate) fn capacity(&self) -> usize {
        self.chan.ring.capacity().unwrap_or(usize::MAX)
    }

    pub(crate) fn downgrade(&self) -> WeakSender<A> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<A: Actor> Clone for Sender<A> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<A: Actor> Drop for Sender<A> {
    fn drop(&mut self) {
        // Release: the letters this sender put in are visible to a run loop that sees the
        // count at zero.
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.receiver.wake();
        }
    }
}

impl<A: Actor> WeakSender<A> {
    /// A strong sender, if one still exists.
    pub(crate) fn upgrade(&self) -> Option<Sender<A>> {
        let mut count = self.chan.senders.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            match self.chan.senders.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(Sender {
                        chan: self.chan.clone(),
                    });
                }
                Err(now) => count = now,
            }
        }
    }

    /// Refuses every later letter, as [`Sender::close`].
    pub(crate) fn close(&self) {
        self.chan.close();
    }
}

impl<A: Actor> Clone for WeakSender<A> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<A: Actor> Receiver<A> {
    /// The next letter; `None` once the mailbox is closed, or has no sender left, and is
    /// empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Letter<A>>> {
        let next = self.poll_next(cx);
        match next {
            Poll::Ready(Some(_)) => self.streak += 1,
            Poll::Ready(None) | Poll::Pending => self.streak = 0,
        }
        next
    }

    /// Whether the run loop has received [`STREAK`] letters in a row without the mailbox
    /// running empty, and should now yield once (see the module docs). Asking resets the
    /// count.
    #[inline]
    pub(crate) fn should_yield(&mut self) -> bool {
        if self.streak < STREAK {
            return false;
        }
        self.streak = 0;
        true
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Letter<A>>> {
        if let Some(letter) = self.try_recv() {
            return Poll::Ready(Some(letter));
        }
        self.chan.receiver.register(cx.waker());
        if let Some(letter) = self.try_recv() {
            return Poll::Ready(Some(letter));
        }
        // Acquire pairs with the last sender's release: what it sent is visible now.
        if self.chan.ring.is_closed() || self.chan.senders.load(Ordering::Acquire) == 0 {
            return Poll::Ready(self.try_recv());
        }
        Poll::Pending
    }

    /// The next letter if one is there. While senders wait for room, their letters are
    /// moved in once enough slots are free (see [`batch`](Self::batch)), and at once when
    /// the ring runs empty.
    #[inline]
    pub(crate) fn try_recv(&mut self) -> Option<Letter<A>> {
        let chan = &*self.chan;
        // The loads of `waiting` are SeqCst, after the pop's SeqCst compare-and-swap (or
        // its SeqCst fence when empty): either the run loop sees a sender that has just
        // joined the line, or that sender, trying after joining, sees the slot freed (see
        // `Send::join`).
        match chan.ring.pop() {
            Ok(letter) => {
                // Nothing outside the model checker (see `seqcst_in_model`).
                seqcst_in_model();
                let waiting = chan.room.waiting.load(Ordering::SeqCst);
                if waiting != 0 {
                    self.freed += 1;
                    if self.freed >= self.batch.min(waiting) {
                        self.freed = 0;
                        chan.room.admit(&chan.ring);
                    }
                }
                Some(letter)
            }
            Err(_) if chan.room.waiting.load(Ordering::SeqCst) != 0 => {
                self.freed = 0;
                chan.room.admit(&chan.ring);
                chan.ring.pop().ok()
            }
            Err(_) => None,
        }
    }

    /// Refuses every later letter; those queued can still be received.
    pub(crate) fn close(&mut self) {
        self.chan.close();
    }

    /// How many letters wait: in the ring, and in line for room.
    pub(crate) fn len(&self) -> usize {
        self.chan.ring.len() + self.chan.room.waiting.load(Ordering::Relaxed)
    }
}

impl<A: Actor> Drop for Receiver<A> {
    fn drop(&mut self) {
        self.chan.close();
        // Dropping the letters drops their reply senders: their askers wake at once.
        while self.chan.ring.pop().is_ok() {}
    }
}

/// Wakers collected under the line's lock, woken after it: one, nearly always.
type Wakers = SmallVec<[Waker; 2]>;

/// The line of senders waiting for room. A waiting sender leaves its letter here; the run
/// loop moves the first letters into the ring as slots free (and the first sender to join
/// an empty line tries at once). So a freed slot goes to the first in line without a round
/// trip through that sender's task, and an asker is not even woken for it: the next thing
/// it waits for is its reply.
struct Room<A: Actor> {
    /// How many letters wait: read without the lock by every send (so that newcomers queue
    /// behind) and by the run loop after every receive (so that it moves the next in).
    /// Written only under the lock.
    waiting: AtomicUsize,
    line: Mutex<Line<A>>,
}

struct Line<A: Actor> {
    /// The waiting senders. An entry leaves when its letter is moved into the ring, when
    /// its sender takes the letter back, or (closed) when its sender polls.
    waiters: Slab<Waiter<A>>,
    /// Places in line, first come first. A sender that leaves the line leaves its place
    /// behind, stale (so leaving costs no search): stale places are skipped at the front,
    /// and swept out when they outnumber the live ones.
    order: VecDeque<Place>,
    /// How many places in `order` are stale.
    stale: usize,
    /// How many waiters are letters sent soon, with no sender waiting on them.
    unattended: usize,
    /// Numbers the waiters, so that a place is never mistaken for a later waiter's that
    /// reuses its slab key.
    joined: u64,
    /// The mailbox closed: nobody joins any more.
    closed: bool,
}

struct Waiter<A: Actor> {
    id: u64,
    /// The letter, always there while the waiter is in the slab (taken only for the
    /// moment of a push).
    letter: Option<Letter<A>>,
    waker: Waker,
    /// Wake the sender when its letter goes in (a `tell` returns then; an asker waits for
    /// its reply instead).
    notify: bool,
    /// Sent soon: no sender waits on it (see [`Sender::send_soon`]).
    unattended: bool,
}

/// Where a waiting sender stands in the line.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Place {
    key: usize,
    id: u64,
}

impl<A: Actor> Default for Room<A> {
    fn default() -> Self {
        Room {
            waiting: AtomicUsize::new(0),
            line: Mutex::new(Line {
                waiters: Slab::new(),
                order: VecDeque::new(),
                stale: 0,
                unattended: 0,
                joined: 0,
                closed: false,
            }),
        }
    }
}

impl<A: Actor> Room<A> {
    fn lock(&self) -> MutexGuard<'_, Line<A>> {
        // Letters are moved under this lock, never opened or dropped; the only foreign code
        // that runs under it is `Waker::clone`, and a panic there leaves the line as it was.
        // So a poisoned lock still holds a consistent line.
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes how many wait. SeqCst: pairs with the run loop's loads (see `Send::join`).
    fn count(&self, line: &Line<A>) {
        let waiting = if line.closed { 0 } else { line.waiters.len() };
        self.waiting.store(waiting, Ordering::SeqCst);
        // Nothing outside the model checker (see `seqcst_in_model`).
        seqcst_in_model();
    }

    /// Moves as many waiting letters into `ring` as fit, first come first.
    fn admit(&self, ring: &ConcurrentQueue<Letter<A>>) {
        let mut line = self.lock();
        let (_, woken) = line.admit(ring);
        self.count(&line);
        drop(line);
        woken.into_iter().for_each(Waker::wake);
    }

    /// The mailbox closed: every waiting sender is woken to take its letter back, letters
    /// sent soon are dropped, and nobody joins any more.
    fn close(&self) {
        let mut line = self.lock();
        line.closed = true;
        self.count(&line);
        let mut unattended = Vec::with_capacity(line.unattended);
        line.waiters.retain(|_, waiter| {
            if waiter.unattended {
                unattended.push(waiter.letter.take());
            }
            !waiter.unattended
        });
        line.unattended = 0;
        // Taken, not cloned: no foreign code under the lock. A closed waiter's next poll
        // returns at once, so it needs no waker any more.
        let woken: Vec<Waker> = line
            .waiters
            .iter_mut()
            .map(|(_, waiter)| std::mem::replace(&mut waiter.waker, Waker::noop().clone()))
            .collect();
        line.order.clear();
        line.stale = 0;
        drop(line);
        woken.into_iter().for_each(Waker::wake);
        // Dropped outside the lock: dropping a letter may run foreign code.
        drop(unattended);
    }
}

impl<A: Actor> Line<A> {
    /// See [`Room::admit`]; returns how many letters went in and the wakers to wake once
    /// the lock is released.
    fn admit(&mut self, ring: &ConcurrentQueue<Letter<A>>) -> (usize, Wakers) {
        let mut admitted = 0;
        let mut woken = Wakers::new();
        while let Some(&place) = self.order.front() {
            let Some(waiter) = self.waiters.get_mut(place.key).filter(|w| w.id == place.id) else {
                self.order.pop_front();
                self.stale = self.stale.saturating_sub(1);
                continue;
            };
            let Some(letter) = waiter.letter.take() else {
                break;
            };
            match ring.push(letter) {
                Ok(()) => {
                    admitted += 1;
                    self.order.pop_front();
                    let waiter = self.waiters.remove(place.key);
                    if waiter.unattended {
                        self.unattended -= 1;
                    } else if waiter.notify {
                        woken.push(waiter.waker);
                    }
                }
                Err(PushError::Full(letter) | PushError::Closed(letter)) => {
                    waiter.letter = Some(letter);
                    break;
                }
            }
        }
        (admitted, woken)
    }

    fn join(&mut self, letter: Letter<A>, waker: &Waker, notify: bool) -> Place {
        self.joined += 1;
        let id = self.joined;
        let key = self.waiters.insert(Waiter {
            id,
            letter: Some(letter),
            waker: waker.clone(),
            notify,
            unattended: false,
        });
        let place = Place { key, id };
        self.order.push_back(place);
        place
    }

    /// Leaves `letter` in line with nobody waiting on it (see [`Sender::send_soon`]).
    fn leave_letter(&mut self, letter: Letter<A>) {
        self.joined += 1;
        let id = self.joined;
        let key = self.waiters.insert(Waiter {
            id,
            letter: Some(letter),
            waker: Waker::noop().clone(),
            notify: false,
            unattended: true,
        });
        self.unattended += 1;
        self.order.push_back(Place { key, id });
    }

    fn find(&mut self, place: Place) -> Option<&mut Waiter<A>> {
        self.waiters.get_mut(place.key).filter(|w| w.id == place.id)
    }

    /// Takes the letter at `place` out of the line, if it is still there.
    fn leave(&mut self, place: Place) -> Option<Letter<A>> {
        self.find(place)?;
        let waiter = self.waiters.remove(place.key);
        if !self.closed {
            self.stale += 1;
            if self.stale > self.waiters.len() {
                // More stale places than live ones: sweep them out, O(n) once per n leaves.
                let waiters = &self.waiters;
                self.order
                    .retain(|p| waiters.get(p.key).is_some_and(|w| w.id == p.id));
                self.stale = 0;
            }
        }
        waiter.letter
    }
}

/// The future of [`Sender::send`]: resolves once the letter is in the mailbox, or with the
/// letter if the mailbox closed. Dropping it before takes the letter out of the line.
pub(crate) struct Send<'a, A: Actor> {
    chan: &'a Chan<A>,
    /// The letter, until it joins the line.
    letter: Option<Letter<A>>,
    /// Where the letter waits in the line, once it joined.
    place: Option<Place>,
    /// Whether to be woken when the letter goes in (see [`Waiter::notify`]).
    notify: bool,
}

impl<'a, A: Actor> Send<'a, A> {
    /// For an asker: not woken when its letter goes in, only if the mailbox closes. Its
    /// reply tells it the letter went in: it must then call [`settle`](Self::settle).
    pub(crate) fn quietly(mut self) -> Self {
        self.notify = false;
        self
    }

    /// The letter went in (its reply came): forgets the place in line without looking.
    pub(crate) fn settle(&mut self) {
        self.place = None;
    }

    /// Whether the letter may still be waiting in line.
    pub(crate) fn in_line(&self) -> bool {
        self.letter.is_some() || self.place.is_some()
    }

    /// The letter, if it was not sent (the caller gave up waiting).
    pub(crate) fn take_back(&mut self) -> Option<Letter<A>> {
        self.letter.take().or_else(|| self.leave())
    }

    /// Leaves the line; the letter if it was still waiting.
    fn leave(&mut self) -> Option<Letter<A>> {
        let place = self.place.take()?;
        let room = &self.chan.room;
        let mut line = room.lock();
        let letter = line.leave(place);
        room.count(&line);
        letter
    }

    /// First poll: in at once if there is room and nobody waits; otherwise join the line.
    /// The first in line then tries at once: the slot it missed
    /// may have been freed before it joined, when the run loop could not see it waiting
    /// yet. (Joining stores `waiting`, SeqCst, before the push's full-check fence; the run
    /// loop loads `waiting`, SeqCst, after its pop: one of the two sees the other.) Those
    /// behind are moved in by the run loop, which sees them waiting at its next receive.
    fn join(&mut self, letter: Letter<A>, cx: &mut Context<'_>) -> Poll<Result<(), Letter<A>>> {
        let chan = self.chan;
        let letter = match chan.try_push(letter) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(Refused::Closed(letter)) => return Poll::Ready(Err(letter)),
            Err(Refused::Full(letter)) => letter,
        };
        let mut line = chan.room.lock();
        // Checked under the lock: `close` closes the ring, then takes this lock to empty
        // the line, so a sender that gets the lock after it finds the ring closed.
        if line.closed || chan.ring.is_closed() {
            return Poll::Ready(Err(letter));
        }
        let place = line.join(letter, cx.waker(), self.notify);
        chan.room.count(&line);
        if line.waiters.len() > 1 {
            self.place = Some(place);
            return Poll::Pending;
        }
        let (admitted, woken) = line.admit(&chan.ring);
        chan.room.count(&line);
        let waiting = line.find(place).is_some();
        drop(line);
        if admitted > 0 {
            chan.receiver.wake();
        }
        // Possibly this sender's own waker: one spurious poll, in a race that is rare.
        woken.into_iter().for_each(Waker::wake);
        if waiting {
            self.place = Some(place);
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

impl<A: Actor> Future for Send<'_, A> {
    type Output = Result<(), Letter<A>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(letter) = this.letter.take() {
            return this.join(letter, cx);
        }
        let Some(place) = this.place else {
            return Poll::Ready(Ok(()));
        };
        let mut line = this.chan.room.lock();
        let closed = line.closed;
        let Some(waiter) = line.find(place) else {
            // Gone from the line: moved into the ring.
            this.place = None;
            return Poll::Ready(Ok(()));
        };
        if closed {
            let letter = waiter.letter.take();
            line.waiters.remove(place.key);
            this.place = None;
            return match letter {
                Some(letter) => Poll::Ready(Err(letter)),
                None => Poll::Ready(Ok(())),
            };
        }
        if !waiter.waker.will_wake(cx.waker()) {
            waiter.waker = cx.waker().clone();
        }
        Poll::Pending
    }
}

impl<A: Actor> Drop for Send<'_, A> {
    fn drop(&mut self) {
        // A letter given up on is dropped here, outside the line's lock.
        drop(self.leave());
    }
}

#[cfg(all(test, loom))]
mod loom;
