//! The session's side of the cluster-wide lobby: rooms on other nodes, found in this node's
//! view of the cluster and reserved by asking their own node's lobby (`cluster/seats.rs`).
//!
//! This node's lobby is always asked first: a player prefers their own node when there is a
//! choice (no NATS hop per move). Only when it has nothing fitting does the session look at
//! the other nodes; a seat found there is played through a remote [`RoomLink`].

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use referee_protocol::notice::{ErrorCode, RoomLabel, RoomListing};
use referee_rules::Render;

use super::Session;
use crate::cluster::ClusterNode;
use crate::cluster::seats::{self, NotReserved, RemoteSeat};
use crate::ids::RoomId;
use crate::lobby::{Filling, FindError, Located, Seat, canonical_code};
use crate::metrics::AskTarget;
use crate::room::wire::back::RoomBack;
use crate::room::{Rejoin, RoomLink, SeatLost};
use crate::seen::stamp;

/// Rooms of other nodes asked in turn by one quick match, at most (each may have filled up
/// since its node announced it).
const TRIES: usize = 3;

/// How long a player whose room's node died waits for another node to bring the room back
/// (a lease runs out, a node adopts the room: within 5 s with the default lease).
pub(super) const COMEBACK: Duration = Duration::from_secs(8);

/// How soon the player's node first asks again whether the room is back, and how long it
/// waits between asks at most (the wait doubles each time).
pub(super) const COMEBACK_RETRY: Duration = Duration::from_millis(200);
pub(super) const COMEBACK_RETRY_MAX: Duration = Duration::from_secs(1);

/// How long a player whose move found their room gone may wait in silence: past it, they are
/// told the room's server stopped answering (a graceful handover is back well before).
pub(super) const SILENCE: Duration = Duration::from_secs(1);

impl<G: Render> Session<G> {
    /// A seat in a filling public room of `game` (never `here`): on this node if it has one,
    /// else on another; `None`: open a new room here.
    pub(super) async fn filling_anywhere(
        &mut self,
        game: &'static str,
        here: Option<RoomId>,
    ) -> Option<Seat<G>> {
        let node = self.cluster.clone()?;
        let ask = self.lobby.ask(Filling::excluding(game, here));
        if let Ok(Some(seat)) = self.timed(AskTarget::Lobby, ask).await {
            return Some(seat);
        }
        for at in node.view.filling(game, here).into_iter().take(TRIES) {
            match seats::reserve(&node, &at).await {
                Ok(reserved) => return self.remote_seat(&node, reserved),
                Err(err) => tracing::debug!(room = at.room, node = %at.node, %err, "no seat there"),
            }
        }
        None
    }

    /// The room `wanted` (a public room's number, a private room's code) on another node,
    /// with a seat reserved in it; `None`: no node has it.
    pub(super) async fn find_elsewhere(
        &mut self,
        wanted: &str,
    ) -> Option<Result<Seat<G>, FindError>> {
        let node = self.cluster.clone()?;
        let number = wanted.trim().parse::<RoomId>().ok();
        let code = canonical_code(wanted);
        let at = node.view.find(number, code.as_deref())?;
        let not_found = || FindError::NoSuchRoom(referee_protocol::text::excerpt(wanted, 24));
        Some(match seats::reserve(&node, &at).await {
            Ok(reserved) => self.remote_seat(&node, reserved).ok_or_else(not_found),
            Err(NotReserved::Full) => Err(FindError::Full(RoomLabel { id: at.room, code })),
            Err(NotReserved::NoSuchRoom) => Err(not_found()),
            Err(NotReserved::Unreachable(_)) => Err(FindError::Unanswered(at.room)),
        })
    }

    /// The room `wanted` on another node, to watch (spectators take no seat: nothing is
    /// reserved); `None`: no node has it.
    pub(super) fn locate_elsewhere(&self, wanted: &str) -> Option<Located<G>> {
        let node = self.cluster.as_ref()?;
        let number = wanted.trim().parse::<RoomId>().ok();
        let at = node.view.find(number, canonical_code(wanted).as_deref())?;
        Some(Located {
            handle: node.link(at.room, self.metrics.clone()),
        })
    }

