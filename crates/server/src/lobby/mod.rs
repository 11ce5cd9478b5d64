//! The lobby: the directory of rooms, and where a player looks for a seat.
//!
//! The lobby counts seats, not players: a seat is reserved when the lobby hands out a room
//! and freed when the room reports that its holder left (or when a join fails). Rooms are
//! made on demand and forgotten when their last seat is freed; dropping the lobby's handle
//! then lets the room's actor stop.
//!
//! Rules decide, actors translate (STYLE §2), as in the room: the bookkeeping is the pure
//! [`Directory`](directory::Directory) (`directory.rs`, private codes in `code.rs`); the
//! lobby actor here only spawns rooms, turns its messages (`messages.rs`) into directory
//! calls and the answers into replies, watches its rooms (`RoomStopped`) and keeps the
//! totals of rooms already gone.
//!
//! The lobby never waits on a room (rooms report to it with `tell`), so lobby and rooms form
//! no cycle of waiting actors.

mod code;
mod directory;
mod handover;
mod messages;
mod remote;

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_actor::{
    Actor, ActorBuilder, ActorHandle, Context, Handler, Message, Recipient, StopReason,
    WeakRecipient,
};
use referee_protocol::notice::RoomLabel;
use referee_rules::Render;

use crate::census::{ActorTotals, Census};
use crate::cluster::claims::{RoomClaim, RoomClaims};
use crate::cluster::serving::RoomServing;
use crate::ids::RoomId;
use crate::records::RecorderHandle;
use crate::room::{Resume, Room, RoomHandle, RoomLink, RoomSetup, RoomSnapshot, Snapshotted};
use crate::shard::Home;
use directory::Directory;

/// Freed-seat reports that may wait for room in the lobby's mailbox at once (see `spawn`):
/// more than the server's default connection limit, a few hundred kilobytes at most.
const SEAT_REPORTS: usize = 1 << 16;

pub(crate) use crate::room::SeatFreed;
pub(crate) use code::canonical_code;
pub(crate) use handover::{HandOverRooms, Leaving};
pub(crate) use messages::{
    CountGames, Filling, FindError, FindRoom, LISTED, ListRooms, Locate, Located, LoseRoom,
    NodesSeen, OpenPrivate, QuickMatch, TakeCensus,
};
pub(crate) use remote::{Advertise, LobbyCall, LobbyReply};

/// A handle to the lobby actor.
pub(crate) type LobbyHandle<G> = ActorHandle<Lobby<G>>;

/// A reserved seat in a room: the holder must join it, or hand it back with [`SeatFreed`].
pub(crate) struct Seat<G: Render> {
    pub(crate) room: RoomId,
    /// The game the room plays (one of `G::games()`).
    pub(crate) game: &'static str,
    pub(crate) label: referee_protocol::notice::RoomLabel,
    /// The room, here or (in a cluster) on another node.
    pub(crate) handle: RoomLink<G>,
    /// The node hosting the room, if not this one (its lobby gets the seat back if the
    /// player does not take it).
    pub(crate) host: Option<String>,
}

/// What the lobby keeps for each room in its directory.
struct Hosted<G: Render> {
    handle: RoomHandle<G>,
    census: Census,
    /// The room's claim, in a cluster: given back when the room is forgotten.
    claim: Option<RoomClaim>,
    /// In a cluster: the room served to the other nodes (`room/wire`), from soon after it
    /// opens until it is forgotten.
    serving: Option<referee_remote::Serving>,
}

/// The lobby actor's state.
pub(crate) struct Lobby<G: Render> {
    directory: Directory<Hosted<G>>,
    config: G::Config,
    /// Makes each room's generator (the games' secrets): `--seed` makes it repeatable.
    rng: StdRng,
    /// Handed to every room, to save its won rounds.
    recorder: Option<RecorderHandle>,
    /// Handed to every room: how long a dropped player's seat is kept.
    reconnect_window: Duration,
    /// Messages handled, mailbox high marks and restarts of the rooms already gone, so that
    /// the metrics' totals never go down when a room closes.
    retired: ActorTotals,
    /// Rounds won in rooms already gone.
    retired_won: u64,
    /// Where each room offers its snapshot after a committed win (a cluster node saves
    /// them); `None` for a server on its own.
    snapshots: Option<Recipient<Snapshotted>>,
    /// In a cluster: each room opened is claimed for this node.
    claims: Option<RoomClaims>,
    /// In a cluster: how rooms are served to the other nodes (set by [`JoinCluster`]).
    cluster: Option<RoomServing>,
}

impl<G: Render> Actor for Lobby<G> {}

