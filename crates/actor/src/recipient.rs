//! [`Recipient`]: a handle to "some actor that answers `M`", whatever its type.
//!
//! An [`ActorHandle<A>`] names the actor's type, so holding one makes the holder's module
//! depend on the actor's. A room that tells the lobby "a seat is free" needs only that one
//! message, not the lobby: it holds a `Recipient<SeatFreed>`, and the lobby's module is the
//! only one that knows both. A test can hand the room a recipient of its own making. (Actix
//! and kameo have the same tool under the same name.)
//!
//! The actor type is erased behind one pointer; `tell` and `ask` through it box their
//! future (one allocation per call), `try_tell` and `tell_soon` do not.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{ActorHandle, Answer, AskError, Message, TellError, Timeout, WeakActorHandle};

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Reply<M> = Result<<M as Message>::Reply, AskError<M>>;

/// What a recipient can do with the handle it hides.
trait Deliver<M: Message>: Send + Sync + 'static {
    fn tell(&self, msg: M) -> Boxed<'_, Result<(), TellError<M>>>;
    fn try_tell(&self, msg: M) -> Result<(), TellError<M>>;
    fn tell_soon(&self, msg: M) -> Result<(), TellError<M>>;
    fn ask(&self, msg: M, timeout: Option<Timeout>) -> Boxed<'_, Result<M::Reply, AskError<M>>>;
    fn try_ask(&self, msg: M, timeout: Timeout) -> Result<Boxed<'_, Reply<M>>, AskError<M>>;
    fn name(&self) -> &str;
    fn is_running(&self) -> bool;
    fn downgrade(&self) -> Arc<dyn Upgrade<M>>;
}

impl<A: Answer<M>, M: Message> Deliver<M> for ActorHandle<A> {
    fn tell(&self, msg: M) -> Boxed<'_, Result<(), TellError<M>>> {
        Box::pin(ActorHandle::tell(self, msg))
    }

    fn try_tell(&self, msg: M) -> Result<(), TellError<M>> {
        ActorHandle::try_tell(self, msg)
    }

    fn tell_soon(&self, msg: M) -> Result<(), TellError<M>> {
        ActorHandle::tell_soon(self, msg)
    }

    fn ask(&self, msg: M, timeout: Option<Timeout>) -> Boxed<'_, Result<M::Reply, AskError<M>>> {
        match timeout {
            Some(timeout) => Box::pin(self.ask_with(msg, timeout)),
            None => Box::pin(ActorHandle::ask(self, msg)),
        }
    }

    fn try_ask(&self, msg: M, timeout: Timeout) -> Result<Boxed<'_, Reply<M>>, AskError<M>> {
        let asked = ActorHandle::try_ask(self, msg, timeout)?;
        Ok(Box::pin(asked))
    }

    fn name(&self) -> &str {
        ActorHandle::name(self)
    }

    fn is_running(&self) -> bool {
        ActorHandle::is_running(self)
    }

    fn downgrade(&self) -> Arc<dyn Upgrade<M>> {
        Arc::new(ActorHandle::downgrade(self))
    }
}

/// What a weak recipient can do with the weak handle it hides.
trait Upgrade<M: Message>: Send + Sync + 'static {
    fn upgrade(&self) -> Option<Recipient<M>>;
    fn name(&self) -> &str;
}

impl<A: Answer<M>, M: Message> Upgrade<M> for WeakActorHandle<A> {
    fn upgrade(&self) -> Option<Recipient<M>> {
        WeakActorHandle::upgrade(self).map(Recipient::new)
    }

    fn name(&self) -> &str {
        WeakActorHandle::name(self)
    }
}

/// A cloneable handle to an actor that answers `M`, its type erased. It keeps the actor
/// alive as an [`ActorHandle`] does; [`downgrade`](Self::downgrade) for one that does not.
///
/// Made by [`ActorHandle::recipient`]. Errors are those of the handle's methods.
pub struct Recipient<M: Message> {
    inner: Arc<dyn Deliver<M>>,
}

impl<M: Message> Recipient<M> {
    pub(crate) fn new<A: Answer<M>>(handle: ActorHandle<A>) -> Self {
        Recipient {
            inner: Arc::new(handle),
        }
    }

    /// As [`ActorHandle::tell`].
    ///
    /// # Errors
    /// [`TellError::NotRunning`] with the message if the actor has stopped.
    pub async fn tell(&self, msg: M) -> Result<(), TellError<M>> {
        self.inner.tell(msg).await
    }

    /// As [`ActorHandle::try_tell`].
    ///
    /// # Errors
    /// [`TellError::Full`] or [`TellError::NotRunning`], with the message.
    pub fn try_tell(&self, msg: M) -> Result<(), TellError<M>> {
        self.inner.try_tell(msg)
    }

    /// As [`ActorHandle::tell_soon`]: never waits, bounded.
    ///
    /// # Errors
    /// [`TellError::Full`] or [`TellError::NotRunning`], with the message.
    pub fn tell_soon(&self, msg: M) -> Result<(), TellError<M>> {
        self.inner.tell_soon(msg)
    }

    /// As [`ActorHandle::ask`], with the timeout of the handle it was made from.
    ///
    /// # Errors
    /// See [`AskError`].
    pub async fn ask(&self, msg: M) -> Result<M::Reply, AskError<M>> {
        self.inner.ask(msg, None).await
    }

    /// As [`ActorHandle::ask_with`].
    ///
    /// # Errors
    /// See [`AskError`].
    pub async fn ask_with(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<M::Reply, AskError<M>> {
        self.inner.ask(msg, Some(timeout.into())).await
    }

    /// As [`ActorHandle::try_ask`]: sent now or not at all; the future waits for the reply.
    ///
    /// # Errors
    /// [`AskError::Full`] or [`AskError::NotRunning`] with the message, unsent; the future's
    /// are those of [`ask`](Self::ask).
    pub fn try_ask(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<impl Future<Output = Reply<M>> + Send + '_, AskError<M>> {
        self.inner.try_ask(msg, timeout.into())
    }

    /// The actor's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Whether the actor's mailbox still accepts messages.
    pub fn is_running(&self) -> bool {
        self.inner.is_running()
    }

    /// A recipient that does not keep the actor alive.
    pub fn downgrade(&self) -> WeakRecipient<M> {
        WeakRecipient {
            inner: self.inner.downgrade(),
        }
    }
}

impl<M: Message> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Message> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("name", &self.name())
            .field("running", &self.is_running())
            .finish()
    }
}

/// A [`Recipient`] that does not keep the actor alive: for an actor held by the one it
/// reports to (a room held by its lobby), which must not keep that one alive in turn.
pub struct WeakRecipient<M: Message> {
    inner: Arc<dyn Upgrade<M>>,
}

impl<M: Message> WeakRecipient<M> {
    pub(crate) fn new<A: Answer<M>>(handle: WeakActorHandle<A>) -> Self {
        WeakRecipient {
            inner: Arc::new(handle),
        }
    }

    /// A full recipient, if the actor still has a full handle somewhere.
    pub fn upgrade(&self) -> Option<Recipient<M>> {
        self.inner.upgrade()
    }

    /// The actor's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }
}

impl<M: Message> Clone for WeakRecipient<M> {
    fn clone(&self) -> Self {
        WeakRecipient {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Message> fmt::Debug for WeakRecipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakRecipient")
            .field("name", &self.name())
            .finish()
    }
}

impl<A: Answer<M>, M: Message> From<ActorHandle<A>> for Recipient<M> {
    fn from(handle: ActorHandle<A>) -> Self {
        Recipient::new(handle)
    }
}
