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
//!
//! **Recorded matches.** Every rule step goes through [`Room::step`]: it draws from the
//! match's own seeded RNG and is logged, and a decided match's log is saved with its result
//! (`recording.rs`).
//!
//! **Moving.** A room can be carried to another node as its snapshot and come back there,
//! the game going on exactly (handover) or with the round in play voided (failover):
//! `snapshot.rs`.

mod bots;
mod clock;
mod ghosts;
mod handover;
mod held;
#[cfg(test)]
mod held_tests;
mod link;
mod lost;
mod members;
mod messages;
mod presence;
mod recording;
#[cfg(test)]
mod recording_tests;
mod saving;
#[cfg(test)]
mod shard_tests;
mod snapshot;
#[cfg(test)]
mod snapshot_tests;
mod supervision;
#[cfg(test)]
pub(crate) mod tests;
pub(crate) mod wire;

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use referee_actor::{ActorBuilder, ActorHandle, Context, Message, Recipient, WeakRecipient};
use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{Audience, Millis, PlayerId, Render};
use tokio::time::Instant;

use crate::census::Census;
use crate::cluster::claims::RoomClaim;
use crate::encoding::{Encoded, Encoding, Once};
use crate::ids::RoomId;
use crate::outbox::{Frame, PushError};
use crate::records::RecorderHandle;
use crate::tell::or_log;

pub(crate) use ghosts::NodesSeen;
pub(crate) use handover::{HandOver, HandedOver, Stop as StopHandedOver};
pub(crate) use link::{Acted, RoomLink};
pub(crate) use lost::HostLost;
pub(crate) use members::Member;
pub(crate) use messages::{
    Act, Chat, Crash, GetScores, Join, JoinError, Joined, Leave, NameTaken, Rename,
};
pub(crate) use presence::{
    Away, NotOwner, Rejoin, SeatLost, Spectators, Unwatch, Watch, WatchError, Who,
};
pub(crate) use recording::{Recorded, RecordedPlayer};
#[cfg(test)]
pub(crate) use snapshot::TakeSnapshot;
pub(crate) use snapshot::{
    OfferSnapshot, Resume, RoomSnapshot, SeatSnapshot, SnapshotError, Snapshotted,
};

use recording::{Finished, Recording};
use snapshot::Failover;
use supervision::{Checkpoint, Snapshot};

/// A seat of this room is free again: told to whoever keeps the rooms' seats (the lobby),
/// which the room knows only as a recipient of this message.
pub(crate) struct SeatFreed(pub(crate) RoomId);

impl Message for SeatFreed {
    type Reply = ();
}

use members::Members;
use saving::{Held, MAX_HELD};

/// The cause of events nobody asked for (a timeout, a forfeit): no request answers them.
const NOBODY: PlayerId = PlayerId(u64::MAX);

/// The game a room plays, as its notices name it: only when the server hosts several.
pub(crate) fn shown_game<G: referee_rules::Game>(game: &G) -> Option<String> {
    (G::games().len() > 1).then(|| game.game().to_owned())
}

/// A handle to a room's referee actor.
pub(crate) type RoomHandle<G> = ActorHandle<Room<G>>;

/// What a room is made from.
pub(crate) struct RoomSetup<G: Render> {
    pub(crate) label: RoomLabel,
    /// The game the room plays (one of `G::games()`).
    pub(crate) game: &'static str,
    pub(crate) capacity: usize,
    pub(crate) config: G::Config,
    /// Where the room's randomness comes from: each match's seed is drawn from it.
    pub(crate) rng: StdRng,
    /// Where freed seats are reported (the lobby). Weak: the lobby holds the rooms, so rooms
    /// must not keep the lobby alive.
    pub(crate) lobby: WeakRecipient<SeatFreed>,
    /// Where won rounds are saved; `None` keeps nothing.
    pub(crate) recorder: Option<RecorderHandle>,
    /// How long a dropped player's seat is kept (told to the others).
    pub(crate) reconnect_window: Duration,
    /// Where the room posts its head count for the metrics.
    pub(crate) census: Census,
    /// Where the room's snapshot goes after each committed win (cluster mode: whoever saves
    /// it with `Store::save_snapshot`, see `snapshot.rs`); `None` keeps none.
    pub(crate) snapshots: Option<Recipient<Snapshotted>>,
    /// In a cluster: the room's claim, which its saves are fenced with.
    pub(crate) claim: Option<RoomClaim>,
    /// The runtime the room runs on (its opener's shard, `shard.rs`); `None`: the caller's.
    pub(crate) home: Option<tokio::runtime::Handle>,
}

