//! What one dice bot saw, in order: the input of the fairness checker's dice invariants
//! (`referee-fairness`), which the server's tests feed with a recorded run
//! ([`run_recorded`](crate::run_recorded)).

/// One line a bot wrote or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A line the bot wrote (`/play dice`, `bid 3 5`, `liar`).
    Sent(String),
    /// A line the bot read, without its line ending.
    Heard(String),
}

/// Everything one bot wrote and read, in the order it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The bot's player id (its name is `Player N`), from the welcome.
    pub player: Option<u64>,
    /// The table it sat at last.
    pub room: Option<u64>,
    /// The lines, in order.
    pub lines: Vec<Said>,
}
