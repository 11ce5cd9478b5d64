//! One player's session, whatever the transport: what each line or request they send makes
//! happen.
//!
//! The session holds the player's identity and seat and talks to the lobby and the room
//! by `ask` and `tell`. It never writes to a socket: everything it has to say goes into the
//! player's outbox, the same queue the room pushes into, so the player reads one ordered
//! stream. The line protocol and the JSON protocol both end up in [`Session::on_input`]; how
//! the answers are encoded is the outbox's `Encoding`'s business, and a JSON request's id is
//! echoed as `re` in what answers it.
//!
//! This file is the session itself and its dispatch: who the player is, what each input
//! does, how the session speaks and what it says when an actor does not answer. The rest is
//! split by concern:
//!
//! * `seating`: finding, taking, leaving and parking a seat (where seat ownership is kept);
//! * `cluster`, `comeback`: rooms on other nodes, and a player back from a dead node;
//! * `watching`: watching a room from the side, and letting others watch;
//! * `records`: names, the records, scores and who is here;
//! * `faults`: the test-only fault commands.

mod cluster;
mod comeback;
mod faults;
mod games;
mod records;
#[cfg(test)]
mod remote_tests;
mod seating;
#[cfg(test)]
mod tests;
mod watching;

pub(crate) use games::hosted;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use referee_actor::{AskError, TellError};
use referee_protocol::command::{self, Command, Input};
use referee_protocol::json::{Request, RequestError};
use referee_protocol::notice::{ErrorCode, Notice, RoomLabel};
use referee_protocol::text;
use referee_rules::{PlayerId, Render};
use tokio::time::Instant;

use crate::attempts::{Attempts, ClientAttempts};
use crate::board::BoardHandle;
use crate::cluster::ClusterNode;
use crate::ids::default_name;
use crate::lobby::{LobbyHandle, Seat};
use crate::metrics::{AskTarget, Metrics};
use crate::outbox::{Frame, Outbox};
use crate::rate::{Admit, Bucket, RateLimit};
use crate::room::wire::back::{BackRx, BackTx, back_channel};
use crate::room::{Act, Acted, Chat, RoomLink};
use crate::seen::SeenRound;
use crate::shared::Shared;

/// Whether the session goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
    /// The player flooded the server past its patience: disconnect them.
    Flooded,
}

/// A move its room did not answer as taken or refused.
enum Missed {
    /// Certainly not taken: the room is moving to another node ([`Acted::NotTaken`]).
    NotTaken,
    /// Not answered: the move may or may not have been taken.
    Failed(AskError<()>),
}

const NOT_IN_A_ROOM: &str = "you are not in a room: type /play to join one.";
/// A move answered by a room on another node whose answer's frames never came (R12).
const ANSWER_LOST: &str = "the answer to your move was lost on the way (the room's server may \
    have stopped); it may not have counted: if the room says nothing more, send it again";
const WATCHING: &str = "you are watching this room: /play or /join to take a seat.";

/// A room the player watches (see `watching.rs`).
struct Watched<G: Render> {
    label: RoomLabel,
    handle: RoomLink<G>,
}

/// A connected player.
pub(crate) struct Session<G: Render> {
    player: PlayerId,
    name: String,
    /// Whether the player chose their name (their wins then go on their record).
    named: bool,
    lobby: LobbyHandle<G>,
    seat: Option<Seat<G>>,
    /// The game `/play` with no argument plays: the last seat's, at first the default one.
    game: &'static str,
    watching: Option<Watched<G>>,
    /// Rooms entered so far (seats and watching): stamps their frames (see `seen.rs`).
    epoch: u32,
    outbox: Outbox,
    seen: SeenRound,
    /// Whether this player follows the rooms' live feed, by default (see [`Session::feed`]).
    feed: bool,
    /// The request being handled chose whether to follow the feed (`feed` in JSON).
    feed_choice: Option<bool>,
    /// The records' read side, for `/top` and a returning player's tally.
    board: Option<BoardHandle>,
    budget: Bucket,
    /// Whether `/fault room` and `/fault session` may inject panics (tests only).
    faults: bool,
    /// The JSON request being handled: what answers it carries its id as `re`.
    re: Option<u64>,
    metrics: Option<Arc<Metrics>>,
    /// Failed room lookups, the server's by address and this connection's (`attempts.rs`);
    /// `None`: not limited.
    attempts: Option<(Arc<Attempts>, ClientAttempts)>,
    /// The client's address, when the transport knows it.
    peer: Option<IpAddr>,
    /// This connection's number (`Shared::next_connection`): with the seat's epoch, it names
    /// the subject a remote room's frames come on (`room/wire/`).
    connection: u64,
    /// This node of a cluster: rooms are looked for on the other nodes too.
    cluster: Option<Arc<ClusterNode>>,
    /// Where the member tasks of this connection's remote seats say that the room came back
    /// on another node, and where the session hears it (`room/wire/back.rs`). Only in a
    /// cluster: a watch channel on every connection of a single node would cost each idle
    /// connection a few hundred bytes for nothing.
    back_tx: Option<BackTx>,
    back_rx: Option<BackRx>,
}

