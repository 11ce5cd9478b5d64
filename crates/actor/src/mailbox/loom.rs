//! Model tests of the mailbox with [loom]: every interleaving (up to a preemption bound) of
//! a few threads sending, closing, dropping handles and receiving, against the real code —
//! the ring (`concurrent-queue` switches to loom's atomics under `--cfg loom`), the line, the
//! waker and the counts all run on loom's types (see `crate::sync`).
//!
//! Run them with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p referee-actor --release --lib loom`.
//! What each pins, and the broken variant each was seen to catch: docs/semantics.md,
//! "Model-checked invariants".
//!
//! A waiting `send` or receive is driven by `loom::future::block_on`: a wake-up that is
//! lost leaves its thread parked for good, and loom reports the deadlock.
//!
//! [loom]: https://docs.rs/loom

use std::any::Any;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use loom::future::block_on;
use loom::thread;

use super::{Letter, Receiver, Refused, channel};
use crate::envelope::Envelope;
use crate::sync::{Arc, AtomicUsize, Ordering};
use crate::{Actor, Context, Panic};

/// Preemptions explored per execution, unless `LOOM_MAX_PREEMPTIONS` says otherwise. Two
/// keeps each model to seconds and finds every broken variant listed in the docs.
const PREEMPTIONS: usize = 2;

/// The value a model thread returned; a panic in it (a failed assertion) goes on in the
/// model's own thread, so loom reports it.
fn joined<T>(thread: thread::JoinHandle<T>) -> T {
    match thread.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(PREEMPTIONS);
    }
    builder.check(f);
}

struct Probe;
impl Actor for Probe {}

/// A letter that says which it is, and counts its drops (so a letter lost or dropped twice
/// shows; loom's `Arc` also reports one leaked).
struct Mark {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Mark {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

impl Envelope<Probe> for Mark {
    fn handle(self: Box<Self>, _: &mut Probe, _: &mut Context<Probe>) -> Result<(), Panic> {
        Ok(())
    }

    fn message_type(&self) -> &'static str {
        "Mark"
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

fn letter(id: usize, drops: &Arc<AtomicUsize>) -> Letter<Probe> {
    Box::new(Mark {
        id,
        drops: drops.clone(),
    })
}

/// Opens a letter (and drops it): its number.
fn id_of(letter: Letter<Probe>) -> usize {
    match letter.into_any().downcast::<Mark>() {
        Ok(mark) => mark.id,
        Err(_) => unreachable!("only marks are sent here"),
    }
}

/// The run loop: receives until the mailbox says it is done; the letters, in order.
fn run_loop(rx: &mut Receiver<Probe>) -> Vec<usize> {
    let mut got = Vec::new();
    while let Some(letter) = block_on(poll_fn(|cx| rx.poll_recv(cx))) {
        got.push(id_of(letter));
    }
    got
}

/// What a `send` came to: `Some(id)` if it went in, `None` if its letter came back.
fn sent(outcome: Result<(), Letter<Probe>>, id: usize) -> Option<usize> {
    match outcome {
        Ok(()) => Some(id),
        Err(back) => {
            assert_eq!(id_of(back), id, "another letter came back");
            None
        }
    }
}

/// After the run: nobody waits in line, the count says so, and every letter was dropped
/// exactly once (received, or handed back and dropped by its sender).
fn assert_settled(rx: &Receiver<Probe>, drops: &AtomicUsize, letters: usize) {
    let room = &rx.chan.room;
    assert_eq!(
        room.waiting.load(Ordering::SeqCst),
        0,
        "`waiting` not back to 0"
    );
    assert!(room.lock().waiters.is_empty(), "a letter left in line");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        letters,
        "a letter lost or doubled"
    );
}

/// Scenario 1: a `try_send`, then a `send` that may join the line, racing `stop`/`kill`
/// (both close the mailbox). Each letter is refused and handed back, or went in and is
/// received before the run loop ends; the send never stays waiting.
#[test]
fn loom_send_racing_close_is_refused_or_received() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(1, 1);
        let stopper = tx.downgrade();
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                let first = match tx.try_send(letter(1, &drops)) {
                    Ok(()) => Some(1),
                    Err(Refused::Closed(back)) => {
                        assert_eq!(id_of(back), 1);
                        None
                    }
                    Err(Refused::Full(_)) => unreachable!("an empty ring with nobody in line"),
                };
                let second = sent(block_on(tx.send(letter(2, &drops))), 2);
                // The handle outlives the run: only the close ends it.
                (tx, [first, second])
            })
        };
        let closer = thread::spawn(move || stopper.close());
        let got = run_loop(&mut rx);
        joined(closer);
        let (tx, accepted) = joined(sender);
        let accepted: Vec<usize> = accepted.into_iter().flatten().collect();
        assert_eq!(got, accepted, "received is not what went in");
        drop(tx);
        assert_settled(&rx, &drops, 2);
    });
}

