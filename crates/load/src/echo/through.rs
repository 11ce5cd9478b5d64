//! The echo with the server's hops and none of its game: how far the founding design itself
//! sits from the bare echo.
//!
//! The server answers a guess in three tasks: the connection's task reads it and asks the
//! room's actor (one per room), the actor handles it and replies, and the answer goes
//! through the connection's outbox to a writer task that writes it. The game (parsing,
//! rules, the recorded log, metrics, the texts) is the rest. [`Through::Actor`] keeps the
//! first hop: each line is asked of an actor shared by a room's connections, which hands it
//! back, and the connection's task writes it. [`Through::ActorAndWriter`] keeps both: the
//! answer is handed to the connection's writer task. Loaded by the same bots as the bare
//! echo ([`Through::Nothing`]) and the server, the three rates split the gap between the
//! echo and the server into the hops' share and the game's.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use referee_actor::{Actor, ActorHandle, Context, Handler, Message, spawn};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::read_line;

/// What a line goes through between being read and being written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Through {
    /// Nothing: the task that read the line writes it (the bare echo).
    #[default]
    Nothing,
    /// An ask of the room's actor, which hands the line back; the reading task writes it.
    Actor,
    /// The ask, then the connection's writer task, which writes it (the server's hops).
    ActorAndWriter,
}

/// Answers the server's outbox holds for a writer that has not caught up: a bot has one
/// line in flight, so this is never reached by the bots.
const OUTBOX: usize = 64;

/// The room's actor: hands each line back, counting it.
pub(super) struct Room {
    lines: Arc<AtomicU64>,
}

impl Actor for Room {}

/// One line read from a connection of the room.
struct Line(Vec<u8>);

impl Message for Line {
    type Reply = Vec<u8>;
}

impl Handler<Line> for Room {
    fn handle(&mut self, Line(line): Line, _: &mut Context<Self>) -> Vec<u8> {
        // Only this actor writes its counter: a load and a store, no read-modify-write.
        let lines = self.lines.load(Ordering::Relaxed);
        self.lines.store(lines + 1, Ordering::Relaxed);
        line
    }
}

/// Lines handled by the rooms' actors: one counter a room, each written by its actor only.
#[derive(Debug, Clone, Default)]
pub(super) struct LineCounts(Arc<Mutex<Vec<Arc<AtomicU64>>>>);

impl LineCounts {
    /// A counter for a new room.
    fn add_room(&self) -> Arc<AtomicU64> {
        let lines = Arc::new(AtomicU64::new(0));
        let mut rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.push(lines.clone());
        lines
    }

    /// Lines handled by every room's actor so far.
    pub(super) fn total(&self) -> u64 {
        let rooms = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rooms
            .iter()
            .map(|lines| lines.load(Ordering::Relaxed))
            .sum()
    }
}

/// Seats connections `room_size` at a time in rooms, each with its actor.
pub(super) struct Rooms {
    room_size: usize,
    seated: usize,
    current: Option<ActorHandle<Room>>,
    counts: LineCounts,
}

impl Rooms {
    /// Rooms of `room_size` connections (at least one), counting their lines in `counts`.
    pub(super) fn new(room_size: usize, counts: LineCounts) -> Self {
        Rooms {
            room_size: room_size.max(1),
            seated: 0,
            current: None,
            counts,
        }
    }

    /// The room the next connection sits in: the current one until it is full, then a new
    /// one. Must run inside a tokio runtime (the actor is spawned on it).
    pub(super) fn seat(&mut self) -> ActorHandle<Room> {
        let full = self.seated % self.room_size == 0;
        self.seated += 1;
        match &self.current {
            Some(room) if !full => room.clone(),
            _ => {
                let room = spawn(Room {
                    lines: self.counts.add_room(),
                });
                self.current = Some(room.clone());
                room
            }
        }
    }
}

/// Echoes every line through `room` (and, with `writer`, a writer task) until the client
/// closes its side.
pub(super) async fn echo_through(
    stream: TcpStream,
    room: ActorHandle<Room>,
    writer: bool,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, write) = stream.into_split();
    let mut conn = BufReader::with_capacity(512, read);
    let mut out = Out::new(write, writer);
    let mut line = Vec::with_capacity(64);
    while read_line(&mut conn, &mut line).await? {
        let asked = std::mem::replace(&mut line, Vec::with_capacity(64));
        let answer = room
            .ask(Line(asked))
            .await
            .map_err(|error| io::Error::other(error.to_string()))?;
        line = out.write(answer).await?;
    }
    out.close().await
}

/// Where a connection's answers go: its own socket, or its writer task's queue.
enum Out {
    Direct(OwnedWriteHalf),
    Writer {
        queue: mpsc::Sender<Vec<u8>>,
        task: tokio::task::JoinHandle<io::Result<()>>,
    },
}

impl Out {
    fn new(write: OwnedWriteHalf, writer: bool) -> Self {
        if !writer {
            return Out::Direct(write);
        }
        let (queue, lines) = mpsc::channel(OUTBOX);
        let task = tokio::spawn(write_lines(write, lines));
        Out::Writer { queue, task }
    }

    /// Writes `line` (or queues it for the writer); gives back a buffer for the next line.
    async fn write(&mut self, line: Vec<u8>) -> io::Result<Vec<u8>> {
        match self {
            Out::Direct(write) => {
                write.write_all(&line).await?;
                Ok(line)
            }
            Out::Writer { queue, .. } => match queue.send(line).await {
                Ok(()) => Ok(Vec::with_capacity(64)),
                Err(_) => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
            },
        }
    }

    /// Lets the writer write what it holds, then ends it.
    async fn close(self) -> io::Result<()> {
        match self {
            Out::Direct(_) => Ok(()),
            Out::Writer { queue, task } => {
                drop(queue);
                task.await.map_err(io::Error::other)?
            }
        }
    }
}

/// The writer task: writes each queued line until the queue closes.
async fn write_lines(
    mut write: OwnedWriteHalf,
    mut lines: mpsc::Receiver<Vec<u8>>,
) -> io::Result<()> {
    while let Some(line) = lines.recv().await {
        write.write_all(&line).await?;
    }
    Ok(())
}