impl<G: Render> Session<G> {
    /// A session with no limits, no records and no metrics: what [`Session::for_connection`]
    /// starts from, and what the tests use.
    fn new(
        player: PlayerId,
        lobby: LobbyHandle<G>,
        outbox: Outbox,
        seen: SeenRound,
        feed: bool,
    ) -> Self {
        Session {
            player,
            name: default_name(player),
            named: false,
            lobby,
            seat: None,
            game: games::default_game::<G>(),
            watching: None,
            epoch: 0,
            outbox,
            seen,
            feed,
            feed_choice: None,
            board: None,
            budget: Bucket::new(RateLimit::default(), Instant::now()),
            faults: false,
            re: None,
            metrics: None,
            attempts: None,
            peer: None,
            connection: 0,
            cluster: None,
            back_tx: None,
            back_rx: None,
        }
    }

    /// The session of a new player on a connection: `peer` is the client's address (when
    /// the transport knows it), `outbox` the connection's (which knows its encoding), `seen`
    /// the round its writer last showed the player. The handles and limits come from
    /// `shared`.
    pub(crate) fn for_connection(
        shared: &Shared<G>,
        peer: Option<IpAddr>,
        outbox: Outbox,
        seen: SeenRound,
    ) -> Self {
        let feed = outbox.encoding().follows_feed();
        let player = shared.players.next();
        let mut session = Session::new(player, shared.lobby.clone(), outbox, seen, feed);
        session.board = shared.board.clone();
        session.budget = Bucket::new(shared.config.rate_limit, Instant::now());
        // Only lines are read for fault commands (see `faults.rs`).
        session.faults = shared.config.allow_faults;
        session.metrics = Some(shared.metrics.clone());
        session.attempts = Some((shared.attempts.clone(), shared.attempts.client()));
        session.connection = shared.next_connection();
        // Departures name the seating they speak for (`seating.rs`): this connection's.
        session.outbox = session
            .outbox
            .clone()
            .of_connection(None, session.connection);
        session.cluster = shared.cluster.clone();
        if session.cluster.is_some() {
            let (back_tx, back_rx) = back_channel();
            session.back_tx = Some(back_tx);
            session.back_rx = Some(back_rx);
        }
        match peer {
            Some(peer) => session.with_peer(peer),
            None => session,
        }
    }

