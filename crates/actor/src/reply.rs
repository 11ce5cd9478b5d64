//! [`ReplyTo`]: the answer slot of one `ask`, which a handler may keep and fill later.
//!
//! Most handlers answer by returning (`Handler::handle`). Some cannot answer yet: the room
//! announces a win only after the recorder committed it, the recorder confirms a save only
//! after its group commit, a parking lot answers a resume only once the room took the
//! player back. Such an actor implements [`Answer`](crate::Answer) instead of `Handler` for
//! that message: it receives the request's `ReplyTo`, may keep it in its state or hand it
//! to a task, and the asker keeps everything `ask` promises meanwhile — its deadline, its
//! typed errors, "the actor stopped before answering". OTP calls this `gen_server:reply/2`.
//!
//! What happens to an asker whose slot is never filled:
//! * the slot is dropped while the actor runs → [`AskError::Dropped`](crate::AskError::Dropped), at once;
//! * the handler holding it panics → [`AskError::Panicked`](crate::AskError::Panicked) with that panic;
//! * the actor stops (its state, holding the slot, is dropped as it ends) →
//!   [`AskError::Stopped`](crate::AskError::Stopped) with the reason;
//! * the deadline passes first → [`AskError::Timeout`](crate::AskError::Timeout); a later answer is dropped.
//!
//! For an `ask`, the slot is the sending half of the ask's one-shot channel and nothing
//! else: answering now through it costs what returning did. For an actor's
//! [`ask_into`](crate::Context::ask_into) it is a [`Sink`] that posts the answer into the
//! asking actor's mailbox, with the same four outcomes as messages.

use std::cell::{Cell, RefCell};
use std::fmt;

use tokio::sync::oneshot;

use crate::{AskError, Panic};

/// Why a reply slot was closed without an answer. Boxed in the channel, so that a slot is
/// the size of the reply plus a pointer.
pub(crate) enum NoReply {
    Panicked(Panic),
    Dropped,
}

impl NoReply {
    pub(crate) fn into_error<M>(self) -> AskError<M> {
        match self {
            NoReply::Panicked(panic) => AskError::Panicked(panic),
            NoReply::Dropped => AskError::Dropped,
        }
    }
}

/// What travels back through an ask's channel.
pub(crate) type Answered<R> = Result<R, Box<NoReply>>;

/// The sending half of one ask's reply channel, as the envelope holds it.
pub(crate) type Slot<R> = oneshot::Sender<Answered<R>>;

/// Where an `ask_into`'s answer goes: into the asking actor's mailbox (`ask_into.rs`).
pub(crate) trait Sink<R>: Send {
    /// Delivers the answer, or why there is none. Dropped without it, a sink delivers the
    /// target's stop reason (the target stopped holding it).
    fn post(self: Box<Self>, answer: Result<R, AskError<()>>);
    /// Whether nobody waits for the answer any more (the asker stopped).
    fn is_closed(&self) -> bool;
}

/// Who waits for an answer.
enum To<R: Send + 'static> {
    /// An `ask`'s caller, on its one-shot channel.
    Asker(Slot<R>),
    /// An actor that asked with `ask_into`.
    Mailbox(Box<dyn Sink<R>>),
}

/// The answer slot of one `ask`: fill it with [`send`](Self::send), now or later.
///
/// Dropping it unanswered tells the asker why (see the module docs); it never leaves an
/// asker waiting for nothing. A slot made for a `tell` goes nowhere: sending into it drops
/// the value.
#[must_use = "an asker waits for this slot: send into it, or drop it to tell the asker there will be no reply"]
pub struct ReplyTo<R: Send + 'static> {
    slot: Option<To<R>>,
}

