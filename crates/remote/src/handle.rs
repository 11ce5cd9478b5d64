//! [`Handle`]: one handle type for an actor in this process or on another node.
//!
//! A session should not care where its room runs. It holds a `Handle<Guess>`: `Local` wraps
//! the actor's own [`Recipient`], so an in-process ask is the plain mailbox ask — nothing is
//! encoded and nothing goes through NATS; `Remote` wraps a [`RemoteHandle`]. Both answer
//! with this crate's [`AskError`]/[`TellError`], so the caller's `match` is the same.

use referee_actor::{Recipient, Timeout};

use crate::{AskError, RemoteHandle, RemoteMessage, TellError};

/// An actor that answers `M`, here or elsewhere.
pub enum Handle<M: RemoteMessage> {
    /// In this process: straight into its mailbox.
    Local(Recipient<M>),
    /// On another node, over NATS.
    Remote(RemoteHandle<M>),
}

impl<M: RemoteMessage> Handle<M> {
    /// Whether the actor is in this process.
    pub fn is_local(&self) -> bool {
        matches!(self, Handle::Local(_))
    }

    /// As `ActorHandle::tell` or [`RemoteHandle::tell`].
    ///
    /// # Errors
    /// See [`TellError`].
    pub async fn tell(&self, msg: M) -> Result<(), TellError<M>> {
        match self {
            Handle::Local(local) => local.tell(msg).await.map_err(TellError::from),
            Handle::Remote(remote) => remote.tell(msg).await,
        }
    }

    /// As `ActorHandle::ask` or [`RemoteHandle::ask`], with the handle's own timeout.
    ///
    /// # Errors
    /// See [`AskError`].
    pub async fn ask(&self, msg: M) -> Result<M::Reply, AskError<M>> {
        match self {
            Handle::Local(local) => local.ask(msg).await.map_err(AskError::from),
            Handle::Remote(remote) => remote.ask(msg).await,
        }
    }

    /// [`ask`](Self::ask) with an explicit timeout for this call.
    ///
    /// # Errors
    /// See [`AskError`].
    pub async fn ask_with(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<M::Reply, AskError<M>> {
        let timeout = timeout.into();
        match self {
            Handle::Local(local) => local.ask_with(msg, timeout).await.map_err(AskError::from),
            Handle::Remote(remote) => remote.ask_with(msg, timeout).await,
        }
    }
}

impl<M: RemoteMessage> Clone for Handle<M> {
    fn clone(&self) -> Self {
        match self {
            Handle::Local(local) => Handle::Local(local.clone()),
            Handle::Remote(remote) => Handle::Remote(remote.clone()),
        }
    }
}

impl<M: RemoteMessage> std::fmt::Debug for Handle<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handle::Local(local) => f.debug_tuple("Handle::Local").field(local).finish(),
            Handle::Remote(remote) => f.debug_tuple("Handle::Remote").field(remote).finish(),
        }
    }
}

impl<M: RemoteMessage> From<Recipient<M>> for Handle<M> {
    fn from(local: Recipient<M>) -> Self {
        Handle::Local(local)
    }
}

impl<M: RemoteMessage> From<RemoteHandle<M>> for Handle<M> {
    fn from(remote: RemoteHandle<M>) -> Self {
        Handle::Remote(remote)
    }
}