    /// The client's address (what per-address limits count by): grouped as admission groups
    /// it (an IPv6 address by its /64), so that one host cannot get a fresh budget per source
    /// address.
    fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(crate::admission::group(peer));
        self
    }

    /// The player's number.
    pub(crate) fn player(&self) -> PlayerId {
        self.player
    }

    /// Whether the player is in a room, seated or watching (the lobby timeout spares them).
    pub(crate) fn in_room(&self) -> bool {
        self.seat.is_some() || self.watching.is_some()
    }

    /// Greets a netcat player and seats them by quick match.
    pub(crate) async fn start(&mut self) {
        self.greet(None, false);
        Box::pin(self.quick_match(None)).await;
    }

    /// Greets the player: who they are, and (WebSocket) the token that brings them back.
    pub(crate) fn greet(&self, token: Option<String>, resumed: bool) {
        self.say(&Notice::Welcome {
            player: self.player,
            name: self.name.clone(),
            token,
            resumed,
            how_to_play: games::first_steps(self.game),
        });
    }

    /// Takes one token from the player's budget; `Some` when the line must be refused, with
    /// what happens to the connection.
    pub(crate) fn over_budget(&mut self) -> Option<Flow> {
        match self.budget.admit(Instant::now()) {
            Admit::Yes => None,
            Admit::SlowDown => {
                self.error(ErrorCode::SlowDown, "slow down");
                Some(Flow::Continue)
            }
            Admit::Disconnect => {
                self.error(ErrorCode::Flooded, "too many lines; goodbye");
                Some(Flow::Flooded)
            }
        }
    }

    /// Acts on one line from a netcat player.
    pub(crate) async fn on_line(&mut self, line: &str) -> Flow {
        if let Some(flow) = self.over_budget() {
            return flow;
        }
        if self.faults && self.inject_fault(line) {
            return Flow::Continue;
        }
        match command::parse(line) {
            Ok(input) => self.on_input(input).await,
            Err(err) => {
                self.error(ErrorCode::UnknownCommand, err);
                Flow::Continue
            }
        }
    }

    /// Acts on one JSON request (or tells why it is not one).
    pub(crate) async fn on_request(&mut self, request: Result<Request, RequestError>) -> Flow {
        (self.re, self.feed_choice) = match &request {
            Ok(request) => (request.id, request.feed),
            Err(err) => (err.id, None),
        };
        let flow = match self.over_budget() {
            Some(flow) => flow,
            None => match request {
                Ok(request) => self.on_input(request.op.as_input()).await,
                Err(err) => {
                    self.say(&err.to_notice());
                    Flow::Continue
                }
            },
        };
        self.feed_choice = None;
        // The goodbye that follows a quit answers it too.
        if flow != Flow::Quit {
            self.re = None;
        }
        flow
    }

    /// Acts on one input, from either protocol.
    async fn on_input(&mut self, input: Input<'_>) -> Flow {
        match input {
            Input::Empty => {}
            Input::Move(text) => self.play(text).await,
            Input::Command(Command::Quit) => return Flow::Quit,
            // Boxed, as every rare path here: a command's future (the largest of them all, a
            // join across nodes say) would otherwise sit inline in every connection's task
            // for its whole life (docs/PERFORMANCE.md, "Memory per idle connection").
            Input::Command(command) => Box::pin(self.command(command)).await,
        }
        Flow::Continue
    }

    /// Tells the player something (from the session itself, not the room); a JSON client
    /// gets the id of the request being handled with it.
    pub(crate) fn say(&self, notice: &Notice) {
        let encoded = self.outbox.encoding().notice(notice, self.re);
        let _ = self.outbox.push(Frame::text(encoded));
    }

    fn error(&self, code: ErrorCode, message: impl std::fmt::Display) {
        self.say(&Notice::error(code, message));
    }

    async fn command(&mut self, command: Command<'_>) {
        match command {
            Command::Help(None) => self.say(&Notice::Help),
            Command::Help(Some(game)) => self.explain(game),
            Command::Name(name) => self.rename(name).await,
            Command::Score => self.scores().await,
            Command::Say(text) => self.chat(text).await,
            Command::Rooms => self.list_rooms().await,
            Command::Games => self.list_games().await,
            Command::Join(room) => self.join(room).await,
            Command::New(game) => self.open_private(game).await,
            Command::Play(game) => self.quick_match(game).await,
            Command::Watch(room) => self.watch(room).await,
            Command::Leave => self.leave_room().await,
            Command::Who => self.who().await,
            Command::Spectators(allow) => self.spectators(allow).await,
            Command::Top(game) => self.leaderboard(game).await,
            Command::Ping => self.say(&Notice::Pong),
            Command::Quit => {}
        }
    }

    /// Runs an ask, timing it into the metrics.
    async fn timed<T>(&self, target: AskTarget, ask: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let answer = ask.await;
        if let Some(metrics) = &self.metrics {
            metrics.observe_ask(target, started.elapsed());
        }
        answer
    }

    /// The error for a request that needs a seat, when there is none.
    fn not_seated(&self) {
        if self.watching.is_some() {
            self.error(ErrorCode::Spectating, WATCHING);
        } else {
            self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM);
        }
    }

    async fn play(&mut self, text: &str) {
        let seen_round = self.seen.round();
        let sent = Instant::now();
        let Some(missed) = self.send_move(text).await else {
            return;
        };
        let (err, silent_since) = match missed {
            // The room said it did not take the move (it is being handed over, or moved):
            // nothing was lost, so the player is not told its server stopped answering.
            Missed::NotTaken => (AskError::NotRunning(()), None),
            Missed::Failed(err) => (err, Some(sent)),
        };
        // A room on another node that nobody serves any more, or that does not answer: its
        // node may have died (another node adopts the room in a moment), or handed the room
        // over as it left.
        let lost = matches!(err, AskError::NotRunning(()) | AskError::Timeout(_));
        let room = self.seat.as_ref().map(|seat| seat.room);
        let back = if lost {
            Box::pin(self.seat_back(silent_since)).await
        } else {
            None
        };
        let Some(round) = back else {
            return match (room, &self.seat) {
                // The room came back on another node without this player's seat.
                (Some(room), None) => self.error(
                    ErrorCode::RoomClosed,
                    format!("room {room} came back on another node without your seat; type /join {room} or /play"),
                ),
                // A move lost with its room's node, and the room not back (yet): said so, not
                // "busy".
                (Some(room), Some(seat))
                    if matches!(err, AskError::Timeout(_))
                        && matches!(seat.handle, RoomLink::Remote(_))
                        && self.cluster.is_some() =>
                {
                    self.not_back_yet(room);
                }
                _ => self.room_failed(err),
            };
        };
        if round != seen_round {
            // The round in play was voided (a failover): the room told the player.
            return;
        }
        if matches!(err, AskError::NotRunning(())) {
            // Not taken by the old host ("moved", or never delivered): taken once, here.
            match self.send_move(text).await {
                None => {}
                Some(Missed::Failed(err)) => self.room_failed(err),
                Some(Missed::NotTaken) => self.room_failed(AskError::NotRunning(())),
            }
        } else {
            self.error(
                ErrorCode::Busy,
                "your room moved to another node; if your move went unanswered, send it again",
            );
        }
    }

    /// Sends a move to the room; what went wrong if it was not answered (`None`: the room
    /// took it or refused it, and told the player).
    async fn send_move(&mut self, text: &str) -> Option<Missed> {
        let Some(seat) = &self.seat else {
            self.not_seated();
            return None;
        };
        let action = match G::parse_action_in(seat.game, text) {
            Ok(action) => action,
            Err(rejection) => {
                self.say_rejection(&rejection);
                return None;
            }
        };
        if let Some(metrics) = &self.metrics {
            metrics.moved();
        }
        let act = Act {
            player: self.player,
            seen_round: self.seen.round(),
            action,
            re: self.re,
        };
        // The room tells the player the outcome, in order with its other pushes; the reply
        // only says the move was taken.
        match self.timed(AskTarget::Room, seat.handle.act(act)).await {
            Ok(Acted::Told) => None,
            Ok(Acted::Unheard) => {
                // Answered, but what the room said of it never came: its node died (or its
                // frames are stuck). The player would otherwise hear nothing at all.
                self.error(ErrorCode::AnswerLost, ANSWER_LOST);
                None
            }
            Ok(Acted::NotTaken) => Some(Missed::NotTaken),
            Err(err) => Some(Missed::Failed(err)),
        }
    }

    /// A move lost with its room's node, and the room not back within `seat_back`'s wait.
    fn not_back_yet(&self, room: crate::ids::RoomId) {
        let message = format!(
            "room {room} has not come back on another server yet; \
             send your move again in a moment, or type /play"
        );
        self.error(ErrorCode::AnswerLost, message);
    }

    /// A move the game could not even read, refused here without bothering the room.
    fn say_rejection(&self, rejection: &G::Rejection) {
        let encoding = self.outbox.encoding();
        let encoded = encoding.rejection::<G>(rejection, &default_name, self.re);
        let _ = self.outbox.push(Frame::text(encoded));
    }

    /// Chat is fire-and-forget, and never waits: a room too busy to take it now drops it.
    async fn chat(&mut self, said: &str) {
        let Some(seat) = &self.seat else {
            return self.not_seated();
        };
        let text = match text::chat(said) {
            Ok(text) => text,
            Err(err) => return self.error(ErrorCode::BadText, format_args!("message {err}")),
        };
        let chat = Chat {
            player: self.player,
            text,
            re: self.re,
        };
        match seat.handle.chat(chat).await {
            Ok(()) => {}
            Err(TellError::Full(_)) => self.error(ErrorCode::Busy, "the room is busy; try again"),
            Err(_) => self.room_failed(AskError::NotRunning(())),
        }
    }

    /// The room did not answer: busy (timeout, full mailbox) — try again; gone — the player
    /// is no longer seated (the lobby forgets a room that stopped, seats and all).
    fn room_failed(&mut self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "room did not answer");
        if matches!(err, AskError::Timeout(_) | AskError::Full(_)) {
            return self.error(ErrorCode::Busy, "the room is busy; try again");
        }
        self.seat = None;
        self.watching = None;
        self.error(
            ErrorCode::RoomClosed,
            "your room closed; type /play to join another",
        );
    }

    fn lobby_failed(&self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "lobby did not answer");
        self.error(ErrorCode::Busy, "the server is busy; try again");
    }
}
