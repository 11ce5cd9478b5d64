//! Seating: finding a room (quick match, by number or code, a new private one), taking the
//! seat, leaving it, and parking it when the connection drops.
//!
//! **Seats have one owner at a time.** The lobby reserves a seat and hands it to the session;
//! a successful `Join` moves it into the room, which frees it when the member goes. The
//! session gives a seat back only when the room certainly did not take it (it refused, or
//! the message never reached it). When the outcome is unknown (the join timed out), the
//! session sends a `Leave` after it instead: if the join happened, the room undoes it and
//! frees the seat itself. A session whose connection drops may instead *park* its seat
//! (`parking/`): the room keeps it, and a later session takes it back with `Rejoin`.
//!
//! Looking a room up by name is limited (`attempts.rs`): a client cannot guess private
//! codes by trying them all. Watching (`watching.rs`) looks rooms up the same way.

use std::time::Duration;

use referee_actor::AskError;
use referee_protocol::notice::{ErrorCode, Notice, RoomLabel};
use referee_rules::Render;

use super::{NOT_IN_A_ROOM, Session};
use crate::cluster::view::merge_listings;
use crate::ids::RoomId;
use crate::lobby::{
    FindError, FindRoom, LISTED, ListRooms, OpenPrivate, QuickMatch, Seat, SeatFreed,
};
use crate::metrics::AskTarget;
use crate::parking::Parked;
use crate::room::{Join, JoinError, Rejoin, SeatLost};
use crate::seating::Seating;
use crate::seen::stamp;
use crate::tell::or_log;

/// How long leaving waits for the room to hand over what is held for the leaver (a win being
/// saved): at most as long as the room holds a win.
const LEAVE_WAIT: Duration = Duration::from_secs(30);

impl<G: Render> Session<G> {
    /// Becomes the player who parked `parked` (same number, name and seat) and takes the
    /// seat back. The greeting comes first, then the room's own welcome.
    pub(crate) async fn resume(&mut self, parked: Parked<G>, token: String) {
        self.player = parked.player;
        self.name = parked.name;
        self.named = parked.named;
        self.epoch = parked.epoch;
        self.greet(Some(token), true);
        if let Some(seat) = parked.seat {
            self.rejoin(seat).await;
        }
    }

    async fn rejoin(&mut self, seat: Seat<G>) {
        self.epoch += 1;
        let rejoin = Rejoin {
            player: self.player,
            outbox: self.outbox.for_seat(self.epoch),
            re: None,
        };
        match self
            .timed(
                AskTarget::Room,
                seat.handle
                    .rejoin(rejoin, self.connection, self.back_tx.as_ref()),
            )
            .await
        {
            Ok(Ok(round)) => {
                self.seen.observe(stamp(self.epoch, round));
                self.game = seat.game;
                self.seat = Some(seat);
            }
            Ok(Err(SeatLost)) | Err(AskError::NotRunning(_)) => self.error(
                ErrorCode::RoomClosed,
                "your seat was not kept; type /play for a new game",
            ),
            Err(err) => {
                tracing::warn!(player = %self.player, %err, "rejoin did not complete");
                self.undo_join(&seat);
                self.error(ErrorCode::Busy, "your room did not answer; type /play");
            }
        }
    }

