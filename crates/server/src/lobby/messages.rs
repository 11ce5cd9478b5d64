//! What the lobby is asked and told, and how each message becomes directory calls.

use std::marker::PhantomData;
use std::sync::Arc;

use referee_actor::{Context, Handler, Message, TellError};
use referee_protocol::notice::{RoomLabel, RoomListing};
use referee_rules::Render;

use super::{Lobby, Seat};
use crate::census::{HeadCount, ServerCensus};
use crate::cluster::liveness::NodeRuns;
use crate::ids::RoomId;
use crate::room::{RoomLink, SeatFreed};
use crate::shard::Home;

/// The lobby is closing: no more seats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server is shutting down")]
pub(crate) struct Closing;

/// Quick match: a seat in the public room of `game` that is filling, or in a new one —
/// never in the room the player is leaving. With shards, the player's shard (`home`) is
/// preferred for a filling room, and a new room is opened there.
pub(crate) struct QuickMatch<G> {
    game: &'static str,
    exclude: Option<RoomId>,
    home: Option<Home>,
    _game: PhantomData<fn() -> G>,
}

impl<G> QuickMatch<G> {
    pub(crate) fn excluding(game: &'static str, exclude: Option<RoomId>) -> Self {
        QuickMatch {
            game,
            exclude,
            home: None,
            _game: PhantomData,
        }
    }

    /// For a player served on shard `home` (`None`: no shards).
    pub(crate) fn from(mut self, home: Option<Home>) -> Self {
        self.home = home;
        self
    }
}

impl<G: Render> Message for QuickMatch<G> {
    type Reply = Result<Seat<G>, Closing>;
}

impl<G: Render> Handler<QuickMatch<G>> for Lobby<G> {
    fn handle(
        &mut self,
        quick: QuickMatch<G>,
        ctx: &mut Context<Self>,
    ) -> Result<Seat<G>, Closing> {
        let shard = quick.home.as_ref().map(|home| home.index);
        let id = match self.directory.filling(quick.game, quick.exclude, shard) {
            Some(id) => id,
            None => self
                .open(quick.game, (false, quick.home), ctx)
                .ok_or(Closing)?,
        };
        self.reserve(id).ok_or(Closing)
    }
}

/// A seat in the public room of `game` that is filling on this node, if there is one —
/// never in `exclude`, never a new room (a node of a cluster looks at the others' rooms
/// before it opens one).
pub(crate) struct Filling<G> {
    game: &'static str,
    exclude: Option<RoomId>,
    _game: PhantomData<fn() -> G>,
}

impl<G> Filling<G> {
    pub(crate) fn excluding(game: &'static str, exclude: Option<RoomId>) -> Self {
        Filling {
            game,
            exclude,
            _game: PhantomData,
        }
    }
}

impl<G: Render> Message for Filling<G> {
    type Reply = Option<Seat<G>>;
}

impl<G: Render> Handler<Filling<G>> for Lobby<G> {
    fn handle(&mut self, filling: Filling<G>, _: &mut Context<Self>) -> Option<Seat<G>> {
        let id = self
            .directory
            .filling(filling.game, filling.exclude, None)?;
        self.reserve(id)
    }
}

/// Open a private room of a game (joined by its code) and reserve a seat in it; with
/// shards, on the opener's shard.
pub(crate) struct OpenPrivate<G>(&'static str, Option<Home>, PhantomData<fn() -> G>);

impl<G> OpenPrivate<G> {
    pub(crate) fn new(game: &'static str, home: Option<Home>) -> Self {
        OpenPrivate(game, home, PhantomData)
    }
}

impl<G: Render> Message for OpenPrivate<G> {
    type Reply = Result<Seat<G>, Closing>;
}

impl<G: Render> Handler<OpenPrivate<G>> for Lobby<G> {
    fn handle(
        &mut self,
        open: OpenPrivate<G>,
        ctx: &mut Context<Self>,
    ) -> Result<Seat<G>, Closing> {
        let id = self.open(open.0, (true, open.1), ctx).ok_or(Closing)?;
        self.reserve(id).ok_or(Closing)
    }
}

/// Find a room by number (public rooms) or by code (private rooms), and reserve a seat.
pub(crate) struct FindRoom<G>(pub(crate) String, PhantomData<fn() -> G>);

impl<G> FindRoom<G> {
    pub(crate) fn new(wanted: &str) -> Self {
        FindRoom(wanted.to_owned(), PhantomData)
    }
}

/// Why a room could not be found or joined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FindError {
    #[error("no room {0} (type /rooms to list the public rooms)")]
    NoSuchRoom(String),
    #[error("{0} is full")]
    Full(RoomLabel),
    /// The room is on another node of the cluster, which did not answer (not counted as a
    /// failed lookup: the room exists).
    #[error("the server hosting room {0} did not answer; try again")]
    Unanswered(u64),
}

impl<G: Render> Message for FindRoom<G> {
    type Reply = Result<Seat<G>, FindError>;
}

impl<G: Render> Handler<FindRoom<G>> for Lobby<G> {
    fn handle(&mut self, find: FindRoom<G>, _: &mut Context<Self>) -> Result<Seat<G>, FindError> {
        let wanted = referee_protocol::text::excerpt(&find.0, 24);
        let id = self
            .directory
            .find(&find.0)
            .ok_or(FindError::NoSuchRoom(wanted))?;
        self.reserve(id).ok_or_else(|| {
            let label = self.directory.label(id);
            FindError::Full(label.unwrap_or(RoomLabel { id, code: None }))
        })
    }
}

