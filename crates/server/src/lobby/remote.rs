//! The lobby as other nodes of a cluster reach it: a seat in one of this node's rooms,
//! reserved for a player connected elsewhere, and this node's rooms announced.
//!
//! Each node's lobby stays the one authority on its rooms' seats. Another node that found a
//! room here in its view of the cluster (`cluster/view.rs`) asks this lobby for a seat with
//! [`LobbyCall::Reserve`] over NATS, exactly as a local session asks for one; the seat is
//! then taken by a join through the room link, and freed by the room as any other seat. A
//! seat the remote player could not take is handed back with [`LobbyCall::Free`].

use referee_actor::{Context, Handler, Message};
use referee_remote::RemoteMessage;
use referee_rules::Render;
use serde::{Deserialize, Serialize};

use super::Lobby;
use crate::cluster::view::RoomAd;
use crate::ids::RoomId;

/// What another node asks of this node's lobby.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum LobbyCall {
    /// A seat in room `room`, for a player connected to the asking node.
    Reserve { room: RoomId },
    /// A seat reserved earlier that its player did not take after all.
    Free { room: RoomId },
}

/// This lobby's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum LobbyReply {
    /// A seat is reserved in `room`, which plays `game` (private: `code`).
    Seat {
        room: RoomId,
        game: String,
        code: Option<String>,
    },
    /// No such room here (any more).
    NoSuchRoom,
    /// The room is full.
    Full,
    /// A freed seat was taken back.
    Freed,
}

impl Message for LobbyCall {
    type Reply = LobbyReply;
}

impl RemoteMessage for LobbyCall {
    const NAME: &'static str = "lobby.call";
    const VERSION: u32 = 1;
}

impl<G: Render> Handler<LobbyCall> for Lobby<G> {
    fn handle(&mut self, call: LobbyCall, _: &mut Context<Self>) -> LobbyReply {
        match call {
            LobbyCall::Reserve { room } => {
                let Some(game) = self.directory.game(room) else {
                    return LobbyReply::NoSuchRoom;
                };
                match self.reserve(room) {
                    Some(seat) => LobbyReply::Seat {
                        room,
                        game: game.to_owned(),
                        code: seat.label.code,
                    },
                    None => LobbyReply::Full,
                }
            }
            LobbyCall::Free { room } => {
                let gone = self.directory.free(room);
                self.retire(gone);
                LobbyReply::Freed
            }
        }
    }
}

/// This node's rooms, as announced to the others: the first `limit` by number, and how many
/// in all.
pub(crate) struct Advertise {
    pub(crate) limit: usize,
}

impl Message for Advertise {
    type Reply = (Vec<RoomAd>, usize);
}

impl<G: Render> Handler<Advertise> for Lobby<G> {
    fn handle(&mut self, ads: Advertise, _: &mut Context<Self>) -> (Vec<RoomAd>, usize) {
        // In a cluster a room is announced once it is served on NATS, never before: a node
        // that found it by its code earlier would be told "no responders" — the room gone —
        // though it is only opening (its claim being won, its first snapshot saved).
        let in_cluster = self.cluster.is_some();
        self.directory
            .ads(ads.limit, |hosted| !in_cluster || hosted.serving.is_some())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use referee_rules::{GuessConfig, GuessNumber};

    use super::*;
    use crate::lobby::{LobbyHandle, QuickMatch};

    fn lobby() -> LobbyHandle<GuessNumber> {
        Lobby::<GuessNumber>::spawn(
            2,
            GuessConfig::default(),
            (StdRng::seed_from_u64(1), StdRng::seed_from_u64(2)),
            None,
            Duration::from_secs(30),
        )
    }

    async fn seats(lobby: &LobbyHandle<GuessNumber>, room: RoomId) -> Option<usize> {
        let (ads, _) = lobby.ask(Advertise { limit: 10 }).await.unwrap();
        ads.into_iter().find(|ad| ad.id == room).map(|ad| ad.seats)
    }

    #[tokio::test]
    async fn another_node_reserves_seats_as_a_local_player_would_until_the_room_is_full() {
        let lobby = lobby();
        let seat = lobby
            .ask(QuickMatch::excluding("guess", None))
            .await
            .unwrap()
            .unwrap();
        let room = seat.room;
        assert_eq!(seats(&lobby, room).await, Some(1));

        let reply = lobby.ask(LobbyCall::Reserve { room }).await.unwrap();
        assert_eq!(
            reply,
            LobbyReply::Seat {
                room,
                game: "guess".into(),
                code: None
            }
        );
        assert_eq!(seats(&lobby, room).await, Some(2));
        assert_eq!(
            lobby.ask(LobbyCall::Reserve { room }).await.unwrap(),
            LobbyReply::Full
        );
        assert_eq!(
            lobby
                .ask(LobbyCall::Reserve { room: room + 100 })
                .await
                .unwrap(),
            LobbyReply::NoSuchRoom
        );

        // A seat the remote player did not take comes back; with the last one the room is
        // forgotten, as for local players.
        assert_eq!(
            lobby.ask(LobbyCall::Free { room }).await.unwrap(),
            LobbyReply::Freed
        );
        assert_eq!(seats(&lobby, room).await, Some(1));
        lobby.ask(LobbyCall::Free { room }).await.unwrap();
        assert_eq!(seats(&lobby, room).await, None);
        drop(seat);
    }

    #[test]
    fn the_calls_cross_the_wire_unchanged() {
        for call in [
            LobbyCall::Reserve { room: 7 },
            LobbyCall::Free { room: 1_000_001 },
        ] {
            let json = serde_json::to_string(&call).unwrap();
            assert_eq!(serde_json::from_str::<LobbyCall>(&json).unwrap(), call);
        }
    }

    #[tokio::test]
    async fn a_room_snapshot_is_adopted_under_its_number_with_its_seats_once() {
        use crate::kick::Kick;
        use crate::lobby::Adopt;
        use crate::outbox::Outbox;
        use crate::room::{Join, Resume, RoomSnapshot, TakeSnapshot};
        use referee_rules::PlayerId;

        let here = lobby();
        let seat = here
            .ask(QuickMatch::excluding("guess", None))
            .await
            .unwrap()
            .unwrap();
        let (frames, _seen) = crate::queue::channel(64);
        let join = Join {
            player: PlayerId(1),
            name: "Ann".into(),
            named: true,
            outbox: Outbox::new(frames, Kick::default()),
            feed: false,
            re: None,
        };
        let crate::room::RoomLink::Local(room) = &seat.handle else {
            panic!("a room of this node is local");
        };
        room.ask(join).await.unwrap().unwrap();
        let json = room.ask(TakeSnapshot).await.unwrap().unwrap();

        let there = lobby();
        let snapshot = RoomSnapshot::<GuessNumber>::from_json(&json).unwrap();
        let adopt = Adopt {
            snapshot,
            resume: Resume::Failover,
        };
        assert_eq!(there.ask(adopt).await.unwrap(), Some(seat.room));
        assert_eq!(seats(&there, seat.room).await, Some(1));
        let snapshot = RoomSnapshot::<GuessNumber>::from_json(&json).unwrap();
        let again = Adopt {
            snapshot,
            resume: Resume::Failover,
        };
        assert_eq!(there.ask(again).await.unwrap(), None, "adopted twice");
    }
}
