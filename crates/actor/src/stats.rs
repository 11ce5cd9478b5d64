//! Counters a caller can read about a running actor, without asking it.

/// A snapshot of an actor's counters, from [`ActorHandle::stats`](crate::ActorHandle::stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorStats {
    /// Messages taken from the mailbox and given to a handler (those that panicked too).
    pub handled: u64,
    /// Messages waiting in the mailbox right now.
    pub mailbox_len: usize,
    /// The mailbox's bound.
    pub mailbox_capacity: usize,
    /// Senders waiting for room in the full mailbox right now (`tell`s and `ask`s that
    /// found it full; they get in first come, first served).
    pub waiting_for_room: usize,
    /// Restarts by the supervisor so far.
    pub restarts: u32,
    /// Whether the mailbox still accepts messages.
    pub running: bool,
}