/// What stays the same across a room's restarts.
#[derive(Clone)]
struct Parts {
    label: RoomLabel,
    capacity: usize,
    lobby: WeakRecipient<SeatFreed>,
    recorder: Option<RecorderHandle>,
    reconnect_window: Duration,
    census: Census,
    snapshots: Option<Recipient<Snapshotted>>,
    claim: Option<RoomClaim>,
    /// Game time 0 (`Millis` counts from here), kept across restarts.
    epoch: Instant,
    /// What became of the round in play when the room came back from a snapshot after a
    /// failure: told to each restored seat as its player rejoins (`snapshot.rs`).
    failed_over: Option<Failover>,
    /// The NATS client remote members' frames go out on, once the room is served to other
    /// nodes (`wire/`); shared so that a restarted referee still has it.
    remote: Arc<OnceLock<async_nats::Client>>,
    /// The tasks forwarding frames to remote members (`wire/forward.rs`): waited for when
    /// the room is handed over, so that its last answers leave before the node does.
    forwarders: wire::Forwarders,
}

/// The referee actor of one room.
pub(crate) struct Room<G: Render> {
    label: RoomLabel,
    capacity: usize,
    game: G,
    members: Members,
    /// The room's RNG: each match's seed is drawn from it (`recording.rs`).
    seeds: StdRng,
    /// The match in play: its log and the RNG its steps draw from.
    recording: Recording<G>,
    /// A match just decided, until its outcome is saved with it.
    finished: Option<Finished<G>>,
    lobby: WeakRecipient<SeatFreed>,
    recorder: Option<RecorderHandle>,
    /// In a cluster: the room's claim; every save waits for it and is fenced with it.
    claim: Option<RoomClaim>,
    reconnect_window: Duration,
    census: Census,
    /// See [`RoomSetup::snapshots`].
    snapshots: Option<Recipient<Snapshotted>>,
    /// Game time 0: when the room was made (or, restored from a snapshot, as far back as
    /// the snapshot's game time).
    epoch: Instant,
    /// See [`Parts::failed_over`].
    failed_over: Option<Failover>,
    /// See `Parts::remote`.
    remote: Arc<OnceLock<async_nats::Client>>,
    /// See `Parts::forwarders`.
    forwarders: wire::Forwarders,
    /// The game deadline a timer is armed for (see `clock.rs`).
    armed: Option<Millis>,
    /// Events the rules returned where no context was at hand (a leaver's forfeit), announced
    /// by [`Room::settle`].
    pending: Vec<G::Event>,
    /// The last consistent state, for a restart after a panic.
    snapshot: Snapshot<G>,
    /// The game changed since the last checkpoint.
    game_changed: bool,
    /// The members changed since the last checkpoint.
    members_changed: bool,
    /// Wins sent to the recorder and not yet answered, oldest first, until their wait runs
    /// out (`saving.rs`). While there are any, pushes wait in `held_frames`.
    saves: VecDeque<saving::PendingWin>,
    /// A commit timer is armed (`saving.rs`).
    commit_timer: bool,
    /// Saves this instance sent, to tell their answers apart (`saving::SaveId`).
    saved_count: u64,
    held_frames: VecDeque<Held>,
    /// Members whose push failed during the current message; removed before it ends.
    failed: Vec<(PlayerId, PushError)>,
    /// Whom an event goes to, kept between events so that announcing one allocates nothing.
    targets: Vec<PlayerId>,
    /// The bot whose think delay runs, and the turn's deadline then (see `bots.rs`).
    bot_turn: Option<(PlayerId, Option<Millis>)>,
    /// Handed over to another node (`handover.rs`): nothing changes the game any more.
    leaving: bool,
    /// Members whose node is gone, their seat held until its window ends (`ghosts.rs`).
    ghosts: std::collections::HashSet<PlayerId>,
}

