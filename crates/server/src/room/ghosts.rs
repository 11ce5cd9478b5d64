//! The seats of players whose node died: held for the reconnect window, then freed.
//!
//! A member whose connection is on another node reaches the room through NATS. If that node
//! dies, nothing of it reaches the room: no `Away`, no `Leave` (its parking lot died with it),
//! and in a quiet room no push that could find the member gone. Without this the seat stayed
//! taken and the others were never told. Each node tells its rooms which nodes' runs are
//! gone, from the heartbeats in the database (`cluster/liveness.rs`), once a second; a room
//! then treats each member of a gone run as a dropped connection:
//!
//! - a player who may come back (a WebSocket player with a token: R20, through any node) is
//!   marked away — the others hear it as for any lost connection — and the seat is held for
//!   the reconnect window, then freed (the others hear that they left), unless they took it
//!   back meanwhile: the expiry names the seating it was set for (`seating.rs`);
//! - a player who cannot (a netcat player has no token) leaves at once.
//!
//! Which members were marked is not part of the checkpoint: a referee restarted after a
//! panic marks them again at the next word from the lobby, and arms their windows anew.

use std::sync::Arc;

use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::Notice;
use referee_rules::{PlayerId, Render};

use super::Room;
use crate::cluster::liveness::NodeRuns;
use crate::seating::Seating;

/// Which nodes' runs are gone, as the database last said.
pub(crate) struct NodesSeen(pub(crate) Arc<NodeRuns>);

impl Message for NodesSeen {
    type Reply = ();
}

impl<G: Render> Handler<NodesSeen> for Room<G> {
    fn handle(&mut self, seen: NodesSeen, ctx: &mut Context<Self>) {
        if self.leaving {
            return;
        }
        let ghosts: Vec<(PlayerId, Seating, bool)> = self
            .members
            .members()
            .filter(|(player, _)| !self.ghosts.contains(player))
            .filter(|(_, member)| member.outbox.node().is_some_and(|run| seen.0.gone(run)))
            .filter_map(|(player, member)| {
                let seating = member.outbox.seating()?;
                Some((player, seating, member.outbox.is_resumable()))
            })
            .collect();
        if ghosts.is_empty() {
            return;
        }
        for (player, seating, resumable) in ghosts {
            tracing::info!(room = self.label.id, %player, node = ?seating.node, "a member's node is gone");
            if resumable {
                self.set_away(player);
                self.ghosts.insert(player);
                let window = tokio::time::sleep(self.reconnect_window);
                ctx.pipe_to_self(window, move |()| GhostExpired { player, seating });
            } else {
                self.ghost_left(player);
            }
        }
        self.settle(ctx);
    }
}

/// The reconnect window of a gone node's player is over.
pub(crate) struct GhostExpired {
    player: PlayerId,
    /// The seating that was gone: the seat is freed only if nobody took it back since.
    seating: Seating,
}

impl Message for GhostExpired {
    type Reply = ();
}

impl<G: Render> Handler<GhostExpired> for Room<G> {
    fn handle(&mut self, expired: GhostExpired, ctx: &mut Context<Self>) {
        self.ghosts.remove(&expired.player);
        let still_gone = self.members.get(expired.player).is_some_and(|member| {
            member.away && member.outbox.seating().as_ref() == Some(&expired.seating)
        });
        if still_gone && !self.leaving {
            self.ghost_left(expired.player);
            self.settle(ctx);
        }
    }
}

impl<G: Render> Room<G> {
    /// A gone node's player leaves: the seat is freed and the others are told.
    fn ghost_left(&mut self, player: PlayerId) {
        if let Some(member) = self.remove(player) {
            let left = Notice::MemberLeft {
                player,
                name: member.name,
            };
            self.tell_all(None, &left);
        }
    }
}
