//! The referee: one actor per room, the single source of truth for that room's game.
//!
//! The room owns a `G: Game` and only translates (STYLE §2): a message comes in, the rules
//! decide, and the resulting events go out to the members' outboxes as text. Because the
//! actor handles one message at a time, two guesses can never both win a round: whichever
//! the referee takes first decides, and the other is told another player won.
//!
//! Pushes never wait (`Outbox::push`); a member whose queue is full is disconnected and the
//! room plays on.
//!
//! **Durable before announced.** When the rules report a won round, the room sends it to the
//! recorder and *holds* every push from then on — the win itself, the next round, anything —
//! until the recorder says the round is committed (`Committed`). Then it releases them in
//! order. A player who is told "you won" can therefore always find that win in the records,
//! even if the server is killed the next instant. Meanwhile the room keeps handling messages:
//! it never waits for the disk.

mod members;
mod messages;

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use referee_actor::{ActorBuilder, ActorHandle, Context, WeakActorHandle};
use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{PlayerId, Render, RoundWon};
use referee_store::RoundResult;
use tokio::sync::oneshot;

use crate::lobby::{Lobby, SeatFreed};
use crate::outbox::{Frame, PushError};
use crate::records::{RecorderHandle, Save, StorageFailed, now_ms};
use crate::tell::tell_soon;

pub(crate) use members::Member;
pub(crate) use messages::{Act, Chat, Committed, GetScores, Join, Leave, Rename};

/// How long a room holds a win's announcement waiting for the recorder, at most. Past it the
/// announcement goes out with an error line: a stuck disk must not freeze the game.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Where won rounds are saved; `None` keeps nothing.
    pub(crate) recorder: Option<RecorderHandle>,
}

/// The referee actor of one room.
pub(crate) struct Room<G: Render> {
    label: RoomLabel,
    capacity: usize,
    game: G,
    members: Members,
    rng: StdRng,
    lobby: WeakActorHandle<Lobby<G>>,
    recorder: Option<RecorderHandle>,
    /// Wins sent to the recorder and not yet committed. While non-zero, pushes wait in
    /// `held_frames`.
    held: usize,
    held_frames: VecDeque<(PlayerId, Frame)>,
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
            recorder: setup.recorder,
            held: 0,
            held_frames: VecDeque::new(),
            failed: Vec::new(),
        }
    }

    /// Queues `text` for one member — or holds it while a win is being saved.
    fn push(&mut self, player: PlayerId, text: String) {
        let frame = Frame {
            text,
            round: Some(self.game.round()),
        };
        if self.held > 0 {
            self.held_frames.push_back((player, frame));
        } else {
            self.send(player, frame);
        }
    }

    /// Hands a frame to a member's outbox, remembering a failure for [`Room::settle`].
    fn send(&mut self, player: PlayerId, frame: Frame) {
        let Some(member) = self.members.get(player) else {
            return;
        };
        if let Err(err) = member.outbox.push(frame) {
            self.failed.push((player, err));
        }
    }

    /// Sends everything held, in order, once no save is pending any more.
    fn release(&mut self) {
        while let Some((player, frame)) = self.held_frames.pop_front() {
            self.send(player, frame);
        }
    }

    /// Sends a won round to the recorder and holds pushes until it is committed.
    fn save(&mut self, won: RoundWon, ctx: &Context<Self>) {
        let (Some(recorder), Some(winner)) = (&self.recorder, self.members.get(won.winner)) else {
            return;
        };
        let result = RoundResult {
            room: self.label.id,
            round: won.round,
            winner: winner.name.clone(),
            named: winner.named,
            guesses: won.moves,
            won_at_ms: now_ms(),
        };
        let (done, saved) = oneshot::channel();
        tell_soon(recorder, Save { result, done });
        self.held += 1;
        let waiting = async move {
            match tokio::time::timeout(COMMIT_TIMEOUT, saved).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_)) => Err(StorageFailed("the recorder has stopped".into())),
                Err(_) => Err(StorageFailed(format!(
                    "no answer within {COMMIT_TIMEOUT:?}"
                ))),
            }
        };
        let (round, winner) = (won.round, won.winner);
        ctx.pipe_to_self(waiting, move |outcome| Committed {
            round,
            winner,
            outcome,
        });
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

    /// Pushes the rules' events to the members each one is addressed to. A won round is
    /// saved first, so that its announcement (and all that follows) waits for the commit.
    fn announce(&mut self, events: &[G::Event], ctx: &Context<Self>) {
        for event in events {
            if let Some(won) = G::round_won(event) {
                self.save(won, ctx);
            }
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