    /// The room of this player's seat, on another node, stopped answering (that node died,
    /// or handed the room over, or the room moved and holds the seat for this player): waits,
    /// boundedly, for the node that has the room now, and takes the seat back there.
    /// `Some(round)`: seated again, the room in that round (it says what became of the round
    /// in play); `None`: not seated — and no seat any more when the room answered that it
    /// holds none for this player (one who sat down after its last snapshot, restored on
    /// another node without them): a seat kept then would send every move to a room where
    /// the player is nobody, and `/join` would say "already in". A room that merely answered
    /// late takes the seat back at once, as after a reconnect. `move_sent`: when the move that
    /// found the room gone was sent; once [`SILENCE`] has passed since and the room is still
    /// not back, the player is told what is happening rather than left in silence.
    pub(super) async fn seat_back(&mut self, move_sent: Option<Instant>) -> Option<u64> {
        let node = self.cluster.clone()?;
        let (room, code) = self
            .seat
            .as_ref()
            .filter(|seat| matches!(seat.handle, RoomLink::Remote(_)))
            .map(|seat| (seat.room, seat.label.code.clone()))?;
        let deadline = Instant::now() + COMEBACK;
        let mut retry = COMEBACK_RETRY;
        let mut told = move_sent.is_none();
        loop {
            self.epoch += 1;
            let link = node.link(room, self.metrics.clone());
            let rejoin = Rejoin {
                player: self.player,
                outbox: self.outbox.for_seat(self.epoch),
                re: None,
            };
            match link
                .rejoin(rejoin, self.connection, self.back_tx.as_ref())
                .await
            {
                Ok(Ok(round)) => {
                    self.seen.observe(stamp(self.epoch, round));
                    let host = node
                        .view
                        .find(Some(room), code.as_deref())
                        .map(|at| at.node);
                    if let Some(seat) = &mut self.seat {
                        seat.handle = link;
                        seat.host = host;
                    }
                    tracing::info!(player = %self.player, room, "seat taken back on the room's new host");
                    return Some(round);
                }
                Ok(Err(SeatLost)) => {
                    tracing::info!(player = %self.player, room, "the room's new host holds no seat for this player");
                    self.seat = None;
                    return None;
                }
                Err(_) if Instant::now() < deadline => {
                    if !told && move_sent.is_some_and(|sent| sent.elapsed() >= SILENCE) {
                        told = true;
                        let message = format!(
                            "room {room}'s server stopped answering; your move may not have \
                             counted; waiting for the room to come back on another server"
                        );
                        self.error(ErrorCode::AnswerLost, message);
                    }
                    // Backing off: the players of a dead node all ask at once.
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(COMEBACK_RETRY_MAX);
                }
                Err(_) => return None,
            }
        }
    }

    /// The next word that a room of this connection's came back on another node (`room/wire/
    /// back.rs`); pending while there is none. For the connection's loop to wait on beside
    /// the player's input.
    pub(crate) async fn room_back(&mut self) -> RoomBack {
        match &mut self.back_rx {
            Some(back) => back.next().await,
            // Not in a cluster: no room of this connection's is ever elsewhere.
            None => std::future::pending().await,
        }
    }

    /// The room of the seat held now came back on another node after its host died (or was
    /// handed over): the seat is taken back at once (the player hears `round_voided` and the room's welcome, as
    /// after a move), rather than at the player's next move. A word for a seat given up or
    /// taken back since (another room, or a later epoch) changes nothing.
    pub(crate) async fn on_room_back(&mut self, back: RoomBack) {
        if self.watching_back(back) {
            return Box::pin(self.watch_back(back.room)).await;
        }
        let current = self.seat.as_ref().is_some_and(|seat| {
            seat.room == back.room && matches!(seat.handle, RoomLink::Remote(_))
        });
        if !current || back.epoch != self.epoch {
            tracing::debug!(player = %self.player, room = back.room, "a room-back word for a seat not held now");
            return;
        }
        let room = back.room;
        if Box::pin(self.seat_back(None)).await.is_none() && self.seat.is_none() {
            self.error(
                ErrorCode::RoomClosed,
                format!("room {room} came back on another node without your seat; type /join {room} or /play"),
            );
        }
    }

    /// The other nodes' public rooms (empty outside a cluster), and how many they host.
    pub(super) fn listings_elsewhere(&self) -> (Vec<RoomListing>, usize) {
        match &self.cluster {
            Some(node) => node.view.listings(G::games().len() > 1),
            None => (Vec::new(), 0),
        }
    }

    /// A link to the room of a seat reserved on another node; `None` (the seat handed back)
    /// if that node plays a game this one does not host.
    fn remote_seat(&self, node: &Arc<ClusterNode>, reserved: RemoteSeat) -> Option<Seat<G>> {
        let Some(game) = G::games().into_iter().find(|&game| game == reserved.game) else {
            seats::give_back(node, &reserved.node, reserved.room);
            return None;
        };
        Some(Seat {
            room: reserved.room,
            game,
            label: RoomLabel {
                id: reserved.room,
                code: reserved.code,
            },
            handle: node.link(reserved.room, self.metrics.clone()),
            host: Some(reserved.node),
        })
    }
}
