//! Referee's durable records: every won round, the players who won them, and the leaderboard
//! computed from them.
//!
//! The [`Store`] trait is the whole interface the server needs: commit a batch of results in
//! one transaction, and read the leaderboard. [`SqliteStore`] is the embedded default (a
//! file, no setup); [`PgStore`] keeps them in a PostgreSQL database, shared by several
//! server nodes; [`MemoryStore`] keeps nothing across restarts, for servers that want no
//! disk. One contract test suite (`tests/contract.rs`) holds all three to the same behaviour.
//!
//! **Idempotent.** Every result carries a key unique across servers and runs; a result whose
//! key is stored already is skipped, inside a batch or across batches, so a commit retried
//! after a lost connection (which may or may not have committed) never counts a win twice.
//! Leaderboards are kept per game (and for all games together); a result may carry its
//! match's log, stored in the same transaction.
//!
//! Stores are synchronous: the server keeps one in a single persistence actor, on a thread
//! of its own, and that actor is the only code that ever writes. Reads (the leaderboard, a
//! player's tally) go through a [`StoreReader`] given out by [`Store::reader`]: for SQLite a
//! second, read-only connection on the same file, so that a reader never waits behind a
//! commit and a commit never waits behind a reader.
//!
//! **Several nodes.** With PostgreSQL, nodes of a cluster also share who hosts which room
//! ([`Claims`], [`PgStore::claims`]: claims with epochs, held as leases, fencing every
//! durable write of a room — [`Store::record_fenced`], [`Store::record_fenced_groups`]) and
//! which nodes exist ([`PgStore::nodes`]: each name's index for good, and its heartbeat).
//!
//! **Running totals.** Every commit also updates, in the same transaction, each player's
//! wins of all time and per hour: the leaderboard reads those totals, so its cost does not
//! grow with the number of rounds ever played. The "recent" board stays exact: whole hours
//! inside the window come from the hourly totals, the hour the window starts in from the
//! rounds themselves.
//!
//! ```
//! use referee_store::{MemoryStore, RoundResult, Store, StoreReader};
//! let mut store = MemoryStore::default();
//! let win = RoundResult {
//!     game: "guess".into(), key: "run-1/1/1".into(), room: 1, round: 1,
//!     winner: "Alice".into(), named: true, guesses: 4, won_at_ms: 1_000, log: None, credit: None,
//! };
//! store.record(&[win.clone(), win])?; // the same key twice: stored once
//! let board = store.leaderboard(Some("guess"), 10, 2_000, 1_000_000)?;
//! assert_eq!(board.all_time[0].name, "Alice");
//! assert_eq!(board.all_time[0].wins, 1);
//! # Ok::<(), referee_store::StoreError>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod claims;
mod error;
mod memory;
mod model;
mod nodes;
mod postgres;
mod sqlite;

pub use claims::{ClaimRecord, Claimed, Claims, Fence, Holder, Lease, StoredSnapshot};
pub use error::StoreError;
pub use memory::{Limits as MemoryLimits, MemoryStore};
pub use model::{
    CommittedRound, Credit, GameWins, LeaderEntry, Leaderboard, MatchLog, MatchRecord, RoundResult,
    UnwrittenLog,
};
pub use nodes::{NodeAddresses, NodeRecord, Registration};
pub use postgres::{
    LateCommit, MAX_REVOCATIONS, PgClaims, PgNodes, PgStore, Revocations, Revoke, RevokeError,
    Revoked, RotateError, Rotation, TokenKeys, redact, revoke_token, rotate_token_key,
    testing as pg_testing,
};
pub use sqlite::{SqliteReader, SqliteStore};

/// The key a winner's record is kept under: one entry per name *as players see it*, so
/// `Alice`, `ALICE`, `Ａｌｉｃｅ` and a Cyrillic look-alike `Аӏісе` share one
/// ([`referee_protocol::text::name_key`]: NFKC, lower case, confusable skeleton).
pub fn player_key(name: &str) -> String {
    referee_protocol::text::name_key(name)
}

