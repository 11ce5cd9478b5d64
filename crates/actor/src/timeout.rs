//! How long an `ask` waits for its reply.
//!
//! Erlang's `gen_server:call` gives up after 5 s by default, and so does `ask` here: a
//! caller always learns why a call failed instead of hanging. Waiting forever is possible,
//! but it has to be said out loud with [`Timeout::Never`].

use std::time::Duration;

/// The default ask timeout: five seconds, as Erlang's `gen_server:call`.
pub const DEFAULT_ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// An ask's patience: a duration, or explicitly none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Give up after this long, counted from the call (waiting for mailbox room included).
    After(Duration),
    /// Wait as long as it takes.
    Never,
}

impl Timeout {
    pub(crate) fn duration(self) -> Option<Duration> {
        match self {
            Timeout::After(limit) => Some(limit),
            Timeout::Never => None,
        }
    }
}

impl From<Duration> for Timeout {
    fn from(limit: Duration) -> Self {
        Timeout::After(limit)
    }
}

impl Default for Timeout {
    fn default() -> Self {
        Timeout::After(DEFAULT_ASK_TIMEOUT)
    }
}
