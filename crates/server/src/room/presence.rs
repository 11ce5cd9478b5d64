//! Being in a room without playing in it right now: spectators (`Watch`, `Unwatch`) and
//! players whose connection dropped (`Away`, `Rejoin`).
//!
//! A spectator gets what the room's live feed carries — everyone's moves, wins, joins, chat
//! — but has no seat: the game does not know them, and the lobby does not count them. A
//! player who is away keeps seat and score; the room tells the others, sends them nothing
//! meanwhile, and on `Rejoin` takes the new connection's outbox and shows them the room
//! again. Whoever holds the seat while they are away (`parking.rs`) sends the `Leave` when
//! their time is up.

use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{PlayerId, Render};

use super::Room;
use crate::outbox::Outbox;

/// Watch the room. The watcher is told who plays and where the game stands.
pub(crate) struct Watch {
    pub(crate) player: PlayerId,
    pub(crate) outbox: Outbox,
    pub(crate) re: Option<u64>,
}

/// Why a watch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WatchError {
    #[error("{0} has as many spectators as it takes")]
    Full(RoomLabel),
    #[error("you are playing in this room")]
    Seated,
}

impl Message for Watch {
    /// The room's round and label.
    type Reply = Result<(u64, RoomLabel), WatchError>;
}

impl<G: Render> Handler<Watch> for Room<G> {
    fn handle(
        &mut self,
        watch: Watch,
        _: &mut Context<Self>,
    ) -> Result<(u64, RoomLabel), WatchError> {
        if self.members.contains(watch.player) {
            return Err(WatchError::Seated);
        }
        if !self.members.watch(watch.player, watch.outbox) {
            return Err(WatchError::Full(self.label.clone()));
        }
        self.members_changed = true;
        let watching = Notice::Watching {
            room: self.label.clone(),
            members: self.members.seated(),
            capacity: self.capacity,
        };
        self.tell(watch.player, &watching, watch.re);
        let scores = Notice::Scores {
            room: self.label.clone(),
            scores: self.named_scores(),
        };
        self.tell(watch.player, &scores, watch.re);
        self.show_state(watch.player, watch.re);
        self.settle();
        Ok((self.game.round(), self.label.clone()))
    }
}

/// Stop watching.
pub(crate) struct Unwatch(pub(crate) PlayerId);

impl Message for Unwatch {
    /// Whether they were watching.
    type Reply = bool;
}

impl<G: Render> Handler<Unwatch> for Room<G> {
    fn handle(&mut self, unwatch: Unwatch, _: &mut Context<Self>) -> bool {
        let was = self.members.unwatch(unwatch.0);
        self.members_changed |= was;
        self.settle();
        was
    }
}

/// A seated player's connection dropped; they may come back.
pub(crate) struct Away(pub(crate) PlayerId);

impl Message for Away {
    type Reply = ();
}

impl<G: Render> Handler<Away> for Room<G> {
    fn handle(&mut self, away: Away, _: &mut Context<Self>) {
        self.set_away(away.0);
        self.settle();
    }
}

/// A player who was away is back, on a new connection.
pub(crate) struct Rejoin {
    pub(crate) player: PlayerId,
    pub(crate) outbox: Outbox,
    pub(crate) re: Option<u64>,
}

/// The seat is no longer there (the room dropped the player meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("your seat was not kept")]
pub(crate) struct SeatLost;

impl Message for Rejoin {
    /// The room's round.
    type Reply = Result<u64, SeatLost>;
}

impl<G: Render> Handler<Rejoin> for Room<G> {
    fn handle(&mut self, rejoin: Rejoin, _: &mut Context<Self>) -> Result<u64, SeatLost> {
        let player = rejoin.player;
        let member = self.members.get_mut(player).ok_or(SeatLost)?;
        member.outbox = rejoin.outbox;
        member.away = false;
        let back = Notice::MemberBack {
            player,
            name: member.name.clone(),
        };
        self.members_changed = true;
        self.tell_all(Some(player), &back);
        self.welcome(player, rejoin.re);
        self.settle();
        Ok(self.game.round())
    }
}
