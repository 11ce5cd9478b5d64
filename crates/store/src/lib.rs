//! Referee's durable records: every won round, the players who won them, and the leaderboard
//! computed from them.
//!
//! The [`Store`] trait is the whole interface the server needs: commit a batch of results in
//! one transaction, and read the leaderboard. [`SqliteStore`] is the embedded default (a
//! file, no setup); [`MemoryStore`] keeps nothing across restarts, for servers that want no
//! disk. A shared database server (PostgreSQL, for several server nodes) would be one more
//! implementation of the same trait.
//!
//! Stores are synchronous: the server keeps one in a single persistence actor, on a thread
//! of its own, and that actor is the only code that ever writes. Reads (the leaderboard, a
//! player's tally) go through a [`StoreReader`] given out by [`Store::reader`]: for SQLite a
//! second, read-only connection on the same file, so that a reader never waits behind a
//! commit and a commit never waits behind a reader.
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
//! let win = RoundResult { room: 1, round: 1, winner: "Alice".into(), named: true, guesses: 4, won_at_ms: 1_000 };
//! store.record(&[win])?;
//! let board = store.leaderboard(10, 2_000, 1_000_000)?;
//! assert_eq!(board.all_time[0].name, "Alice");
//! assert_eq!(board.all_time[0].wins, 1);
//! # Ok::<(), referee_store::StoreError>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod memory;
mod model;
mod sqlite;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use model::{LeaderEntry, Leaderboard, RoundResult};
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
    /// The players with the most wins, all time and within the last `recent_ms`
    /// milliseconds before `now_ms`, at most `limit` of each, most wins first (ties by name).
    /// Only named players appear.
    ///
    /// # Errors
    /// The store's failure.
    fn leaderboard(
        &mut self,
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError>;

    /// How many rounds the player with this name (case-insensitive) has won.
    ///
    /// # Errors
    /// The store's failure.
    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError>;
}

/// Where round results are kept: a [`StoreReader`] that also commits.
///
/// Every method runs to completion before returning; a `record` that returns `Ok` is
/// durable (for [`SqliteStore`], on disk: the transaction is committed with a full sync).
pub trait Store: StoreReader {
    /// Commits every result in one transaction: all of them are stored, or none.
    ///
    /// # Errors
    /// The store's failure; nothing was stored.
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError>;

    /// A reader of the same records, usable on another thread while this store commits:
    /// it sees every commit that returned before a read begins.
    ///
    /// # Errors
    /// The store's failure (for SQLite, the second connection cannot be opened).
    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError>;
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
        limit: usize,
        now_ms: i64,
        recent_ms: i64,
    ) -> Result<Leaderboard, StoreError> {
        (**self).leaderboard(limit, now_ms, recent_ms)
    }

    fn wins_of(&mut self, name: &str) -> Result<u64, StoreError> {
        (**self).wins_of(name)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn record(&mut self, rounds: &[RoundResult]) -> Result<(), StoreError> {
        (**self).record(rounds)
    }

    fn reader(&self) -> Result<Box<dyn StoreReader>, StoreError> {
        (**self).reader()
    }
}