/// Scenario 2: a sender waiting in line (the ring is full) racing the close. It is woken
/// and gets its letter back, or its letter went in and is received; the line ends empty and
/// `waiting` back at 0.
#[test]
fn loom_waiting_sender_racing_close_gets_its_letter_back_or_in() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(1, 1);
        assert!(tx.try_send(letter(0, &drops)).is_ok());
        let stopper = tx.downgrade();
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                let outcome = sent(block_on(tx.send(letter(1, &drops))), 1);
                (tx, outcome)
            })
        };
        let closer = thread::spawn(move || stopper.close());
        let got = run_loop(&mut rx);
        joined(closer);
        let (tx, outcome) = joined(sender);
        let expected: Vec<usize> = [Some(0), outcome].into_iter().flatten().collect();
        assert_eq!(got, expected, "received is not what went in");
        drop(tx);
        assert_settled(&rx, &drops, 2);
    });
}

/// A sender that joins the line while the run loop frees the only slot, with no close to
/// rescue it: one of the two sees the other (the first in line tries again after joining;
/// the run loop looks at `waiting` after every receive), so the letter goes in and the
/// sender is woken — neither waits for the other for ever. `capacity` letters fill the ring
/// first: one (the ring is then `concurrent-queue`'s one-slot queue) or two (its ring).
fn joining_the_line_as_the_slot_frees(capacity: usize) {
    model(move || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(capacity, capacity);
        for id in 0..capacity {
            assert!(tx.try_send(letter(id, &drops)).is_ok());
        }
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                assert!(block_on(tx.send(letter(capacity, &drops))).is_ok());
                tx
            })
        };
        let mut got = Vec::new();
        for _ in 0..=capacity {
            let next = block_on(poll_fn(|cx| rx.poll_recv(cx)));
            got.extend(next.map(id_of));
        }
        assert_eq!(got, (0..=capacity).collect::<Vec<_>>());
        drop(joined(sender));
        assert_settled(&rx, &drops, capacity + 1);
    });
}

#[test]
fn loom_sender_joining_the_line_as_the_slot_frees_is_let_in_one_slot() {
    joining_the_line_as_the_slot_frees(1);
}

#[test]
fn loom_sender_joining_the_line_as_the_slot_frees_is_let_in_ring() {
    joining_the_line_as_the_slot_frees(2);
}

