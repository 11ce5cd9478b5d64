//! The write-ahead log copied back into the database file on a thread of its own.
//!
//! In WAL mode every commit appends the pages it changed to the `-wal` file and syncs it
//! (`synchronous = FULL`): that is what makes a result durable. From time to time those pages
//! must be copied back into the database file (a *checkpoint*), which writes and syncs the
//! database file too. SQLite does it by default inside the commit that takes the log past
//! 1,000 pages — on the recorder's thread, while every room waiting for that commit waits
//! for the checkpoint as well. Here the writer's connection leaves checkpoints to this
//! thread (its own automatic checkpoint only as a far backstop, [`BACKSTOP_PAGES`]), which
//! runs a passive one — it never blocks the writer, nor a reader — at most every
//! [`INTERVAL`] after a commit woke it. Durability is unchanged: a commit is durable once the
//! log is synced, checkpoint or not.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// The shortest time between two checkpoints.
pub(super) const INTERVAL: Duration = Duration::from_millis(100);

/// The writer's own automatic checkpoint, kept for the case where this thread cannot keep up
/// (or failed): at this many pages (4 KiB each) of log, the commit checkpoints itself.
pub(super) const BACKSTOP_PAGES: u32 = 16_384;

/// The checkpointing thread, woken after commits; stopped (and joined) on drop.
pub(super) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with a connection of its own on `path`. `None` (logged) if either
    /// cannot be had: the writer's backstop then does the checkpoints, as SQLite would.
    pub(super) fn start(path: &Path) -> Option<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match Connection::open_with_flags(path, flags) {
            Ok(conn) => conn,
            Err(err) => {
                tracing::warn!(%err, "no checkpoint thread: the commits will checkpoint");
                return None;
            }
        };
        let (wake, woken) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &woken));
        match thread {
            Ok(thread) => Some(Checkpointer {
                wake: Some(wake),
                thread: Some(thread),
            }),
            Err(err) => {
                tracing::warn!(%err, "no checkpoint thread: the commits will checkpoint");
                None
            }
        }
    }

    /// A commit appended to the log: checkpoint soon. Never waits.
    pub(super) fn committed(&self) {
        if let Some(wake) = &self.wake {
            match wake.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for a commit, checkpoints, and rests out the rest of [`INTERVAL`] (a commit
/// meanwhile is remembered: the next checkpoint follows the rest); a last one when the store
/// goes.
fn run(conn: &Connection, woken: &Receiver<()>) {
    let mut pending = false;
    loop {
        if !pending && woken.recv().is_err() {
            break;
        }
        pending = false;
        let started = Instant::now();
        checkpoint(conn);
        loop {
            let left = INTERVAL.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match woken.recv_timeout(left) {
                Ok(()) => pending = true,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    checkpoint(conn);
                    return;
                }
            }
        }
    }
    checkpoint(conn);
}

/// One passive checkpoint: copies what no reader still needs, waits for no one.
fn checkpoint(conn: &Connection) {
    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
        ))
    });
    match done {
        Ok((busy, log, copied)) => {
            tracing::trace!(busy, log, copied, "checkpoint");
        }
        Err(err) => tracing::debug!(%err, "checkpoint failed; the next one will try again"),
    }
}
