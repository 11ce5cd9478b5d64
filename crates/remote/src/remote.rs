//! [`RemoteHandle`]: `tell` and `ask` to an actor served on a NATS subject by another
//! process, with the local handle's shape and errors.
//!
//! An ask is a NATS request: the client publishes the envelope with a reply subject made for
//! this one request (async-nats's muxed inbox, `_INBOX.<client>.<token>`) and waits for one
//! message on it. NATS answers at once with a "no responders" status when nobody subscribes
//! to the subject, which is how a caller learns "the room is gone" without waiting for a
//! timeout. A tell is a plain publish: no round trip, and so no word back (at most once).
//!
//! A handle is typed by the message it sends, as a `Recipient<M>` is: the sender needs to
//! know the message, not the actor behind the subject.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use async_nats::client::RequestErrorKind;
use async_nats::{Client, Request, Subject};
use referee_actor::{DEFAULT_ASK_TIMEOUT, Timeout};

use crate::wire::{self, Failure};
use crate::{AskError, RemoteMessage, TellError};

/// A cloneable handle to an actor served with [`serve`](crate::serve) on `subject`,
/// possibly in another process on another machine.
pub struct RemoteHandle<M> {
    client: Client,
    subject: Subject,
    /// Applied by [`ask`](Self::ask); `None` waits forever. Also sent with each request so
    /// the serving side stops waiting when the asker does.
    ask_timeout: Option<Duration>,
    _message: PhantomData<fn(M)>,
}

impl<M: RemoteMessage> RemoteHandle<M> {
    /// A handle to whatever serves `subject` on `client`'s NATS, with the default ask
    /// timeout (5 s, as a local handle's). Does no I/O: a subject nobody serves shows on
    /// the first ask, as [`AskError::NotRunning`].
    pub fn new(client: Client, subject: impl Into<String>) -> Self {
        RemoteHandle {
            client,
            subject: Subject::from(subject.into()),
            ask_timeout: Some(DEFAULT_ASK_TIMEOUT),
            _message: PhantomData,
        }
    }

    /// The same handle with another default ask timeout.
    pub fn with_ask_timeout(&self, timeout: impl Into<Timeout>) -> Self {
        RemoteHandle {
            ask_timeout: limit_of(timeout.into()),
            ..self.clone()
        }
    }

    /// The subject this handle sends to.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Sends `msg` without waiting for an answer: one NATS publish. Tells (and asks) sent
    /// one after another through one client reach the actor in that order; a tell to a
    /// subject nobody serves is lost without an error (NATS publishes are at most once).
    ///
    /// # Errors
    /// [`TellError::Encode`] if `msg` cannot be serialised, [`TellError::Transport`] if the
    /// client is closed; both hand the message back.
    pub async fn tell(&self, msg: M) -> Result<(), TellError<M>> {
        let payload = match wire::encode_request(&msg, None) {
            Ok(payload) => payload,
            Err(err) => return Err(TellError::Encode(msg, err)),
        };
        match self.client.publish(self.subject.clone(), payload).await {
            Ok(()) => Ok(()),
            Err(err) => Err(TellError::Transport(msg, err.to_string())),
        }
    }

    /// Sends `msg` and waits for the reply, within this handle's ask timeout.
    ///
    /// # Errors
    /// See [`AskError`]: nobody serves the subject (at once), timeout, the actor's own
    /// refusals, the serving task stopped mid-request, a refused or unreadable message.
    pub async fn ask(&self, msg: M) -> Result<M::Reply, AskError<M>> {
        self.ask_within(msg, self.ask_timeout).await
    }

    /// [`ask`](Self::ask) with an explicit timeout for this call.
    ///
    /// # Errors
    /// As for [`ask`](Self::ask).
    pub async fn ask_with(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<M::Reply, AskError<M>> {
        self.ask_within(msg, limit_of(timeout.into())).await
    }

    async fn ask_within(&self, msg: M, limit: Option<Duration>) -> Result<M::Reply, AskError<M>> {
        let payload = match wire::encode_request(&msg, limit) {
            Ok(payload) => payload,
            Err(err) => return Err(AskError::Encode(msg, err)),
        };
        let request = Request::new().payload(payload).timeout(limit);
        let answer = match self
            .client
            .send_request(self.subject.clone(), request)
            .await
        {
            Ok(answer) => answer,
            Err(err) => {
                return Err(match err.kind() {
                    RequestErrorKind::NoResponders => AskError::NotRunning(msg),
                    RequestErrorKind::TimedOut => AskError::Timeout(limit.unwrap_or_default()),
                    RequestErrorKind::Other => AskError::Transport(err.to_string()),
                });
            }
        };
        match wire::decode_reply::<M::Reply>(&answer.payload) {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(failure)) => Err(refusal(failure, msg)),
            Err(err) => Err(AskError::BadReply(err)),
        }
    }
}

/// The serving side's word for why there is no reply, as the caller's error.
fn refusal<M>(failure: Failure, msg: M) -> AskError<M> {
    match failure {
        Failure::NotRunning => AskError::NotRunning(msg),
        Failure::Full => AskError::Full(msg),
        Failure::Panicked(panic) => AskError::Panicked(panic),
        Failure::Stopped(reason) => AskError::Stopped(reason),
        Failure::Dropped => AskError::Dropped,
        Failure::Timeout { ms } => AskError::Timeout(Duration::from_millis(ms)),
        Failure::ServerStopped => AskError::ServerStopped,
        Failure::Rejected(err) => AskError::Rejected(err),
    }
}

impl<M> Clone for RemoteHandle<M> {
    fn clone(&self) -> Self {
        RemoteHandle {
            client: self.client.clone(),
            subject: self.subject.clone(),
            ask_timeout: self.ask_timeout,
            _message: PhantomData,
        }
    }
}

impl<M> fmt::Debug for RemoteHandle<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle")
            .field("subject", &self.subject.as_str())
            .field("ask_timeout", &self.ask_timeout)
            .finish()
    }
}

/// `Timeout`'s duration (`None`: never).
pub(crate) fn limit_of(timeout: Timeout) -> Option<Duration> {
    match timeout {
        Timeout::After(limit) => Some(limit),
        Timeout::Never => None,
    }
}
