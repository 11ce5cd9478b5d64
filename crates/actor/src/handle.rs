//! [`ActorHandle`]: the only way to reach an actor. Cheap to clone; every clone holds a
//! sender of the same bounded mailbox. The actor stops once the last handle is dropped.

use std::fmt;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc::{self, Permit, error::TrySendError};
use tokio::sync::oneshot;

use crate::ask::AskFuture;
use crate::blocking::{block_on, in_async_context};
use crate::deadline::{Elapsed, LazyDeadline};
use crate::envelope::{self, Envelope};
use crate::shared::{self, Control, Shared};
use crate::{
    Actor, ActorStats, AskError, Handler, Message, StopReason, TellError, Timeout, WeakActorHandle,
    WouldBlock,
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
    mailbox: mpsc::Sender<Box<dyn Envelope<A>>>,
    shared: Arc<Shared>,
    /// Applied by `ask` and `blocking_ask`; `None` waits forever.
    ask_timeout: Option<Duration>,
}

/// A reserved slot in the mailbox: whatever is put in it is delivered. Reserving first and
/// boxing the envelope second means a message that cannot be delivered is handed back as it
/// was, never boxed.
pub(crate) type Slot<'a, A> = Permit<'a, Box<dyn Envelope<A>>>;

/// Why no slot could be reserved.
pub(crate) enum NoSlot {
    Closed,
    DeadlinePassed,
}