impl<G: Render> referee_actor::Actor for Room<G> {
    /// A referee restarted after a panic tells the room, and where the game stands.
    async fn started(&mut self, ctx: &mut Context<Self>) {
        // A room handed over (then restarted by a panic) changes nothing and says nothing
        // more: its new host speaks for it.
        if self.leaving {
            return;
        }
        self.resume_restored(ctx);
        if ctx.restarts() == 0 {
            return;
        }
        self.tell_all(None, &Notice::RefereeRestarted);
        for player in self.others(None) {
            self.show_state(player, None);
        }
        self.settle(ctx);
    }
}

/// A room's mailbox for `seats` seats: four letters a seat (each seated player has at most
/// one move waiting, and a departure or a chat; the lobby and the room's timers add a few),
/// at least 16 and at most the actor core's default of 64. The ring is allocated whole when
/// the room opens: 64 slots were 1.5 KB a room, half a KB of every idle connection's memory
/// in rooms of three (docs/PERFORMANCE.md §3). Senders that find it full wait in line (asks,
/// tells) or are refused (`Chat`, which never waits), as at any capacity.
fn mailbox_capacity(seats: usize) -> usize {
    seats
        .saturating_mul(4)
        .clamp(16, referee_actor::DEFAULT_MAILBOX_CAPACITY)
}

impl<G: Render> Room<G> {
    /// Makes the room and spawns its referee, supervised: a panic rebuilds it from the last
    /// checkpoint (see `supervision.rs`).
    pub(crate) fn spawn(mut setup: RoomSetup<G>) -> RoomHandle<G> {
        let game = G::new_game(&setup.config, setup.game, &mut setup.rng);
        let seed = setup.rng.next_u64();
        let recording = Recording::begin(1, setup.config.clone(), seed, game.clone()).saved();
        let checkpoint = Checkpoint {
            game,
            members: Members::default(),
            recording,
        };
        Room::spawn_at(setup, checkpoint, Instant::now(), None)
    }

    /// Spawns a referee from `first`, with game time 0 at `epoch`; `failed_over`: what a
    /// failover did to the round in play (`snapshot.rs`).
    fn spawn_at(
        setup: RoomSetup<G>,
        first: Checkpoint<G>,
        epoch: Instant,
        failed_over: Option<Failover>,
    ) -> RoomHandle<G> {
        let name = format!("room-{}", setup.label.id);
        let snapshot = Snapshot::new(first);
        let parts = Parts {
            label: setup.label,
            capacity: setup.capacity,
            lobby: setup.lobby,
            recorder: setup.recorder,
            reconnect_window: setup.reconnect_window,
            census: setup.census,
            snapshots: setup.snapshots,
            epoch,
            failed_over,
            remote: Arc::default(),
            forwarders: wire::Forwarders::default(),
            claim: setup.claim,
        };
        let mut seeds = setup.rng;
        let factory = move || Room::restore(&parts, &snapshot, supervision::next_rng(&mut seeds));
        let builder = match setup.home {
            Some(home) => ActorBuilder::new().runtime(home),
            None => ActorBuilder::new(),
        };
        builder
            .name(name)
            .mailbox_capacity(mailbox_capacity(setup.capacity))
            // Sessions and the parking lot report departures with `tell_soon`, one
            // or two waiting per member or watcher: room enough for a whole room leaving at once.
            .soon_capacity(2 * (setup.capacity + members::MAX_WATCHERS))
            .spawn_supervised(supervision::policy(), factory)
    }

    /// A referee from the last checkpoint.
    fn restore(parts: &Parts, snapshot: &Snapshot<G>, seeds: StdRng) -> Self {
        let (game, members, recording) = snapshot.load().restored();
        Room {
            label: parts.label.clone(),
            capacity: parts.capacity,
            game: supervision::through_snapshot(game),
            members,
            seeds,
            recording: Recording::restore(&recording),
            finished: None,
            lobby: parts.lobby.clone(),
            recorder: parts.recorder.clone(),
            claim: parts.claim.clone(),
            reconnect_window: parts.reconnect_window,
            census: parts.census.clone(),
            // A room handed over offers no snapshot after the handed-over one, restarted too.
            snapshots: parts
                .snapshots
                .clone()
                .filter(|_| !parts.forwarders.handed_over()),
            epoch: parts.epoch,
            failed_over: parts.failed_over,
            remote: parts.remote.clone(),
            forwarders: parts.forwarders.clone(),
            armed: None,
            pending: Vec::new(),
            snapshot: snapshot.clone(),
            game_changed: false,
            members_changed: false,
            saves: VecDeque::new(),
            commit_timer: false,
            saved_count: 0,
            held_frames: VecDeque::new(),
            failed: Vec::new(),
            targets: Vec::new(),
            bot_turn: None,
            // A referee restarted after a panic that followed `HandOver` is still leaving:
            // the checkpoint does not say so, the shared forwarders do.
            leaving: parts.forwarders.handed_over(),
            ghosts: std::collections::HashSet::new(),
        }
    }

