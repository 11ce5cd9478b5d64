//! What every connection sets up around its session, whatever the transport.
//!
//! A connection is a reader (the connection's own task) and a writer task, joined by a
//! bounded outbox and one off switch ([`Kick`]). The same few guards must outlive the
//! session on every transport, in the same order: the switch is thrown if the connection's
//! task fails (so that its writer stops and the room finds the player gone), the server's
//! registry can reach the switch at shutdown, and the open-connection gauge counts it. This
//! module is that wiring, written once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::queue;
use referee_rules::Render;
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
    writer: JoinHandle<()>,
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
        W: FnOnce(queue::Receiver<Frame>, Kick, SeenRound) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let open = shared.metrics.connection(transport);
        let (frames_tx, frames_rx) = queue::channel(shared.config.outbox_capacity);
        let kick = Kick::default();
        // Shutdown reaches the connection through its switch.
        let registered = shared.connections.register(kick.clone());
        let seen_round = SeenRound::default();
        let writer = tokio::spawn(write(frames_rx, kick.clone(), seen_round.clone()));
        Opened {
            outbox: Outbox::new(frames_tx, kick.clone()),
            seen_round,
            link: Link {
                writer,
                switch: KickOnDrop(kick),
                _registered: registered,
                _open: open,
            },
        }
    }

    /// Once the session is gone (and with it the outbox's senders): waits, boundedly, for the
    /// writer to send the last frames, and cuts it off if it cannot.
    pub(crate) async fn linger(&mut self) {
        if tokio::time::timeout(LINGER, &mut self.writer)
            .await
            .is_err()
        {
            self.kick().kick(Reason::Failed);
        }
    }
}
