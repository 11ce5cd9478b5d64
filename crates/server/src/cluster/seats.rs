//! Seats in other nodes' rooms: asked of the room's own lobby, over NATS.
//!
//! A session that finds no room for its player on this node looks in the view of the
//! cluster (`known.rs`) and asks the node that hosts a fitting room for a seat
//! ([`reserve`]). That node's lobby decides, as it does for its own players; a seat the
//! player then could not take is handed back ([`give_back`]).

use std::time::Duration;

use referee_remote::{AskError, RemoteHandle};

use super::ClusterNode;
use super::view::Elsewhere;
use crate::ids::RoomId;
use crate::lobby::{LobbyCall, LobbyReply};

/// How long a node waits for another node's lobby to answer.
const ASK_LOBBY: Duration = Duration::from_secs(2);

/// The subject a node's lobby is served on, under the cluster's subject prefix.
pub(crate) fn lobby_subject(prefix: &str, node: &str) -> String {
    format!("{prefix}.lobby.{node}")
}

/// A seat reserved for this node's player in another node's room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteSeat {
    /// The node hosting the room.
    pub(crate) node: String,
    pub(crate) room: RoomId,
    pub(crate) game: String,
    pub(crate) code: Option<String>,
}

/// Why no seat was reserved there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotReserved {
    #[error("no such room there")]
    NoSuchRoom,
    #[error("the room is full")]
    Full,
    #[error("its node did not answer: {0}")]
    Unreachable(String),
}

/// Asks the lobby of the node hosting `at` for a seat in it.
pub(crate) async fn reserve(node: &ClusterNode, at: &Elsewhere) -> Result<RemoteSeat, NotReserved> {
    let lobby =
        RemoteHandle::<LobbyCall>::new(node.client.clone(), lobby_subject(&node.prefix, &at.node));
    match lobby
        .ask_with(LobbyCall::Reserve { room: at.room }, ASK_LOBBY)
        .await
    {
        Ok(LobbyReply::Seat { room, game, code }) => Ok(RemoteSeat {
            node: at.node.clone(),
            room,
            game,
            code,
        }),
        Ok(LobbyReply::Full) => Err(NotReserved::Full),
        Ok(LobbyReply::NoSuchRoom | LobbyReply::Freed) => Err(NotReserved::NoSuchRoom),
        // No responders: the node is gone (its rooms come back elsewhere once their leases
        // run out): the room is not there.
        Err(AskError::NotRunning(_)) => Err(NotReserved::NoSuchRoom),
        Err(err) => Err(NotReserved::Unreachable(err.to_string())),
    }
}

/// Hands back a seat reserved in room `room` of node `host` that the player did not take (sent in the
/// background: the room's node frees it when the message arrives; if it never does, the
/// seat is freed when that room closes).
pub(crate) fn give_back(node: &ClusterNode, host: &str, room: RoomId) {
    let lobby =
        RemoteHandle::<LobbyCall>::new(node.client.clone(), lobby_subject(&node.prefix, host));
    tokio::spawn(async move {
        if let Err(err) = lobby.tell(LobbyCall::Free { room }).await {
            tracing::debug!(room, %err, "a seat given back did not reach its node");
        }
    });
}
