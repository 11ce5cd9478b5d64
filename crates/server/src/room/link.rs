//! [`RoomLink`]: a session's way to its room, wherever the room runs.
//!
//! `Local` is the room's own handle: each method is the plain mailbox ask or tell it always
//! was (nothing encoded, no NATS; the price is one `match`). `Remote` is a room hosted on
//! another node of the cluster: each method is a [`RoomCall`] asked on the room's subject
//! (`wire/`), and a call that seats the player (join, rejoin, watch) first starts the
//! member task that brings the room's frames into this connection's outbox.
//!
//! Both answer with the local types and with `referee_actor`'s [`AskError`] without the
//! message, so the session has one `match`: a remote room nobody serves ("no responders")
//! is [`AskError::NotRunning`] ("that room has closed"), a lost reply is a timeout, and the
//! network's own failures (a server stopped mid-call, a broken connection) are timeouts too
//! — the outcome is unknown, as after a local timeout. A node of another build refusing the
//! call is [`AskError::Dropped`]: the room cannot be played from here.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use referee_actor::{AskError, TellError};
use referee_protocol::notice::{NamedScore, Notice, RoomLabel};
use referee_remote::RemoteHandle;
use referee_rules::{PlayerId, Render};
use tokio::time::Instant;

use super::wire::back::BackTx;
use super::wire::{self, MemberAddress, MemberFeed, RoomCall, RoomReply};
use super::{
    Act, Away, Chat, Crash, GetScores, Join, JoinError, Joined, Leave, NameTaken, NotOwner, Rejoin,
    Rename, RoomHandle, SeatLost, Spectators, Unwatch, Watch, WatchError, Who,
};
use crate::ids::RoomId;
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::seating::Seating;

/// A session's room: in this process, or on another node.
pub(crate) enum RoomLink<G: Render> {
    Local(RoomHandle<G>),
    Remote(Arc<RemoteRoom<G>>),
}

/// A room on another node.
pub(crate) struct RemoteRoom<G: Render> {
    /// This node's NATS connection and name (member subjects carry it).
    client: async_nats::Client,
    /// The cluster's subject prefix (see `wire::room_subject`).
    prefix: Arc<str>,
    node: Arc<str>,
    handle: RemoteHandle<RoomCall<G>>,
    metrics: Option<Arc<Metrics>>,
    /// The member task of the seat taken through this link (shared by its clones): replaced
    /// by the next join, ended (after a grace) when the last clone goes.
    feed: Mutex<Option<MemberFeed>>,
}

impl<G: Render> Clone for RoomLink<G> {
    fn clone(&self) -> Self {
        match self {
            RoomLink::Local(handle) => RoomLink::Local(handle.clone()),
            RoomLink::Remote(remote) => RoomLink::Remote(remote.clone()),
        }
    }
}

impl<G: Render> From<RoomHandle<G>> for RoomLink<G> {
    fn from(handle: RoomHandle<G>) -> Self {
        RoomLink::Local(handle)
    }
}

/// How long a move waits for a room on another node to take it. The room answers at once
/// (what it announces waits for its commit, not the move), so this only bounds how long a
/// player waits to learn that the room's node died: the session then looks for the room on
/// the node that adopts it.
pub(crate) const MOVE_WAIT: Duration = Duration::from_secs(2);

/// How long a rejoin across nodes waits for its answer. Short: taking a seat back is asked
/// again until the room is found (`session/cluster.rs`), and a rejoin that reached a host in
/// the instant it gave the room's subject up is lost in NATS — waiting the default ask
/// timeout for it held a player's move ~5 s after a handover (seen 2 runs in 8).
const REJOIN_WAIT: Duration = Duration::from_secs(1);

/// What an ask answers: the reply, or the local error without the message.
type Asked<T> = Result<T, AskError<()>>;

impl<G: Render> RoomLink<G> {
    /// The link to room `room` hosted on another node of the cluster whose subjects start
    /// with `prefix`, reached through this node's NATS `client` (this node being `node`);
    /// its asks are counted in `metrics`. Does no I/O: a room nobody hosts shows on the
    /// first call, as [`AskError::NotRunning`].
    pub(crate) fn remote(
        client: &async_nats::Client,
        prefix: &str,
        node: &str,
        room: RoomId,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        RoomLink::Remote(Arc::new(RemoteRoom {
            client: client.clone(),
            prefix: Arc::from(prefix),
            node: Arc::from(node),
            handle: RemoteHandle::new(client.clone(), wire::room_subject(prefix, room)),
            metrics,
            feed: Mutex::default(),
        }))
    }

