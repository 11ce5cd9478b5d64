//! Watching: following a room from the side without a seat, and (for the owner of a private
//! room) letting others watch it or not.
//!
//! A spectator holds no seat: watching first leaves any seat, and stopping tells the room
//! without waiting for it.
//!
//! A room watched on another node may move (its host handed it over, or died and another
//! node adopted it). Its new host tells the spectator's member task that it is back, as it
//! tells its players (`room/wire/back.rs`), and the session watches it again there
//! ([`Session::watch_back`]): the spectator reads the room's `watching` line again (after a
//! failure, `round_voided` first, as players do), without typing anything.

use referee_actor::AskError;
use referee_protocol::notice::{ErrorCode, RoomLabel};
use referee_rules::Render;
use tokio::time::Instant;

use super::cluster::{COMEBACK, COMEBACK_RETRY, COMEBACK_RETRY_MAX};
use super::{NOT_IN_A_ROOM, Session, Watched};
use crate::ids::RoomId;
use crate::lobby::Locate;
use crate::metrics::AskTarget;
use crate::room::wire::back::RoomBack;
use crate::room::{NotOwner, RoomLink, Spectators, Watch};
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
        let watch = self.watch_message(self.re);
        let back = self.back_tx.clone();
        match self
            .timed(
                AskTarget::Room,
                located.handle.watch(watch, self.connection, back.as_ref()),
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

    /// The `Watch` of this player for the current epoch's outbox.
    fn watch_message(&self, re: Option<u64>) -> Watch {
        Watch {
            player: self.player,
            name: self.name.clone(),
            outbox: self.outbox.for_seat(self.epoch),
            // Spectators follow the feed unless they asked not to.
            feed: self.feed_choice.unwrap_or(true),
            re,
        }
    }

    /// Whether `back` is about the room watched now, on another node, by this epoch's watch.
    pub(super) fn watching_back(&self, back: RoomBack) -> bool {
        self.seat.is_none()
            && back.epoch == self.epoch
            && self.watching.as_ref().is_some_and(|watched| {
                watched.label.id == back.room && matches!(watched.handle, RoomLink::Remote(_))
            })
    }

    /// The room watched came back on another node (`wire/back.rs`): watches it there,
    /// asking again (boundedly, backing off) until its new host answers. The old watch is
    /// let go without a word (its host is gone or leaving; an `Unwatch` sent now could
    /// reach the new host after the new watch and end it).
    pub(super) async fn watch_back(&mut self, room: RoomId) {
        let Some(node) = self.cluster.clone() else {
            return;
        };
        let deadline = Instant::now() + COMEBACK;
        let mut retry = COMEBACK_RETRY;
        loop {
            self.epoch += 1;
            let link = node.link(room, self.metrics.clone());
            let watch = self.watch_message(None);
            let back = self.back_tx.clone();
            match link.watch(watch, self.connection, back.as_ref()).await {
                Ok(Ok((round, label))) => {
                    self.seen.observe(stamp(self.epoch, round));
                    self.watching = Some(Watched {
                        label,
                        handle: link,
                    });
                    tracing::info!(player = %self.player, room, "watching the room on its new host");
                    return;
                }
                Ok(Err(err)) => {
                    self.watching = None;
                    return self.error(err.code(), err);
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(COMEBACK_RETRY_MAX);
                }
                Err(_) => {
                    self.watching = None;
                    or_log(link.unwatch_soon(self.player), "unwatch");
                    let message = format!(
                        "room {room} moved to another server and does not answer there yet; \
                         type /watch {room} to watch it again"
                    );
                    return self.error(ErrorCode::RoomClosed, message);
                }
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