impl<A: Actor> ActorHandle<A> {
    pub(crate) fn from_parts(
        mailbox: mpsc::Sender<Box<dyn Envelope<A>>>,
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
        A: Handler<M>,
        M: Message,
    {
        let slot = match self.try_reserve() {
            Some(reserved) => reserved,
            None => {
                // Boxed: the rare path takes no space in the future of every `tell`.
                let mut forever = LazyDeadline::new(None);
                Box::pin(self.room(&mut forever)).await
            }
        };
        match slot {
            Ok(slot) => {
                slot.send(Box::new(envelope::Tell(msg)));
                Ok(())
            }
            Err(_) => Err(TellError::NotRunning(msg)),
        }
    }

    /// Sends `msg` if the mailbox has room right now; never waits.
    ///
    /// # Errors
    /// [`TellError::Full`] or [`TellError::NotRunning`], with the message.
    pub fn try_tell<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Handler<M>,
        M: Message,
    {
        match self.try_reserve() {
            Some(Ok(slot)) => {
                slot.send(Box::new(envelope::Tell(msg)));
                Ok(())
            }
            None => Err(TellError::Full(msg)),
            Some(Err(_)) => Err(TellError::NotRunning(msg)),
        }
    }

    /// [`tell`](Self::tell) for plain threads: blocks the thread while the mailbox is full.
    ///
    /// # Errors
    /// [`TellError::WouldBlock`] inside an async runtime; [`TellError::NotRunning`] if the
    /// actor has stopped.
    pub fn blocking_tell<M>(&self, msg: M) -> Result<(), TellError<M>>
    where
        A: Handler<M>,
        M: Message,
    {
        if in_async_context() {
            return Err(TellError::WouldBlock(msg));
        }
        match self.blocking_reserve(None) {
            Ok(slot) => {
                slot.send(Box::new(envelope::Tell(msg)));
                Ok(())
            }
            Err(_) => Err(TellError::NotRunning(msg)),
        }
    }

    /// Sends `msg` and waits for the reply, within this handle's ask timeout.
    ///
    /// A one-shot reply channel is made for this call and travels inside the message; the
    /// actor answers through it. If this future is dropped, the actor still handles the
    /// message and its reply is silently discarded.
    ///
    /// # Errors
    /// See [`AskError`]: not running, mailbox full until the deadline, the handler panicked,
    /// the actor stopped before replying, or timeout.
    ///
    /// # Panics
    /// With a deadline, on a tokio runtime built without timers (`enable_time`), once the
    /// reply has taken longer than 5 to 10 ms: the deadline then needs tokio's timer, and tokio
    /// panics. `#[tokio::main]` and `Runtime::new` enable timers.
    pub fn ask<M>(&self, msg: M) -> AskFuture<'_, A, M>
    where
        A: Handler<M>,
        M: Message,
    {
        AskFuture::new(self, msg, self.ask_timeout)
    }

    /// [`ask`](Self::ask) with an explicit timeout for this call:
    /// `ask_with(msg, Duration::from_millis(50))` or `ask_with(msg, Timeout::Never)`.
    ///
    /// # Errors
    /// As for [`ask`](Self::ask).
    pub fn ask_with<M>(&self, msg: M, timeout: impl Into<Timeout>) -> AskFuture<'_, A, M>
    where
        A: Handler<M>,
        M: Message,
    {
        AskFuture::new(self, msg, timeout.into().duration())
    }

    /// [`ask`](Self::ask) for plain threads: parks the thread until the reply arrives or the
    /// handle's ask timeout passes. Needs no runtime on the calling thread.
    ///
    /// # Errors
    /// [`AskError::WouldBlock`] when called inside an async runtime (blocking there would
    /// stall other tasks); otherwise as for [`ask`](Self::ask).
    pub fn blocking_ask<M>(&self, msg: M) -> Result<M::Reply, AskError<M>>
    where
        A: Handler<M>,
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
        A: Handler<M>,
        M: Message,
    {
        if in_async_context() {
            return Err(AskError::WouldBlock(msg));
        }
        let limit = timeout.into().duration();
        let deadline = limit.map(|limit| std::time::Instant::now() + limit);
        let slot = match self.blocking_reserve(deadline) {
            Ok(slot) => slot,
            Err(NoSlot::Closed) => return Err(AskError::NotRunning(msg)),
            Err(NoSlot::DeadlinePassed) => return Err(AskError::Full(msg)),
        };
        let (reply_to, reply) = oneshot::channel();
        slot.send(Box::new(envelope::Ask { msg, reply_to }));
        match block_on(reply, deadline) {
            None => Err(AskError::Timeout(limit.unwrap_or_default())),
            Some(Ok(answer)) => answer.map_err(|panic| AskError::Panicked(*panic)),
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
    }

    /// Stops the actor now: a handler already running finishes (handlers are synchronous and
    /// cannot be interrupted), every message still queued is dropped — its asker gets
    /// [`AskError::Stopped`] with [`StopReason::Killed`] — and `stopped` does not run. New
    /// messages are refused from the moment this returns.
    pub fn kill(&self) {
        self.shared.request(Control::Kill);
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
        let capacity = self.mailbox.max_capacity();
        ActorStats {
            handled: self.shared.handled.load(Ordering::Relaxed),
            mailbox_len: capacity - self.mailbox.capacity(),
            mailbox_capacity: capacity,
            restarts: self.shared.restarts.load(Ordering::Relaxed),
            running: self.is_running(),
        }
    }

    /// Waits for room in a full mailbox, within `deadline`. The slow path: callers box it
    /// (`tell`) or call it from a boxed future of their own (`ask`), so that one allocation
    /// holds the whole wait and the common path's futures stay small.
    pub(crate) async fn room(&self, deadline: &mut LazyDeadline) -> Result<Slot<'_, A>, NoSlot> {
        let mut waiting = pin!(self.mailbox.reserve());
        match deadline.run(waiting.as_mut()).await {
            Ok(Ok(slot)) => self.admit(slot),
            Ok(Err(_)) => Err(NoSlot::Closed),
            Err(Elapsed) => Err(NoSlot::DeadlinePassed),
        }
    }

    fn blocking_reserve(
        &self,
        deadline: Option<std::time::Instant>,
    ) -> Result<Slot<'_, A>, NoSlot> {
        if let Some(ready) = self.try_reserve() {
            return ready;
        }
        match block_on(self.mailbox.reserve(), deadline) {
            Some(Ok(slot)) => self.admit(slot),
            Some(Err(_)) => Err(NoSlot::Closed),
            None => Err(NoSlot::DeadlinePassed),
        }
    }

    /// The fast path: a slot if there is room now, `None` if the caller must wait.
    pub(crate) fn try_reserve(&self) -> Option<Result<Slot<'_, A>, NoSlot>> {
        match self.mailbox.try_reserve() {
            Ok(permit) => Some(self.admit(permit)),
            Err(TrySendError::Closed(())) => Some(Err(NoSlot::Closed)),
            Err(TrySendError::Full(())) => None,
        }
    }

    /// A reserved slot may only be used while the actor has not been asked to stop: from the
    /// moment `stop` or `kill` returns, new messages are refused, even before the run loop
    /// gets round to closing the mailbox.
    fn admit<'a>(&self, slot: Slot<'a, A>) -> Result<Slot<'a, A>, NoSlot> {
        if self.shared.control() == Control::Run {
            Ok(slot)
        } else {
            Err(NoSlot::Closed)
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