    /// `Join`; `connection` is this connection's number (it names the member subject), `back`
    /// where the word that the room came back after a failover goes (`wire/back.rs`).
    pub(crate) async fn join(
        &self,
        join: Join,
        connection: u64,
        back: Option<&BackTx>,
    ) -> Asked<Result<Joined, JoinError>> {
        let remote = match self {
            RoomLink::Local(handle) => {
                return handle.ask(join).await.map_err(AskError::without_message);
            }
            RoomLink::Remote(remote) => remote,
        };
        let member = remote.follow(&join.outbox, connection, back).await?;
        let call = RoomCall::Join {
            player: join.player,
            name: join.name,
            named: join.named,
            feed: join.feed,
            re: join.re,
            member,
        };
        match remote.ask(call, None).await? {
            RoomReply::Joined(joined) => Ok(joined.map(|round| Joined { round })),
            other => Err(unexpected(&other)),
        }
    }

    /// `Rejoin`, from a new connection (`back`: as `join`'s).
    pub(crate) async fn rejoin(
        &self,
        rejoin: Rejoin,
        connection: u64,
        back: Option<&BackTx>,
    ) -> Asked<Result<u64, SeatLost>> {
        let remote = match self {
            RoomLink::Local(handle) => {
                return handle.ask(rejoin).await.map_err(AskError::without_message);
            }
            RoomLink::Remote(remote) => remote,
        };
        let member = remote.follow(&rejoin.outbox, connection, back).await?;
        let call = RoomCall::Rejoin {
            player: rejoin.player,
            re: rejoin.re,
            member,
        };
        match remote.ask(call, Some(REJOIN_WAIT)).await? {
            RoomReply::Rejoined(rejoined) => Ok(rejoined),
            // Handed over (the old host still answering for a moment): not there yet.
            RoomReply::Moved => Err(AskError::NotRunning(())),
            other => Err(unexpected(&other)),
        }
    }

    /// `Watch` (`back`: as `join`'s — a spectator is told too, `wire/back.rs`).
    pub(crate) async fn watch(
        &self,
        watch: Watch,
        connection: u64,
        back: Option<&BackTx>,
    ) -> Asked<Result<(u64, RoomLabel), WatchError>> {
        let remote = match self {
            RoomLink::Local(handle) => {
                return handle.ask(watch).await.map_err(AskError::without_message);
            }
            RoomLink::Remote(remote) => remote,
        };
        let member = remote.follow(&watch.outbox, connection, back).await?;
        let call = RoomCall::Watch {
            player: watch.player,
            name: watch.name,
            feed: watch.feed,
            re: watch.re,
            member,
        };
        match remote.ask(call, None).await? {
            RoomReply::Watching(watching) => Ok(watching),
            // Handed over (the old host still answering for a moment): not there yet.
            RoomReply::Moved => Err(AskError::NotRunning(())),
            other => Err(unexpected(&other)),
        }
    }

    /// `Leave` from seating `from` (this node's connection and seat epoch: see
    /// [`RoomLink::seating`]), waiting up to `wait` for the room to hand over what is meant
    /// for the leaver. A local room whose mailbox stayed full still gets it (told, waiting
    /// for room).
    pub(crate) async fn leave(
        &self,
        player: PlayerId,
        from: Seating,
        wait: Duration,
    ) -> Asked<bool> {
        let from = Some(self.seating(from));
        match self {
            RoomLink::Local(handle) => match handle.ask_with(Leave { player, from }, wait).await {
                Err(AskError::Full(leave)) => match handle.tell(leave).await {
                    Ok(()) => Ok(true),
                    Err(_) => Err(AskError::NotRunning(())),
                },
                answered => answered.map_err(AskError::without_message),
            },
            RoomLink::Remote(remote) => {
                match remote
                    .ask(RoomCall::Leave { player, from }, Some(wait))
                    .await?
                {
                    RoomReply::Left(seated) => Ok(seated),
                    other => Err(unexpected(&other)),
                }
            }
        }
    }

