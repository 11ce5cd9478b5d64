//! A connection's writer task: takes frames from the outbox and writes them, batching what
//! is already queued into one write.

use crate::queue;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use crate::kick::{Kick, Reason};
use crate::outbox::Frame;
use crate::seen::{SeenRound, stamp};

/// Bytes gathered into one write at most.
const BATCH: usize = 16 * 1024;
/// A buffer larger than this is given back after a write, so idle connections stay small.
const KEEP: usize = 2 * 1024;

/// Writes until the outbox closes (every sender gone: the session ended and the room let
/// go) or the connection is kicked; then closes the socket's write side.
pub(crate) async fn write_frames(
    mut socket: OwnedWriteHalf,
    mut frames: queue::Receiver<Frame>,
    kick: Kick,
    seen_round: SeenRound,
) {
    let mut buf = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            _ = kick.for_writer() => break,
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
        };
        // The round counts as shown once its frame is handed to the socket, not once the
        // write returned: a player quick enough to answer before this task runs again must
        // not have their guess judged against the round before (see `seen.rs`).
        if let Some(round) = batch(&mut buf, first, &mut frames) {
            seen_round.observe(round);
        }
        let written = tokio::select! {
            biased;
            _ = kick.for_writer() => false,
            result = socket.write_all(&buf) => result.is_ok(),
        };
        if !written {
            kick.kick(Reason::Failed);
            return;
        }
        if buf.capacity() > KEEP {
            buf = Vec::new();
        }
    }
    let _ = socket.shutdown().await;
}

/// Fills `buf` with `first` and whatever else is queued, up to [`BATCH`] bytes; returns the
/// highest round stamp (see `seen.rs`) among them.
fn batch(buf: &mut Vec<u8>, first: Frame, frames: &mut queue::Receiver<Frame>) -> Option<u64> {
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
        let (tx, mut rx) = queue::channel(8);
        let _ = tx.try_send(Frame::in_round("b".into(), 2));
        let _ = tx.try_send(Frame::text("c".into()));
        let mut buf = Vec::new();
        let first = Frame::in_round("a".into(), 1);
        assert_eq!(batch(&mut buf, first, &mut rx), Some(stamp(0, 2)));
        assert_eq!(buf, b"a\nb\nc\n");
    }

    /// A round is shown as soon as its frame is handed to the socket: while the write is
    /// still pending (here: a client that does not read), the seen round has already risen.
    #[tokio::test]
    async fn the_round_counts_as_shown_while_its_frame_is_being_written() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (_client, (server, _)) = (client.unwrap(), accepted.unwrap());
        let (_read, write) = server.into_split();
        let (tx, rx) = queue::channel(8);
        let seen = SeenRound::default();
        let writer = tokio::spawn(write_frames(write, rx, Kick::default(), seen.clone()));
        // Far more than the socket buffers hold: the write cannot finish while nobody reads.
        let _ = tx.try_send(Frame::in_round("x".repeat(64 << 20), 5));
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!writer.is_finished());
        assert_eq!(seen.round(), 5);
        writer.abort();
    }
}
