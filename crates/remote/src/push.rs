//! Pushes: an actor's word to a member whose connection lives on another node.
//!
//! A room does not ask its members anything; it pushes events to them (a guess was made, a
//! round was won). A member on another node is reached through a subject of its own
//! (`member.<id>`, say): the member's node [`subscribe`]s to it for as long as the
//! connection lives, and the room [`push`]es envelopes there. The envelope is the one a
//! tell uses, so versions are checked the same way; delivery is a NATS publish: at most
//! once, in order per publishing connection, nothing said when nobody listens.

use std::marker::PhantomData;

use async_nats::{Client, Subject, Subscriber};
use futures_util::StreamExt;

use crate::wire;
use crate::{RemoteMessage, WireError};

/// Why a push was not sent.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The message could not be encoded.
    #[error("the push could not be encoded: {0}")]
    Encode(WireError),
    /// The NATS client refused the publish (closed).
    #[error("NATS: {0}")]
    Transport(String),
}

/// Publishes `msg` to a member's `subject`.
///
/// # Errors
/// See [`PushError`]. Nobody listening is not an error: the push is lost, as the member is.
pub async fn push<M: RemoteMessage>(
    client: &Client,
    subject: &str,
    msg: &M,
) -> Result<(), PushError> {
    let payload = wire::encode_request(msg, None).map_err(PushError::Encode)?;
    client
        .publish(Subject::from(subject), payload)
        .await
        .map_err(|err| PushError::Transport(err.to_string()))
}

/// Subscribes to a member's subject for pushes of type `M`.
///
/// # Errors
/// The client is closed.
pub async fn subscribe<M: RemoteMessage>(
    client: &Client,
    subject: impl Into<String>,
) -> Result<Pushes<M>, async_nats::SubscribeError> {
    let subscriber = client.subscribe(Subject::from(subject.into())).await?;
    Ok(Pushes {
        subscriber,
        _message: PhantomData,
    })
}

/// The pushes arriving on a member's subject, in order. Unsubscribes on drop.
#[derive(Debug)]
pub struct Pushes<M> {
    subscriber: Subscriber,
    _message: PhantomData<fn() -> M>,
}

impl<M: RemoteMessage> Pushes<M> {
    /// The next push: `None` once the subscription has ended (the client closed), an `Err`
    /// for one unreadable push (the next may read fine).
    pub async fn next(&mut self) -> Option<Result<M, WireError>> {
        let message = self.subscriber.next().await?;
        Some(wire::decode_request::<M>(&message.payload).map(|request| request.msg))
    }
}