/// The public rooms with their seats, lowest number first: the first [`LISTED`] of them and
/// how many there are in all.
pub(crate) struct ListRooms;

/// Rooms listed at most.
pub(crate) const LISTED: usize = 20;

impl Message for ListRooms {
    type Reply = (Vec<RoomListing>, usize);
}

impl<G: Render> Handler<ListRooms> for Lobby<G> {
    fn handle(&mut self, _: ListRooms, _: &mut Context<Self>) -> (Vec<RoomListing>, usize) {
        self.directory.listing(LISTED)
    }
}

/// Each hosted game with its open rooms and seats taken (`/games`), the default game first.
pub(crate) struct CountGames;

impl Message for CountGames {
    type Reply = Vec<(&'static str, usize, usize)>;
}

impl<G: Render> Handler<CountGames> for Lobby<G> {
    fn handle(
        &mut self,
        _: CountGames,
        _: &mut Context<Self>,
    ) -> Vec<(&'static str, usize, usize)> {
        G::games()
            .into_iter()
            .map(|game| {
                let (rooms, players) = self.directory.count(game);
                (game, rooms, players)
            })
            .collect()
    }
}

/// Find a room to watch, by number or code. No seat is reserved: spectators take none.
pub(crate) struct Locate<G>(String, PhantomData<fn() -> G>);

impl<G> Locate<G> {
    pub(crate) fn new(wanted: &str) -> Self {
        Locate(wanted.to_owned(), PhantomData)
    }
}

/// A room found for watching.
pub(crate) struct Located<G: Render> {
    pub(crate) handle: RoomLink<G>,
}

impl<G: Render> Message for Locate<G> {
    type Reply = Result<Located<G>, FindError>;
}

impl<G: Render> Handler<Locate<G>> for Lobby<G> {
    fn handle(
        &mut self,
        locate: Locate<G>,
        _: &mut Context<Self>,
    ) -> Result<Located<G>, FindError> {
        let wanted = referee_protocol::text::excerpt(&locate.0, 24);
        let id = self
            .directory
            .find(&locate.0)
            .ok_or(FindError::NoSuchRoom(wanted))?;
        let hosted = self
            .directory
            .get(id)
            .ok_or(FindError::NoSuchRoom(id.to_string()))?;
        Ok(Located {
            handle: hosted.handle.clone().into(),
        })
    }
}

/// The whole server's rooms, counted for the metrics.
pub(crate) struct TakeCensus;

impl Message for TakeCensus {
    type Reply = ServerCensus;
}

impl<G: Render> Handler<TakeCensus> for Lobby<G> {
    fn handle(&mut self, _: TakeCensus, _: &mut Context<Self>) -> ServerCensus {
        let mut census = ServerCensus {
            rooms: self.directory.len(),
            rooms_actors: self.retired,
            heads: HeadCount {
                won: self.retired_won,
                ..HeadCount::default()
            },
        };
        for hosted in self.directory.rooms() {
            census.heads = census.heads + hosted.census.read();
            census.rooms_actors.add(&hosted.handle.stats());
        }
        census
    }
}

/// A seat was given back ([`SeatFreed`], the room's message): its holder left, or never
/// managed to sit down.
impl<G: Render> Handler<SeatFreed> for Lobby<G> {
    fn handle(&mut self, freed: SeatFreed, _: &mut Context<Self>) {
        let gone = self.directory.free(freed.0);
        self.retire(gone);
    }
}

/// This node lost its lease on a room (a cluster's keeper gave it up, or a commit was
/// fenced): the room is forgotten at once — offered to nobody, its seats gone with it — and
/// told to close ([`crate::room::HostLost`]), which tells its players.
pub(crate) struct LoseRoom(pub(crate) RoomId);

impl Message for LoseRoom {
    type Reply = ();
}

impl<G: Render> Handler<LoseRoom> for Lobby<G> {
    fn handle(&mut self, lose: LoseRoom, _: &mut Context<Self>) {
        let Some(hosted) = self.directory.remove(lose.0) else {
            return;
        };
        // Not lost in a full queue: then told as soon as the mailbox has room. A room
        // already stopped has nobody left to tell.
        if let Err(TellError::Full(lost)) = hosted.handle.tell_soon(crate::room::HostLost) {
            let room = hosted.handle.clone();
            tokio::spawn(async move {
                let _ = room.tell(lost).await;
            });
        }
        self.retire(Some(hosted));
    }
}

/// Which nodes' players are gone, as the database last said (`cluster/liveness.rs`): passed
/// on to every room served to the other nodes (only those seat players of other nodes).
pub(crate) struct NodesSeen(pub(crate) Arc<NodeRuns>);

impl Message for NodesSeen {
    type Reply = ();
}

impl<G: Render> Handler<NodesSeen> for Lobby<G> {
    fn handle(&mut self, seen: NodesSeen, _: &mut Context<Self>) {
        for hosted in self.directory.rooms() {
            if hosted.serving.is_some() {
                // Never waits: a room too busy for it now hears the next read.
                let _ = hosted
                    .handle
                    .try_tell(crate::room::NodesSeen(seen.0.clone()));
            }
        }
    }
}
