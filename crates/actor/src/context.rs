//! What a handler may know about the actor it runs in, besides its own state.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::envelope;
use crate::mailbox::{Receiver, WeakSender};
use crate::shared::{Control, Shared};
use crate::{Actor, ActorHandle, Answer, Message};

/// Passed to every handler and hook: the actor's name, a way to reach itself, a way to stop.
pub struct Context<A: Actor> {
    /// Weak, so that the actor does not keep its own mailbox open: it still stops when the
    /// last handle held by others is dropped.
    pub(crate) mailbox: WeakSender<A>,
    shared: Arc<Shared>,
    ask_timeout: Option<Duration>,
    /// The mailbox's receiving end. The run loop takes messages from it; it lives here so
    /// that [`queued`](Self::queued) can count the waiting ones when asked, not before every
    /// message whether asked or not.
    pub(crate) inbox: Receiver<A>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(
        inbox: Receiver<A>,
        mailbox: WeakSender<A>,
        shared: Arc<Shared>,
        ask_timeout: Option<Duration>,
    ) -> Self {
        Context {
            mailbox,
            shared,
            ask_timeout,
            inbox,
        }
    }

    /// The actor's name (set with [`ActorBuilder::name`](crate::ActorBuilder::name)).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// A handle to this actor, or `None` if it is already shutting down.
    ///
    /// Storing it inside the actor's own state keeps the actor alive until it is dropped or
    /// [`stop`](Self::stop) is called. To message yourself from a handler, prefer
    /// `try_tell`: a `tell` that waits for room in your own full mailbox waits forever.
    pub fn handle(&self) -> Option<ActorHandle<A>> {
        let tx = self.mailbox.upgrade()?;
        Some(ActorHandle::from_parts(
            tx,
            self.shared.clone(),
            self.ask_timeout,
        ))
    }

    /// Stops gracefully once the current handler returns: the mailbox closes to new messages
    /// and every message already queued is still handled, then [`Actor::stopped`] runs.
    pub fn stop(&self) {
        self.shared.request(Control::Stop);
        self.mailbox.close();
    }

    /// How many messages are waiting in the mailbox behind the one being handled, counted
    /// now: messages sent while the handler runs are included. (From `started`, the messages
    /// already waiting for the actor's first handler.)
    ///
    /// Zero means "nothing else is waiting": the moment to flush work batched across
    /// messages (group commit, coalesced broadcasts).
    pub fn queued(&self) -> usize {
        self.inbox.len()
    }

    /// Runs `fut` outside the actor and sends its output back as a message: the way for a
    /// (synchronous) handler to wait for something — another actor's answer, a timer, I/O —
    /// without blocking the mailbox. Akka calls this `pipeToSelf`.
    ///
    /// The result is delivered with `tell`, so it queues behind messages already waiting. If
    /// the actor has stopped by then, the result is dropped. The spawned task holds no handle:
    /// it does not keep the actor alive.
    ///
    /// For another actor's answer, [`ask_into`](Self::ask_into) does the same with no task.
    ///
    /// # Panics
    /// If called outside a tokio runtime (handlers always run inside one).
    pub fn pipe_to_self<F, M>(
        &self,
        fut: F,
        into_message: impl FnOnce(F::Output) -> M + Send + 'static,
    ) where
        F: Future + Send + 'static,
        F::Output: Send,
        M: Message,
        A: Answer<M>,
    {
        let mailbox = self.mailbox.clone();
        tokio::spawn(async move {
            let output = fut.await;
            if let Some(mailbox) = mailbox.upgrade() {
                let msg = into_message(output);
                let _ = mailbox.send(Box::new(envelope::Tell(msg))).await;
            }
        });
    }

    /// How many times this actor has been restarted by its supervisor.
    pub fn restarts(&self) -> u32 {
        self.shared
            .restarts
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}
