//! Watching: following a room from the side without a seat, and (for the owner of a private
//! room) letting others watch it or not.
//!
//! A spectator holds no seat: watching first leaves any seat, and stopping tells the room
//! without waiting for it.

use referee_actor::AskError;
use referee_protocol::notice::{ErrorCode, RoomLabel};
use referee_rules::Render;

use super::{NOT_IN_A_ROOM, Session, Watched};
use crate::lobby::Locate;
use crate::metrics::AskTarget;
use crate::room::{NotOwner, Spectators, Watch};
use crate::seen::stamp;
use crate::tell::or_log;

impl<G: Render> Session<G> {
    /// Leaves any seat and watches the room `wanted`.
    pub(super) async fn watch(&mut self, wanted: &str) {
        if !self.may_look_up() {
            return;
        }
        let located = match self
            .timed(AskTarget::Lobby, self.lobby.ask(Locate::new(wanted)))
            .await
        {
            Ok(Ok(located)) => located,
            Ok(Err(err)) => match self.locate_elsewhere(wanted) {
                Some(located) => located,
                None => return self.lookup_failed(&err),
            },
            Err(err) => return self.lobby_failed(err.without_message()),
        };
        self.stop_watching();
        self.leave().await;
        self.epoch += 1;
        let watch = Watch {
            player: self.player,
            name: self.name.clone(),
            outbox: self.outbox.for_seat(self.epoch),
            // Spectators follow the feed unless they asked not to.
            feed: self.feed_choice.unwrap_or(true),
            re: self.re,
        };
        match self
            .timed(
                AskTarget::Room,
                located.handle.watch(watch, self.connection),
            )
            .await
        {
            Ok(Ok((round, label))) => {
                self.seen.observe(stamp(self.epoch, round));
                self.watching = Some(Watched {
                    label,
                    handle: located.handle,
                });
            }
            Ok(Err(err)) => self.error(err.code(), err),
            Err(AskError::NotRunning(_)) => {
                self.error(ErrorCode::RoomClosed, "that room has closed; type /rooms");
            }
            Err(err) => {
                tracing::warn!(player = %self.player, %err, "watch did not complete");
                or_log(located.handle.unwatch_soon(self.player), "unwatch");
                self.error(ErrorCode::Busy, "that room did not answer; try again");
            }
        }
    }

    /// Stops watching, if watching.
    pub(super) fn stop_watching(&mut self) -> Option<RoomLabel> {
        let watched = self.watching.take()?;
        or_log(watched.handle.unwatch_soon(self.player), "unwatch");
        Some(watched.label)
    }

    /// The owner of a private room lets others watch it, or not.
    pub(super) async fn spectators(&mut self, allow: bool) {
        let Some(seat) = &self.seat else {
            return self.not_seated();
        };
        let set = Spectators {
            player: self.player,
            allow,
            re: self.re,
        };
        match self
            .timed(AskTarget::Room, seat.handle.spectators(set))
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(err @ NotOwner)) => self.error(ErrorCode::NotOwner, err),
            Err(err) => self.room_failed(err),
        }
    }

    /// The room says this player is not in it: a spectator its owner sent away.
    pub(super) fn no_longer_in_room(&mut self) {
        self.watching = None;
        self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM);
    }
}
