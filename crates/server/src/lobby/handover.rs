//! A cluster node leaving gracefully gives its rooms up to be handed over
//! (`cluster/handover.rs`): the lobby forgets each room that holds its claim and is served
//! to the other nodes, *without* giving the claim back — the handover releases it, with the
//! room's last snapshot, in one transaction. Its seats go with it: the room's players are
//! seated again on the node that adopts it.

use std::marker::PhantomData;

use referee_actor::{Context, Handler, Message};
use referee_remote::Serving;
use referee_rules::Render;

use super::Lobby;
use crate::cluster::claims::RoomClaim;
use crate::ids::RoomId;
use crate::room::RoomHandle;

/// A room the lobby let go of, to be handed over.
pub(crate) struct Leaving<G: Render> {
    pub(crate) id: RoomId,
    pub(crate) room: RoomHandle<G>,
    /// The room as the other nodes reach it: stopped once the room is leaving. (Its claim,
    /// won, is still held: the handover releases it.)
    pub(crate) serving: Serving,
}

/// "Let go of every room that can be handed over": those holding their claim and served to
/// the other nodes. The others close as the node stops, as before.
pub(crate) struct HandOverRooms<G>(PhantomData<fn() -> G>);

impl<G> HandOverRooms<G> {
    pub(crate) fn new() -> Self {
        HandOverRooms(PhantomData)
    }
}

impl<G: Render> Message for HandOverRooms<G> {
    type Reply = Vec<Leaving<G>>;
}

impl<G: Render> Handler<HandOverRooms<G>> for Lobby<G> {
    fn handle(&mut self, _: HandOverRooms<G>, _: &mut Context<Self>) -> Vec<Leaving<G>> {
        let mut leaving = Vec::new();
        for id in self.directory.ids() {
            let ready = self.directory.get(id).is_some_and(|hosted| {
                hosted.serving.is_some()
                    && hosted.claim.as_ref().and_then(RoomClaim::settled).is_some()
            });
            if !ready {
                continue;
            }
            let Some(hosted) = self.directory.remove(id) else {
                continue;
            };
            self.count_gone(&hosted);
            if let Some(serving) = hosted.serving {
                leaving.push(Leaving {
                    id,
                    room: hosted.handle,
                    serving,
                });
            }
        }
        leaving
    }
}
