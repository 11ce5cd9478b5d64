//! The way into a connection's writer: a bounded queue of ready-to-send frames.
//!
//! Rooms push with [`Outbox::push`], which never waits (STYLE §6): a full queue means the
//! client stopped reading, and the client is disconnected ("kicked") rather than allowed to
//! stall the room. The same kick switch ends the connection's reader and writer tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::encoding::Encoding;
use crate::kick::{Kick, Reason};
use crate::queue::{self, SendError, Sent};
use crate::seating::{Origin, Seating};

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
    /// The seat the frame was sent for (set by the outbox; see `seen.rs`).
    pub(crate) epoch: u32,
    /// The last frame: the writer sends what came before, closes the connection (with this
    /// WebSocket close code) and stops, whoever still holds the outbox.
    pub(crate) close: Option<u16>,
}

impl Frame {
    /// A frame that says nothing about rounds.
    pub(crate) fn text(text: String) -> Self {
        Frame {
            text,
            round: None,
            epoch: 0,
            close: None,
        }
    }

    /// A frame made by a room in round `round`.
    pub(crate) fn in_round(text: String, round: u64) -> Self {
        Frame {
            text,
            round: Some(round),
            epoch: 0,
            close: None,
        }
    }

    /// The end of the stream: close with `code` once everything before is sent.
    pub(crate) fn close(code: u16) -> Self {
        Frame {
            text: String::new(),
            round: None,
            epoch: 0,
            close: Some(code),
        }
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
    frames: queue::Sender<Frame>,
    kick: Kick,
    /// Stamped on every frame pushed through this outbox: which seat it belongs to.
    epoch: u32,
    encoding: Encoding,
    /// Whether the player may come back on a new connection (see `parking/`): a room that
    /// finds this outbox gone keeps the seat for them instead of freeing it.
    resumable: bool,
    /// Frames queued so far, counted only for a remote member's outbox (`room/wire/`): the
    /// room's answer says how many, so the member's node can hold the answer back until
    /// they are all in the connection's queue.
    pushed: Option<Arc<AtomicU64>>,
    /// Whose connection this is (`room/seating.rs`): with `epoch`, the seat's holder, which
    /// departures must name. `None`: unknown (a departure for the seat is always taken).
    origin: Option<Origin>,
}

impl Outbox {
    pub(crate) fn new(frames: queue::Sender<Frame>, kick: Kick) -> Self {
        Outbox {
            frames,
            kick,
            epoch: 0,
            encoding: Encoding::Text,
            resumable: false,
            pushed: None,
            origin: None,
        }
    }

    /// The same outbox, of connection `connection` (of node run `node`, for a remote
    /// member's outbox; `None`: of this node).
    pub(crate) fn of_connection(mut self, node: Option<Arc<str>>, connection: u64) -> Self {
        self.origin = Some(Origin { node, connection });
        self
    }

    /// The seating this outbox's seat is (see `room/seating.rs`); `None`: unknown.
    pub(crate) fn seating(&self) -> Option<Seating> {
        self.origin
            .as_ref()
            .map(|origin| origin.seating(self.epoch))
    }

    /// The node run of a remote member's connection (`None`: this node's, or unknown).
    pub(crate) fn node(&self) -> Option<&str> {
        self.origin
            .as_ref()
            .and_then(|origin| origin.node.as_deref())
    }

    /// The same outbox, for a connection that wants `encoding`.
    pub(crate) fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The same outbox, for a player who may reconnect into their seat.
    pub(crate) fn resumable(mut self, resumable: bool) -> Self {
        self.resumable = resumable;
        self
    }

    /// How this connection wants its messages.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Whether the player may come back on a new connection.
    pub(crate) fn is_resumable(&self) -> bool {
        self.resumable
    }

    /// The same outbox, counting the frames it queues (see [`Outbox::pushed`]).
    pub(crate) fn counted(mut self) -> Self {
        self.pushed = Some(Arc::default());
        self
    }

    /// How many frames a counted outbox has queued; `None` if it does not count.
    pub(crate) fn pushed(&self) -> Option<u64> {
        self.pushed
            .as_ref()
            .map(|pushed| pushed.load(Ordering::Relaxed))
    }

