//! The board: the actor that answers reads of the records — the leaderboard (`/top`,
//! `GET /api/leaderboard`), a returning player's tally and the recorded matches
//! (`GET /api/matches`) — from a reader of its own
//! ([`StoreReader`]: for SQLite a second, read-only connection on the same file), on a thread
//! of its own. Reads never wait in the recorder's mailbox, so a flood of them cannot delay a
//! single commit; and the totals they read make each one cheap whatever the history.
//!
//! **Cache.** The last leaderboard of each board asked for — one per hosted game, and the
//! all-games one — (at the largest size anyone may ask for) is kept and served again while
//! it is younger than `max_age` *and* no commit has been made since it was read (the
//! recorder's commit counter, [`StoreStatus::commits`]). A win announced to a player has
//! been committed, so the counter has moved: the board they read next has it.
//!
//! **Which games.** A read names its game as a `&'static str`: one of the names the server's
//! game type hosts (`Render::games`), picked by the session or the HTTP handler *before*
//! the read is made. A client's string never becomes a key, so no client can grow the cache
//! past the hosted games plus one, nor bypass it with names of its own.
//!
//! **Callers who left.** Every read carries its asker's deadline; one that waited in the
//! mailbox past it is dropped unread — nobody is waiting for the answer.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, Timeout};
use referee_store::{Leaderboard, MatchRecord, StoreReader};

use crate::metrics::StorageMetrics;
use crate::records::{RECENT, StoreStatus, now_ms};

/// A handle to the board actor.
pub(crate) type BoardHandle = ActorHandle<Board>;

/// How long a leaderboard is served again at most (`--leaderboard-cache-ms`).
pub(crate) const DEFAULT_CACHE: Duration = Duration::from_secs(1);
/// The leaderboard is read (and cached) at this size; smaller asks take its top.
pub(crate) const MAX_LIMIT: usize = 100;
/// Reads waiting at most: past it an ask waits for room until its deadline.
const MAILBOX: usize = 1024;

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadFailed {
    /// The store's error.
    #[error("storage failed: {0}")]
    Storage(String),
    /// The read waited past its asker's deadline and was not made.
    #[error("the read came too late for its asker")]
    Expired,
}

/// The read-side actor's state.
pub(crate) struct Board {
    reader: Box<dyn StoreReader>,
    status: Arc<StoreStatus>,
    max_age: Duration,
    /// The last board read of each game asked for (`None`: all games together). Its keys
    /// are hosted games' names, never a client's string: at most the hosted games plus one.
    cache: HashMap<Option<&'static str>, Cached>,
    metrics: StorageMetrics,
}

/// A leaderboard as read, with when and after how many commits.
struct Cached {
    board: Leaderboard,
    commits: u64,
    at: Instant,
}

impl Actor for Board {}

impl Board {
    /// Spawns the board on its own thread, reading through `reader`.
    pub(crate) fn spawn(
        reader: Box<dyn StoreReader>,
        status: Arc<StoreStatus>,
        max_age: Duration,
        metrics: StorageMetrics,
    ) -> io::Result<BoardHandle> {
        let board = Board {
            reader,
            status,
            max_age,
            cache: HashMap::new(),
            metrics,
        };
        ActorBuilder::new()
            .name("board")
            .mailbox_capacity(MAILBOX)
            .spawn_thread(board)
    }

    /// The cached board of `game` if it is still good, else a fresh read (cached in turn).
    fn leaderboard(&mut self, game: Option<&'static str>) -> Result<&Leaderboard, ReadFailed> {
        let commits = self.status.commits();
        let fresh = self
            .cache
            .get(&game)
            .is_some_and(|c| c.commits == commits && c.at.elapsed() < self.max_age);
        if fresh {
            self.metrics.read_from("cache");
        } else {
            self.metrics.read_from("store");
            let recent = i64::try_from(RECENT.as_millis()).unwrap_or(i64::MAX);
            let board = self
                .reader
                .leaderboard(game, MAX_LIMIT, now_ms(), recent)
                .map_err(|err| ReadFailed::Storage(err.to_string()))?;
            let at = Instant::now();
            self.cache.insert(game, Cached { board, commits, at });
        }
        self.cache
            .get(&game)
            .map(|cached| &cached.board)
            .ok_or_else(|| ReadFailed::Storage("no leaderboard".into()))
    }

    /// Whether the asker is still waiting; counts the read dropped if not.
    fn still_wanted(&self, deadline: Instant) -> bool {
        let wanted = Instant::now() < deadline;
        if !wanted {
            self.metrics.reads_dropped.inc();
        }
        wanted
    }
}

/// The deadline of an ask made now with `timeout`.
fn deadline(timeout: Timeout) -> Instant {
    let patience = match timeout {
        Timeout::After(limit) => limit,
        Timeout::Never => Duration::from_secs(24 * 3600),
    };
    Instant::now() + patience
}

