//! Being in a room without playing in it right now: spectators (`Watch`, `Unwatch`) and
//! players whose connection dropped (`Away`, `Rejoin`).
//!
//! A spectator gets what the room's live feed carries — everyone's moves, wins, joins, chat
//! — but has no seat: the game does not know them, and the lobby does not count them. The
//! members are told when a spectator comes and goes (`/who` lists them), and the owner of a
//! private room may forbid spectators altogether (`Spectators`). A
//! player who is away keeps seat and score; the room tells the others, sends them nothing
//! meanwhile, and on `Rejoin` takes the new connection's outbox and shows them the room
//! again. Whoever holds the seat while they are away (`parking/`) sends the `Leave` when
//! their time is up.

use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::{ErrorCode, Notice, RoomLabel};
use referee_rules::{PlayerId, Render};

use super::{Room, shown_game};
use crate::outbox::Outbox;
use crate::seating::Seating;

/// Watch the room. The watcher is told who plays and where the game stands.
pub(crate) struct Watch {
    pub(crate) player: PlayerId,
    /// What the members are told the spectator is called.
    pub(crate) name: String,
    pub(crate) outbox: Outbox,
    /// Whether the spectator follows the live feed (others' moves as they happen).
    pub(crate) feed: bool,
    pub(crate) re: Option<u64>,
}

/// Why a watch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub(crate) enum WatchError {
    #[error("{0} has as many spectators as it takes")]
    Full(RoomLabel),
    #[error("you are playing in this room")]
    Seated,
    #[error("{0} does not allow spectators")]
    Forbidden(RoomLabel),
}

impl WatchError {
    /// The error's code in the JSON protocol.
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            WatchError::Full(_) => ErrorCode::RoomFull,
            WatchError::Seated => ErrorCode::AlreadyThere,
            WatchError::Forbidden(_) => ErrorCode::SpectatorsForbidden,
        }
    }
}

impl Message for Watch {
    /// The room's round and label.
    type Reply = Result<(u64, RoomLabel), WatchError>;
}

