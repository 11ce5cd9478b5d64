//! A connection's writing side, run by the connection's own task (one task per connection:
//! the task that read a guess also writes its answer, with no other task to wake).
//!
//! [`Writer::progress`] takes the frames queued in the outbox, batched into one buffer, and
//! writes it; the connection's task races it against whatever else it waits for (the
//! client's next line, an ask). So it must be cancel-safe: everything it has taken from the
//! queue lives in `self` before its first wait, and a write is a single `write` call (which
//! either writes or not), whose count is kept.

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::kick::{Kick, Reason};
use crate::outbox::Frame;
use crate::seen::{SeenRound, stamp};

/// Bytes gathered into one write at most.
const BATCH: usize = 16 * 1024;
/// A buffer larger than this is given back after a write, so idle connections stay small.
const KEEP: usize = 2 * 1024;

/// What one step of the writer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Wrote some bytes; more may follow.
    Wrote,
    /// Done writing: the outbox closed (every sender gone) and all was sent, the socket
    /// failed (the switch is thrown), or the switch says to stop writing at once.
    Done,
}

/// The connection's socket's write half, its outbox's receiving end and what is being sent.
pub(crate) struct Writer {
    socket: OwnedWriteHalf,
    frames: mpsc::Receiver<Frame>,
    kick: Kick,
    seen_round: SeenRound,
    /// The batch being written: `buf[sent..]` is still to go.
    buf: Vec<u8>,
    sent: usize,
    /// The highest round stamp in the batch, observed once it is all written.
    round: Option<u64>,
    done: bool,
}

impl Writer {
    pub(crate) fn new(
        socket: OwnedWriteHalf,
        frames: mpsc::Receiver<Frame>,
        kick: Kick,
        seen_round: SeenRound,
    ) -> Self {
        Writer {
            socket,
            frames,
            kick,
            seen_round,
            buf: Vec::new(),
            sent: 0,
            round: None,
            done: false,
        }
    }

    /// Whether the writer has stopped (see [`Progress::Done`]); it then never writes again.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Waits for frames if none are being sent, then writes what it can of the batch in one
    /// call. Cancel-safe (see the module docs).
    pub(crate) async fn progress(&mut self) -> Progress {
        if self.done {
            return Progress::Done;
        }
        let progress = tokio::select! {
            biased;
            _ = self.kick.for_writer() => Progress::Done,
            progress = step(
                &mut self.socket,
                &mut self.frames,
                &self.kick,
                (&mut self.buf, &mut self.sent, &mut self.round),
                &self.seen_round,
            ) => progress,
        };
        self.done = progress == Progress::Done;
        progress
    }

    /// The last writes, once the session is over: sends everything until the outbox closes
    /// or the switch stops it, then closes the socket's write side (unless it failed).
    pub(crate) async fn finish(mut self) {
        while self.progress().await == Progress::Wrote {}
        if !matches!(self.kick.reason(), Some(Reason::Failed)) {
            let _ = self.socket.shutdown().await;
        }
    }
}

/// One step: a batch taken from the queue if none is pending, then one write.
async fn step(
    socket: &mut OwnedWriteHalf,
    frames: &mut mpsc::Receiver<Frame>,
    kick: &Kick,
    (buf, sent, round): (&mut Vec<u8>, &mut usize, &mut Option<u64>),
    seen_round: &SeenRound,
) -> Progress {
    if *sent == buf.len() {
        let Some(first) = frames.recv().await else {
            return Progress::Done;
        };
        *round = batch(buf, first, frames);
        *sent = 0;
    }
    match socket.write(&buf[*sent..]).await {
        Ok(0) | Err(_) => {
            kick.kick(Reason::Failed);
            return Progress::Done;
        }
        Ok(n) => *sent += n,
    }
    if *sent == buf.len() {
        if let Some(round) = round.take() {
            seen_round.observe(round);
        }
        if buf.capacity() > KEEP {
            *buf = Vec::new();
            *sent = 0;
        }
    }
    Progress::Wrote
}

/// Fills `buf` with `first` and whatever else is queued, up to [`BATCH`] bytes; returns the
/// highest round stamp (see `seen.rs`) among them.
fn batch(buf: &mut Vec<u8>, first: Frame, frames: &mut mpsc::Receiver<Frame>) -> Option<u64> {
    buf.clear();
    let mut round = None;
    let mut next = Some(first);
    while let Some(frame) = next {
        buf.extend_from_slice(frame.text.as_bytes());
        buf.push(b'\n');
        let stamped = frame.round.map(|round| stamp(frame.epoch, round));
        round = round.max(stamped);
        next = if buf.len() < BATCH {
            frames.try_recv().ok()
        } else {
            None
        };
    }
    round
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_takes_what_is_queued_and_reports_the_last_round() {
        let (tx, mut rx) = mpsc::channel(8);
        let _ = tx.try_send(Frame::in_round("b".into(), 2));
        let _ = tx.try_send(Frame::text("c".into()));
        let mut buf = Vec::new();
        let first = Frame::in_round("a".into(), 1);
        assert_eq!(batch(&mut buf, first, &mut rx), Some(stamp(0, 2)));
        assert_eq!(buf, b"a\nb\nc\n");
    }
}
