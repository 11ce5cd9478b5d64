//! [`ActorHandle`]: the only way to reach an actor. Cheap to clone; every clone holds a
//! sender of the same bounded mailbox. The actor stops once the last handle is dropped.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::blocking::{block_on, in_async_context};
use crate::envelope::{self, reopen};
use crate::mailbox::{self, Refused};
use crate::shared::{self, Control, Shared};
use crate::{
    Actor, ActorStats, Answer, AskError, Message, Recipient, StopReason, TellError, Timeout,
    WeakActorHandle, WouldBlock,
};

/// A cloneable, `Send + Sync` handle to an actor of type `A`.
///
/// * [`tell`](Self::tell): fire-and-forget; waits only for room in the mailbox.
/// * [`try_tell`](Self::try_tell): never waits; a full or closed mailbox hands the message back.
/// * [`ask`](Self::ask): request–response through a one-shot reply channel made for this
///   call; resolves with the reply or an [`AskError`] saying why not, within the handle's
///   ask timeout (5 s unless set otherwise).
/// * `blocking_*`: the same from a plain thread with no runtime.
pub struct ActorHandle<A: Actor> {
    pub(crate) mailbox: mailbox::Sender<A>,
    pub(crate) shared: Arc<Shared>,
    /// Applied by `ask` and `blocking_ask`; `None` waits forever.
    pub(crate) ask_timeout: Option<Duration>,
}

impl<A: Actor> ActorHandle<A> {
    pub(crate) fn from_parts(
        mailbox: mailbox::Sender<A>,
        shared: Arc<Shared>,
        ask_timeout: Option<Duration>,
    ) -> Self {
        ActorHandle {
            mailbox,
            shared,
            ask_timeout,
        }
    }

