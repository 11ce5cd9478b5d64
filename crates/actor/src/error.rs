//! Typed errors of `tell` and `ask`. Every failure says what happened, and a message that
//! never reached the actor is handed back to the caller.
//!
//! `Debug` and `Display` are written by hand so that the message type `M` needs no bounds;
//! the errors convert into `anyhow::Error` and friends whenever `M: Send + Sync + 'static`.

use std::fmt;
use std::time::Duration;

use crate::{Panic, StopReason};

/// Why a `tell` failed. The message comes back inside.
pub enum TellError<M> {
    /// The mailbox is full, or others wait for room before this sender (`try_tell` only:
    /// `tell` waits for room instead).
    Full(M),
    /// The actor has stopped; nothing will ever handle this message.
    NotRunning(M),
    /// `blocking_tell` was called inside an async runtime, where blocking would stall it.
    WouldBlock(M),
}

impl<M> TellError<M> {
    /// The message that was not delivered.
    pub fn into_message(self) -> M {
        match self {
            TellError::Full(msg) | TellError::NotRunning(msg) | TellError::WouldBlock(msg) => msg,
        }
    }
}

/// Why an `ask` failed.
pub enum AskError<M> {
    /// The actor had already stopped; the message was not delivered and comes back.
    NotRunning(M),
    /// The message could not get into the mailbox before the ask's deadline: it stayed full
    /// (with, perhaps, others in line before this one). The message was not delivered.
    Full(M),
    /// `blocking_ask` was called inside an async runtime; the message was not delivered.
    WouldBlock(M),
    /// The handler of this very message panicked. The actor may have been restarted.
    Panicked(Panic),
    /// The actor stopped after the message was delivered and before it replied (killed, a
    /// panic while handling an earlier message without restart, runtime shut down…).
    Stopped(StopReason),
    /// The actor dropped this request's reply slot without answering, and runs on (see
    /// [`ReplyTo`](crate::ReplyTo)): there will be no reply.
    Dropped,
    /// No reply within the deadline. The message may still be handled later; its reply is
    /// then dropped.
    Timeout(Duration),
}

impl<M> AskError<M> {
    /// The message, if it was never delivered.
    pub fn into_message(self) -> Option<M> {
        match self {
            AskError::NotRunning(msg) | AskError::Full(msg) | AskError::WouldBlock(msg) => {
                Some(msg)
            }
            AskError::Panicked(_)
            | AskError::Stopped(_)
            | AskError::Dropped
            | AskError::Timeout(_) => None,
        }
    }

    /// The same error without the message, e.g. to store or log it.
    pub fn without_message(self) -> AskError<()> {
        match self {
            AskError::NotRunning(_) => AskError::NotRunning(()),
            AskError::Full(_) => AskError::Full(()),
            AskError::WouldBlock(_) => AskError::WouldBlock(()),
            AskError::Panicked(panic) => AskError::Panicked(panic),
            AskError::Stopped(reason) => AskError::Stopped(reason),
            AskError::Dropped => AskError::Dropped,
            AskError::Timeout(after) => AskError::Timeout(after),
        }
    }
}

impl<M> fmt::Display for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TellError::Full(_) => write!(f, "the actor's mailbox is full"),
            TellError::NotRunning(_) => write!(f, "the actor is not running"),
            TellError::WouldBlock(_) => write!(f, "{WOULD_BLOCK}"),
        }
    }
}

impl<M> fmt::Debug for TellError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TellError::Full(_) => "Full",
            TellError::NotRunning(_) => "NotRunning",
            TellError::WouldBlock(_) => "WouldBlock",
        };
        write!(f, "TellError::{name}(..)")
    }
}

impl<M> std::error::Error for TellError<M> {}

impl<M> fmt::Display for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::NotRunning(_) => write!(f, "the actor is not running"),
            AskError::Full(_) => write!(f, "the actor's mailbox was full until the deadline"),
            AskError::WouldBlock(_) => write!(f, "{WOULD_BLOCK}"),
            AskError::Panicked(panic) => write!(f, "the actor panicked: {panic}"),
            AskError::Stopped(reason) => write!(f, "the actor {reason} before replying"),
            AskError::Dropped => write!(f, "the actor dropped the request without replying"),
            AskError::Timeout(after) => write!(f, "no reply within {after:?}"),
        }
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::NotRunning(_) => write!(f, "AskError::NotRunning(..)"),
            AskError::Full(_) => write!(f, "AskError::Full(..)"),
            AskError::WouldBlock(_) => write!(f, "AskError::WouldBlock(..)"),
            AskError::Panicked(panic) => f.debug_tuple("AskError::Panicked").field(panic).finish(),
            AskError::Stopped(reason) => f.debug_tuple("AskError::Stopped").field(reason).finish(),
            AskError::Dropped => write!(f, "AskError::Dropped"),
            AskError::Timeout(after) => f.debug_tuple("AskError::Timeout").field(after).finish(),
        }
    }
}

impl<M> std::error::Error for AskError<M> {}

/// Returned by blocking waits called where blocking would stall an async runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WouldBlock;

impl fmt::Display for WouldBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{WOULD_BLOCK}")
    }
}

impl std::error::Error for WouldBlock {}

const WOULD_BLOCK: &str = "a blocking call was made inside an async runtime; use the async \
    method instead (or Handle::block_on from spawn_blocking)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undelivered_messages_come_back() {
        assert_eq!(TellError::Full(7).into_message(), 7);
        assert_eq!(AskError::NotRunning(8).into_message(), Some(8));
        assert_eq!(
            AskError::<u8>::Timeout(Duration::from_secs(1)).into_message(),
            None
        );
    }

    #[test]
    fn errors_print_without_message_bounds() {
        struct Opaque;
        let err = AskError::Full(Opaque);
        assert_eq!(format!("{err:?}"), "AskError::Full(..)");
        assert!(err.to_string().contains("full"));
        let err = AskError::<Opaque>::Stopped(StopReason::Killed);
        assert_eq!(err.to_string(), "the actor was killed before replying");
    }

    #[test]
    fn without_message_keeps_the_cause() {
        let err = AskError::<String>::Timeout(Duration::from_millis(5)).without_message();
        assert!(matches!(err, AskError::Timeout(d) if d == Duration::from_millis(5)));
    }
}