    /// `Leave` from seating `from` without waiting (undoing a join whose outcome is unknown,
    /// giving up a parked seat). Remotely a publish, made by a task of its own.
    pub(crate) fn leave_soon(&self, player: PlayerId, from: Seating) -> Result<(), TellError<()>> {
        let from = Some(self.seating(from));
        match self {
            RoomLink::Local(handle) => handle
                .tell_soon(Leave { player, from })
                .map_err(without_message),
            RoomLink::Remote(remote) => remote.tell_soon(RoomCall::Leave { player, from }),
        }
    }

    /// `Away` from seating `from` without waiting: the connection dropped, the player may
    /// come back.
    pub(crate) fn away_soon(&self, player: PlayerId, from: Seating) -> Result<(), TellError<()>> {
        let from = Some(self.seating(from));
        match self {
            RoomLink::Local(handle) => handle
                .tell_soon(Away(player, from))
                .map_err(without_message),
            RoomLink::Remote(remote) => remote.tell_soon(RoomCall::Away { player, from }),
        }
    }

    /// The seating a connection of this node holds its seat by, through this link: as given
    /// (`Seating::here`) on a local room's own handle; through NATS, the member's (this
    /// node's run), as the room knows it from the join.
    fn seating(&self, here: Seating) -> Seating {
        match self {
            RoomLink::Local(_) => here,
            RoomLink::Remote(remote) => here.on_node(&remote.node),
        }
    }

    /// `Unwatch` without waiting.
    pub(crate) fn unwatch_soon(&self, player: PlayerId) -> Result<(), TellError<()>> {
        match self {
            RoomLink::Local(handle) => handle.tell_soon(Unwatch(player)).map_err(without_message),
            RoomLink::Remote(remote) => remote.tell_soon(RoomCall::Unwatch { player }),
        }
    }

    /// `Act`: whether the move was taken is told to the player by the room, in order. The
    /// answer says what became of it ([`Acted`]).
    pub(crate) async fn act(&self, act: Act<G>) -> Asked<Acted> {
        match self {
            RoomLink::Local(handle) => handle
                .ask(act)
                .await
                .map(|_| Acted::Told)
                .map_err(AskError::without_message),
            // Boxed: a request over NATS is a large future, and this one would otherwise sit
            // inline in every connection's task, local room or not (docs/PERFORMANCE.md,
            // "Memory per idle connection").
            RoomLink::Remote(remote) => Box::pin(act_remotely(remote, act)).await,
        }
    }

    /// `Chat`, never waiting for room: a full local mailbox refuses it (`Full`). Remotely an
    /// ask the host answers `Full` at once when the room's mailbox is (`RoomCall` is
    /// droppable), without holding the calls behind it; a room gone or moved, or a late
    /// answer, is not noticed here (the line may be lost, as a publish's was: the player's
    /// next move finds the room).
    pub(crate) async fn chat(&self, chat: Chat) -> Result<(), TellError<()>> {
        let remote = match self {
            RoomLink::Local(handle) => return handle.try_tell(chat).map_err(without_message),
            RoomLink::Remote(remote) => remote,
        };
        let call = RoomCall::Chat {
            player: chat.player,
            text: chat.text,
            re: chat.re,
        };
        match Box::pin(remote.ask(call, None)).await {
            Err(AskError::Full(())) => Err(TellError::Full(())),
            // A late answer says nothing sure (the line may have been taken): not "busy".
            Ok(_) | Err(_) => Ok(()),
        }
    }

    /// `Crash` (fault injection, tests only): a local room only.
    pub(crate) fn crash(&self) {
        match self {
            RoomLink::Local(handle) => {
                let _ = handle.try_tell(Crash);
            }
            RoomLink::Remote(_) => tracing::debug!("faults are not injected into remote rooms"),
        }
    }