/// Reads the records: the leaderboard and one player's tally.
///
/// Every [`Store`] is one (it reads what it wrote); [`Store::reader`] gives out another,
/// apart from the writer, with the same answers.
pub trait StoreReader: Send + 'static {
    /// The players with the most wins in `game` (`None`: all games together), all time and
    /// within the last `recent_ms` milliseconds before `now_ms`, at most `limit` of each,
    /// most wins first (ties by name). Only named players appear.
    ///
    /// # Errors
    /// The store's failure.
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError>;

    /// How many rounds the player with this name (as players see it) has won, all games.
    ///
    /// # Errors
    /// The store's failure.
    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError>;

    /// The player's wins in each game they have won in, by game name.
    ///
    /// # Errors
    /// The store's failure.
    fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError>;

    /// The match stored under this result key, if any.
    ///
    /// # Errors
    /// The store's failure.
    fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError>;

    /// The latest matches (of `game`, or of all games), newest first, at most `limit`.
    ///
    /// # Errors
    /// The store's failure.
    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MatchRecord>, StoreError>;
}

/// Where round results are kept: a [`StoreReader`] that also commits.
///
/// Every method runs to completion before returning; a `record` that returns `Ok` is
/// durable (for [`SqliteStore`], on disk: the transaction is committed with a full sync).
pub trait Store: StoreReader {
    /// Commits every result in one transaction (with its match log): all of them are
    /// stored, or none. A result whose key is already stored (or repeated in `rounds`) is
    /// skipped, not an error.
    ///
    /// # Errors
    /// The store's failure; nothing was stored.
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError>;

    /// [`record`](Self::record), fenced ([`claims`](crate::Claims)): committed only if,
    /// inside the same transaction, `fence` is still the room's live claim; each result is
    /// stored with the claim it was committed under.
    ///
    /// # Errors
    /// [`StoreError::Fenced`] (nothing stored: the claim is lost, stop hosting the room),
    /// [`StoreError::Unsupported`] for a store without claims, or the store's failure.
    fn record_fenced(&mut self, fence: &Fence, rounds: &[RoundResult]) -> Result<(), StoreError> {
        let _ = (fence, rounds);
        Err(StoreError::Unsupported {
            what: "fenced commits (claims need PostgreSQL)",
        })
    }

