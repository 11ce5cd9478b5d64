//! A room whose host lost its claim on it (a cluster node whose lease ran out, or whose
//! commit was fenced): it must stop at once — another node may host it now — and say so
//! plainly to everyone in it.
//!
//! Nothing held is released: a win whose commit was refused by the fence is not on record
//! and is never announced. Every member and spectator gets one `host_lost` error, then the
//! room stops; their next request finds it closed (`room_closed`), and the lobby has
//! forgotten it, seats and all.

use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::{ErrorCode, Notice};
use referee_rules::Render;

use super::Room;
use crate::outbox::Frame;

/// This node no longer hosts the room: tell everyone and stop.
pub(crate) struct HostLost;

impl Message for HostLost {
    type Reply = ();
}

impl<G: Render> Handler<HostLost> for Room<G> {
    fn handle(&mut self, _: HostLost, ctx: &mut Context<Self>) {
        self.close_lost(ctx);
    }
}

impl<G: Render> Room<G> {
    /// Drops what is held, tells everyone the room is closed, and stops.
    pub(super) fn close_lost(&mut self, ctx: &Context<Self>) {
        tracing::warn!(
            room = self.label.id,
            "host lost the room's claim: closing it"
        );
        self.held_frames.clear();
        self.saves.clear();
        let notice = Notice::error(
            ErrorCode::HostLost,
            format_args!(
                "{} closed: this server lost its claim on the room (its round is not \
                 recorded); type /play to join another room",
                self.label
            ),
        );
        for player in self.others(None) {
            if let Some(encoding) = self.encoding(player) {
                let frame = Frame::in_round(encoding.notice(&notice, None), self.game.round());
                self.send(player, frame, false);
            }
        }
        ctx.stop();
    }
}
