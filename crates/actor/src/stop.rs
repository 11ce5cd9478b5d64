//! Why an actor stopped, and what a panic looked like.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Why an actor stopped for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Graceful: the last handle was dropped or `stop` was called, and the queue was drained.
    Normal,
    /// [`kill`](crate::ActorHandle::kill) was called: the message in flight was abandoned and
    /// queued messages were dropped.
    Killed,
    /// A handler or hook panicked and no restart policy was set.
    Panicked(Panic),
    /// A supervised actor panicked once more than its restart policy allows.
    RestartLimit {
        /// How many restarts happened before the actor gave up.
        restarts: u32,
        /// The panic that ended it.
        last: Panic,
    },
    /// The actor's loop was dropped before it finished: the tokio runtime it ran on shut
    /// down, or a loop from [`ActorBuilder::prepare`](crate::ActorBuilder::prepare) was
    /// dropped (even before it ever ran).
    Aborted,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Normal => write!(f, "stopped normally"),
            StopReason::Killed => write!(f, "was killed"),
            StopReason::Panicked(panic) => write!(f, "panicked: {panic}"),
            StopReason::RestartLimit { restarts, last } => {
                write!(f, "gave up after {restarts} restarts; last panic: {last}")
            }
            StopReason::Aborted => {
                write!(f, "was aborted (its loop was dropped before it finished)")
            }
        }
    }
}

/// A panic caught in an actor: its message and where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panic {
    message: Arc<str>,
    during: &'static str,
}

impl Panic {
    /// Builds a `Panic` from a caught payload. `during` names the message type being handled,
    /// or the hook (`"started"`, `"stopped"`, `"restart factory"`).
    pub(crate) fn from_payload(payload: &(dyn Any + Send), during: &'static str) -> Self {
        let message: Arc<str> = if let Some(text) = payload.downcast_ref::<&'static str>() {
            Arc::from(*text)
        } else if let Some(text) = payload.downcast_ref::<String>() {
            Arc::from(text.as_str())
        } else {
            Arc::from("non-string panic payload")
        };
        Panic { message, during }
    }

    /// The panic message (`panic!("...")`'s text).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the actor was doing: the type name of the message being handled, or the hook.
    pub fn during(&self) -> &'static str {
        self.during
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' while handling {}", self.message, self.during)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_payloads_keep_their_text() {
        let owned: Box<dyn Any + Send> = Box::new(String::from("boom"));
        let panic = Panic::from_payload(owned.as_ref(), "Ping");
        assert_eq!(panic.message(), "boom");
        assert_eq!(panic.during(), "Ping");
        let borrowed: Box<dyn Any + Send> = Box::new("bang");
        assert_eq!(
            Panic::from_payload(borrowed.as_ref(), "x").message(),
            "bang"
        );
    }

    #[test]
    fn other_payloads_are_named_as_such() {
        let odd: Box<dyn Any + Send> = Box::new(42_u8);
        let panic = Panic::from_payload(odd.as_ref(), "x");
        assert_eq!(panic.message(), "non-string panic payload");
    }

    #[test]
    fn display_names_the_message_type() {
        let payload: Box<dyn Any + Send> = Box::new("boom");
        let panic = Panic::from_payload(payload.as_ref(), "GetScore");
        assert_eq!(panic.to_string(), "'boom' while handling GetScore");
        let reason = StopReason::RestartLimit {
            restarts: 3,
            last: panic,
        };
        assert!(reason.to_string().contains("after 3 restarts"));
    }
}
