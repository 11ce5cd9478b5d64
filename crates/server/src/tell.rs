//! What the server does when a `tell_soon` is refused.
//!
//! `tell_soon` (the actor core's tell that never waits, for code that cannot) is bounded: a
//! target whose line of such letters is full, or that has stopped, hands the message back.
//! Both mean the message will not be handled — an overload the target could not keep up
//! with, or a target already gone — so the server logs it, with what was lost.

use referee_actor::TellError;

/// Logs a refused `tell_soon`; `what` says what the message was.
pub(crate) fn or_log<M>(sent: Result<(), TellError<M>>, what: &'static str) {
    match sent {
        Ok(()) => {}
        Err(TellError::NotRunning(_)) => tracing::debug!(what, "not delivered: the actor stopped"),
        Err(err) => tracing::warn!(what, %err, "not delivered: the actor's line is full"),
    }
}