    /// Saves the state as it is now as the room's last consistent state, if it changed.
    /// Called at the end of every handler (through [`Room::settle`]).
    fn checkpoint(&mut self) {
        let game = std::mem::take(&mut self.game_changed).then_some(&self.game);
        let members = std::mem::take(&mut self.members_changed).then_some(&self.members);
        if let Some(members) = members {
            self.census
                .post(members.len(), members.away(), members.watchers());
        }
        if game.is_some() || members.is_some() {
            let recording = game.is_some().then_some(&self.recording);
            self.snapshot.save(game.zip(recording), members);
        }
    }

    /// How `player`'s connection wants its messages (`None`: nothing reaches them now).
    fn encoding(&self, player: PlayerId) -> Option<Encoding> {
        self.members.outbox(player).map(|outbox| outbox.encoding())
    }

    /// Queues an encoded message for one member — or holds it while a win is being saved.
    /// `may_drop`: what may be missed (chat, others' moves) gives way if their queue is
    /// filling up.
    fn deliver(&mut self, player: PlayerId, payload: String, may_drop: bool) {
        let frame = Frame::in_round(payload, self.game.round());
        if self.saves.is_empty() {
            return self.send(player, frame, may_drop);
        }
        if self.held_frames.len() < MAX_HELD {
            let held = Held::Frame {
                player,
                frame,
                may_drop,
            };
            self.held_frames.push_back(held);
        } else if !may_drop {
            self.failed.push((player, PushError::TooSlow));
        }
    }

    /// Hands a frame to a member's outbox, remembering a failure for [`Room::settle`].
    fn send(&mut self, player: PlayerId, frame: Frame, may_drop: bool) {
        let Some(outbox) = self.members.outbox(player) else {
            return;
        };
        let pushed = if may_drop {
            outbox.push_droppable(frame)
        } else {
            outbox.push(frame)
        };
        if let Err(err) = pushed {
            self.failed.push((player, err));
        }
    }

    /// Tells one member something; `re` is the request it answers.
    fn tell(&mut self, player: PlayerId, notice: &Notice, re: Option<u64>) {
        if let Some(encoding) = self.encoding(player) {
            self.deliver(player, encoding.notice(notice, re), false);
        }
    }

    /// Tells everyone in the room (spectators included) but `except`.
    fn tell_all(&mut self, except: Option<PlayerId>, notice: &Notice) {
        self.broadcast(except, notice, false);
    }

    /// As [`Room::tell_all`], for what may be dropped for a member whose queue is filling.
    fn tell_all_optional(&mut self, except: Option<PlayerId>, notice: &Notice) {
        self.broadcast(except, notice, true);
    }

    fn broadcast(&mut self, except: Option<PlayerId>, notice: &Notice, may_drop: bool) {
        let mut encoded = Encoded::new(notice);
        for player in self.others(except) {
            if let Some(encoding) = self.encoding(player) {
                self.deliver(player, encoded.get(encoding), may_drop);
            }
        }
    }

    /// Everyone a push can reach (seated and connected, or watching) but `except`.
    fn others(&self, except: Option<PlayerId>) -> Vec<PlayerId> {
        self.members
            .reachable()
            .map(|(id, _)| id)
            .filter(|&id| Some(id) != except)
            .collect()
    }

    /// Shows `player` where the game stands.
    fn show_state(&mut self, player: PlayerId, re: Option<u64>) {
        if let Some(encoding) = self.encoding(player) {
            let names = |id| self.members.name(id);
            let now = self.now();
            let payload = encoding.state(&self.game, player, now, &names, re);
            self.deliver(player, payload, false);
        }
    }

    /// Tells `player` why their move was refused.
    fn reject(&mut self, player: PlayerId, rejection: &G::Rejection, re: Option<u64>) {
        if let Some(encoding) = self.encoding(player) {
            let names = |id| self.members.name(id);
            let payload = encoding.rejection::<G>(rejection, &names, re);
            self.deliver(player, payload, false);
        }
    }