/// Scenario 3, the mailbox's part: an asker gives up (its ask future is dropped) while its
/// letter waits in line, racing the run loop moving that letter in. The letter is taken back
/// and dropped by the caller, or went in and is received (its reply then goes nowhere):
/// exactly once, nothing leaked, and the line ends empty.
#[test]
fn loom_giving_up_in_line_racing_the_run_loop_drops_the_letter_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(1, 1);
        assert!(tx.try_send(letter(0, &drops)).is_ok());
        let asker = {
            let drops = drops.clone();
            thread::spawn(move || {
                let mut send = pin!(tx.send(letter(1, &drops)).quietly());
                let mut cx = TaskContext::from_waker(Waker::noop());
                match send.as_mut().poll(&mut cx) {
                    Poll::Ready(outcome) => sent(outcome, 1),
                    // Gave up: the letter comes back if it was still in line.
                    Poll::Pending => match send.take_back() {
                        Some(back) => sent(Err(back), 1),
                        None => Some(1),
                    },
                }
                // The last handle goes here: the run loop ends after what went in.
            })
        };
        let got = run_loop(&mut rx);
        let outcome = joined(asker);
        let expected: Vec<usize> = [Some(0), outcome].into_iter().flatten().collect();
        assert_eq!(got, expected, "received is not what went in");
        assert_settled(&rx, &drops, 2);
    });
}

/// Scenario 5: handle counting. The last strong sender's drop races the run loop's check,
/// and a weak sender's upgrade races that drop: the run loop stops only once no sender is
/// left, and only after receiving every letter that went in.
#[test]
fn loom_last_sender_dropped_stops_the_run_loop_after_what_was_queued() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(2, 2);
        let weak = tx.downgrade();
        let strong = {
            let drops = drops.clone();
            thread::spawn(move || {
                assert!(tx.try_send(letter(1, &drops)).is_ok());
                drop(tx);
            })
        };
        let late = {
            let drops = drops.clone();
            thread::spawn(move || {
                let tx = weak.upgrade()?;
                assert!(tx.try_send(letter(2, &drops)).is_ok());
                Some(2)
            })
        };
        let got = run_loop(&mut rx);
        joined(strong);
        let late = joined(late);
        let mut got_sorted = got.clone();
        got_sorted.sort_unstable();
        let expected: Vec<usize> = [Some(1), late].into_iter().flatten().collect();
        assert_eq!(
            got_sorted, expected,
            "stopped before what was queued: {got:?}"
        );
        // The late letter went in; otherwise only the one.
        assert_eq!(drops.load(Ordering::SeqCst), expected.len());
        drop(rx);
    });
}

/// `send_soon` into a full ring while the run loop frees the slot, nobody waiting on the
/// letter: it goes in and is received — the first in line tries again after joining, the
/// run loop looks at `waiting` after every receive — and the line ends empty.
#[test]
fn loom_letter_sent_soon_as_the_slot_frees_is_received() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(1, 1);
        assert!(tx.try_send(letter(0, &drops)).is_ok());
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                assert!(tx.send_soon(letter(1, &drops)).is_ok(), "the line had room");
                // Kept alive: the last sender's drop would wake the run loop and hide a
                // lost wake-up.
                tx
            })
        };
        let got: Vec<usize> = (0..2)
            .filter_map(|_| block_on(poll_fn(|cx| rx.poll_recv(cx))).map(id_of))
            .collect();
        let tx = joined(sender);
        assert_eq!(got, vec![0, 1], "a letter sent soon was lost or stuck");
        drop(tx);
        assert_settled(&rx, &drops, 2);
    });
}

/// `send_soon` racing the close: the letter is refused, received, or dropped with the line
/// — exactly once — and the line ends empty with `waiting` at 0.
#[test]
fn loom_letter_sent_soon_racing_close_is_received_or_dropped_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = channel::<Probe>(1, 1);
        assert!(tx.try_send(letter(0, &drops)).is_ok());
        let stopper = tx.downgrade();
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                if let Err(Refused::Closed(back) | Refused::Full(back)) =
                    tx.send_soon(letter(1, &drops))
                {
                    assert_eq!(id_of(back), 1);
                }
                tx
            })
        };
        let closer = thread::spawn(move || stopper.close());
        let got = run_loop(&mut rx);
        joined(closer);
        let tx = joined(sender);
        assert_eq!(got.first(), Some(&0), "the queued letter is received");
        drop(tx);
        assert_settled(&rx, &drops, 2);
    });
}