    /// The actor's name, as given to [`ActorBuilder::name`](crate::ActorBuilder::name).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Sends `msg` without waiting for an answer. Waits while the mailbox is full.
    ///
    /// # Errors
    /// [`TellError::NotRunning`] with the message if the actor has stopped.
    pub async fn tell<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        // The immediate try first, outside the waiting future: `send` would make the same
        // try on its first poll, but building and polling that future on every `tell` cost
        // 8% of the tell benchmark.
        let letter = match self.mailbox.try_send(Box::new(envelope::Tell(msg))) {
            Err(Refused::Full(letter)) => letter,
            sent_or_closed => return sent_or_closed.map_err(refused_tell),
        };
        let sent = self.mailbox.send(letter).await;
        sent.map_err(|letter| refused_tell(Refused::Closed(letter)))
    }

    /// Sends `msg` if the mailbox has room right now; never waits.
    ///
    /// # Errors
    /// [`TellError::Full`] or [`TellError::NotRunning`], with the message.
    pub fn try_tell<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        self.mailbox
            .try_send(Box::new(envelope::Tell(msg)))
            .map_err(refused_tell)
    }

    /// Sends `msg` without ever waiting, from anywhere — a synchronous handler, a `Drop`, a
    /// callback: into the mailbox if it has room and nobody waits for room, otherwise into
    /// the line of senders waiting for room, behind them (first come, first served, as a
    /// waiting [`tell`](Self::tell)), where the actor's loop moves it in as room frees. No
    /// task is spawned and nothing blocks.
    ///
    /// The line is bounded: at most as many letters sent this way wait at once as the
    /// mailbox holds. Order is kept with every other message sent after it, by anyone. If
    /// the actor stops while the message still waits in line, the message is dropped, as a
    /// waiting `tell`'s would come back unsent.
    ///
    /// # Errors
    /// [`TellError::Full`] with the message when the line already holds as many unattended
    /// letters as the mailbox holds; [`TellError::NotRunning`] if the actor has stopped.
    pub fn tell_soon<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        self.mailbox
            .send_soon(Box::new(envelope::Tell(msg)))
            .map_err(refused_tell)
    }

    /// This handle as a [`Recipient`] of `M`: a handle to "some actor that answers `M`",
    /// with its actor type erased.
    pub fn recipient<M>(&self) -> Recipient<M>
    where
        A: Answer<M>,
        M: Message,
    {
        Recipient::new(self.clone())
    }

    /// [`tell`](Self::tell) for plain threads: blocks the thread while the mailbox is full.
    ///
    /// # Errors
    /// [`TellError::WouldBlock`] inside an async runtime; [`TellError::NotRunning`] if the
    /// actor has stopped.
    pub fn blocking_tell<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        if in_async_context() {
            return Err(TellError::WouldBlock(msg));
        }
        // Without a deadline the only refusal is a closed mailbox.
        self.blocking_send(Box::new(envelope::Tell(msg)), None)
            .map_err(refused_tell)
    }

    /// [`ask`](Self::ask) for plain threads: parks the thread until the reply arrives or the
    /// handle's ask timeout passes. Needs no runtime on the calling thread.
    ///
    /// # Errors
    /// [`AskError::WouldBlock`] when called inside an async runtime (blocking there would
    /// stall other tasks); otherwise as for [`ask`](Self::ask).
    pub fn blocking_ask<M>(&self, msg: M) -> Result<M::Reply, AskError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        self.blocking_ask_with(msg, self.timeout())
    }

    /// [`blocking_ask`](Self::blocking_ask) with an explicit timeout for this call.
    ///
    /// # Errors
    /// As for [`blocking_ask`](Self::blocking_ask).
    pub fn blocking_ask_with<M>(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<M::Reply, AskError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        if in_async_context() {
            return Err(AskError::WouldBlock(msg));
        }
        let limit = timeout.into().duration();
        let deadline = limit.map(|limit| std::time::Instant::now() + limit);
        let (reply_to, reply) = oneshot::channel();
        let letter = Box::new(envelope::Ask { msg, reply_to });
        self.blocking_send(letter, deadline).map_err(refused_ask)?;
        match block_on(reply, deadline) {
            None => Err(AskError::Timeout(limit.unwrap_or_default())),
            Some(Ok(answer)) => answer.map_err(|no_reply| no_reply.into_error()),
            Some(Err(_)) => Err(AskError::Stopped(self.blocking_reason())),
        }
    }

    /// A handle to the same actor whose `ask` uses `timeout` by default.
    pub fn with_ask_timeout(&self, timeout: impl Into<Timeout>) -> Self {
        ActorHandle {
            ask_timeout: timeout.into().duration(),
            ..self.clone()
        }
    }

    /// The timeout `ask` applies by default.
    pub fn timeout(&self) -> Timeout {
        self.ask_timeout.map_or(Timeout::Never, Timeout::After)
    }

    /// Asks the actor to stop gracefully: from the moment this returns new messages are
    /// refused, every message already queued is handled, then [`Actor::stopped`] runs.
    /// Returns at once; use [`wait_stopped`](Self::wait_stopped) to wait for the end.
    pub fn stop(&self) {
        self.shared.request(Control::Stop);
        self.mailbox.close();
    }

    /// Stops the actor now: a handler already running finishes (handlers are synchronous and
    /// cannot be interrupted), every message still queued is dropped — its asker gets
    /// [`AskError::Stopped`] with [`StopReason::Killed`] — and `stopped` does not run. New
    /// messages are refused from the moment this returns.
    pub fn kill(&self) {
        self.shared.request(Control::Kill);
        self.mailbox.close();
    }

    /// Waits until the actor has stopped for good and says why.
    pub async fn wait_stopped(&self) -> StopReason {
        self.shared.wait_end(shared::finished).await
    }

    /// [`wait_stopped`](Self::wait_stopped) for plain threads.
    ///
    /// # Errors
    /// [`WouldBlock`] inside an async runtime.
    pub fn blocking_wait_stopped(&self) -> Result<StopReason, WouldBlock> {
        if in_async_context() {
            return Err(WouldBlock);
        }
        let reason = self.shared.blocking_wait_end(shared::finished, None);
        Ok(reason.unwrap_or(StopReason::Aborted))
    }

    /// A handle that does not keep the actor alive; see [`WeakActorHandle`].
    pub fn downgrade(&self) -> WeakActorHandle<A> {
        WeakActorHandle::new(
            self.mailbox.downgrade(),
            self.shared.clone(),
            self.ask_timeout,
        )
    }

    /// Why the actor stopped, once it has finished stopping; `None` while it runs.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.shared.finished_reason()
    }

    /// Whether the mailbox still accepts messages (false from the moment a stop is asked).
    pub fn is_running(&self) -> bool {
        !self.mailbox.is_closed() && self.shared.control() == Control::Run
    }

    /// A snapshot of the actor's counters.
    pub fn stats(&self) -> ActorStats {
        let capacity = self.mailbox.capacity();
        ActorStats {
            handled: self.shared.handled.load(Ordering::Relaxed),
            mailbox_len: self.mailbox.len(),
            mailbox_capacity: capacity,
            waiting_for_room: self.mailbox.waiting(),
            restarts: self.shared.restarts.load(Ordering::Relaxed),
            running: self.is_running(),
        }
    }

    /// Puts `letter` in the mailbox from a plain thread, blocking while the mailbox is full
    /// until `deadline` (then `Full`, with the letter).
    fn blocking_send(
        &self,
        letter: mailbox::Letter<A>,
        deadline: Option<std::time::Instant>,
    ) -> Result<(), Refused<A>> {
        let mut sending = self.mailbox.send(letter);
        match block_on(&mut sending, deadline) {
            Some(Ok(())) => Ok(()),
            Some(Err(letter)) => Err(Refused::Closed(letter)),
            None => match sending.take_back() {
                Some(letter) => Err(Refused::Full(letter)),
                None => Ok(()),
            },
        }
    }

    /// The stop reason for an asker whose reply channel closed (see `blocking_reason`).
    /// Boxed: it is the rare path, and keeping it out of the ask future keeps that small.
    pub(crate) async fn stop_reason_soon(&self) -> StopReason {
        Box::pin(self.shared.wait_end(shared::decided)).await
    }

    /// The stop reason for an asker whose reply channel closed. It is recorded before any
    /// reply channel is dropped, except when the runtime drops the loop, and then an
    /// instant later; the wait is bounded as a last resort.
    fn blocking_reason(&self) -> StopReason {
        let limit = Some(Duration::from_secs(1));
        let reason = self.shared.blocking_wait_end(shared::decided, limit);
        reason.unwrap_or(StopReason::Aborted)
    }
}

