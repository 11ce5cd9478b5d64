//! What every connection sets up around its session, whatever the transport.
//!
//! A connection is a reader (the connection's own task) and a writer, joined by a bounded
//! outbox and one off switch ([`Kick`]); the writer is a task of its own (WebSocket) or the
//! reader's task itself (TCP, [`Link::open_inline`]). The same few guards must outlive the
//! session on every transport, in the same order: the switch is thrown if the connection's
//! task fails (so that its writer stops and the room finds the player gone), the server's
//! registry can reach the switch at shutdown, and the open-connection gauge counts it. This
//! module is that wiring, written once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use referee_rules::Render;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::connections::Registration;
use crate::kick::{Kick, KickOnDrop, Reason};
use crate::metrics::{OpenConnection, Transport};
use crate::outbox::{Frame, Outbox};
use crate::seen::SeenRound;
use crate::shared::Shared;

/// How long the writer may take to send the last frames (a goodbye) after the session.
const LINGER: Duration = Duration::from_secs(2);

/// A connection's switch, writer and guards. Dropping it ends the connection's bookkeeping.
pub(crate) struct Link {
    /// The writer task; `None` when the connection's own task writes (TCP, see
    /// [`Link::open_inline`]).
    writer: Option<JoinHandle<()>>,
    // Fields drop in this order: the switch is thrown first, the gauge falls last.
    /// The connection's off switch, shared with its writer and outbox; thrown when dropped.
    switch: KickOnDrop,
    _registered: Registration,
    _open: OpenConnection,
}

/// The link, and what the session is made with: its outbox and the round its writer last
/// showed the player.
pub(crate) struct Opened {
    pub(crate) link: Link,
    pub(crate) outbox: Outbox,
    pub(crate) seen_round: SeenRound,
}

impl Link {
    /// The connection's off switch.
    pub(crate) fn kick(&self) -> &Kick {
        &self.switch.0
    }

    /// Counts and registers a new connection and spawns its writer, which `write` makes
    /// from the outbox's receiving end, the switch and the seen round.
    pub(crate) fn open<G, W, F>(shared: &Arc<Shared<G>>, transport: Transport, write: W) -> Opened
    where
        G: Render,
        W: FnOnce(mpsc::Receiver<Frame>, Kick, SeenRound) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let (mut opened, frames) = Link::open_inline(shared, transport);
        let kick = opened.link.kick().clone();
        let seen_round = opened.seen_round.clone();
        opened.link.writer = Some(tokio::spawn(write(frames, kick, seen_round)));
        opened
    }

    /// As [`Link::open`], without a writer task: the connection's own task writes the
    /// frames it gets here, between and while handling its client's input (TCP: one task per
    /// connection, so that an answer is written without waking another task).
    pub(crate) fn open_inline<G: Render>(
        shared: &Arc<Shared<G>>,
        transport: Transport,
    ) -> (Opened, mpsc::Receiver<Frame>) {
        let open = shared.metrics.connection(transport);
        let (frames_tx, frames_rx) = mpsc::channel(shared.config.outbox_capacity);
        let kick = Kick::default();
        // Shutdown reaches the connection through its switch.
        let registered = shared.connections.register(kick.clone());
        let opened = Opened {
            outbox: Outbox::new(frames_tx, kick.clone()),
            seen_round: SeenRound::default(),
            link: Link {
                writer: None,
                switch: KickOnDrop(kick),
                _registered: registered,
                _open: open,
            },
        };
        (opened, frames_rx)
    }

    /// Once the session is gone (and with it the outbox's senders): waits, boundedly, for the
    /// writer to send the last frames, and cuts it off if it cannot.
    pub(crate) async fn linger(&mut self) {
        if let Some(writer) = &mut self.writer {
            if tokio::time::timeout(LINGER, writer).await.is_err() {
                self.kick().kick(Reason::Failed);
            }
        }
    }

    /// As [`Link::linger`], for a connection that writes itself: runs `flush` (its last
    /// writes) for at most the same time, and cuts the connection off if it cannot finish.
    pub(crate) async fn linger_with(&mut self, flush: impl Future<Output = ()>) {
        if tokio::time::timeout(LINGER, flush).await.is_err() {
            self.kick().kick(Reason::Failed);
        }
    }
}
