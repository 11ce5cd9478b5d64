//! The remote outbox: on the host, a remote member's outbox is an ordinary [`Outbox`] (same
//! capacity, same never-waiting push, same kick when full) whose frames one task publishes
//! to the member's subject, in order.
//!
//! The task publishes at most the member's capacity of frames ahead of what the member says
//! it drained ([`Drained`]); past that it stops taking frames, the outbox fills, and the room
//! drops the member as too slow — what it does to a local reader who stops reading. The task
//! ends when the room lets go of the outbox (member gone) or kicks it (too slow), and then
//! tells the member which ([`MemberPush::End`], [`MemberPush::Dropped`]).
//!
//! Except when the room was handed over to another node (`room/handover.rs`): its members
//! did not leave, the room moved, and its new host will tell each of them so on this same
//! subject (`back.rs`). An `End` would stop the member task that is to hear that word, and
//! the player would hear nothing until their next move. So a handed-over room's forwarders
//! end without a last word, as a killed host's do: the member task goes on reading until
//! the room is back, or until its session lets go of the seat.

use std::sync::Arc;

use crate::queue;
use async_nats::Client;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Drained, MemberAddress, MemberPush, drained_subject};
use crate::kick::{Kick, Reason};
use crate::outbox::{Frame, Outbox};

/// A room's forwarding tasks, and whether the room was handed over (shared by the room's
/// referee across restarts, and by every forwarder it starts).
#[derive(Debug, Clone, Default)]
pub(crate) struct Forwarders {
    tasks: TaskTracker,
    handed_over: CancellationToken,
}

impl Forwarders {
    /// The tasks, to wait for once the room has stopped.
    pub(crate) fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    /// The room was handed over: its forwarders end without a last word from now on.
    pub(crate) fn hand_over(&self) {
        self.handed_over.cancel();
    }

    /// Whether the room was handed over: a referee restarted after a panic reads it here,
    /// since this outlives it (`room/handover.rs`).
    pub(crate) fn handed_over(&self) -> bool {
        self.handed_over.is_cancelled()
    }
}

/// An outbox whose frames go to `member` on another node.
pub(crate) fn remote_outbox(
    client: &Client,
    member: &MemberAddress,
    forwarders: &Forwarders,
) -> Outbox {
    let capacity = member.capacity.max(1);
    let (frames_tx, frames_rx) = queue::channel(capacity);
    let kick = Kick::default();
    let forwarder = Forwarder {
        client: client.clone(),
        subject: member.subject.clone(),
        window: capacity as u64,
        kick: kick.clone(),
        handed_over: forwarders.handed_over.clone(),
    };
    forwarders.tasks.spawn(forwarder.run(frames_rx));
    let outbox = Outbox::new(frames_tx, kick)
        .with_encoding(member.encoding)
        .resumable(member.resumable)
        .counted();
    match &member.seating {
        Some(seating) => outbox
            .for_seat(seating.epoch)
            .of_connection(seating.node.as_deref().map(Arc::from), seating.connection),
        None => outbox,
    }
}

/// The forwarding task's state.
struct Forwarder {
    client: Client,
    subject: String,
    /// Frames that may be published and not yet drained.
    window: u64,
    /// The remote outbox's switch: thrown by the room when the outbox filled.
    kick: Kick,
    /// See [`Forwarders::hand_over`].
    handed_over: CancellationToken,
}

impl Forwarder {
    async fn run(self, mut frames_rx: queue::Receiver<Frame>) {
        let mut drained = match referee_remote::subscribe::<Drained>(
            &self.client,
            drained_subject(&self.subject),
        )
        .await
        {
            Ok(drained) => drained,
            Err(err) => {
                tracing::warn!(%err, member = %self.subject, "cannot follow a remote member");
                return self.kick.kick(Reason::Failed);
            }
        };
        let (mut sent, mut acked) = (0_u64, 0_u64);
        loop {
            let room_for_more = sent - acked.min(sent) < self.window;
            tokio::select! {
                biased;
                _ = self.kick.for_writer() => break,
                ack = drained.next() => match ack {
                    Some(Ok(Drained(count))) => acked = acked.max(count),
                    Some(Err(err)) => tracing::debug!(%err, "unreadable drained count"),
                    None => break,
                },
                frame = frames_rx.recv(), if room_for_more => {
                    let Some(frame) = frame else { break };
                    let last = frame.close.is_some();
                    self.publish(&MemberPush::Frame {
                        text: frame.text,
                        round: frame.round,
                        close: frame.close,
                    })
                    .await;
                    sent += 1;
                    if last {
                        break;
                    }
                }
            }
        }
        let end = match self.kick.reason() {
            Some(Reason::TooSlow | Reason::Failed) => MemberPush::Dropped,
            // The room moved: its new host tells the member (see the module docs).
            _ if self.handed_over.is_cancelled() => return,
            _ => MemberPush::End,
        };
        self.publish(&end).await;
    }

    async fn publish(&self, push: &MemberPush) {
        if let Err(err) = referee_remote::push(&self.client, &self.subject, push).await {
            tracing::debug!(%err, member = %self.subject, "a frame for a remote member was lost");
        }
    }
}
