//! [`WeakActorHandle`]: watches an actor without keeping it alive.

use std::fmt;
use std::sync::Arc;

use crate::mailbox::WeakSender;
use crate::shared::{self, Shared};
use crate::{Actor, ActorHandle, Answer, Message, StopReason, WeakRecipient};

/// A handle that does not count: the actor still stops when the last [`ActorHandle`] is
/// dropped. It can wait for that end, read the stop reason, or upgrade to a full handle
/// while the actor runs — for a directory of actors (a lobby listing rooms) that must not
/// keep them alive.
pub struct WeakActorHandle<A: Actor> {
    mailbox: WeakSender<A>,
    shared: Arc<Shared>,
    ask_timeout: Option<std::time::Duration>,
}

impl<A: Actor> WeakActorHandle<A> {
    pub(crate) fn new(
        mailbox: WeakSender<A>,
        shared: Arc<Shared>,
        ask_timeout: Option<std::time::Duration>,
    ) -> Self {
        WeakActorHandle {
            mailbox,
            shared,
            ask_timeout,
        }
    }

    /// A full handle, if some other full handle still exists.
    pub fn upgrade(&self) -> Option<ActorHandle<A>> {
        let mailbox = self.mailbox.upgrade()?;
        Some(ActorHandle::from_parts(
            mailbox,
            self.shared.clone(),
            self.ask_timeout,
        ))
    }

    /// This weak handle as a [`WeakRecipient`] of `M`: it does not keep the actor alive
    /// either.
    pub fn recipient<M>(&self) -> WeakRecipient<M>
    where
        A: Answer<M>,
        M: Message,
    {
        WeakRecipient::new(self.clone())
    }

    /// The actor's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Waits until the actor has stopped for good and says why.
    pub async fn wait_stopped(&self) -> StopReason {
        self.shared.wait_end(shared::finished).await
    }

    /// Why the actor stopped, once it has finished stopping; `None` while it runs.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.shared.finished_reason()
    }
}

impl<A: Actor> Clone for WeakActorHandle<A> {
    fn clone(&self) -> Self {
        WeakActorHandle {
            mailbox: self.mailbox.clone(),
            shared: self.shared.clone(),
            ask_timeout: self.ask_timeout,
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorHandle")
            .field("name", &self.name())
            .finish()
    }
}
