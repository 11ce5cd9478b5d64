//! What is stored, and what the leaderboard says.

use serde::Serialize;

/// One won round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundResult {
    /// The room's number (unique within one run of the server).
    pub room: u64,
    /// The round's number within its room.
    pub round: u64,
    /// The winner's display name.
    pub winner: String,
    /// Whether the winner chose that name (`/name`): only named players have a record that
    /// outlives their connection and appear on the leaderboard.
    pub named: bool,
    /// How many guesses the round took, all players together.
    pub guesses: u64,
    /// When the round was won, in milliseconds since the Unix epoch.
    pub won_at_ms: i64,
}

/// One line of a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderEntry {
    /// The player's name.
    pub name: String,
    /// Rounds won.
    pub wins: u64,
}

/// The leaderboard: all time and recent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Leaderboard {
    /// Most wins of all time first.
    pub all_time: Vec<LeaderEntry>,
    /// Most wins within the recent window first.
    pub recent: Vec<LeaderEntry>,
}
