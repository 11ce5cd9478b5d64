//! A connection's write side, shared by its writer task and its reader.
//!
//! Most frames reach a connection through its outbox, and its writer task writes them. The
//! answer to the player's own move does not: the room hands it back in the move's reply, and
//! the reading task writes it itself ([`Wire::answer`]) — no push, no wake-up of the writer,
//! which is most of what a guess cost on its way out (`docs/PERFORMANCE.md` §7).
//!
//! Order is kept by numbers. Every pushed frame is numbered by the outbox ([`Turn`]); the
//! room's reply says how many frames had been pushed to the player before the answer
//! ([`MoveAnswer::after`]). The socket, the queue's receiving end and a stash sit behind one
//! short lock (never held across a wait): whoever writes takes the socket out and puts it
//! back after, so writes never interleave. While an answer is on its way
//! (the session sets [`Turn::set_answering`] before it asks), the writer task leaves the queue
//! alone — frames it took but has not written go back to the stash, in order — and the
//! reader, once the reply is in, writes what was pushed before the answer, the answer, then
//! what was pushed after, and lets the writer go on.
//!
//! The rest is as before: a round counts as shown when its frame is handed to the socket
//! (`seen.rs`), a kick stops writing at once (`kick.rs`), a close frame ends the stream.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::io;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc;

use crate::kick::{Kick, Reason};
use crate::outbox::{Frame, MoveAnswer, Turn};
use crate::seen::{SeenRound, stamp};

/// The close code when the queue closes (WebSocket's normal closure).
const NORMAL_CLOSE: u16 = 1000;
/// How long the reader waits for its answer to be taken by the socket, at most: a client that
/// sends moves and reads nothing is disconnected as too slow (as a full outbox would have it).
pub(crate) const STALL: Duration = Duration::from_secs(10);
/// Frames written in one batch at most.
const BATCH_FRAMES: usize = 64;
/// Bytes of text written in one batch at most.
const BATCH_BYTES: usize = 16 * 1024;
/// Frames the reader takes from the queue around one answer, at most (the queue's capacity
/// bounds them already; this bounds a queue being refilled as fast as it is read).
const DRAIN_LIMIT: usize = 4096;

/// Where a connection's frames go: a TCP stream or a WebSocket.
pub(crate) trait Socket: Send + 'static {
    /// Sends `frames` (none of them a close frame) in order, as one write where it can.
    fn send(&mut self, frames: Vec<Frame>) -> impl Future<Output = io::Result<()>> + Send;
    /// Ends the stream (on a WebSocket, with close code `code`); best effort.
    fn finish(&mut self, code: u16) -> impl Future<Output = ()> + Send;
}

/// What sits behind the lock. The lock is only ever held for a few steps without waiting:
/// whoever writes takes the socket out, writes, and puts it back, and nobody else writes
/// meanwhile (they wait for it in [`Side::waiting`]).
struct Side<S> {
    /// `None` while someone is writing to it.
    socket: Option<S>,
    frames: mpsc::Receiver<Frame>,
    /// Frames the writer task took from the queue while an answer was on its way, handed
    /// back in order: only the reader knows which of them go before the answer.
    stash: VecDeque<Frame>,
    /// The writer task, waiting for an answer to be written.
    writer: Option<Waker>,
    /// The task waiting for the socket to be put back.
    waiting: Option<Waker>,
}

/// The write side of one connection (a cheap handle: clone it for each task).
pub(crate) struct Wire<S> {
    side: Arc<StdMutex<Side<S>>>,
    turn: Arc<Turn>,
    kick: Kick,
    seen: SeenRound,
}

impl<S> Clone for Wire<S> {
    fn clone(&self) -> Self {
        Wire {
            side: self.side.clone(),
            turn: self.turn.clone(),
            kick: self.kick.clone(),
            seen: self.seen.clone(),
        }
    }
}

