//! The recorder: the persistence actor. The store (and its database connection) lives here
//! and nowhere else.
//!
//! **Group commit.** Rooms send `Save`s; the recorder gathers them and commits a batch in one
//! transaction as soon as nothing else waits in its mailbox (`Context::queued() == 0`), or
//! when the batch is full. While one commit syncs to disk, the next saves queue up and go
//! together into the following one: under load, one sync serves many rounds; at rest, a save
//! is committed at once.
//!
//! **Durable before announced.** Each `Save` carries a one-shot `done` channel, answered
//! only after its transaction has committed. The room holds the win's announcement until
//! then.
//!
//! The store is synchronous (SQLite), so the recorder runs on a thread of its own.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, StopReason};
use referee_store::{Leaderboard, RoundResult, Store};
use tokio::sync::oneshot;

/// Rounds committed together at most.
pub(crate) const DEFAULT_MAX_BATCH: usize = 1024;
/// Attempts at committing a batch before its saves are answered with the error.
const ATTEMPTS: u32 = 3;
/// Leaderboard "recent": the last seven days.
const RECENT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A handle to the recorder actor.
pub(crate) type RecorderHandle = ActorHandle<Recorder>;

/// Why a save or a query failed (the store's error, as text: it is sent to several waiters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {0}")]
pub(crate) struct StorageFailed(pub(crate) String);

/// The persistence actor's state.
pub(crate) struct Recorder {
    store: Box<dyn Store>,
    batch: Vec<Save>,
    max_batch: usize,
}

impl Recorder {
    /// Spawns the recorder on its own thread.
    pub(crate) fn spawn(store: Box<dyn Store>, max_batch: usize) -> io::Result<RecorderHandle> {
        let recorder = Recorder {
            store,
            batch: Vec::new(),
            max_batch: max_batch.max(1),
        };
        ActorBuilder::new()
            .name("recorder")
            .mailbox_capacity(4096)
            .spawn_thread(recorder)
    }

    /// Commits the batch in one transaction and answers every save in it.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let results: Vec<RoundResult> = batch.iter().map(|save| save.result.clone()).collect();
        let outcome = self.commit(&results);
        if let Err(err) = &outcome {
            tracing::error!(rounds = results.len(), %err, "could not save round results");
        }
        for save in batch {
            let _ = save.done.send(outcome.clone());
        }
    }

    /// One transaction, retried a few times (a transient lock or I/O error), pausing between
    /// attempts. Pausing blocks only this actor's own thread.
    fn commit(&mut self, results: &[RoundResult]) -> Result<(), StorageFailed> {
        let mut pause = Duration::from_millis(10);
        let mut attempt = 1;
        loop {
            match self.store.record(results) {
                Ok(()) => return Ok(()),
                Err(err) if attempt >= ATTEMPTS => return Err(StorageFailed(err.to_string())),
                Err(err) => {
                    tracing::warn!(attempt, %err, "commit failed; retrying");
                    std::thread::sleep(pause);
                    pause *= 5;
                    attempt += 1;
                }
            }
        }
    }
}

impl Actor for Recorder {
    /// Whatever is still batched is committed before the recorder goes: a graceful shutdown
    /// loses nothing.
    async fn stopped(&mut self, _reason: &StopReason) {
        self.flush();
    }
}

/// Save a won round. `done` is answered once the round is durable (or the save failed).
pub(crate) struct Save {
    pub(crate) result: RoundResult,
    pub(crate) done: oneshot::Sender<Result<(), StorageFailed>>,
}

impl Message for Save {
    type Reply = ();
}

impl Handler<Save> for Recorder {
    fn handle(&mut self, save: Save, ctx: &mut Context<Self>) {
        self.batch.push(save);
        if ctx.queued() == 0 || self.batch.len() >= self.max_batch {
            self.flush();
        }
    }
}

/// The leaderboard, including every save received so far.
pub(crate) struct GetLeaderboard {
    pub(crate) limit: usize,
}

impl Message for GetLeaderboard {
    type Reply = Result<Leaderboard, StorageFailed>;
}

impl Handler<GetLeaderboard> for Recorder {
    fn handle(
        &mut self,
        query: GetLeaderboard,
        _: &mut Context<Self>,
    ) -> Result<Leaderboard, StorageFailed> {
        self.flush();
        let recent = i64::try_from(RECENT.as_millis()).unwrap_or(i64::MAX);
        self.store
            .leaderboard(query.limit, now_ms(), recent)
            .map_err(|err| StorageFailed(err.to_string()))
    }
}

/// How many rounds the named player has won, all time.
pub(crate) struct WinsOf(pub(crate) String);

impl Message for WinsOf {
    type Reply = Result<u64, StorageFailed>;
}

impl Handler<WinsOf> for Recorder {
    fn handle(&mut self, query: WinsOf, _: &mut Context<Self>) -> Result<u64, StorageFailed> {
        self.flush();
        self.store
            .wins_of(&query.0)
            .map_err(|err| StorageFailed(err.to_string()))
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
