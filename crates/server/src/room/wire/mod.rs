//! A room's calls on the wire: how a session on one node plays in a room hosted on another.
//!
//! A session's calls to its room ([`RoomCall`]) are one serde enum, served on one subject per
//! room (`<prefix>.room.<id>`, [`room_subject`]): one subject, one serving task, so the calls of one
//! session reach the room's mailbox in the order it made them (`docs/semantics.md`, "Remote
//! tell and ask"). The host translates each call into the room's own handlers (`host.rs`):
//! there is no second copy of the room's logic.
//!
//! What the room pushes to a remote member goes the other way, to the member's subject
//! (`<prefix>.member.<node>.<connection>.<epoch>`, [`member_subject`]): on the host, the member's
//! outbox is a *remote outbox* (`forward.rs`) whose frames one task publishes there, in
//! order; on the member's node, one task (`member.rs`) puts each frame into the connection's
//! real outbox with its round, stamped with the seat's epoch. The member acknowledges what
//! it has drained (`<member subject>.drained`), so a member whose node stops draining fills
//! its remote outbox and is dropped as too slow, as a local reader would be.
//!
//! Who stops what: the host's forwarding task ends when the room lets go of the remote
//! outbox (the member left or was dropped) and then says so on the member subject
//! ([`MemberPush::End`] or [`MemberPush::Dropped`]); the member's task ends on that word, on
//! a close frame, when the connection's outbox is gone, or a short grace after the session
//! let go of the seat. A room handed over to another node says no last word: its new host
//! tells the member the room is back, on the same subject (`forward.rs`, `back.rs`). A seat's epoch is part of its member subject, so frames of a room left
//! behind never reach the next seat's stream. The full flow is in `docs/CLUSTER.md`.

pub(crate) mod back;
mod forward;
pub(crate) mod host;
mod member;

use referee_actor::Message;
use referee_protocol::notice::{NamedScore, Notice, RoomLabel, Seated};
use referee_remote::RemoteMessage;
use referee_rules::{PlayerId, Render};
use serde::{Deserialize, Serialize};

use super::{JoinError, NameTaken, NotOwner, SeatLost, WatchError};
use crate::encoding::Encoding;
use crate::ids::RoomId;
use crate::seating::Seating;

pub(crate) use forward::Forwarders;
#[cfg(test)]
pub(crate) use member::GRACE;
pub(crate) use member::{MemberFeed, caught_up, follow};

/// The subject room `room` is served on, under the cluster's subject `prefix` (every
/// subject of a cluster starts with it: two clusters on one NATS never meet).
pub(crate) fn room_subject(prefix: &str, room: RoomId) -> String {
    format!("{prefix}.room.{room}")
}

/// The subject the frames of one seat of one connection go to.
pub(crate) fn member_subject(prefix: &str, node: &str, connection: u64, epoch: u32) -> String {
    format!("{prefix}.member.{node}.{connection}.{epoch}")
}

/// Where a remote member's frames go, and how they want them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MemberAddress {
    /// See [`member_subject`].
    pub(crate) subject: String,
    pub(crate) encoding: Encoding,
    /// Whether the player may come back on a new connection (see `Outbox::resumable`).
    pub(crate) resumable: bool,
    /// The member's outbox capacity: the remote outbox gets as much, and as many frames may
    /// be on their way before the member says it drained them.
    pub(crate) capacity: usize,
    /// The seating this is (`seating.rs`: the member's node run, connection and seat
    /// epoch); absent from an older build (its departures are then taken from anyone).
    #[serde(default)]
    pub(crate) seating: Option<Seating>,
}

/// A session's call to its room, across nodes: one variant per room message a session sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) enum RoomCall<G: Render> {
    Join {
        player: PlayerId,
        name: String,
        named: bool,
        feed: bool,
        re: Option<u64>,
        member: MemberAddress,
    },
    Rejoin {
        player: PlayerId,
        re: Option<u64>,
        member: MemberAddress,
    },
    Leave {
        player: PlayerId,
        /// The seating the leave speaks for (`seating.rs`); absent from an older build.
        #[serde(default)]
        from: Option<Seating>,
    },
    Away {
        player: PlayerId,
        /// As `Leave`'s.
        #[serde(default)]
        from: Option<Seating>,
    },
    Act {
        player: PlayerId,
        seen_round: u64,
        action: G::Action,
        re: Option<u64>,
    },
    Chat {
        player: PlayerId,
        text: String,
        re: Option<u64>,
    },
    Rename {
        player: PlayerId,
        name: String,
        re: Option<u64>,
    },
    Spectators {
        player: PlayerId,
        allow: bool,
        re: Option<u64>,
    },
    GetScores {
        player: PlayerId,
    },
    Watch {
        player: PlayerId,
        name: String,
        feed: bool,
        re: Option<u64>,
        member: MemberAddress,
    },
    Unwatch {
        player: PlayerId,
    },
    Who {
        player: PlayerId,
    },
}

