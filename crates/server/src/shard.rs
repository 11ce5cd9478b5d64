//! Shard per core: one single-threaded runtime per core, each on its own OS thread, and a
//! connection served entirely on one of them.
//!
//! On tokio's multi-thread runtime a guess crosses reader → room → writer, and the three
//! tasks are often woken on two worker threads: each hand-off across threads is a futex
//! wake-up and a cold cache (docs/PERFORMANCE.md §3, §7). With shards, a connection's
//! reader and writer live on the shard that accepted it (every transport: TCP, HTTP and the
//! WebSockets HTTP upgrades to), a room lives on the shard of the session that opened it
//! (the lobby spawns it there: [`Home`]), and quick match prefers a filling room on the
//! player's own shard (`lobby/directory.rs`). Asks across shards still work — the actor core
//! is `Send` — they are only dearer.
//!
//! Connections are still accepted once, by the accept loops with their reserve descriptor
//! and admission checks (`accept.rs`, `admission.rs`, counted server-wide), then handed to
//! a shard: consecutive connections go to the same shard in runs of a room's seats
//! ([`Placement`]), so that players who arrive together and quick-match together share a
//! shard. Shard 0 is the thread that runs the server itself (lobby, HTTP accept, cluster
//! duties, metrics).

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::net::TcpStream;
use tokio::runtime::{Builder, Handle, Runtime};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Where a room is spawned: the shard of the session that opens it.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    /// The shard's number (0 is the server's own thread).
    pub(crate) index: usize,
    pub(crate) handle: Handle,
}

thread_local! {
    /// The shard this thread runs, if it runs one.
    static CURRENT: RefCell<Option<Home>> = const { RefCell::new(None) };
}

/// The shard of the calling thread; `None` on a multi-thread runtime (then rooms are
/// spawned wherever the lobby runs, as before shards).
pub(crate) fn home() -> Option<Home> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Marks the calling thread as shard `index`, served by the runtime of `handle`.
fn enter(index: usize, handle: Handle) {
    CURRENT.with(|current| *current.borrow_mut() = Some(Home { index, handle }));
}

/// Which shard the next connection goes to: runs of `run` consecutive connections per
/// shard, round robin.
#[derive(Debug)]
pub(crate) struct Placement {
    shards: usize,
    run: usize,
    next: AtomicUsize,
}

impl Placement {
    /// Over `shards` shards, `run` consecutive connections each (both at least 1).
    pub(crate) fn new(shards: usize, run: usize) -> Self {
        Placement {
            shards: shards.max(1),
            run: run.max(1),
            next: AtomicUsize::new(0),
        }
    }

    /// The shard of the next connection.
    pub(crate) fn next(&self) -> usize {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        (n / self.run) % self.shards
    }
}

/// The shards a server hands its connections to. [`Shards::default`] is no shards: every
/// connection is spawned on the runtime that accepted it (tokio's multi-thread runtime).
#[derive(Debug, Clone, Default)]
pub struct Shards {
    /// Shard 0 first; empty without shards.
    handles: Arc<[Handle]>,
}

impl Shards {
    /// How many shards (0 without shards).
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether there are no shards (connections stay where they are accepted).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The runtime of shard `index`.
    #[cfg(test)]
    pub(crate) fn handle(&self, index: usize) -> Option<&Handle> {
        self.handles.get(index)
    }

    /// Serves an accepted `stream` with `serve` on the shard `placement` picks, tracked by
    /// `tasks`. Moving it to another shard's runtime re-registers its socket there.
    pub(crate) fn spawn<F, Fut>(
        &self,
        placement: &Placement,
        tasks: &TaskTracker,
        stream: TcpStream,
        serve: F,
    ) where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let index = placement.next();
        let target = match self.handles.get(index) {
            // Already on its shard (the accept loops run on shard 0): nothing to move.
            Some(_) if home().is_some_and(|home| home.index == index) => None,
            other => other,
        };
        let Some(target) = target else {
            tasks.spawn(serve(stream));
            return;
        };
        let std = match stream.into_std() {
            Ok(std) => std,
            Err(err) => {
                tracing::debug!(%err, "cannot hand a connection to its shard");
                return;
            }
        };
        tasks.spawn_on(
            async move {
                match TcpStream::from_std(std) {
                    Ok(stream) => serve(stream).await,
                    Err(err) => tracing::debug!(%err, "cannot register a connection on its shard"),
                }
            },
            target,
        );
    }
}

/// Shard 0 (the calling thread's runtime, for the server itself) and `count - 1` more
/// shards, each a single-threaded runtime on a thread of its own.
pub struct ShardThreads {
    shards: Shards,
    stop: CancellationToken,
    threads: Vec<JoinHandle<()>>,
}

impl ShardThreads {
    /// Builds shard 0's runtime (returned, for the caller to run the server on this thread)
    /// and starts shards 1 to `count - 1`.
    ///
    /// # Errors
    /// If a runtime or a thread cannot be made.
    pub fn start(count: usize) -> io::Result<(Runtime, ShardThreads)> {
        let first = single_threaded()?;
        let stop = CancellationToken::new();
        let mut handles = vec![first.handle().clone()];
        let mut threads = Vec::new();
        for index in 1..count.max(1) {
            match spawn_shard(index, stop.clone()) {
                Ok((handle, thread)) => {
                    handles.push(handle);
                    threads.push(thread);
                }
                Err(err) => {
                    // The shards already started end with this error.
                    stop.cancel();
                    return Err(err);
                }
            }
        }
        enter(0, first.handle().clone());
        let shards = Shards {
            handles: handles.into(),
        };
        Ok((
            first,
            ShardThreads {
                shards,
                stop,
                threads,
            },
        ))
    }

    /// The shards, for [`Server::with_shards`](crate::Server::with_shards).
    pub fn shards(&self) -> Shards {
        self.shards.clone()
    }

    /// Ends the shard threads (what still runs on them is dropped) and waits for them.
    pub fn stop(self) {
        self.stop.cancel();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Shard `index`: a single-threaded runtime on a thread of its own, until `stop`.
fn spawn_shard(index: usize, stop: CancellationToken) -> io::Result<(Handle, JoinHandle<()>)> {
    let runtime = single_threaded()?;
    let handle = runtime.handle().clone();
    let thread = std::thread::Builder::new()
        .name(format!("shard-{index}"))
        .spawn(move || {
            enter(index, runtime.handle().clone());
            runtime.block_on(stop.cancelled());
        })?;
    Ok((handle, thread))
}

fn single_threaded() -> io::Result<Runtime> {
    Builder::new_current_thread().enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::Placement;

    #[test]
    fn consecutive_connections_share_a_shard_a_room_at_a_time() {
        let placement = Placement::new(2, 3);
        let shards: Vec<usize> = (0..9).map(|_| placement.next()).collect();
        assert_eq!(shards, [0, 0, 0, 1, 1, 1, 0, 0, 0]);
    }

    #[test]
    fn one_shard_takes_everything() {
        let placement = Placement::new(1, 3);
        assert!((0..7).all(|_| placement.next() == 0));
    }
}
