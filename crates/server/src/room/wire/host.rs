//! The host's side: each [`RoomCall`] is the room's own message, handed to the room's own
//! handler; a joining remote member's outbox is a remote outbox (`forward.rs`).

use referee_actor::{ActorHandle, Answer, Context, Handler, Message, ReplyTo};
use referee_remote::Serving;
use referee_rules::Render;

use super::forward::remote_outbox;
use super::{Answered, MemberAddress, RoomCall, RoomReply, WhoIs};
use crate::ids::RoomId;
use crate::outbox::Outbox;
use crate::room::saving::Departed;
use crate::room::{
    Act, Away, Chat, GetScores, Join, Rejoin, Rename, Room, SeatLost, Spectators, Unwatch, Watch,
    WatchError, Who,
};

/// The room is served to other nodes: remote members' frames go out on this client.
pub(crate) struct Hosting(pub(crate) async_nats::Client);

impl Message for Hosting {
    type Reply = ();
}

impl<G: Render> Handler<Hosting> for Room<G> {
    fn handle(&mut self, hosting: Hosting, _: &mut Context<Self>) {
        // Set once: a room is served by one node.
        let _ = self.remote.set(hosting.0);
    }
}

impl<G: Render> Answer<RoomCall<G>> for Room<G> {
    fn answer(&mut self, call: RoomCall<G>, reply_to: ReplyTo<Answered>, ctx: &mut Context<Self>) {
        if self.leaving {
            // Handed over (`room/handover.rs`): nothing done here; the caller asks the new host.
            let _ = reply_to.send(Answered {
                reply: RoomReply::Moved,
                pushed: None,
            });
            return;
        }
        let player = call.player();
        let reply = match call {
            RoomCall::Leave { player, from } => {
                return self.leave(player, from.as_ref(), Departed::Remote(reply_to), ctx);
            }
            RoomCall::Join {
                player,
                name,
                named,
                feed,
                re,
                member,
            } => self.remote_join(player, (name, named, feed, re), &member, ctx),
            RoomCall::Rejoin { player, re, member } => self.remote_rejoin(player, re, &member, ctx),
            RoomCall::Watch {
                player,
                name,
                feed,
                re,
                member,
            } => self.remote_watch(player, (name, feed, re), &member, ctx),
            other => self.call(other, ctx),
        };
        let pushed = self.members.outbox(player).and_then(Outbox::pushed);
        let _ = reply_to.send(Answered { reply, pushed });
    }
}

impl<G: Render> Room<G> {
    /// The calls that need no outbox.
    fn call(&mut self, call: RoomCall<G>, ctx: &mut Context<Self>) -> RoomReply {
        match call {
            RoomCall::Away { player, from } => {
                self.handle(Away(player, from), ctx);
                RoomReply::Told
            }
            RoomCall::Act {
                player,
                seen_round,
                action,
                re,
            } => {
                // The seat's frames go nowhere until its player rejoins: a move now would be
                // answered into the void.
                if self.members.get(player).is_some_and(|member| member.away) {
                    return RoomReply::SeatAway;
                }
                let act = Act {
                    player,
                    seen_round,
                    action,
                    re,
                };
                let taken = self.handle(act, ctx).is_ok();
                RoomReply::Acted { taken }
            }
            RoomCall::Chat { player, text, re } => {
                self.handle(Chat { player, text, re }, ctx);
                RoomReply::Told
            }
            RoomCall::Rename { player, name, re } => {
                RoomReply::Renamed(self.handle(Rename { player, name, re }, ctx))
            }
            RoomCall::Spectators { player, allow, re } => {
                RoomReply::Spectators(self.handle(Spectators { player, allow, re }, ctx))
            }
            RoomCall::GetScores { player } => {
                RoomReply::Scores(self.handle(GetScores(player), ctx))
            }
            RoomCall::Unwatch { player } => {
                self.handle(Unwatch(player), ctx);
                RoomReply::Told
            }
            RoomCall::Who { player } => {
                RoomReply::Who(self.handle(Who(player), ctx).and_then(WhoIs::of))
            }
            // Handled by `answer` itself.
            RoomCall::Leave { .. }
            | RoomCall::Join { .. }
            | RoomCall::Rejoin { .. }
            | RoomCall::Watch { .. } => RoomReply::Told,
        }
    }

    fn remote_join(
        &mut self,
        player: referee_rules::PlayerId,
        (name, named, feed, re): (String, bool, bool, Option<u64>),
        member: &MemberAddress,
        ctx: &mut Context<Self>,
    ) -> RoomReply {
        let Some(outbox) = self.outbox_to(member) else {
            // Not served (no client): nobody could be reached. Refused as a full room is.
            return RoomReply::Joined(Err(super::JoinError::Full));
        };
        let join = Join {
            player,
            name,
            named,
            outbox,
            feed,
            re,
        };
        RoomReply::Joined(self.handle(join, ctx).map(|joined| joined.round))
    }

    fn remote_rejoin(
        &mut self,
        player: referee_rules::PlayerId,
        re: Option<u64>,
        member: &MemberAddress,
        ctx: &mut Context<Self>,
    ) -> RoomReply {
        match self.outbox_to(member) {
            Some(outbox) => RoomReply::Rejoined(self.handle(Rejoin { player, outbox, re }, ctx)),
            None => RoomReply::Rejoined(Err(SeatLost)),
        }
    }

    fn remote_watch(
        &mut self,
        player: referee_rules::PlayerId,
        (name, feed, re): (String, bool, Option<u64>),
        member: &MemberAddress,
        ctx: &mut Context<Self>,
    ) -> RoomReply {
        let Some(outbox) = self.outbox_to(member) else {
            return RoomReply::Watching(Err(WatchError::Forbidden(self.label.clone())));
        };
        let watch = Watch {
            player,
            name,
            outbox,
            feed,
            re,
        };
        RoomReply::Watching(self.handle(watch, ctx))
    }

    /// A remote outbox to `member`, if the room is served.
    fn outbox_to(&self, member: &MemberAddress) -> Option<Outbox> {
        self.remote
            .get()
            .map(|client| remote_outbox(client, member, &self.forwarders))
    }
}

/// Serves `room` to the other nodes on [`room_subject`]`(prefix, id)`: its remote members' frames go
/// out on `client`. Serving stops when the returned [`Serving`] is dropped, or by itself
/// once the room has stopped.
///
/// # Errors
/// The subscription could not be made (the client is closed).
pub(crate) async fn serve_room<G: Render>(
    client: &async_nats::Client,
    prefix: &str,
    id: RoomId,
    room: &ActorHandle<Room<G>>,
) -> Result<Serving, async_nats::SubscribeError> {
    // Told before serving: the client is there before the first remote join.
    if room.tell(Hosting(client.clone())).await.is_err() {
        tracing::debug!(room = id, "served a room that had stopped");
    }
    let serving = referee_remote::serve(
        client.clone(),
        super::room_subject(prefix, id),
        room.recipient::<RoomCall<G>>(),
    )
    .await?;
    // Once NATS has the subscription, a call from another node finds the room: until then
    // it would hear "no responders".
    super::settled(client).await;
    Ok(serving)
}