/// The leaderboard of one hosted game (or of all, `None`): the top `limit` (at most
/// [`MAX_LIMIT`]) of all time and recent.
pub(crate) struct ReadLeaderboard {
    game: Option<&'static str>,
    limit: usize,
    deadline: Instant,
}

impl ReadLeaderboard {
    /// A read for an ask with this timeout (the handle's: `BoardHandle::timeout`). `game` is
    /// a hosted game's name (from `Render::games`), never a client's string.
    pub(crate) fn new(game: Option<&'static str>, limit: usize, timeout: Timeout) -> Self {
        ReadLeaderboard {
            game,
            limit: limit.min(MAX_LIMIT),
            deadline: deadline(timeout),
        }
    }
}

impl Message for ReadLeaderboard {
    type Reply = Result<Leaderboard, ReadFailed>;
}

impl Handler<ReadLeaderboard> for Board {
    fn handle(
        &mut self,
        read: ReadLeaderboard,
        _: &mut Context<Self>,
    ) -> Result<Leaderboard, ReadFailed> {
        if !self.still_wanted(read.deadline) {
            return Err(ReadFailed::Expired);
        }
        let board = self.leaderboard(read.game)?;
        Ok(Leaderboard {
            all_time: board.all_time.iter().take(read.limit).cloned().collect(),
            recent: board.recent.iter().take(read.limit).cloned().collect(),
        })
    }
}

/// How many rounds the named player has won, all time.
pub(crate) struct ReadWinsOf {
    name: String,
    deadline: Instant,
}

impl ReadWinsOf {
    /// A read for an ask with this timeout.
    pub(crate) fn new(name: String, timeout: Timeout) -> Self {
        ReadWinsOf {
            name,
            deadline: deadline(timeout),
        }
    }
}

impl Message for ReadWinsOf {
    type Reply = Result<u64, ReadFailed>;
}

impl Handler<ReadWinsOf> for Board {
    fn handle(&mut self, read: ReadWinsOf, _: &mut Context<Self>) -> Result<u64, ReadFailed> {
        if !self.still_wanted(read.deadline) {
            return Err(ReadFailed::Expired);
        }
        self.reader
            .wins_of(&read.name)
            .map_err(|err| ReadFailed::Storage(err.to_string()))
    }
}

/// One recorded match, by its result's key (`GET /api/matches/{id}`). Never cached: each
/// is read once, by whoever replays it.
pub(crate) struct ReadMatch {
    id: String,
    deadline: Instant,
}

impl ReadMatch {
    /// A read for an ask with this timeout. `id` was checked by the caller (bounded length).
    pub(crate) fn new(id: String, timeout: Timeout) -> Self {
        ReadMatch {
            id,
            deadline: deadline(timeout),
        }
    }
}

impl Message for ReadMatch {
    type Reply = Result<Option<MatchRecord>, ReadFailed>;
}

impl Handler<ReadMatch> for Board {
    fn handle(
        &mut self,
        read: ReadMatch,
        _: &mut Context<Self>,
    ) -> Result<Option<MatchRecord>, ReadFailed> {
        if !self.still_wanted(read.deadline) {
            return Err(ReadFailed::Expired);
        }
        self.reader
            .match_by_id(&read.id)
            .map_err(|err| ReadFailed::Storage(err.to_string()))
    }
}

/// The latest recorded matches of one hosted game (or of all), newest first, at most
/// [`MAX_LIMIT`].
pub(crate) struct ReadRecentMatches {
    game: Option<&'static str>,
    limit: usize,
    deadline: Instant,
}

impl ReadRecentMatches {
    /// A read for an ask with this timeout; `game` is a hosted game's name.
    pub(crate) fn new(game: Option<&'static str>, limit: usize, timeout: Timeout) -> Self {
        ReadRecentMatches {
            game,
            limit: limit.min(MAX_LIMIT),
            deadline: deadline(timeout),
        }
    }
}

impl Message for ReadRecentMatches {
    type Reply = Result<Vec<MatchRecord>, ReadFailed>;
}