impl<A: Actor> Clone for ActorHandle<A> {
    fn clone(&self) -> Self {
        ActorHandle {
            mailbox: self.mailbox.clone(),
            shared: self.shared.clone(),
            ask_timeout: self.ask_timeout,
        }
    }
}

impl<A: Actor> fmt::Debug for ActorHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorHandle")
            .field("name", &self.name())
            .field("running", &self.is_running())
            .finish()
    }
}

/// A refused `tell`'s error, with its message handed back.
pub(crate) fn refused_tell<A, M>(refused: Refused<A>) -> TellError<M>
where
    A: Answer<M>,
    M: Message,
{
    match refused {
        Refused::Full(letter) => TellError::Full(reopen::<A, envelope::Tell<M>>(letter).0),
        Refused::Closed(letter) => TellError::NotRunning(reopen::<A, envelope::Tell<M>>(letter).0),
    }
}

/// A refused `ask`'s error, with its message handed back: `Full` when it could not get in
/// before its deadline, `NotRunning` when the mailbox closed.
pub(crate) fn refused_ask<A, M>(refused: Refused<A>) -> AskError<M>
where
    A: Answer<M>,
    M: Message,
{
    match refused {
        Refused::Full(letter) => AskError::Full(reopen::<A, envelope::Ask<M>>(letter).msg),
        Refused::Closed(letter) => AskError::NotRunning(reopen::<A, envelope::Ask<M>>(letter).msg),
    }
}