    pub(super) async fn list_rooms(&mut self) {
        match self
            .timed(AskTarget::Lobby, self.lobby.ask(ListRooms))
            .await
        {
            Ok(here) => {
                let elsewhere = self.listings_elsewhere();
                let (rooms, total) = merge_listings(here, elsewhere, LISTED);
                self.say(&Notice::Rooms { rooms, total });
            }
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Quick match into a public room of `game` (`None`: the current game).
    pub(super) async fn quick_match(&mut self, game: Option<&str>) {
        let Some(game) = self.pick_game(game) else {
            return;
        };
        let here = self.seat.as_ref().map(|seat| seat.room);
        if self.cluster.is_some() {
            // In a cluster: a filling room on this node, else on another, else a new one here.
            if let Some(seat) = self.filling_anywhere(game, here).await {
                return self.move_to(seat).await;
            }
        }
        let home = crate::shard::home();
        let ask = self.lobby.ask(QuickMatch::excluding(game, here).from(home));
        match self.timed(AskTarget::Lobby, ask).await {
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(closing)) => self.error(ErrorCode::Closing, closing),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Opens a private room of `game` (`None`: the current game).
    pub(super) async fn open_private(&mut self, game: Option<&str>) {
        let Some(game) = self.pick_game(game) else {
            return;
        };
        match self
            .timed(
                AskTarget::Lobby,
                self.lobby.ask(OpenPrivate::new(game, crate::shard::home())),
            )
            .await
        {
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(closing)) => self.error(ErrorCode::Closing, closing),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Whether `wanted` names the room `label` (by number, or by code).
    fn names_room(wanted: &str, room: RoomId, label: &RoomLabel) -> bool {
        room.to_string() == wanted.trim()
            || label.code.is_some() && label.code == crate::lobby::canonical_code(wanted)
    }

    pub(super) async fn join(&mut self, wanted: &str) {
        if let Some(seat) = &self.seat {
            if Self::names_room(wanted, seat.room, &seat.label) {
                return self.error(
                    ErrorCode::AlreadyThere,
                    format_args!("you are already in {}", seat.label),
                );
            }
        }
        if !self.may_look_up() {
            return;
        }
        match self
            .timed(AskTarget::Lobby, self.lobby.ask(FindRoom::new(wanted)))
            .await
        {
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(err @ FindError::NoSuchRoom(_))) => match self.find_elsewhere(wanted).await {
                Some(Ok(seat)) => self.move_to(seat).await,
                Some(Err(elsewhere)) => self.lookup_failed(&elsewhere),
                None => self.lookup_failed(&err),
            },
            Ok(Err(err)) => self.lookup_failed(&err),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Whether this player may look a room up now; if not, they are told why.
    pub(super) fn may_look_up(&self) -> bool {
        let Some((attempts, client)) = &self.attempts else {
            return true;
        };
        let Err(exhausted) = attempts.check(client, self.peer) else {
            return true;
        };
        if let Some(metrics) = &self.metrics {
            metrics.guards.lookup_refused(exhausted.label());
        }
        self.error(
            ErrorCode::TooManyAttempts,
            "too many tries at rooms that do not exist; wait a minute",
        );
        false
    }

    /// A lookup failed: told to the player, and counted if it named no room.
    pub(super) fn lookup_failed(&mut self, err: &FindError) {
        if let (FindError::NoSuchRoom(_), Some((attempts, client))) = (err, &mut self.attempts) {
            attempts.failed(client, self.peer);
        }
        self.error(find_code(err), err);
    }

    /// Leaves the current room (if any) for the new seat, already reserved.
    async fn move_to(&mut self, seat: Seat<G>) {
        self.stop_watching();
        self.leave().await;
        self.sit(seat).await;
    }

    /// Takes a reserved seat.
    pub(super) async fn sit(&mut self, seat: Seat<G>) {
        self.epoch += 1;
        let join = Join {
            player: self.player,
            name: self.name.clone(),
            named: self.named,
            outbox: self.outbox.for_seat(self.epoch),
            feed: self.feed_choice.unwrap_or(self.feed),
            re: self.re,
        };
        match self
            .timed(
                AskTarget::Room,
                seat.handle
                    .join(join, self.connection, self.back_tx.as_ref()),
            )
            .await
        {
            Ok(Ok(joined)) => {
                self.seen.observe(stamp(self.epoch, joined.round));
                self.game = seat.game;
                self.seat = Some(seat);
            }
            Ok(Err(refused)) => {
                self.give_back(&seat);
                let message = match refused {
                    JoinError::Full => format!("{} is full", seat.label),
                    JoinError::AlreadySeated => refused.to_string(),
                };
                self.error(refused.code(), message);
            }
            Err(AskError::NotRunning(_)) => {
                self.give_back(&seat);
                self.error(ErrorCode::RoomClosed, "that room has closed; type /play");
            }
            Err(err) => {
                // Maybe seated, maybe not: undo whatever happened; the room frees the seat.
                tracing::warn!(player = %self.player, %err, "join did not complete");
                self.undo_join(&seat);
                self.error(ErrorCode::Busy, "that room did not answer; type /play");
            }
        }
    }

    /// After a join whose outcome is unknown: a `Leave` after it undoes it, if it happened.
    fn undo_join(&self, seat: &Seat<G>) {
        or_log(
            seat.handle.leave_soon(self.player, self.seating()),
            "undo of a join",
        );
    }

    pub(super) async fn leave_room(&mut self) {
        if let Some(room) = self.seat.as_ref().map(|seat| seat.label.clone()) {
            self.leave().await;
            return self.say(&Notice::Left { room });
        }
        match self.stop_watching() {
            Some(room) => self.say(&Notice::Left { room }),
            None => self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
        }
    }

    /// Stands up, if seated, and waits (boundedly) until the room has handed over everything
    /// meant for this player. The room frees the seat.
    pub(super) async fn leave(&mut self) {
        let Some(seat) = self.seat.take() else {
            return;
        };
        // Answered once the departure is done. A leave that could not even get into the
        // room's mailbox in that time still must: the link tells it, waiting for room.
        match seat
            .handle
            .leave(self.player, self.seating(), LEAVE_WAIT)
            .await
        {
            Ok(_) | Err(AskError::Timeout(_)) => {}
            Err(err) => tracing::debug!(player = %self.player, %err, "left a room that had closed"),
        }
    }

    /// The connection is ending for good: leave the seat, stop watching.
    pub(crate) async fn end(&mut self) {
        self.stop_watching();
        // Boxed: kept out of the connection task's future, which it would otherwise
        // enlarge for the connection's whole life.
        Box::pin(self.leave()).await;
    }

    /// The connection dropped and the player may come back: the room keeps the seat (and
    /// marks them away), and this is what a new connection takes back.
    pub(crate) fn park(mut self) -> Parked<G> {
        self.stop_watching();
        if let Some(seat) = &self.seat {
            or_log(seat.handle.away_soon(self.player, self.seating()), "away");
        }
        Parked {
            player: self.player,
            name: self.name,
            named: self.named,
            seat: self.seat.take(),
            epoch: self.epoch,
            connection: self.connection,
        }
    }

    /// The seating this connection holds its seat by (`seating.rs`): its number, and the
    /// seat's epoch — the one the last join or rejoin was made with.
    fn seating(&self) -> Seating {
        Seating::here(self.connection, self.epoch)
    }

    /// Hands back a seat the room did not take.
    fn give_back(&self, seat: &Seat<G>) {
        if let (Some(host), Some(node)) = (&seat.host, &self.cluster) {
            return crate::cluster::seats::give_back(node, host, seat.room);
        }
        or_log(
            self.lobby.tell_soon(SeatFreed(seat.room)),
            "seat given back",
        );
    }
}

fn find_code(err: &FindError) -> ErrorCode {
    match err {
        FindError::NoSuchRoom(_) => ErrorCode::NoSuchRoom,
        FindError::Full(_) => ErrorCode::RoomFull,
        FindError::Unanswered(_) => ErrorCode::Busy,
    }
}
