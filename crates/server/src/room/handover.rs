//! A room handed over to another node (its host leaves gracefully, SIGTERM): the last
//! message the room takes in its own right.
//!
//! [`HandOver`] is answered between two messages, like the tests' `TakeSnapshot`, with the
//! room's whole state as a snapshot — and from then on the room is *leaving*: it takes no
//! move, no timer, no bot's turn, so nothing it does afterwards can differ from the snapshot
//! the next host goes on from (same round, same secret, same turn). A call from another
//! node is answered [`RoomReply::Moved`](super::wire::RoomReply::Moved) ("nothing was done;
//! ask the room's new host"), which the caller's session retries there; a local move is
//! dropped (its player is being told `bye`). It stops when told ([`Stop`]).
//!
//! A room still saving a won round refuses ([`SnapshotError::Saving`], the round is not
//! durable yet): the node asks again a moment later, the room still playing meanwhile.

use referee_actor::{Context, Handler, Message};
use referee_rules::Render;
use tokio_util::task::TaskTracker;

use super::{Room, SnapshotError};

/// "Stop taking moves and give me your snapshot": answered with the snapshot's JSON, after
/// which the room is leaving and stops.
pub(crate) struct HandOver;

/// The room's last state, and the tasks still forwarding its last frames to remote members
/// (they end once the room has stopped and they have sent what it pushed).
pub(crate) struct HandedOver {
    pub(crate) json: String,
    pub(crate) forwarders: TaskTracker,
}

impl Message for HandOver {
    type Reply = Result<HandedOver, SnapshotError>;
}

impl<G: Render> Handler<HandOver> for Room<G> {
    fn handle(
        &mut self,
        _: HandOver,
        ctx: &mut Context<Self>,
    ) -> Result<HandedOver, SnapshotError> {
        let json = self.snapshot()?.to_json()?;
        self.leaving = true;
        // Its remote members stay subscribed: the new host tells them the room is back.
        self.forwarders.hand_over();
        // No snapshot offered after this one: the handed-over one is the room's last.
        self.snapshots = None;
        tracing::info!(room = self.label.id, "room handed over; leaving");
        let _ = ctx;
        Ok(HandedOver {
            json,
            forwarders: self.forwarders.tasks().clone(),
        })
    }
}

/// A room handed over stops (answering "moved" to what its mailbox still holds).
pub(crate) struct Stop;

impl Message for Stop {
    type Reply = ();
}

impl<G: Render> Handler<Stop> for Room<G> {
    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc as std_mpsc;

    use referee_rules::{GuessNumber, PlayerId};

    use super::HandOver;
    use crate::room::Crash;
    use crate::room::tests::{room, seat};
    use crate::room::wire::{RoomCall, RoomReply};

    #[tokio::test]
    async fn a_referee_that_panics_after_handing_over_still_answers_moved() {
        let (_permits, gate) = std_mpsc::channel();
        let room = room(gate);
        let _frames = seat(&room, 1).await;
        assert!(matches!(room.ask(HandOver).await, Ok(Ok(_))));
        // The referee panics and restarts from its checkpoint, which predates the handover.
        let _ = room.ask(Crash).await;
        let who = RoomCall::<GuessNumber>::Who {
            player: PlayerId(1),
        };
        let answered = room.ask(who).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(answered.reply, RoomReply::Moved),
            "a restarted referee answered for a room it handed over: {:?}",
            answered.reply
        );
    }
}