/// A room's answer to a [`RoomCall`], the local reply's content.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum RoomReply {
    /// `Join`: the room's round.
    Joined(Result<u64, JoinError>),
    /// `Rejoin`: the room's round.
    Rejoined(Result<u64, SeatLost>),
    /// `Leave`: whether the player was seated.
    Left(bool),
    /// `Away`, `Chat`: taken.
    Told,
    /// `Act`: whether the rules took the move (the player was told why not, in order).
    Acted {
        taken: bool,
    },
    /// `Act` from a player whose seat here waits for its player to come back (the room came
    /// from another node after a failure and this player has not rejoined it): nothing was
    /// done; rejoin first.
    SeatAway,
    /// Any call to a room its host has just handed over to another node (a graceful leave):
    /// nothing was done; the room is on its new host once that node has adopted it — take
    /// the seat back there and ask again.
    Moved,
    Renamed(Result<(), NameTaken>),
    Spectators(Result<(), NotOwner>),
    Scores(Option<(RoomLabel, Vec<NamedScore>)>),
    /// `Watch`: the room's round and label.
    Watching(Result<(u64, RoomLabel), WatchError>),
    Who(Option<WhoIs>),
}

/// `Notice::Who`'s fields (the notice itself is not read back from the wire).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WhoIs {
    room: RoomLabel,
    members: Vec<Seated>,
    capacity: usize,
    spectators: Vec<Seated>,
    watchable: bool,
}

impl WhoIs {
    /// The fields of a `Notice::Who`; `None` for any other notice.
    pub(crate) fn of(notice: Notice) -> Option<Self> {
        match notice {
            Notice::Who {
                room,
                members,
                capacity,
                spectators,
                watchable,
            } => Some(WhoIs {
                room,
                members,
                capacity,
                spectators,
                watchable,
            }),
            _ => None,
        }
    }

    /// The notice again.
    pub(crate) fn notice(self) -> Notice {
        Notice::Who {
            room: self.room,
            members: self.members,
            capacity: self.capacity,
            spectators: self.spectators,
            watchable: self.watchable,
        }
    }
}

impl<G: Render> RoomCall<G> {
    /// Who makes the call.
    fn player(&self) -> PlayerId {
        match self {
            RoomCall::Join { player, .. }
            | RoomCall::Rejoin { player, .. }
            | RoomCall::Leave { player, .. }
            | RoomCall::Away { player, .. }
            | RoomCall::Act { player, .. }
            | RoomCall::Chat { player, .. }
            | RoomCall::Rename { player, .. }
            | RoomCall::Spectators { player, .. }
            | RoomCall::GetScores { player }
            | RoomCall::Watch { player, .. }
            | RoomCall::Unwatch { player }
            | RoomCall::Who { player } => *player,
        }
    }
}

/// The room's reply, and how many frames it had pushed to the caller by then.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Answered {
    pub(crate) reply: RoomReply,
    /// Frames the room had queued for the caller when it answered (`None`: the caller has
    /// no remote outbox there, or left). The caller's node holds the answer back until its
    /// member task has put that many into the connection's queue: answers come after the
    /// pushes made before them, as with a local room.
    pub(crate) pushed: Option<u64>,
}

impl<G: Render> Message for RoomCall<G> {
    type Reply = Answered;
}

impl<G: Render> RemoteMessage for RoomCall<G> {
    const NAME: &'static str = "room.call";
    const VERSION: u32 = 1;

    /// A chat line never waits for room in a busy room's mailbox: it would hold every call
    /// behind it on the room's subject, other players' moves included. Its sender hears
    /// "the room is busy", as a local player's chat does.
    fn droppable(&self) -> bool {
        matches!(self, RoomCall::Chat { .. })
    }
}

/// What the host publishes on a member's subject.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum MemberPush {
    /// One frame, as the room made it.
    Frame {
        text: String,
        round: Option<u64>,
        close: Option<u16>,
    },
    /// The room let go of the member (they left): nothing more comes.
    End,
    /// The room dropped the member as too slow: their connection is ended.
    Dropped,
    /// The room came back on another node after its host died (`back.rs`): the member's
    /// session takes its seat back there now. Added within version 1: an older member task
    /// skips it as unreadable, and its player is seated again at their next move.
    RoomBack { room: RoomId },
}

impl Message for MemberPush {
    type Reply = ();
}

impl RemoteMessage for MemberPush {
    const NAME: &'static str = "room.member_push";
    const VERSION: u32 = 1;
}

/// The member's word to the host: it has drained this many frames in all.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Drained(pub(crate) u64);

impl Message for Drained {
    type Reply = ();
}

impl RemoteMessage for Drained {
    const NAME: &'static str = "room.member_drained";
    const VERSION: u32 = 1;
}

/// The subject a member acknowledges its drained frames on.
fn drained_subject(member: &str) -> String {
    format!("{member}.drained")
}

/// How long [`settled`] waits for its echo.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Returns once the NATS server has read everything `client` sent before (a subscription,
/// an unsubscribe), or after [`SETTLE`]: a message to itself comes back only then.
/// (`Client::flush` only writes the client's buffer out; it does not wait for the server.)
pub(crate) async fn settled(client: &async_nats::Client) {
    use futures_util::StreamExt;
    let inbox = client.new_inbox();
    let echoed = async {
        let mut echo = client.subscribe(inbox.clone()).await.ok()?;
        client.publish(inbox, bytes::Bytes::new()).await.ok()?;
        echo.next().await
    };
    if !matches!(tokio::time::timeout(SETTLE, echoed).await, Ok(Some(_))) {
        tracing::warn!("NATS did not echo in time: a subscription may not be in place yet");
    }
}