impl<S: Socket> Wire<S> {
    /// The write side of `socket`, fed by the queue `frames` whose outbox shares `turn`.
    pub(crate) fn new(
        socket: S,
        frames: mpsc::Receiver<Frame>,
        turn: Arc<Turn>,
        kick: Kick,
        seen: SeenRound,
    ) -> Self {
        let side = Side {
            socket: Some(socket),
            frames,
            stash: VecDeque::new(),
            writer: None,
            waiting: None,
        };
        Wire {
            side: Arc::new(StdMutex::new(side)),
            turn,
            kick,
            seen,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Side<S>> {
        // Nothing panics while holding it but a bug; the queue and socket are whole anyway.
        self.side.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the socket back after a write and wakes whoever waits for it.
    fn put_back(&self, socket: S) {
        let waiting = {
            let mut side = self.lock();
            side.socket = Some(socket);
            side.waiting.take()
        };
        if let Some(waiting) = waiting {
            waiting.wake();
        }
    }

    /// The writer task: writes the outbox until it closes (every sender gone), a close
    /// frame comes, or the connection is kicked; then ends the stream (not when kicked).
    pub(crate) async fn run(self) {
        loop {
            let (mut socket, batch) = tokio::select! {
                biased;
                _ = self.kick.for_writer() => return,
                taken = poll_fn(|cx| self.poll_take(cx)) => taken,
            };
            let (batch, close) = match batch {
                Some(mut batch) => {
                    let close = split_close(&mut batch, &mut self.lock().stash);
                    (batch, close)
                }
                None => (Vec::new(), Some(NORMAL_CLOSE)),
            };
            if !self.write(&mut socket, batch, false).await {
                return self.put_back(socket);
            }
            if let Some(code) = close {
                return socket.finish(code).await;
            }
            self.put_back(socket);
        }
    }

    /// The writer task's next batch, with the socket to write it to; `None` in the batch:
    /// the queue is closed and empty. Pending while someone else writes, while the queue is
    /// empty, or while an answer is on its way.
    fn poll_take(&self, cx: &mut Context<'_>) -> Poll<(S, Option<Vec<Frame>>)> {
        let mut side = self.lock();
        if side.socket.is_none() {
            side.waiting = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let batch = ready!(side.poll_batch(cx, &self.turn));
        match side.socket.take() {
            Some(socket) => Poll::Ready((socket, batch)),
            None => Poll::Pending, // checked above, under the same lock
        }
    }

    /// Takes the socket for the reader, waiting while the writer task writes.
    fn poll_socket(&self, cx: &mut Context<'_>) -> Poll<(S, MutexGuard<'_, Side<S>>)> {
        let mut side = self.lock();
        match side.socket.take() {
            Some(socket) => Poll::Ready((socket, side)),
            None => {
                side.waiting = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Writes the answer to the player's move: after the frames pushed before it, before
    /// those pushed after it; then lets the writer task go on. Called by the reader once
    /// the reply is in, whatever it was (an empty answer just lets the writer go on).
    pub(crate) async fn answer(&self, mut answer: MoveAnswer) {
        let taken = tokio::select! {
            biased;
            _ = self.kick.for_reader_writing() => None,
            taken = poll_fn(|cx| self.poll_socket(cx).map(|(socket, mut side)| {
                let mut frames = side.around(std::mem::take(&mut answer), &self.turn);
                // A close frame among them ends the stream: the writer task sends it.
                split_close(&mut frames, &mut side.stash);
                (socket, frames)
            })) => Some(taken),
        };
        let Some((mut socket, frames)) = taken else {
            self.turn.set_answering(false);
            return;
        };
        {
            let mut write = std::pin::pin!(self.write(&mut socket, frames, true));
            // The timer only for a write that does not go through at once.
            if write.as_mut().now_or_never().is_none()
                && tokio::time::timeout(STALL, write).await.is_err()
            {
                self.kick.kick(Reason::TooSlow);
            }
        }
        let (waiting, writer) = {
            let mut side = self.lock();
            side.socket = Some(socket);
            let writer = side.writer.take().and_then(|writer| side.hand_back(writer));
            (side.waiting.take(), writer)
        };
        for waker in [waiting, writer].into_iter().flatten() {
            waker.wake();
        }
    }

    /// Marks the rounds of `frames` as shown and sends them, stopping at a kick (`reader`:
    /// the reader is writing). Whether it went well: a failed write kicks the connection.
    async fn write(&self, socket: &mut S, frames: Vec<Frame>, reader: bool) -> bool {
        if frames.is_empty() {
            return true;
        }
        // Shown once handed to the socket, not once the write returned (see `seen.rs`).
        let shown = frames
            .iter()
            .filter_map(|frame| frame.round.map(|round| stamp(frame.epoch, round)))
            .max();
        if let Some(shown) = shown {
            self.seen.observe(shown);
        }
        let stop = if reader {
            self.kick.for_reader_writing().left_future()
        } else {
            self.kick.for_writer().right_future()
        };
        let sent = tokio::select! {
            biased;
            _ = stop => return false,
            sent = socket.send(frames) => sent,
        };
        if let Err(err) = sent {
            tracing::debug!(%err, "write failed");
            self.kick.kick(Reason::Failed);
            return false;
        }
        true
    }
}

impl<S> Side<S> {
    /// The writer task's next batch: from the stash, then the queue. Pending (with the task's
    /// waker kept where it will be woken) while the queue is empty or an answer is on its
    /// way (what it took then goes back to the stash); `Ready(None)` once the queue is closed
    /// and empty.
    fn poll_batch(&mut self, cx: &mut Context<'_>, turn: &Turn) -> Poll<Option<Vec<Frame>>> {
        let first = match self.stash.pop_front() {
            Some(frame) => frame,
            None => match self.frames.poll_recv(cx) {
                Poll::Ready(Some(frame)) => frame,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            },
        };
        let mut batch = vec![first];
        let mut bytes = batch[0].text.len();
        while batch.len() < BATCH_FRAMES && bytes < BATCH_BYTES {
            let Some(frame) = self
                .stash
                .pop_front()
                .or_else(|| self.frames.try_recv().ok())
            else {
                break;
            };
            bytes += frame.text.len();
            batch.push(frame);
        }
        // An answer is on its way: some of these may have been pushed after it (even if the
        // mark was set only while they were being taken). The reader sorts them out.
        if turn.answering() {
            for frame in batch.into_iter().rev() {
                self.stash.push_front(frame);
            }
            self.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Some(batch))
    }

    /// Lets the writer task, which waited for an answer, go on: the waker to wake if there is
    /// something for it to write; else it is left waiting on the queue (its waker registered
    /// there), so that it is not woken for nothing.
    fn hand_back(&mut self, writer: Waker) -> Option<Waker> {
        if self.stash.is_empty() {
            match self.frames.poll_recv(&mut Context::from_waker(&writer)) {
                Poll::Pending => return None,
                Poll::Ready(Some(frame)) => self.stash.push_back(frame),
                Poll::Ready(None) => {}
            }
        }
        Some(writer)
    }

    /// Everything queued, with `answer` in its place; clears the turn's answering mark.
    fn around(&mut self, answer: MoveAnswer, turn: &Turn) -> Vec<Frame> {
        let mut before = Vec::new();
        let mut after = Vec::new();
        let queued = self
            .stash
            .drain(..)
            .chain(std::iter::from_fn(|| self.frames.try_recv().ok()));
        for frame in queued.take(DRAIN_LIMIT) {
            if frame.seq < answer.after {
                before.push(frame);
            } else {
                after.push(frame);
            }
        }
        turn.set_answering(false);
        if before.is_empty() && after.is_empty() {
            return answer.frames;
        }
        before.extend(answer.frames);
        before.extend(after);
        before
    }
}

/// Cuts `frames` at the first close frame: it and what follows go to the front of `stash`;
/// returns its code.
fn split_close(frames: &mut Vec<Frame>, stash: &mut VecDeque<Frame>) -> Option<u16> {
    let at = frames.iter().position(|frame| frame.close.is_some())?;
    let code = frames[at].close;
    for frame in frames.drain(at..).rev() {
        stash.push_front(frame);
    }
    code
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use tokio::sync::Semaphore;

    use super::*;
    use crate::outbox::Outbox;

    /// A socket that records what it is sent; when gated, each send waits for a permit.
    struct Fake {
        written: Arc<StdMutex<Vec<String>>>,
        gate: Option<Arc<Semaphore>>,
    }

    impl Socket for Fake {
        async fn send(&mut self, frames: Vec<Frame>) -> io::Result<()> {
            if let Some(gate) = &self.gate {
                gate.acquire().await.map_err(io::Error::other)?.forget();
            }
            let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
            written.extend(frames.into_iter().map(|frame| frame.text));
            Ok(())
        }

        async fn finish(&mut self, _: u16) {}
    }

    struct Setup {
        wire: Wire<Fake>,
        outbox: Outbox,
        kick: Kick,
        seen: SeenRound,
        written: Arc<StdMutex<Vec<String>>>,
    }

    fn setup(gate: Option<Arc<Semaphore>>) -> Setup {
        let (tx, rx) = mpsc::channel(8);
        let kick = Kick::default();
        let outbox = Outbox::new(tx, kick.clone());
        let seen = SeenRound::default();
        let written = Arc::new(StdMutex::new(Vec::new()));
        let fake = Fake {
            written: written.clone(),
            gate,
        };
        let turn = outbox.turn().clone();
        let wire = Wire::new(fake, rx, turn, kick.clone(), seen.clone());
        Setup {
            wire,
            outbox,
            kick,
            seen,
            written,
        }
    }

    impl Setup {
        fn written(&self) -> Vec<String> {
            self.written
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        }

        fn push(&self, text: &str) {
            assert_eq!(self.outbox.push(Frame::text(text.into())), Ok(()));
        }
    }

    /// Lets every other task on this (single-threaded) runtime run as far as it can.
    async fn settle() {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    fn answer(text: &str, round: u64, after: u64) -> MoveAnswer {
        MoveAnswer {
            frames: vec![Frame::in_round(text.into(), round)],
            after,
        }
    }

    /// Answers in order: a push queued before the answer was made is written before it, one
    /// queued after it comes after, and meanwhile the writer task writes nothing.
    #[tokio::test]
    async fn the_answer_goes_after_earlier_pushes_and_before_later_ones() {
        let s = setup(None);
        let writer = tokio::spawn(s.wire.clone().run());
        s.outbox.turn().set_answering(true);
        s.push("before");
        let after = s.outbox.turn().pushed();
        s.push("later");
        settle().await;
        assert_eq!(s.written(), Vec::<String>::new(), "the writer waits");
        s.wire.answer(answer("answer", 2, after)).await;
        assert_eq!(s.written(), ["before", "answer", "later"]);
        assert_eq!(s.seen.round(), 2, "the answer's round is shown");
        // The writer task goes on with what comes next.
        s.push("next");
        settle().await;
        assert_eq!(s.written(), ["before", "answer", "later", "next"]);
        drop(s.outbox);
        assert!(writer.await.is_ok(), "the queue closed: the writer ends");
    }

    /// A push and the answer racing: the writer task is in the middle of a write when the
    /// move is asked; a push made before the answer and one made after it both wait, and
    /// the answer goes between them, after the write in progress.
    #[tokio::test]
    async fn an_answer_waits_for_the_write_in_progress_and_keeps_its_place() {
        let gate = Arc::new(Semaphore::new(0));
        let s = setup(Some(gate.clone()));
        let writer = tokio::spawn(s.wire.clone().run());
        s.push("in progress");
        settle().await; // the writer has taken it and waits for the socket
        s.outbox.turn().set_answering(true);
        s.push("before");
        let after = s.outbox.turn().pushed();
        s.push("later");
        let answering = tokio::spawn({
            let wire = s.wire.clone();
            async move { wire.answer(answer("answer", 1, after)).await }
        });
        settle().await;
        assert!(
            !answering.is_finished(),
            "it waits for the write in progress"
        );
        gate.add_permits(8);
        assert!(answering.await.is_ok());
        settle().await;
        assert_eq!(s.written(), ["in progress", "before", "answer", "later"]);
        drop(s.outbox);
        assert!(writer.await.is_ok());
    }

    /// An empty answer (the room held it: a win being saved, or the room did not answer)
    /// only lets the writer task go on with what was queued meanwhile.
    #[tokio::test]
    async fn an_empty_answer_lets_the_writer_go_on() {
        let s = setup(None);
        let writer = tokio::spawn(s.wire.clone().run());
        settle().await;
        s.outbox.turn().set_answering(true);
        s.push("queued meanwhile");
        settle().await;
        assert_eq!(s.written(), Vec::<String>::new());
        s.wire.answer(MoveAnswer::default()).await;
        settle().await;
        assert_eq!(s.written(), ["queued meanwhile"]);
        assert!(!s.outbox.turn().answering());
        drop(s.outbox);
        assert!(writer.await.is_ok());
    }

    /// A slow reader is dropped: a client that takes nothing from the socket holds the
    /// answer's write for at most [`STALL`], then is kicked as too slow.
    #[tokio::test(start_paused = true)]
    async fn a_client_that_reads_nothing_is_kicked_after_the_stall_limit() {
        let s = setup(Some(Arc::new(Semaphore::new(0))));
        s.outbox.turn().set_answering(true);
        let started = tokio::time::Instant::now();
        s.wire.answer(answer("answer", 1, 0)).await;
        assert_eq!(started.elapsed(), STALL);
        assert_eq!(s.kick.reason(), Some(Reason::TooSlow));
        assert_eq!(s.seen.round(), 1, "shown once handed to the socket");
    }

    /// A kick frees a reader waiting behind the writer task's stuck write, and the writer.
    #[tokio::test]
    async fn a_kick_frees_a_reader_waiting_behind_a_stuck_write() {
        let s = setup(Some(Arc::new(Semaphore::new(0))));
        let writer = tokio::spawn(s.wire.clone().run());
        s.push("stuck");
        settle().await;
        s.outbox.turn().set_answering(true);
        let answering = tokio::spawn({
            let wire = s.wire.clone();
            async move { wire.answer(answer("answer", 1, 1)).await }
        });
        settle().await;
        assert!(!answering.is_finished());
        s.kick.kick(Reason::TooSlow);
        assert!(answering.await.is_ok());
        assert!(writer.await.is_ok());
        assert_eq!(s.written(), Vec::<String>::new());
    }

    /// A close frame queued before the answer ends the stream: nothing after it is sent.
    #[tokio::test]
    async fn nothing_is_written_after_a_close_frame() {
        let s = setup(None);
        let writer = tokio::spawn(s.wire.clone().run());
        s.outbox.turn().set_answering(true);
        s.push("last words");
        assert_eq!(s.outbox.push(Frame::close(1000)), Ok(()));
        let after = s.outbox.turn().pushed();
        s.wire.answer(answer("too late", 1, after)).await;
        assert!(writer.await.is_ok(), "the writer sent the close and ended");
        assert_eq!(s.written(), ["last words"]);
    }
}
