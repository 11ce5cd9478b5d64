//! What is stored, and what the leaderboard says.

use serde::Serialize;

/// One won round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundResult {
    /// The game played (`"guess"`, `"dice"` ...): the leaderboards are kept per game.
    pub game: String,
    /// Unique across every server and every run of one: a result whose key is already
    /// stored is not stored again (a retried commit, a duplicate in a batch). The server
    /// makes it from a random id of its run, the room and the round, so room numbers that
    /// restart with the process, or that another node also uses, never collide.
    pub key: String,
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
    /// The match's log, stored in the same transaction as the result (under the result's
    /// key), when the game keeps one.
    pub log: Option<MatchLog>,
    /// What the round gave whom in the room's own scoreboard (`None`: not said; results
    /// stored before it was kept have none). A room that fails over from a snapshot taken
    /// before this round was committed gives these points again
    /// ([`crate::Claims::rounds_since`]).
    pub credit: Option<Credit>,
}

/// The points a round gave a player on its room's scoreboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Credit {
    /// The winner's player id in the room (`referee_rules::PlayerId`'s number).
    pub player: u64,
    /// The points the round gave them.
    pub points: u32,
}

/// A round committed for a room under one of its claims, as a failover reads it back
/// ([`crate::Claims::rounds_since`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommittedRound {
    /// The round's number within its room.
    pub round: u64,
    /// The epoch of the claim it was committed under.
    pub epoch: u64,
    /// The winner's display name.
    pub winner: String,
    /// What it gave whom (`None` for a round stored without it).
    pub credit: Option<Credit>,
}

/// What a game records of a match besides its result, to replay or audit it. The store does
/// not know the rules: both texts are opaque JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchLog {
    /// The game's configuration, as JSON.
    pub config: String,
    /// The seed the match's randomness was drawn from.
    pub seed: u64,
    /// Every action of the match, in order, as JSON.
    pub actions: String,
}

/// A match's log, not written yet. Writing one (its JSON, the hash of the state it reached)
/// costs more than the rest of a won round; a store writes it when it must: one on disk
/// before its commit, [`crate::MemoryStore`] when someone first reads the match.
pub trait UnwrittenLog: Send {
    /// The log, written; `None` if it cannot be (the match is then kept without its log).
    fn write(self: Box<Self>) -> Option<MatchLog>;
}

/// `round` with `log` written into it (when there is one).
pub(crate) fn written(
    (mut round, log): (RoundResult, Option<Box<dyn UnwrittenLog>>),
) -> RoundResult {
    if let Some(log) = log {
        round.log = log.write();
    }
    round
}

/// A stored match: its log and its result ([`crate::StoreReader::match_by_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchRecord {
    /// The result's key.
    pub id: String,
    /// The game played.
    pub game: String,
    /// The room it was played in.
    pub room: u64,
    /// The game's configuration, as JSON.
    pub config: String,
    /// The seed.
    pub seed: u64,
    /// The actions, as JSON.
    pub actions: String,
    /// The winner's display name.
    pub winner: String,
    /// When the match ended, in milliseconds since the Unix epoch.
    pub ended_at_ms: i64,
}

impl MatchRecord {
    /// The record a result with a log is stored as.
    pub(crate) fn of(result: &RoundResult, log: &MatchLog) -> Self {
        MatchRecord {
            id: result.key.clone(),
            game: result.game.clone(),
            room: result.room,
            config: log.config.clone(),
            seed: log.seed,
            actions: log.actions.clone(),
            winner: result.winner.clone(),
            ended_at_ms: result.won_at_ms,
        }
    }
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

/// A player's wins in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GameWins {
    /// The game.
    pub game: String,
    /// Rounds won in it.
    pub wins: u64,
}