impl<G: Render> Lobby<G> {
    /// Spawns the lobby. `capacity` is the number of seats per room; `rng` makes the games'
    /// secrets, `codes_rng` the private rooms' codes (it must be seeded by the OS).
    #[cfg(test)]
    pub(crate) fn spawn(
        capacity: usize,
        config: G::Config,
        rngs: (StdRng, StdRng),
        recorder: Option<RecorderHandle>,
        reconnect_window: Duration,
    ) -> LobbyHandle<G> {
        Self::spawn_seating((capacity, &[]), config, rngs, recorder, reconnect_window)
    }

    /// Spawns the lobby. `capacity` is the number of seats per room, unless `seats` names
    /// the game; `rng` makes the games' secrets, `codes_rng` the private rooms' codes (it
    /// must be seeded by the OS).
    #[cfg(test)]
    pub(crate) fn spawn_seating(
        (capacity, seats): (usize, &[(String, usize)]),
        config: G::Config,
        (rng, codes_rng): (StdRng, StdRng),
        recorder: Option<RecorderHandle>,
        reconnect_window: Duration,
    ) -> LobbyHandle<G> {
        let rooms = (capacity, seats);
        Self::spawn_clustered(
            rooms,
            config,
            (rng, codes_rng),
            recorder,
            reconnect_window,
            None,
        )
    }

    /// [`spawn_seating`](Self::spawn_seating), as a cluster node: every room opened is
    /// claimed through `claims`, and room numbers start at `first_room`.
    pub(crate) fn spawn_clustered(
        (capacity, seats): (usize, &[(String, usize)]),
        config: G::Config,
        (rng, codes_rng): (StdRng, StdRng),
        recorder: Option<RecorderHandle>,
        reconnect_window: Duration,
        cluster: Option<(RoomClaims, RoomId)>,
    ) -> LobbyHandle<G> {
        let first = cluster.as_ref().map_or(1, |(_, first)| *first);
        let lobby = Lobby {
            directory: G::games().into_iter().fold(
                Directory::new(capacity, codes_rng)
                    .naming_games(G::games().len() > 1)
                    .numbering_from(first),
                |directory, game| match seats.iter().find(|(name, _)| name == game) {
                    Some(&(_, seats)) => directory.with_seats(game, seats),
                    None => directory,
                },
            ),
            config,
            rng,
            recorder,
            reconnect_window,
            retired: ActorTotals::default(),
            retired_won: 0,
            snapshots: None,
            claims: cluster.map(|(claims, _)| claims),
            cluster: None,
        };
        ActorBuilder::new()
            .name("lobby")
            .mailbox_capacity(1024)
            // Every departing player's room reports the freed seat with `tell_soon`: a mass
            // disconnect may outnumber the mailbox, and those reports must not be lost.
            .soon_capacity(SEAT_REPORTS)
            .spawn(lobby)
    }

    /// Opens a room of `game`, private or not, and spawns its actor on shard `home` (`None`:
    /// the lobby's runtime); `None` once the lobby is closing.
    fn open(
        &mut self,
        game: &'static str,
        (private, home): (bool, Option<Home>),
        ctx: &Context<Self>,
    ) -> Option<RoomId> {
        let lobby = ctx.handle()?.downgrade().recipient();
        let setup = self.setup(game, lobby);
        let shard = home.as_ref().map(|home| home.index);
        let id = self.directory.open(game, (private, shard), |label| {
            let mut setup = setup(label);
            setup.home = home.map(|home| home.handle);
            let census = setup.census.clone();
            let claim = setup.claim.clone();
            let handle = Room::spawn(setup);
            Hosted {
                handle,
                census,
                claim,
                serving: None,
            }
        });
        self.watch(id, ctx)
    }

    /// Takes in a room of another node, restored from its snapshot under its own number and
    /// code, its seats held for their players; `None` if the lobby is closing, the number or
    /// code is open here already, or the game is not hosted.
    fn adopt(
        &mut self,
        snapshot: RoomSnapshot<G>,
        resume: Resume,
        ctx: &Context<Self>,
    ) -> Option<RoomId> {
        let lobby = ctx.handle()?.downgrade().recipient();
        let game = G::games().into_iter().find(|&game| game == snapshot.game)?;
        let seats = snapshot.seats.len();
        if seats == 0 {
            // Nobody sat there: nobody will come back to it.
            return None;
        }
        let label = snapshot.label();
        let setup = self.setup(game, lobby);
        let id = self.directory.adopt(label, game, seats, |label| {
            let setup = setup(label);
            let census = setup.census.clone();
            let claim = setup.claim.clone();
            let handle = Room::spawn_from(setup, snapshot, resume);
            Hosted {
                handle,
                census,
                claim,
                serving: None,
            }
        })?;
        self.watch(id, ctx)
    }