impl<R: Send + 'static> ReplyTo<R> {
    pub(crate) fn new(slot: Slot<R>) -> Self {
        ReplyTo {
            slot: Some(To::Asker(slot)),
        }
    }

    /// A slot whose answer goes into an asking actor's mailbox.
    pub(crate) fn sink(sink: Box<dyn Sink<R>>) -> Self {
        ReplyTo {
            slot: Some(To::Mailbox(sink)),
        }
    }

    /// A slot for a told message: nobody waits.
    pub(crate) fn nobody() -> Self {
        ReplyTo { slot: None }
    }

    /// Answers the asker.
    ///
    /// # Errors
    /// The value comes back if nobody waits for it: the asker gave up meanwhile (deadline,
    /// dropped future), or the message was told. Dropping it is always fine.
    #[inline]
    pub fn send(mut self, value: R) -> Result<(), R> {
        match self.slot.take() {
            Some(To::Asker(slot)) => slot.send(Ok(value)).map_err(|unsent| match unsent {
                Ok(value) => value,
                Err(_) => unreachable!("only answers are sent through `send`"),
            }),
            Some(To::Mailbox(sink)) if sink.is_closed() => Err(value),
            Some(To::Mailbox(sink)) => {
                sink.post(Ok(value));
                Ok(())
            }
            None => Err(value),
        }
    }

    /// Whether nobody waits for this answer any more (or never did): the asker timed out or
    /// dropped its future, or the message was told. Work that only serves the answer can
    /// then be skipped.
    pub fn is_closed(&self) -> bool {
        match &self.slot {
            Some(To::Asker(slot)) => slot.is_closed(),
            Some(To::Mailbox(sink)) => sink.is_closed(),
            None => true,
        }
    }
}

impl<R: Send + 'static> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        if std::thread::panicking() {
            // Dropped while a handler unwinds: the envelope catching that panic answers with
            // it (see `settle_orphans`).
            ORPHANS.with(|orphans| {
                orphans
                    .borrow_mut()
                    .push(Box::new(move |panic: &Panic| match slot {
                        To::Asker(slot) => {
                            let _ = slot.send(Err(Box::new(NoReply::Panicked(panic.clone()))));
                        }
                        To::Mailbox(sink) => sink.post(Err(AskError::Panicked(panic.clone()))),
                    }));
            });
        } else if ENDING.with(Cell::get) {
            // Dropped with the state of an actor that is ending: closing the channel sends the
            // asker to read the stop reason, recorded right after.
            match slot {
                To::Asker(slot) => drop(slot),
                // Its drop posts the stop reason once recorded.
                To::Mailbox(sink) => drop(sink),
            }
        } else {
            match slot {
                To::Asker(slot) => {
                    let _ = slot.send(Err(Box::new(NoReply::Dropped)));
                }
                To::Mailbox(sink) => sink.post(Err(AskError::Dropped)),
            }
        }
    }
}

impl<R: Send + 'static> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.is_closed())
            .finish()
    }
}

type Orphan = Box<dyn FnOnce(&Panic)>;

thread_local! {
    /// Reply slots dropped while a handler unwound on this thread, waiting to be told which
    /// panic it was.
    static ORPHANS: RefCell<Vec<Orphan>> = const { RefCell::new(Vec::new()) };
    /// Set while the run loop drops the state of an actor that is stopping for good.
    static ENDING: Cell<bool> = const { Cell::new(false) };
}

/// Answers every slot dropped by the panic just caught on this thread with that panic.
pub(crate) fn settle_orphans(panic: &Panic) {
    let orphans = ORPHANS.with(|orphans| std::mem::take(&mut *orphans.borrow_mut()));
    for orphan in orphans {
        orphan(panic);
    }
}

/// Drops the state of an actor that is stopping for good: reply slots kept in it close
/// quietly, and their askers report the stop reason rather than a dropped reply.
pub(crate) fn drop_ending<T>(state: T) {
    ENDING.with(|ending| ending.set(true));
    let guard = EndingGuard;
    drop(state);
    drop(guard);
}

/// Clears the flag even if a destructor panics.
struct EndingGuard;

impl Drop for EndingGuard {
    fn drop(&mut self) {
        ENDING.with(|ending| ending.set(false));
    }
}