    /// `Rename`.
    pub(crate) async fn rename(&self, rename: Rename) -> Asked<Result<(), NameTaken>> {
        let remote = match self {
            RoomLink::Local(handle) => {
                return handle.ask(rename).await.map_err(AskError::without_message);
            }
            RoomLink::Remote(remote) => remote,
        };
        let call = RoomCall::Rename {
            player: rename.player,
            name: rename.name,
            re: rename.re,
        };
        match remote.ask(call, None).await? {
            RoomReply::Renamed(renamed) => Ok(renamed),
            other => Err(unexpected(&other)),
        }
    }

    /// `Spectators`.
    pub(crate) async fn spectators(&self, set: Spectators) -> Asked<Result<(), NotOwner>> {
        let remote = match self {
            RoomLink::Local(handle) => {
                return handle.ask(set).await.map_err(AskError::without_message);
            }
            RoomLink::Remote(remote) => remote,
        };
        let call = RoomCall::Spectators {
            player: set.player,
            allow: set.allow,
            re: set.re,
        };
        match remote.ask(call, None).await? {
            RoomReply::Spectators(set) => Ok(set),
            other => Err(unexpected(&other)),
        }
    }

    /// `GetScores`.
    pub(crate) async fn scores(
        &self,
        player: PlayerId,
    ) -> Asked<Option<(RoomLabel, Vec<NamedScore>)>> {
        match self {
            RoomLink::Local(handle) => handle
                .ask(GetScores(player))
                .await
                .map_err(AskError::without_message),
            RoomLink::Remote(remote) => {
                match remote.ask(RoomCall::GetScores { player }, None).await? {
                    RoomReply::Scores(scores) => Ok(scores),
                    other => Err(unexpected(&other)),
                }
            }
        }
    }

    /// `Who`.
    pub(crate) async fn who(&self, player: PlayerId) -> Asked<Option<Notice>> {
        match self {
            RoomLink::Local(handle) => handle
                .ask(Who(player))
                .await
                .map_err(AskError::without_message),
            RoomLink::Remote(remote) => match remote.ask(RoomCall::Who { player }, None).await? {
                RoomReply::Who(who) => Ok(who.map(wire::WhoIs::notice)),
                other => Err(unexpected(&other)),
            },
        }
    }
}

impl<G: Render> RemoteRoom<G> {
    /// Starts the member task for a seat whose frames go to `outbox` (and the word that the
    /// room is back to `back`), and says where.
    async fn follow(
        &self,
        outbox: &Outbox,
        connection: u64,
        back: Option<&BackTx>,
    ) -> Asked<MemberAddress> {
        let subject = wire::member_subject(&self.prefix, &self.node, connection, outbox.epoch());
        let capacity = outbox.capacity();
        let back = back.cloned();
        let feed = wire::follow(
            &self.client,
            subject.clone(),
            outbox.clone(),
            capacity,
            back,
        )
        .await
        .map_err(|err| {
            tracing::warn!(%err, "cannot subscribe to a member subject");
            AskError::Timeout(Duration::ZERO)
        })?;
        *self.feed.lock().unwrap_or_else(PoisonError::into_inner) = Some(feed);
        Ok(MemberAddress {
            subject,
            encoding: outbox.encoding(),
            resumable: outbox.is_resumable(),
            capacity,
            seating: Some(Seating::here(connection, outbox.epoch()).on_node(&self.node)),
        })
    }

    /// Asks the room, timed into the metrics; `wait` overrides the ask timeout. The reply is
    /// held back until the frames the room pushed before it are in the connection's queue
    /// (a leave: until the room's last word for the seat is), as a local room's are.
    async fn ask(&self, call: RoomCall<G>, wait: Option<Duration>) -> Asked<RoomReply> {
        self.ask_fed(call, wait).await.map(|(reply, _)| reply)
    }

    /// [`ask`](Self::ask), and whether the frames pushed before the reply were all fed
    /// (`wire::caught_up`; `true` when there were none to wait for).
    async fn ask_fed(&self, call: RoomCall<G>, wait: Option<Duration>) -> Asked<(RoomReply, bool)> {
        let leaving = matches!(call, RoomCall::Leave { .. });
        let started = Instant::now();
        let answered = match wait {
            Some(wait) => self.handle.ask_with(call, wait).await,
            None => self.handle.ask(call).await,
        };
        let no_responders = matches!(answered, Err(referee_remote::AskError::NotRunning(_)));
        if let Some(metrics) = &self.metrics {
            metrics.observe_remote_ask(started.elapsed(), no_responders);
        }
        let answered = answered.map_err(local_error)?;
        let fed = self
            .feed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(MemberFeed::fed);
        let mut all_fed = true;
        if let Some(fed) = fed {
            if answered.pushed.is_some() || leaving {
                all_fed = wire::caught_up(fed, answered.pushed).await || leaving;
            }
        }
        Ok((answered.reply, all_fed))
    }