    /// Pushes the rules' events to the members each one is addressed to. A won round is
    /// saved first, so that its announcement (and all that follows) waits for the commit.
    /// `cause` is the player whose request made them, and the request's id (which answers
    /// to the cause carry). Each event carries the room's round once the move is done (what a
    /// plain guess is now for), where the encoding has room for it.
    fn announce(
        &mut self,
        events: &[G::Event],
        cause: (PlayerId, Option<u64>),
        ctx: &Context<Self>,
    ) {
        let clock = (self.game.round(), self.now());
        let mut targets = std::mem::take(&mut self.targets);
        for event in events {
            if let Some(won) = G::outcome(event) {
                self.census.round_won();
                self.save(won, ctx);
            }
            let audience = G::audience(event);
            targets.clear();
            targets.extend(
                self.members
                    .reachable()
                    .filter(|&(id, feed)| audience.reaches(id, feed))
                    .map(|(id, _)| id),
            );
            // What the event's bystanders are shown is the same for all of them
            // (`Render::bystander`): rendered once per encoding.
            let mut bystanders = Once::default();
            for &viewer in &targets {
                let Some(encoding) = self.encoding(viewer) else {
                    continue;
                };
                let re = if viewer == cause.0 { cause.1 } else { None };
                let names = |id| self.members.name(id);
                let render = || encoding.event::<G>(event, viewer, &names, clock, re);
                let payload = if re.is_none() && G::bystander(event, viewer) {
                    bystanders.get(encoding, render)
                } else {
                    render()
                };
                // Another player's move, shown on the feed, may be dropped; the rest may not.
                let optional = matches!(audience, Audience::Feed(actor) if actor != viewer);
                self.deliver(viewer, payload, optional);
            }
        }
        self.targets = targets;
    }

    /// Removes a member: from the game, from the room, and from the lobby's seat count.
    fn remove(&mut self, player: PlayerId) -> Option<Member> {
        let member = self.members.remove(player)?;
        (self.game_changed, self.members_changed) = (true, true);
        let now = self.now();
        let events = self.step_surely(referee_rules::LogEntry::Leave { player, at: now });
        self.pending.extend(events);
        if let Some(lobby) = self.lobby.upgrade() {
            or_log(lobby.tell_soon(SeatFreed(self.label.id)), "seat freed");
        }
        Some(member)
    }

    /// Drops the members whose connection failed, telling the others (repeating while that
    /// makes more fail), announces what the rules said meanwhile, arms the game clock, then
    /// checkpoints the state.
    fn settle(&mut self, ctx: &Context<Self>) {
        loop {
            self.drop_failed();
            if self.pending.is_empty() {
                break;
            }
            let events = std::mem::take(&mut self.pending);
            self.announce(&events, (NOBODY, None), ctx);
        }
        self.arm_clock(ctx);
        self.prompt_bot(ctx);
        self.checkpoint();
    }

    fn drop_failed(&mut self) {
        while let Some((player, err)) = self.failed.pop() {
            if let Some(name) = self.members.unwatch(player) {
                self.spectator_left(player, name);
                continue;
            }
            let may_return = self.members.get(player).is_some_and(|member| {
                err == PushError::Gone && member.outbox.is_resumable() && !member.away
            });
            if may_return {
                self.set_away(player);
                continue;
            }
            let Some(member) = self.remove(player) else {
                continue;
            };
            member.outbox.kick();
            let notice = match err {
                PushError::TooSlow => Notice::MemberDropped {
                    player,
                    name: member.name,
                    reason: "too slow".into(),
                },
                PushError::Gone => Notice::MemberLeft {
                    player,
                    name: member.name,
                },
            };
            self.tell_all(None, &notice);
        }
    }

    /// A member's connection dropped and they may come back: the seat and score stay, the
    /// others are told, nothing is sent to them until they do.
    fn set_away(&mut self, player: PlayerId) {
        let Some(member) = self.members.get_mut(player) else {
            return;
        };
        if member.away {
            return;
        }
        member.away = true;
        member.held_until = Some(held::until(held::wall_ms(), self.reconnect_window));
        let away = Notice::MemberAway {
            player,
            name: member.name.clone(),
            seconds: self.reconnect_window.as_secs(),
        };
        self.members_changed = true;
        self.tell_all(Some(player), &away);
    }
}