    /// The seat number this outbox stamps on its frames.
    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// How many frames the queue holds.
    pub(crate) fn capacity(&self) -> usize {
        self.frames.max_capacity()
    }

    /// The same outbox, stamping its frames with seat number `epoch`.
    pub(crate) fn for_seat(&self, epoch: u32) -> Self {
        Outbox {
            epoch,
            ..self.clone()
        }
    }

    /// Queues a frame if at least a quarter of the queue is free, and drops it otherwise:
    /// for what can be missed (chat, others' moves), so that one chatty player cannot get a
    /// slower one disconnected.
    pub(crate) fn push_droppable(&self, mut frame: Frame) -> Result<(), PushError> {
        frame.epoch = self.epoch;
        let quarter = self.frames.max_capacity().div_ceil(4);
        match self.frames.try_send_keeping(frame, quarter) {
            Ok(Sent::Queued) => {
                self.count();
                Ok(())
            }
            Ok(Sent::Dropped) => Ok(()),
            Err(SendError::Full | SendError::Closed) => Err(PushError::Gone),
        }
    }

    /// Queues a frame without waiting. A full queue kicks the connection.
    pub(crate) fn push(&self, mut frame: Frame) -> Result<(), PushError> {
        frame.epoch = self.epoch;
        match self.frames.try_send(frame) {
            Ok(()) => {
                self.count();
                Ok(())
            }
            Err(SendError::Full) => {
                self.kick.kick(Reason::TooSlow);
                Err(PushError::TooSlow)
            }
            Err(SendError::Closed) => Err(PushError::Gone),
        }
    }

    /// Counts a queued frame, if this outbox counts (see [`Outbox::pushed`]).
    fn count(&self) {
        if let Some(pushed) = &self.pushed {
            pushed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends the connection.
    pub(crate) fn kick(&self) {
        self.kick.kick(Reason::TooSlow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_kicks_the_connection() {
        let (tx, mut rx) = queue::channel(1);
        let kick = Kick::default();
        let outbox = Outbox::new(tx, kick.clone());
        assert_eq!(outbox.push(Frame::text("a".into())), Ok(()));
        assert_eq!(
            outbox.push(Frame::text("b".into())),
            Err(PushError::TooSlow)
        );
        assert_eq!(kick.reason(), Some(Reason::TooSlow));
        assert_eq!(rx.try_recv().map(|f| f.text).ok(), Some("a".into()));
        drop(rx); // the writer stops on a kick and lets go of the queue
        assert_eq!(outbox.push(Frame::text("c".into())), Err(PushError::Gone));
    }

    #[test]
    fn droppable_frames_give_way_when_the_queue_is_filling() {
        let (tx, mut rx) = queue::channel(8);
        let kick = Kick::default();
        let outbox = Outbox::new(tx, kick.clone());
        assert_eq!(
            outbox.push_droppable(Frame::text("early chat".into())),
            Ok(())
        );
        for n in 1..7 {
            assert_eq!(outbox.push(Frame::text(n.to_string())), Ok(()));
        }
        // One slot in eight left: chat gives way, the rest still fits.
        assert_eq!(
            outbox.push_droppable(Frame::text("late chat".into())),
            Ok(())
        );
        assert_eq!(
            outbox.push(Frame::text("7".into())),
            Ok(()),
            "the chat took no room"
        );
        assert_eq!(kick.reason(), None);
        let queued: Vec<String> =
            std::iter::from_fn(|| rx.try_recv().ok().map(|f| f.text)).collect();
        assert_eq!(queued, ["early chat", "1", "2", "3", "4", "5", "6", "7"]);
    }

    #[test]
    fn frames_carry_the_seat_they_were_sent_for() {
        let (tx, mut rx) = queue::channel(4);
        let outbox = Outbox::new(tx, Kick::default()).for_seat(3);
        assert_eq!(outbox.push(Frame::in_round("x".into(), 2)), Ok(()));
        let frame = rx.try_recv().ok();
        assert_eq!(frame.map(|f| (f.epoch, f.round)), Some((3, Some(2))));
    }

    #[test]
    fn a_closed_queue_is_gone() {
        let (tx, rx) = queue::channel(1);
        drop(rx);
        let outbox = Outbox::new(tx, Kick::default());
        assert_eq!(outbox.push(Frame::text("a".into())), Err(PushError::Gone));
    }
}