    /// A tell that cannot wait here: published by a task of its own.
    fn tell_soon(&self, call: RoomCall<G>) -> Result<(), TellError<()>> {
        let handle = self.handle.clone();
        tokio::spawn(async move {
            if handle.tell(call).await.is_err() {
                tracing::debug!("a tell to a remote room was lost (client closed)");
            }
        });
        Ok(())
    }
}

/// The remote ask's error as the local one the session matches on (see the module docs).
fn local_error<M>(err: referee_remote::AskError<M>) -> AskError<()> {
    use referee_remote::AskError as Remote;
    match err {
        Remote::NotRunning(_) => AskError::NotRunning(()),
        Remote::Full(_) => AskError::Full(()),
        Remote::Timeout(after) => AskError::Timeout(after),
        Remote::Dropped => AskError::Dropped,
        Remote::ServerStopped | Remote::Transport(_) | Remote::BadReply(_) => {
            tracing::warn!(err = %err_text(&err), "a remote room's answer was lost");
            AskError::Timeout(Duration::ZERO)
        }
        Remote::Panicked(_) | Remote::Stopped(_) | Remote::Rejected(_) | Remote::Encode(..) => {
            tracing::warn!(err = %err_text(&err), "a remote room refused a call");
            AskError::Dropped
        }
    }
}

fn err_text<M>(err: &referee_remote::AskError<M>) -> String {
    match err {
        referee_remote::AskError::Panicked(text)
        | referee_remote::AskError::Stopped(text)
        | referee_remote::AskError::Transport(text) => text.clone(),
        referee_remote::AskError::Rejected(err)
        | referee_remote::AskError::BadReply(err)
        | referee_remote::AskError::Encode(_, err) => err.to_string(),
        _ => "server stopped".to_owned(),
    }
}

/// What became of a move a room answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Acted {
    /// Taken or refused, and what the room told the player of it reached the connection
    /// (always so for a local room).
    Told,
    /// Answered, but a remote room's frames never came (its host died between its answer
    /// and their sending): the player heard nothing of the move and must be told.
    Unheard,
    /// Certainly not taken: the room is being handed over to another node, or moved and
    /// holds the seat for a rejoin. Nothing was lost; the move is for the room's new host.
    NotTaken,
}

/// [`RoomLink::act`] on a room hosted by another node.
async fn act_remotely<G: Render>(remote: &RemoteRoom<G>, act: Act<G>) -> Asked<Acted> {
    let call = RoomCall::Act {
        player: act.player,
        seen_round: act.seen_round,
        action: act.action,
        re: act.re,
    };
    match remote.ask_fed(call, Some(MOVE_WAIT)).await? {
        (RoomReply::Acted { .. }, true) => Ok(Acted::Told),
        (RoomReply::Acted { .. }, false) => Ok(Acted::Unheard),
        // The room moved to another node and holds the seat for a rejoin, or is being
        // handed over: not taken here; the session takes the seat back and sends it again.
        (RoomReply::SeatAway | RoomReply::Moved, _) => Ok(Acted::NotTaken),
        (other, _) => Err(unexpected(&other)),
    }
}

/// A reply of the wrong kind: a host of another build. The room cannot be played from here.
fn unexpected(reply: &RoomReply) -> AskError<()> {
    tracing::warn!(?reply, "a remote room answered with the wrong reply");
    AskError::Dropped
}

fn without_message<M>(err: TellError<M>) -> TellError<()> {
    match err {
        TellError::Full(_) => TellError::Full(()),
        TellError::NotRunning(_) => TellError::NotRunning(()),
        TellError::WouldBlock(_) => TellError::WouldBlock(()),
    }
}
