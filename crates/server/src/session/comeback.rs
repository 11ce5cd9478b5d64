//! A player whose node died comes back through another node of the cluster: their signed
//! token (`parking/signed.rs`) says who they are, the room they name says where they sat.
//!
//! This node never saw the player, so nothing is parked here. What makes the comeback safe is
//! that the room decides: it is asked, over NATS wherever it is hosted now, whether this
//! player is in it (`Who`), and only a player it still holds a seat for is greeted as
//! themselves and takes the seat back (`Rejoin`, as after a failover: `seat_back`). A room
//! adopted after its host died holds every seat for the reconnect window; a room whose node
//! is still being replaced does not answer yet, so the asks are retried, boundedly.

use referee_protocol::notice::{Notice, RoomLabel};
use referee_rules::{PlayerId, Render};
use tokio::time::Instant;

use super::Session;
use super::cluster::{COMEBACK, COMEBACK_RETRY, COMEBACK_RETRY_MAX};
use crate::ids::{RoomId, default_name};
use crate::lobby::Seat;

/// Why a returning player was not given a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NoComeback {
    #[error("this server is not in a cluster")]
    NotClustered,
    #[error("room {0} holds no seat of yours")]
    NoSeat(RoomId),
    #[error("room {0} did not answer")]
    Unanswered(RoomId),
}

impl<G: Render> Session<G> {
    /// Becomes `player` (whom a valid token named) in their seat in `room`, wherever that
    /// room is hosted now: greeted with `token` as a returning player, then the room's own
    /// welcome. Nothing changes unless the room holds a seat for `player`.
    ///
    /// # Errors
    /// [`NoComeback`]: no cluster, no such seat, or the room did not answer in time.
    pub(crate) async fn come_back(
        &mut self,
        player: PlayerId,
        room: RoomId,
        token: String,
    ) -> Result<(), NoComeback> {
        let node = self.cluster.clone().ok_or(NoComeback::NotClustered)?;
        let link = node.link::<G>(room, self.metrics.clone());
        let (label, name) = self.seated_as(&link, player, room).await?;
        self.player = player;
        self.named = name != default_name(player);
        self.name = name;
        self.greet(Some(token), true);
        self.seat = Some(Seat {
            room,
            game: super::games::default_game::<G>(),
            label,
            handle: link,
            host: None,
        });
        if self.seat_back(None).await.is_some() {
            Ok(())
        } else {
            self.seat = None;
            Err(NoComeback::NoSeat(room))
        }
    }

    /// Asks `room` (retrying while it does not answer: its node may be being replaced)
    /// whether `player` sits in it: its label and the player's name there.
    async fn seated_as(
        &self,
        link: &crate::room::RoomLink<G>,
        player: PlayerId,
        room: RoomId,
    ) -> Result<(RoomLabel, String), NoComeback> {
        let deadline = Instant::now() + COMEBACK;
        let mut retry = COMEBACK_RETRY;
        loop {
            match link.who(player).await {
                Ok(Some(Notice::Who {
                    room: label,
                    members,
                    ..
                })) => {
                    let seated = members.into_iter().find(|seated| seated.player == player);
                    return match seated {
                        Some(seated) => Ok((label, seated.name)),
                        // A spectator of the room: no seat to give back.
                        None => Err(NoComeback::NoSeat(room)),
                    };
                }
                Ok(_) => return Err(NoComeback::NoSeat(room)),
                Err(_) if Instant::now() + retry < deadline => {
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(COMEBACK_RETRY_MAX);
                }
                Err(_) => return Err(NoComeback::Unanswered(room)),
            }
        }
    }
}