    /// Several rooms' results, each group [`record_fenced`](Self::record_fenced) by its own
    /// fence, in as few transactions as the store can (PostgreSQL: one, a cluster node's
    /// group commit). Each group's answer is its own: a group whose fence fails stores
    /// nothing and gets [`StoreError::Fenced`], and the others are stored all the same.
    ///
    /// # Errors
    /// The store's failure (the outer `Err`): nothing was stored.
    fn record_fenced_groups(
        &mut self,
        groups: &[(Fence, Vec<RoundResult>)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut answers = Vec::with_capacity(groups.len());
        for (fence, rounds) in groups {
            match self.record_fenced(fence, rounds) {
                Err(err @ StoreError::Fenced { .. }) => answers.push(Err(err)),
                Err(err) => return Err(err),
                Ok(()) => answers.push(Ok(())),
            }
        }
        Ok(answers)
    }

    /// Saves the room's snapshot in place of the last one, fenced as
    /// [`record_fenced`](Self::record_fenced) is: the next host of the room restores it.
    ///
    /// # Errors
    /// As [`record_fenced`](Self::record_fenced).
    fn save_snapshot(&mut self, fence: &Fence, body: &str) -> Result<(), StoreError> {
        let _ = (fence, body);
        Err(StoreError::Unsupported {
            what: "room snapshots (claims need PostgreSQL)",
        })
    }

    /// Saves several rooms' snapshots, each fenced by its own claim as
    /// [`save_snapshot`](Self::save_snapshot) is: one answer per snapshot, in order (`Fenced`
    /// for those whose claim no longer holds, nothing of them saved). PostgreSQL writes them
    /// in one transaction, where a snapshot each cost a commit each.
    ///
    /// # Errors
    /// The whole batch failed (nothing saved): the store is unreachable, say.
    fn save_snapshots(
        &mut self,
        snapshots: &[(Fence, String)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        Ok(snapshots
            .iter()
            .map(|(fence, body)| self.save_snapshot(fence, body))
            .collect())
    }

    /// A reader of the same records, usable on another thread while this store commits:
    /// it sees every commit that returned before a read begins.
    ///
    /// # Errors
    /// The store's failure (for SQLite, the second connection cannot be opened).
    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError>;

    /// Whether this store would rather be handed match logs unwritten
    /// ([`record_unwritten`](Self::record_unwritten)): a store that keeps them in memory
    /// only writes a log when someone reads it. The default (a store on disk): no.
    fn takes_unwritten_logs(&self) -> bool {
        false
    }

    /// Whether a call may block its thread for long (disk, network, a server's locks): such
    /// a store is driven from a thread of its own, never from an async task. The default:
    /// yes. [`MemoryStore`] never waits for anything but its own short-held lock.
    fn blocks(&self) -> bool {
        true
    }

    /// [`record`](Self::record), each round with its match log still to be written
    /// ([`UnwrittenLog`], in place of the round's `log`). The default writes every log, then
    /// records; [`MemoryStore`] keeps them as they are and writes one when it is first read.
    /// The logs are consumed: a caller that retries a failed commit records written logs.
    ///
    /// # Errors
    /// As [`record`](Self::record).
    fn record_unwritten(
        &mut self,
        rounds: Vec<(RoundResult, Option<Box<dyn UnwrittenLog>>)>,
    ) -> Result<(), StoreError> {
        let rounds: Vec<RoundResult> = rounds.into_iter().map(model::written).collect();
        self.record(&rounds)
    }
}

/// Wins are bucketed by the hour for the "recent" board.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The hour a time falls in (floor, also before 1970).
pub(crate) fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

impl<R: StoreReader + ?Sized> StoreReader for Box<R> {
    fn leaderboard(
        &mut self,
        game: Option<&str>,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        (**self).leaderboard(game, limit, now_ms, recent_ms)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        (**self).wins_of(name)
    }

    fn games_of(&mut self, name: &str) -> Result<Vec<GameWins>, StoreError> {
        (**self).games_of(name)
    }

    fn match_by_id(&mut self, id: &str) -> Result<Option<MatchRecord>, StoreError> {
        (**self).match_by_id(id)
    }

    fn recent_matches(
        &mut self,
        game: Option<&str>,
        limit: usize,
    ) -> Result<Vec<MatchRecord>, StoreError> {
        (**self).recent_matches(game, limit)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        (**self).record(rounds)
    }

    fn record_fenced(&mut self, fence: &Fence, rounds: &[RoundResult]) -> Result<(), StoreError> {
        (**self).record_fenced(fence, rounds)
    }

    fn record_fenced_groups(
        &mut self,
        groups: &[(Fence, Vec<RoundResult>)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        (**self).record_fenced_groups(groups)
    }

    fn save_snapshot(&mut self, fence: &Fence, body: &str) -> Result<(), StoreError> {
        (**self).save_snapshot(fence, body)
    }

    fn save_snapshots(
        &mut self,
        snapshots: &[(Fence, String)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        (**self).save_snapshots(snapshots)
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        (**self).reader()
    }

    fn takes_unwritten_logs(&self) -> bool {
        (**self).takes_unwritten_logs()
    }

    fn blocks(&self) -> bool {
        (**self).blocks()
    }

    fn record_unwritten(
        &mut self,
        rounds: Vec<(RoundResult, Option<Box<dyn UnwrittenLog>>)>,
    ) -> Result<(), StoreError> {
        (**self).record_unwritten(rounds)
    }
}
