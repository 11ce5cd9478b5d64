//! The way into a connection's writer: a bounded queue of ready-to-send frames.
//!
//! Rooms push with [`Outbox::push`], which never waits (STYLE §6): a full queue means the
//! client stopped reading, and the client is disconnected ("kicked") rather than allowed to
//! stall the room. The same kick switch ends the connection's reader and writer tasks.

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

/// Frames a connection may have queued before it counts as too slow.
pub(crate) const DEFAULT_OUTBOX_CAPACITY: usize = 256;

/// One message, already encoded for the connection's transport.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// The text to send (for the line protocol: one or more lines, no final newline).
    pub(crate) text: String,
    /// The room's round when the frame was made. Once the writer has sent it, the player has
    /// been shown this round, and a plain guess is taken to be for it.
    pub(crate) round: Option<u64>,
}

impl Frame {
    /// A frame that says nothing about rounds.
    pub(crate) fn text(text: String) -> Self {
        Frame { text, round: None }
    }
}

/// Why a push failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PushError {
    /// The queue was full: the connection has been kicked.
    #[error("too slow")]
    TooSlow,
    /// The connection is already gone.
    #[error("gone")]
    Gone,
}

/// A sender of a connection's frames, with the connection's kick switch.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    frames: mpsc::Sender<Frame>,
    kick: CancellationToken,
}

impl Outbox {
    pub(crate) fn new(frames: mpsc::Sender<Frame>, kick: CancellationToken) -> Self {
        Outbox { frames, kick }
    }

    /// Queues a frame without waiting. A full queue kicks the connection.
    pub(crate) fn push(&self, frame: Frame) -> Result<(), PushError> {
        if self.kick.is_cancelled() {
            return Err(PushError::Gone);
        }
        match self.frames.try_send(frame) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.kick.cancel();
                Err(PushError::TooSlow)
            }
            Err(TrySendError::Closed(_)) => Err(PushError::Gone),
        }
    }

    /// Ends the connection.
    pub(crate) fn kick(&self) {
        self.kick.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_kicks_the_connection() {
        let (tx, mut rx) = mpsc::channel(1);
        let kick = CancellationToken::new();
        let outbox = Outbox::new(tx, kick.clone());
        assert_eq!(outbox.push(Frame::text("a".into())), Ok(()));
        assert_eq!(
            outbox.push(Frame::text("b".into())),
            Err(PushError::TooSlow)
        );
        assert!(kick.is_cancelled());
        assert_eq!(rx.try_recv().map(|f| f.text).ok(), Some("a".into()));
        assert_eq!(outbox.push(Frame::text("c".into())), Err(PushError::Gone));
    }

    #[test]
    fn a_closed_queue_is_gone() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let outbox = Outbox::new(tx, CancellationToken::new());
        assert_eq!(outbox.push(Frame::text("a".into())), Err(PushError::Gone));
    }
}