impl Handler<ReadRecentMatches> for Board {
    fn handle(
        &mut self,
        read: ReadRecentMatches,
        _: &mut Context<Self>,
    ) -> Result<Vec<MatchRecord>, ReadFailed> {
        if !self.still_wanted(read.deadline) {
            return Err(ReadFailed::Expired);
        }
        self.reader
            .recent_matches(read.game, read.limit)
            .map_err(|err| ReadFailed::Storage(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use referee_store::{LeaderEntry, StoreError};

    use super::*;

    /// A reader that counts the leaderboards it computes; each board's leader is named
    /// after the game asked for (`all` for all games).
    struct Counting(Arc<AtomicUsize>);

    impl StoreReader for Counting {
        fn leaderboard(
            &mut self,
            game: Option<&str>,
            _: usize,
            _: i64,
            _: i64,
        ) -> Result<Leaderboard, StoreError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) as u64;
            let entry = |wins| LeaderEntry {
                name: game.unwrap_or("all").into(),
                wins,
            };
            Ok(Leaderboard {
                all_time: vec![entry(n + 1), entry(n)],
                recent: vec![entry(n)],
            })
        }

        fn wins_of(&mut self, _: &str) -> Result<u64, StoreError> {
            Ok(0)
        }
        fn games_of(&mut self, _: &str) -> Result<Vec<referee_store::GameWins>, StoreError> {
            Ok(Vec::new())
        }
        fn match_by_id(
            &mut self,
            _: &str,
        ) -> Result<Option<referee_store::MatchRecord>, StoreError> {
            Ok(None)
        }
        fn recent_matches(
            &mut self,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<referee_store::MatchRecord>, StoreError> {
            Ok(Vec::new())
        }
    }

    fn board(max_age: Duration) -> (BoardHandle, Arc<AtomicUsize>, Arc<StoreStatus>) {
        let computed = Arc::new(AtomicUsize::new(0));
        let status = Arc::new(StoreStatus::default());
        let metrics = StorageMetrics::default();
        let reader = Box::new(Counting(computed.clone()));
        let handle = Board::spawn(reader, status.clone(), max_age, metrics)
            .unwrap_or_else(|err| panic!("{err}"));
        (handle, computed, status)
    }

    fn read(limit: usize) -> ReadLeaderboard {
        read_of(None, limit)
    }

    fn read_of(game: Option<&'static str>, limit: usize) -> ReadLeaderboard {
        ReadLeaderboard::new(game, limit, Timeout::After(Duration::from_secs(5)))
    }

    /// The leader's name on the board `game` answers with.
    async fn leader(board: &BoardHandle, game: Option<&'static str>) -> Option<String> {
        let answer = board.ask(read_of(game, 10)).await.ok().and_then(Result::ok);
        answer.and_then(|b| b.all_time.first().map(|entry| entry.name.clone()))
    }

    #[tokio::test]
    async fn each_game_has_its_own_cached_board() {
        let (board, computed, status) = board(Duration::from_secs(3600));
        let games = [Some("dice"), Some("guess"), None];
        for game in games {
            let name = game.unwrap_or("all");
            assert_eq!(leader(&board, game).await.as_deref(), Some(name));
        }
        assert_eq!(computed.load(Ordering::SeqCst), 3, "one read per board");
        for game in games {
            let name = game.unwrap_or("all");
            assert_eq!(
                leader(&board, game).await.as_deref(),
                Some(name),
                "each game is served its own board from the cache"
            );
        }
        assert_eq!(computed.load(Ordering::SeqCst), 3, "all from the cache");
        status.committed();
        for game in games {
            assert!(leader(&board, game).await.is_some());
        }
        assert_eq!(
            computed.load(Ordering::SeqCst),
            6,
            "a commit staled every board"
        );
    }

    #[tokio::test]
    async fn a_board_is_served_again_until_a_commit_moves_the_counter() {
        let (board, computed, status) = board(Duration::from_secs(3600));
        let first = board.ask(read(1)).await.ok().and_then(Result::ok);
        assert_eq!(first.map(|b| b.all_time.len()), Some(1), "cut to the limit");
        let again = board.ask(read(10)).await.ok().and_then(Result::ok);
        assert_eq!(again.map(|b| b.all_time.len()), Some(2));
        assert_eq!(
            computed.load(Ordering::SeqCst),
            1,
            "the second came from the cache"
        );
        status.committed();
        let after = board.ask(read(10)).await.ok().and_then(Result::ok);
        assert_eq!(after.map(|b| b.all_time[0].wins), Some(2), "read afresh");
        assert_eq!(computed.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_board_older_than_its_max_age_is_read_again() {
        let (board, computed, _) = board(Duration::ZERO);
        for _ in 0..3 {
            assert!(matches!(board.ask(read(10)).await, Ok(Ok(_))));
        }
        assert_eq!(computed.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_read_past_its_askers_deadline_is_not_made() {
        let (board, computed, _) = board(Duration::ZERO);
        let late = ReadLeaderboard::new(None, 10, Timeout::After(Duration::ZERO));
        let answer = board.ask(late).await;
        assert!(matches!(answer, Ok(Err(ReadFailed::Expired))), "{answer:?}");
        let late = ReadWinsOf::new("Ann".into(), Timeout::After(Duration::ZERO));
        assert!(matches!(
            board.ask(late).await,
            Ok(Err(ReadFailed::Expired))
        ));
        assert_eq!(computed.load(Ordering::SeqCst), 0, "nothing was read");
    }
}