impl<G: Render> Handler<Watch> for Room<G> {
    fn handle(
        &mut self,
        watch: Watch,
        ctx: &mut Context<Self>,
    ) -> Result<(u64, RoomLabel), WatchError> {
        let player = watch.player;
        if self.members.contains(player) {
            return Err(WatchError::Seated);
        }
        if !self.members.watchable() {
            return Err(WatchError::Forbidden(self.label.clone()));
        }
        let again = self.members.outbox(player).is_some();
        if !self
            .members
            .watch(player, watch.name.clone(), watch.outbox, watch.feed)
        {
            return Err(WatchError::Full(self.label.clone()));
        }
        self.members_changed = true;
        let back = self.members.watcher_back(player);
        if back && let Some(failed_over) = self.failed_over {
            // A spectator of the room before its host died: told as its players are.
            self.tell(player, &failed_over.notice(&self.label), watch.re);
        }
        if !again {
            let arrived = Notice::SpectatorJoined {
                player,
                name: watch.name,
            };
            self.tell_all(Some(player), &arrived);
        }
        let watching = Notice::Watching {
            game: shown_game(&self.game),
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
        self.settle(ctx);
        if back
            || (!again
                && self
                    .members
                    .outbox(player)
                    .is_some_and(|outbox| outbox.node().is_some()))
        {
            // Where a spectator on another node is told that the room is back goes into the
            // snapshot now, not at the next win: the host may die before.
            self.offer_snapshot(self.game.round());
        }
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
    fn handle(&mut self, unwatch: Unwatch, ctx: &mut Context<Self>) -> bool {
        let was = self.members.unwatch(unwatch.0);
        if let Some(name) = &was {
            self.spectator_left(unwatch.0, name.clone());
        }
        self.settle(ctx);
        was.is_some()
    }
}

impl<G: Render> Room<G> {
    /// A spectator went: the members are told.
    pub(super) fn spectator_left(&mut self, player: PlayerId, name: String) {
        self.members_changed = true;
        self.tell_all(Some(player), &Notice::SpectatorLeft { player, name });
    }
}

/// Who plays in the room and who watches it (`/who`), for someone in it (seated or
/// watching): a spectator sent away learns nothing more.
pub(crate) struct Who(pub(crate) PlayerId);

impl Message for Who {
    /// A [`Notice::Who`], or `None` if the asker is not in the room.
    type Reply = Option<Notice>;
}

impl<G: Render> Handler<Who> for Room<G> {
    fn handle(&mut self, who: Who, _: &mut Context<Self>) -> Option<Notice> {
        if !self.members.is_in(who.0) {
            return None;
        }
        Some(Notice::Who {
            room: self.label.clone(),
            members: self.members.seated(),
            capacity: self.capacity,
            spectators: self.members.spectators(),
            watchable: self.members.watchable(),
        })
    }
}

/// The owner of a private room lets spectators watch it, or not. Forbidding sends away
/// everyone watching (they are told they left; the members, that they stopped watching).
pub(crate) struct Spectators {
    pub(crate) player: PlayerId,
    pub(crate) allow: bool,
    pub(crate) re: Option<u64>,
}

/// Only the owner of a private room may say who watches it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[error("only the player who opened a private room may say who watches it")]
pub(crate) struct NotOwner;

impl Message for Spectators {
    type Reply = Result<(), NotOwner>;
}

impl<G: Render> Handler<Spectators> for Room<G> {
    fn handle(&mut self, set: Spectators, ctx: &mut Context<Self>) -> Result<(), NotOwner> {
        if !self.members.owns(set.player) {
            return Err(NotOwner);
        }
        self.members.set_watchable(set.allow);
        self.members_changed = true;
        if !set.allow {
            let left = Notice::Left {
                room: self.label.clone(),
            };
            for sent_away in self.members.spectators() {
                self.tell(sent_away.player, &left, None);
            }
            for sent_away in self.members.unwatch_all() {
                self.spectator_left(sent_away.player, sent_away.name);
            }
        }
        let allowed = Notice::SpectatorsAllowed {
            room: self.label.clone(),
            allowed: set.allow,
        };
        self.tell_all(Some(set.player), &allowed);
        self.tell(set.player, &allowed, set.re);
        self.settle(ctx);
        Ok(())
    }
}

/// A seated player's connection dropped; they may come back. The seating it speaks for
/// (`seating.rs`): a connection that no longer holds the seat marks nobody away.
pub(crate) struct Away(pub(crate) PlayerId, pub(crate) Option<Seating>);

impl Message for Away {
    type Reply = ();
}

impl<G: Render> Handler<Away> for Room<G> {
    fn handle(&mut self, away: Away, ctx: &mut Context<Self>) {
        if self.holds(away.0, away.1.as_ref(), "away") {
            self.set_away(away.0);
        }
        self.settle(ctx);
    }
}

/// A player who was away is back, on a new connection.
pub(crate) struct Rejoin {
    pub(crate) player: PlayerId,
    pub(crate) outbox: Outbox,
    pub(crate) re: Option<u64>,
}

/// The seat is no longer there (the room dropped the player meanwhile).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[error("your seat was not kept")]
pub(crate) struct SeatLost;

impl Message for Rejoin {
    /// The room's round.
    type Reply = Result<u64, SeatLost>;
}

impl<G: Render> Handler<Rejoin> for Room<G> {
    fn handle(&mut self, rejoin: Rejoin, ctx: &mut Context<Self>) -> Result<u64, SeatLost> {
        let player = rejoin.player;
        let member = self.members.get_mut(player).ok_or(SeatLost)?;
        member.outbox = rejoin.outbox;
        member.away = false;
        member.held_until = None;
        let back = Notice::MemberBack {
            player,
            name: member.name.clone(),
        };
        self.members_changed = true;
        self.tell_all(Some(player), &back);
        self.restored_rejoined(player);
        self.welcome(player, rejoin.re);
        self.settle(ctx);
        Ok(self.game.round())
    }
}
