//! [`Context::ask_into`]: an actor asks another, and the answer comes back into its own
//! mailbox as a message — with no task and no reply channel per request.
//!
//! A handler cannot wait, so an actor that needs another's answer used to hand the ask to
//! [`Context::pipe_to_self`]: a task spawned per request, waiting on the reply's one-shot
//! channel, then telling the actor. That is a spawn, a channel and two wake-ups more than
//! the answer needs, and on a multi-threaded runtime the spawned task often wakes a parked
//! worker (a system call) to run on. Here the reply slot the other actor receives is a
//! *sink*: filling it turns the answer into the asker's message and puts it straight into
//! the asker's mailbox. Erlang's `gen_server:send_request` works the same way (the reply is
//! a message), as does Akka Typed's `context.ask`.
//!
//! Exactly one message comes back per `ask_into`, whatever happens, unless the asker's
//! mailbox has closed meanwhile (it stopped, or is stopping):
//! * the answer (`Ok`), whenever the other actor fills the slot — now or later;
//! * [`AskError::NotRunning`] if the other actor's mailbox is closed;
//! * [`AskError::Dropped`] or [`AskError::Panicked`] if the slot is dropped unanswered, or
//!   its handler panics;
//! * [`AskError::Stopped`] with the reason if the other actor stops with the request still
//!   in its mailbox or the slot in its state (the slot's `Drop` says so).
//!
//! There is no deadline: an actor that must not wait forever arms its own timer (one per
//! actor serves any number of requests). A full mailbox — the other's, for the request, or
//! the asker's, for the answer — is waited for by a task spawned then, the rare case only.

use std::marker::PhantomData;
use std::sync::Arc;

use tokio::runtime::Handle;

use crate::envelope;
use crate::mailbox::{Letter, Refused, WeakSender};
use crate::reply::Sink;
use crate::shared::{self, Shared};
use crate::{Actor, ActorHandle, Answer, AskError, Context, Message};

impl<A: Actor> Context<A> {
    /// Asks `target` and has its answer come back to this actor as the message
    /// `into_message(answer)`, queued behind those already waiting; the handler returns at
    /// once. See the module docs for what comes back when there is no answer.
    ///
    /// # Panics
    /// If called outside a tokio runtime (handlers always run inside one).
    pub fn ask_into<B, Q, M>(
        &self,
        target: &ActorHandle<B>,
        msg: Q,
        into_message: impl FnOnce(Result<Q::Reply, AskError<()>>) -> M + Send + 'static,
    ) where
        B: Answer<Q>,
        Q: Message,
        M: Message,
        A: Answer<M>,
    {
        let runtime = Handle::current();
        let sink = Box::new(IntoMailbox {
            pending: Some(Pending {
                asker: self.mailbox.clone(),
                into_message,
                runtime: runtime.clone(),
                target: target.shared.clone(),
            }),
            _answer: PhantomData,
        });
        let letter: Letter<B> = Box::new(envelope::AskInto { msg, sink });
        match target.mailbox.try_send(letter) {
            Ok(()) => {}
            Err(Refused::Closed(letter)) => not_running::<B, Q>(letter),
            Err(Refused::Full(letter)) => {
                // Waits its turn in a task: a handler cannot.
                let mailbox = target.mailbox.clone();
                runtime.spawn(async move {
                    if let Err(letter) = mailbox.send(letter).await {
                        not_running::<B, Q>(letter);
                    }
                });
            }
        }
    }
}

/// Tells the asker of a request the target's mailbox refused that the target is not running.
fn not_running<B: Answer<Q>, Q: Message>(letter: Letter<B>) {
    let refused = envelope::reopen::<B, envelope::AskInto<Q>>(letter);
    refused.sink.post(Err(AskError::NotRunning(())));
}

/// The reply slot of one `ask_into`: turns the answer into the asker's message and posts it.
/// Dropped without posting — the target stopped with the request still queued in its mailbox
/// or kept in its state — it posts the target's stop reason once recorded.
struct IntoMailbox<A, M, R, F>
where
    A: Answer<M>,
    M: Message,
    R: Send + 'static,
    F: FnOnce(Result<R, AskError<()>>) -> M + Send + 'static,
{
    /// Taken when the answer is posted.
    pending: Option<Pending<A, F>>,
    _answer: PhantomData<fn(R) -> M>,
}

/// What posting the answer needs.
struct Pending<A: Actor, F> {
    asker: WeakSender<A>,
    into_message: F,
    /// Where to wait, in the rare cases that must (a full mailbox, a target's stop reason):
    /// the slot may be filled on a thread outside the runtime.
    runtime: Handle,
    /// The target's end, to say why it stopped holding the slot.
    target: Arc<Shared>,
}

impl<A: Actor, F> Pending<A, F> {
    fn post<M, R>(self, answer: Result<R, AskError<()>>)
    where
        A: Answer<M>,
        M: Message,
        F: FnOnce(Result<R, AskError<()>>) -> M + Send + 'static,
    {
        // The asker stopped: nobody to tell.
        let Some(asker) = self.asker.upgrade() else {
            return;
        };
        let letter: Letter<A> = Box::new(envelope::Tell((self.into_message)(answer)));
        if let Err(Refused::Full(letter)) = asker.try_send(letter) {
            self.runtime.spawn(async move {
                let _ = asker.send(letter).await;
            });
        }
    }
}

impl<A, M, R, F> Sink<R> for IntoMailbox<A, M, R, F>
where
    A: Answer<M>,
    M: Message,
    R: Send + 'static,
    F: FnOnce(Result<R, AskError<()>>) -> M + Send + 'static,
{
    fn post(mut self: Box<Self>, answer: Result<R, AskError<()>>) {
        if let Some(pending) = self.pending.take() {
            pending.post(answer);
        }
    }

    fn is_closed(&self) -> bool {
        self.pending.as_ref().is_none_or(|pending| {
            pending
                .asker
                .upgrade()
                .is_none_or(|asker| asker.is_closed())
        })
    }
}

impl<A, M, R, F> Drop for IntoMailbox<A, M, R, F>
where
    A: Answer<M>,
    M: Message,
    R: Send + 'static,
    F: FnOnce(Result<R, AskError<()>>) -> M + Send + 'static,
{
    fn drop(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        // The target is stopping: its reason is recorded as it ends (after dropping its
        // queued messages and its state, where this slot was).
        let runtime = pending.runtime.clone();
        runtime.spawn(async move {
            let reason = pending.target.wait_end(shared::decided).await;
            pending.post::<M, R>(Err(AskError::Stopped(reason)));
        });
    }
}
