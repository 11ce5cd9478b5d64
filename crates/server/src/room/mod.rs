//! The referee: one actor per room, the single source of truth for that room's game.
//!
//! The room owns a `G: Game` and only translates (STYLE §2): a message comes in, the rules
//! decide, and the resulting events go out to the members' outboxes as text. Because the
//! actor handles one message at a time, two guesses can never both win a round: whichever
//! the referee takes first decides, and the other is told another player won.
//!
//! Pushes never wait (`Outbox::push`); a member whose queue is full is disconnected and the
//! room plays on.

mod members;
mod messages;

use rand::rngs::StdRng;
use referee_actor::{ActorBuilder, ActorHandle, WeakActorHandle};
use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{PlayerId, Render};

use crate::lobby::{Lobby, SeatFreed};
use crate::outbox::{Frame, PushError};
use crate::tell::tell_soon;

pub(crate) use members::Member;
pub(crate) use messages::{Act, Chat, GetScores, Join, Leave, Rename};

use members::Members;

/// A handle to a room's referee actor.
pub(crate) type RoomHandle<G> = ActorHandle<Room<G>>;

/// What a room is made from.
pub(crate) struct RoomSetup<G: Render> {
    pub(crate) label: RoomLabel,
    pub(crate) capacity: usize,
    pub(crate) config: G::Config,
    pub(crate) rng: StdRng,
    /// Weak: the lobby holds the rooms, so rooms must not keep the lobby alive.
    pub(crate) lobby: WeakActorHandle<Lobby<G>>,
}

/// The referee actor of one room.
pub(crate) struct Room<G: Render> {
    label: RoomLabel,
    capacity: usize,
    game: G,
    members: Members,
    rng: StdRng,
    lobby: WeakActorHandle<Lobby<G>>,
    /// Members whose push failed during the current message; removed before it ends.
    failed: Vec<(PlayerId, PushError)>,
}

impl<G: Render> referee_actor::Actor for Room<G> {}

impl<G: Render> Room<G> {
    /// Makes the room and spawns its actor.
    pub(crate) fn spawn(setup: RoomSetup<G>) -> RoomHandle<G> {
        let name = format!("room-{}", setup.label.id);
        ActorBuilder::new().name(name).spawn(Room::new(setup))
    }

    fn new(mut setup: RoomSetup<G>) -> Self {
        let game = G::new(&setup.config, &mut setup.rng);
        Room {
            label: setup.label,
            capacity: setup.capacity,
            game,
            members: Members::default(),
            rng: setup.rng,
            lobby: setup.lobby,
            failed: Vec::new(),
        }
    }

    /// Queues `text` for one member, remembering a failure for [`Room::settle`].
    fn push(&mut self, player: PlayerId, text: String) {
        let Some(member) = self.members.get(player) else {
            return;
        };
        let frame = Frame {
            text,
            round: Some(self.game.round()),
        };
        if let Err(err) = member.outbox.push(frame) {
            self.failed.push((player, err));
        }
    }

    fn notify(&mut self, player: PlayerId, notice: &Notice) {
        self.push(player, notice.to_line());
    }

    /// Sends a notice to every member but `except`.
    fn notify_others(&mut self, except: Option<PlayerId>, notice: &Notice) {
        let line = notice.to_line();
        let targets: Vec<PlayerId> = self
            .members
            .iter()
            .map(|(id, _)| id)
            .filter(|&id| Some(id) != except)
            .collect();
        for player in targets {
            self.push(player, line.clone());
        }
    }

    /// Pushes the rules' events to the members each one is addressed to.
    fn announce(&mut self, events: &[G::Event]) {
        for event in events {
            let audience = G::audience(event);
            let targets: Vec<PlayerId> = self
                .members
                .iter()
                .filter(|(id, member)| audience.reaches(*id, member.feed))
                .map(|(id, _)| id)
                .collect();
            for viewer in targets {
                let text = G::describe(event, viewer, &|id| self.members.name(id));
                self.push(viewer, text);
            }
        }
    }

    /// Removes a member: from the game, from the room, and from the lobby's seat count.
    fn remove(&mut self, player: PlayerId) -> Option<Member> {
        let member = self.members.remove(player)?;
        self.game.remove_player(player);
        if let Some(lobby) = self.lobby.upgrade() {
            tell_soon(&lobby, SeatFreed(self.label.id));
        }
        Some(member)
    }

    /// Drops the members whose connection failed, telling the others. Repeats while
    /// telling the others makes more fail.
    fn settle(&mut self) {
        while let Some((player, err)) = self.failed.pop() {
            let Some(member) = self.remove(player) else {
                continue;
            };
            member.outbox.kick();
            let notice = match err {
                PushError::TooSlow => Notice::MemberDropped {
                    name: member.name,
                    reason: "too slow".into(),
                },
                PushError::Gone => Notice::MemberLeft { name: member.name },
            };
            self.notify_others(None, &notice);
        }
    }
}