    /// What a new room of `game` is made from, once its label is known.
    fn setup(
        &mut self,
        game: &'static str,
        lobby: WeakRecipient<SeatFreed>,
    ) -> impl FnOnce(RoomLabel) -> RoomSetup<G> + use<G> {
        let capacity = self.directory.capacity(game);
        let config = self.config.clone();
        let rng = StdRng::from_rng(&mut self.rng);
        let recorder = self.recorder.clone();
        let reconnect_window = self.reconnect_window;
        let snapshots = self.snapshots.clone();
        let claims = self.claims.clone();
        move |label| RoomSetup {
            claim: claims.map(|claims| claims.claim(label.id)),
            label,
            game,
            capacity,
            config,
            rng,
            lobby,
            recorder,
            reconnect_window,
            census: Census::default(),
            snapshots,
            home: None,
        }
    }

    /// A room that stops by itself (it crashed past its restart limit) must not be offered
    /// again: the lobby watches it, without keeping it alive.
    fn watch(&mut self, id: RoomId, ctx: &Context<Self>) -> Option<RoomId> {
        let hosted = self.directory.get(id)?;
        let watched = hosted.handle.downgrade();
        ctx.pipe_to_self(async move { watched.wait_stopped().await }, move |reason| {
            RoomStopped { id, reason }
        });
        if let Some(cluster) = &self.cluster {
            let serve = cluster.serve(id, hosted.handle.clone(), hosted.claim.clone());
            ctx.pipe_to_self(serve, move |serving| Served { id, serving });
        }
        Some(id)
    }

    /// Reserves a seat in room `id`, if it exists and has one free.
    fn reserve(&mut self, id: RoomId) -> Option<Seat<G>> {
        let game = self.directory.game(id)?;
        let (label, hosted) = self.directory.reserve(id)?;
        Some(Seat {
            host: None,
            room: id,
            game,
            label,
            handle: hosted.handle.clone().into(),
        })
    }

    /// Adds a forgotten room's counts to the totals.
    fn count_gone(&mut self, hosted: &Hosted<G>) {
        let mut stats = hosted.handle.stats();
        stats.mailbox_len = 0;
        self.retired.add(&stats);
        self.retired_won += hosted.census.read().won;
    }

    /// Adds a forgotten room's counts to the totals; dropping it lets its actor stop.
    fn retire(&mut self, gone: Option<Hosted<G>>) {
        if let Some(hosted) = gone {
            self.count_gone(&hosted);
            if let Some(claim) = hosted.claim {
                claim.release();
            }
        }
    }
}

/// A room's actor stopped. Normally because the lobby forgot it (nothing to do), otherwise
/// because it crashed for good or closed itself (a cluster node's fenced commit): it is
/// forgotten, with its seats.
pub(crate) struct RoomStopped {
    id: RoomId,
    reason: StopReason,
}

impl Message for RoomStopped {
    type Reply = ();
}

impl<G: Render> Handler<RoomStopped> for Lobby<G> {
    fn handle(&mut self, stopped: RoomStopped, _: &mut Context<Self>) {
        if self.directory.get(stopped.id).is_some() {
            if matches!(stopped.reason, StopReason::Normal) {
                // It closed itself: its host lost its claim on it (`room/lost.rs`).
                tracing::info!(room = stopped.id, "room closed itself; forgotten");
            } else {
                tracing::error!(room = stopped.id, reason = %stopped.reason, "room stopped; forgotten");
            }
            let gone = self.directory.remove(stopped.id);
            self.retire(gone);
        }
    }
}

/// Take in another node's room from its snapshot (see `Lobby::adopt`): its number, or
/// `None` if it could not be taken in.
pub(crate) struct Adopt<G: Render> {
    pub(crate) snapshot: RoomSnapshot<G>,
    pub(crate) resume: Resume,
}

impl<G: Render> Message for Adopt<G> {
    type Reply = Option<RoomId>;
}

impl<G: Render> Handler<Adopt<G>> for Lobby<G> {
    fn handle(&mut self, adopt: Adopt<G>, ctx: &mut Context<Self>) -> Option<RoomId> {
        self.adopt(adopt.snapshot, adopt.resume, ctx)
    }
}

/// Room `id` is served to the other nodes (`None`: it could not be).
struct Served {
    id: RoomId,
    serving: Option<referee_remote::Serving>,
}

impl Message for Served {
    type Reply = ();
}

impl<G: Render> Handler<Served> for Lobby<G> {
    fn handle(&mut self, served: Served, _: &mut Context<Self>) {
        // A room forgotten meanwhile: dropping `serving` stops it.
        if let Some(hosted) = self.directory.get_mut(served.id) {
            hosted.serving = served.serving;
        }
    }
}

/// The lobby of a cluster node: from now on every room is served to the other nodes, and
/// offers its snapshots to be saved under its claim.
pub(crate) struct JoinCluster(pub(crate) RoomServing);

impl Message for JoinCluster {
    type Reply = ();
}

impl<G: Render> Handler<JoinCluster> for Lobby<G> {
    fn handle(&mut self, join: JoinCluster, _: &mut Context<Self>) {
        self.snapshots = Some(join.0.snapshots());
        self.cluster = Some(join.0);
    }
}
