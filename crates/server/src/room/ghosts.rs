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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::queue;
    use referee_rules::PlayerId;
    use referee_store::{NodeAddresses, NodeRecord};

    use super::*;
    use crate::kick::Kick;
    use crate::outbox::Outbox;
    use crate::room::tests::{lines, room, seat};
    use crate::room::{Join, Rejoin, Who};

    /// A read of the nodes in which `a` (at run 1) is live or not, and `b` is.
    fn seen(a_live: bool) -> NodesSeen {
        let node = |name: &str, live| NodeRecord {
            name: name.into(),
            index: 1,
            run: 1,
            addresses: NodeAddresses::default(),
            started_at_ms: 0,
            last_seen_ms: 0,
            silent_ms: 0,
            live,
            left: false,
        };
        let nodes = [node("a", a_live), node("b", true)];
        NodesSeen(Arc::new(NodeRuns::of(&nodes, &[])))
    }

    /// An outbox of connection `connection` of node run `node`, seat epoch 1.
    fn remote(
        node: &str,
        connection: u64,
        resumable: bool,
    ) -> (Outbox, queue::Receiver<crate::outbox::Frame>) {
        let (tx, rx) = queue::channel(64);
        let outbox = Outbox::new(tx, Kick::default())
            .resumable(resumable)
            .for_seat(1)
            .of_connection(Some(Arc::from(node)), connection);
        (outbox, rx)
    }

    async fn seated<G: Render>(room: &crate::room::RoomHandle<G>) -> Vec<PlayerId> {
        match room.ask(Who(PlayerId(1))).await {
            Ok(Some(Notice::Who { members, .. })) => members.iter().map(|m| m.player).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_nodes_players_are_held_for_the_window_unless_back_and_without_a_token_leave() {
        let (_permits, permits) = std::sync::mpsc::channel();
        let room = room(permits);
        let mut watcher = seat(&room, 1).await;
        let mut kept = Vec::new();
        for (player, connection, resumable) in [(2, 5, true), (3, 6, false)] {
            let (outbox, rx) = remote("a_r1", connection, resumable);
            kept.push(rx);
            let join = Join {
                player: PlayerId(player),
                name: format!("P{player}"),
                named: false,
                outbox,
                feed: false,
                re: None,
            };
            assert!(matches!(room.ask(join).await, Ok(Ok(_))));
        }
        let _ = lines(&mut watcher);
        room.ask(seen(true)).await.unwrap();
        assert!(lines(&mut watcher).is_empty(), "a is live: nothing changes");

        room.ask(seen(false)).await.unwrap();
        let told = lines(&mut watcher).concat();
        assert!(told.contains("P2 lost their connection"), "{told}");
        assert!(
            told.contains("P3 left the room"),
            "no token: gone at once: {told}"
        );
        assert_eq!(seated(&room).await, [PlayerId(1), PlayerId(2)]);
        // Told again, nothing more: the window runs once.
        room.ask(seen(false)).await.unwrap();
        assert!(lines(&mut watcher).is_empty());

        // Paused time: the room's 30 s timer fires, and is handled, before this sleep ends.
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(seated(&room).await, [PlayerId(1)], "freed after the window");
        assert!(lines(&mut watcher).concat().contains("P2 left the room"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_player_back_through_another_node_keeps_the_seat_past_the_window() {
        let (_permits, permits) = std::sync::mpsc::channel();
        let room = room(permits);
        let mut watcher = seat(&room, 1).await;
        let (outbox, _old) = remote("a_r1", 5, true);
        let join = Join {
            player: PlayerId(2),
            name: "P2".into(),
            named: false,
            outbox,
            feed: false,
            re: None,
        };
        assert!(matches!(room.ask(join).await, Ok(Ok(_))));
        room.ask(seen(false)).await.unwrap();
        // Back with a token through b, before the window ends.
        let (outbox, _new) = remote("b_r1", 9, true);
        let rejoin = Rejoin {
            player: PlayerId(2),
            outbox,
            re: None,
        };
        assert!(matches!(room.ask(rejoin).await, Ok(Ok(_))));
        let _ = lines(&mut watcher);
        // Paused time: the room's 30 s timer fires, and is handled, before this sleep ends.
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(seated(&room).await, [PlayerId(1), PlayerId(2)]);
        assert!(!lines(&mut watcher).concat().contains("left"));
    }
}
