//! Typed errors of `tell` and `ask` through a [`RemoteHandle`](crate::RemoteHandle) or a
//! [`Handle`](crate::Handle): the same cases as `referee_actor`'s `AskError` and
//! `TellError`, plus the few only a network has (a refused or unreadable message, a broken
//! connection). A local handle's errors convert into these, so a caller writes one `match`
//! whether the actor is in this process or on another node.
//!
//! Remote stop reasons and panics arrive as text: the actor's `StopReason` and `Panic` do
//! not cross processes, and a caller only needs to tell the cases apart and log them.

use std::fmt;
use std::time::Duration;

use crate::WireError;

/// Why a `tell` failed. A message that was surely not delivered comes back inside.
pub enum TellError<M> {
    /// Local only: the mailbox is full (from `try_tell`-like paths).
    Full(M),
    /// Local only: the actor has stopped. (A remote `tell` is a publish: nobody answers it,
    /// so a tell to a subject nobody serves is lost without an error; see `docs/semantics.md`.)
    NotRunning(M),
    /// The message could not be encoded (its `Serialize` failed); nothing was sent.
    Encode(M, WireError),
    /// The NATS connection refused the publish (closed client); nothing was sent.
    Transport(M, String),
}

impl<M> TellError<M> {
    /// The message that was not delivered.
    pub fn into_message(self) -> M {
        match self {
            TellError::Full(msg)
            | TellError::NotRunning(msg)
            | TellError::Encode(msg, _)
            | TellError::Transport(msg, _) => msg,
        }
    }
}

/// Why an `ask` got no reply.
pub enum AskError<M> {
    /// The actor is not there: locally it has stopped; remotely nobody serves the subject
    /// (NATS answered "no responders" at once — the room is gone or not hosted), or the
    /// served actor has stopped. Never delivered; the message comes back.
    NotRunning(M),
    /// The actor's mailbox stayed full until the deadline. Never delivered.
    Full(M),
    /// The handler of this message panicked (the panic's text).
    Panicked(String),
    /// The actor stopped after the message was delivered and before it replied (the reason,
    /// as text).
    Stopped(String),
    /// The actor dropped the request's reply slot without answering.
    Dropped,
    /// No reply within the deadline. The message may still be handled later.
    Timeout(Duration),
    /// The serving task on the other node was stopped while this request was in flight: no
    /// reply will come. The message may or may not have been handled.
    ServerStopped,
    /// The serving node could not read the request: another envelope format, another
    /// message type or version on that subject, or bad bytes. Not handled.
    Rejected(WireError),
    /// This node could not read the reply (a server of another build).
    BadReply(WireError),
    /// The message could not be encoded (its `Serialize` failed); nothing was sent.
    Encode(M, WireError),
    /// The NATS connection failed; whether the message was handled is unknown.
    Transport(String),
}

impl<M> AskError<M> {
    /// The message, if it was surely never delivered.
    pub fn into_message(self) -> Option<M> {
        match self {
            AskError::NotRunning(msg) | AskError::Full(msg) | AskError::Encode(msg, _) => Some(msg),
            _ => None,
        }
    }

    /// The variant's name, for `Debug` without bounds on `M`.
    fn name(&self) -> &'static str {
        match self {
            AskError::NotRunning(_) => "NotRunning",
            AskError::Full(_) => "Full",
            AskError::Panicked(_) => "Panicked",
            AskError::Stopped(_) => "Stopped",
            AskError::Dropped => "Dropped",
            AskError::Timeout(_) => "Timeout",
            AskError::ServerStopped => "ServerStopped",
            AskError::Rejected(_) => "Rejected",
            AskError::BadReply(_) => "BadReply",
            AskError::Encode(..) => "Encode",
            AskError::Transport(_) => "Transport",
        }
    }
}

impl<M> From<referee_actor::AskError<M>> for AskError<M> {
    fn from(err: referee_actor::AskError<M>) -> Self {
        use referee_actor::AskError as Local;
        match err {
            Local::NotRunning(msg) => AskError::NotRunning(msg),
            // An async `ask` never answers `WouldBlock` (only `blocking_ask` does); if it
            // ever did, the message was refused at the door like a full mailbox's.
            Local::Full(msg) | Local::WouldBlock(msg) => AskError::Full(msg),
            Local::Panicked(panic) => AskError::Panicked(panic.to_string()),
            Local::Stopped(reason) => AskError::Stopped(reason.to_string()),
            Local::Dropped => AskError::Dropped,
            Local::Timeout(after) => AskError::Timeout(after),
        }
    }
}

impl<M> From<referee_actor::TellError<M>> for TellError<M> {
    fn from(err: referee_actor::TellError<M>) -> Self {
        use referee_actor::TellError as Local;
        match err {
            Local::NotRunning(msg) => TellError::NotRunning(msg),
            // As for asks: an async `tell` never answers `WouldBlock`.
            Local::Full(msg) | Local::WouldBlock(msg) => TellError::Full(msg),
        }
    }
}

impl<M> fmt::Display for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::NotRunning(_) => write!(f, "the actor is not running (nobody serves it)"),
            AskError::Full(_) => write!(f, "the actor's mailbox was full until the deadline"),
            AskError::Panicked(panic) => write!(f, "the actor panicked: {panic}"),
            AskError::Stopped(reason) => write!(f, "the actor {reason} before replying"),
            AskError::Dropped => write!(f, "the actor dropped the request without replying"),
            AskError::Timeout(after) => write!(f, "no reply within {after:?}"),
            AskError::ServerStopped => write!(f, "the serving node stopped before replying"),
            AskError::Rejected(err) => write!(f, "the serving node refused the request: {err}"),
            AskError::BadReply(err) => write!(f, "unreadable reply: {err}"),
            AskError::Encode(_, err) => write!(f, "the message could not be encoded: {err}"),
            AskError::Transport(err) => write!(f, "NATS: {err}"),
        }
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AskError::{}({self})", self.name())
    }
}

impl<M> std::error::Error for AskError<M> {}

impl<M> fmt::Display for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TellError::Full(_) => write!(f, "the actor's mailbox is full"),
            TellError::NotRunning(_) => write!(f, "the actor is not running"),
            TellError::Encode(_, err) => write!(f, "the message could not be encoded: {err}"),
            TellError::Transport(_, err) => write!(f, "NATS: {err}"),
        }
    }
}

impl<M> fmt::Debug for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TellError::Full(_) => "Full",
            TellError::NotRunning(_) => "NotRunning",
            TellError::Encode(..) => "Encode",
            TellError::Transport(..) => "Transport",
        };
        write!(f, "TellError::{name}({self})")
    }
}

impl<M> std::error::Error for TellError<M> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_errors_keep_their_case_and_message() {
        let local = referee_actor::AskError::NotRunning(5_u8);
        assert!(matches!(AskError::from(local), AskError::NotRunning(5)));
        let local = referee_actor::AskError::<u8>::Timeout(Duration::from_millis(3));
        assert!(matches!(AskError::from(local), AskError::Timeout(d) if d.as_millis() == 3));
        let local = referee_actor::TellError::NotRunning(6_u8);
        assert_eq!(TellError::from(local).into_message(), 6);
    }

    #[test]
    fn errors_print_without_message_bounds() {
        struct Opaque;
        let err = AskError::<Opaque>::ServerStopped;
        assert_eq!(
            format!("{err:?}"),
            "AskError::ServerStopped(the serving node stopped before replying)"
        );
    }
}
