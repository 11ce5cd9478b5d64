//! One player's session, whatever the transport: what each line or request they send makes
//! happen.
//!
//! The session holds the player's identity and seat and talks to the lobby and the room
//! by `ask` and `tell`. It never writes to a socket: everything it has to say goes into the
//! player's outbox, the same queue the room pushes into, so the player reads one ordered
//! stream. The line protocol and the JSON protocol both end up in [`Session::on_input`]; the
//! only difference is how the answers are encoded (the outbox's `Encoding`) and that a JSON
//! request's id is echoed as `re` in what answers it.
//!
//! **Seats have one owner at a time.** The lobby reserves a seat and hands it to the session;
//! a successful `Join` moves it into the room, which frees it when the member goes. The
//! session gives a seat back only when the room certainly did not take it (it refused, or
//! the message never reached it). When the outcome is unknown (the join timed out), the
//! session sends a `Leave` after it instead: if the join happened, the room undoes it and
//! frees the seat itself. A session whose connection drops may instead *park* its seat
//! (`parking.rs`): the room keeps it, and a later session takes it back with `Rejoin`.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use referee_actor::{AskError, TellError};
use referee_protocol::command::{self, Command, Input};
use referee_protocol::json::{Request, RequestError};
use referee_protocol::notice::{ErrorCode, LeaderLine, Notice, RoomLabel};
use referee_protocol::text;
use referee_rules::{PlayerId, Render};
use referee_store::LeaderEntry;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::attempts::{Attempts, ClientAttempts};
use crate::board::{BoardHandle, ReadLeaderboard, ReadWinsOf};
use crate::ids::{RoomId, default_name};
use crate::lobby::{
    FindError, FindRoom, ListRooms, LobbyHandle, Locate, OpenPrivate, QuickMatch, Seat, SeatFreed,
};
use crate::metrics::{AskTarget, Metrics};
use crate::outbox::{Frame, Outbox};
use crate::parking::Parked;
use crate::rate::{Admit, Bucket, RateLimit};
use crate::room::{
    Act, Away, Chat, Crash, GetScores, Join, JoinError, Leave, NameTaken, NotOwner, Rejoin, Rename,
    RoomHandle, SeatLost, Spectators, Unwatch, Watch, Who,
};
use crate::seen::{SeenRound, stamp};
use crate::tell::tell_soon;

/// Whether the session goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
    /// The player flooded the server past its patience: disconnect them.
    Flooded,
}

const NOT_IN_A_ROOM: &str = "you are not in a room: type /play to join one.";
const WATCHING: &str = "you are watching this room: /play or /join to take a seat.";
/// How long leaving waits for the room to hand over what is held for the leaver (a win being
/// saved): at most as long as the room holds a win.
const LEAVE_WAIT: Duration = Duration::from_secs(30);

/// A room the player watches.
struct Watched<G: Render> {
    label: RoomLabel,
    handle: RoomHandle<G>,
}

/// A connected player.
pub(crate) struct Session<G: Render> {
    player: PlayerId,
    name: String,
    /// Whether the player chose their name (their wins then go on their record).
    named: bool,
    lobby: LobbyHandle<G>,
    seat: Option<Seat<G>>,
    watching: Option<Watched<G>>,
    /// Rooms entered so far (seats and watching): stamps their frames (see `seen.rs`).
    epoch: u32,
    outbox: Outbox,
    seen: SeenRound,
    /// Whether this player follows the rooms' live feed.
    feed: bool,
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
}

impl<G: Render> Session<G> {
    pub(crate) fn new(
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
            watching: None,
            epoch: 0,
            outbox,
            seen,
            feed,
            board: None,
            budget: Bucket::new(RateLimit::default(), Instant::now()),
            faults: false,
            re: None,
            metrics: None,
            attempts: None,
            peer: None,
        }
    }

    /// Limits this player's failed room lookups, alone and with their address's others.
    pub(crate) fn with_attempts(mut self, attempts: Arc<Attempts>) -> Self {
        let client = attempts.client();
        self.attempts = Some((attempts, client));
        self
    }

    /// The client's address (what per-address limits count by): grouped as admission groups
    /// it (an IPv6 address by its /64), so that one host cannot get a fresh budget per source
    /// address.
    pub(crate) fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(crate::admission::group(peer));
        self
    }

    /// Lets this player inject faults (see `ServerConfig::allow_faults`).
    pub(crate) fn with_faults(mut self, allowed: bool) -> Self {
        self.faults = allowed;
        self
    }

    /// Gives the session access to the records (`/top`, a returning player's tally).
    pub(crate) fn with_board(mut self, board: Option<BoardHandle>) -> Self {
        self.board = board;
        self
    }

    /// Limits the lines this player may send.
    pub(crate) fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.budget = Bucket::new(limit, Instant::now());
        self
    }

    /// Times this session's asks into the server's metrics.
    pub(crate) fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Whether the player is in a room, seated or watching (the lobby timeout spares them).
    pub(crate) fn in_room(&self) -> bool {
        self.seat.is_some() || self.watching.is_some()
    }

    /// Greets a netcat player and seats them by quick match.
    pub(crate) async fn start(&mut self) {
        self.greet(None, false);
        self.quick_match().await;
    }

    /// Greets the player: who they are, and (WebSocket) the token that brings them back.
    pub(crate) fn greet(&self, token: Option<String>, resumed: bool) {
        self.say(&Notice::Welcome {
            player: self.player,
            name: self.name.clone(),
            token,
            resumed,
        });
    }

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
        match self.timed(AskTarget::Room, seat.handle.ask(rejoin)).await {
            Ok(Ok(round)) => {
                self.seen.observe(stamp(self.epoch, round));
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
        self.re = match &request {
            Ok(request) => request.id,
            Err(err) => err.id,
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
            Input::Command(command) => self.command(command).await,
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

    /// The test-only fault commands: `/fault room` makes the room's referee panic,
    /// `/fault session` makes this connection's task panic. Returns whether `line` was one.
    fn inject_fault(&self, line: &str) -> bool {
        match line.trim() {
            "/fault room" => {
                match &self.seat {
                    Some(seat) => {
                        let _ = seat.handle.try_tell(Crash);
                    }
                    None => self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
                }
                true
            }
            "/fault session" => panic!("injected fault: player {} crashed on purpose", self.player),
            _ => false,
        }
    }

    async fn command(&mut self, command: Command<'_>) {
        match command {
            Command::Help => self.say(&Notice::Help),
            Command::Name(name) => self.rename(name).await,
            Command::Score => self.scores().await,
            Command::Say(text) => self.chat(text),
            Command::Rooms => self.list_rooms().await,
            Command::Join(room) => self.join(room).await,
            Command::New => self.open_private().await,
            Command::Play => self.quick_match().await,
            Command::Watch(room) => self.watch(room).await,
            Command::Leave => self.leave_room().await,
            Command::Who => self.who().await,
            Command::Spectators(allow) => self.spectators(allow).await,
            Command::Top => self.leaderboard().await,
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
        let Some(seat) = &self.seat else {
            return self.not_seated();
        };
        let action = match G::parse_action(text) {
            Ok(action) => action,
            Err(rejection) => return self.say_rejection(&rejection),
        };
        let act = Act {
            player: self.player,
            seen_round: self.seen.round(),
            action,
            re: self.re,
        };
        // The room tells the player the outcome, in order with its other pushes; the reply
        // only says the move was taken.
        if let Err(err) = self.timed(AskTarget::Room, seat.handle.ask(act)).await {
            self.room_failed(err.without_message());
        }
    }

    /// A move the game could not even read, refused here without bothering the room.
    fn say_rejection(&self, rejection: &G::Rejection) {
        let encoding = self.outbox.encoding();
        let encoded = encoding.rejection::<G>(rejection, &default_name, self.re);
        let _ = self.outbox.push(Frame::text(encoded));
    }

    async fn rename(&mut self, wanted: &str) {
        let name = match text::name(wanted) {
            Ok(name) => name,
            Err(err) => return self.error(ErrorCode::BadName, err),
        };
        match &self.seat {
            None => self.say(&Notice::NameSet { name: name.clone() }),
            Some(seat) => {
                let rename = Rename {
                    player: self.player,
                    name: name.clone(),
                    re: self.re,
                };
                match self.timed(AskTarget::Room, seat.handle.ask(rename)).await {
                    Ok(Ok(())) => {}
                    // The room told the player why; the name stays as it was.
                    Ok(Err(NameTaken)) => return,
                    Err(err) => return self.room_failed(err.without_message()),
                }
            }
        }
        self.name = name.clone();
        self.named = true;
        self.tell_record(name).await;
    }

    /// A player who takes a name hears what the records hold for it.
    async fn tell_record(&self, name: String) {
        let Some(board) = &self.board else {
            return;
        };
        let read = ReadWinsOf::new(name.clone(), board.timeout());
        match self.timed(AskTarget::Board, board.ask(read)).await {
            Ok(Ok(wins)) => self.say(&Notice::Record { name, wins }),
            Ok(Err(err)) => self.error(ErrorCode::Storage, err),
            Err(err) => tracing::warn!(%err, "the board did not answer"),
        }
    }

    async fn leaderboard(&self) {
        let Some(board) = &self.board else {
            return self.error(ErrorCode::NoLeaderboard, "this server keeps no leaderboard");
        };
        let ask = board.ask(ReadLeaderboard::new(10, board.timeout()));
        match self.timed(AskTarget::Board, ask).await {
            Ok(Ok(board)) => self.say(&Notice::Leaderboard {
                all_time: leader_lines(board.all_time),
                recent: leader_lines(board.recent),
            }),
            Ok(Err(err)) => self.error(ErrorCode::Storage, err),
            Err(_) => self.error(ErrorCode::Busy, "the leaderboard is busy; try again"),
        }
    }

    async fn scores(&mut self) {
        let handle = match (&self.seat, &self.watching) {
            (Some(seat), _) => seat.handle.clone(),
            (None, Some(watched)) => watched.handle.clone(),
            (None, None) => return self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
        };
        match self
            .timed(AskTarget::Room, handle.ask(GetScores(self.player)))
            .await
        {
            Ok(Some((room, scores))) => self.say(&Notice::Scores { room, scores }),
            Ok(None) => self.no_longer_in_room(),
            Err(err) => self.room_failed(err.without_message()),
        }
    }

    /// Who plays in the room (seated or watching) and who watches it.
    async fn who(&mut self) {
        let handle = match (&self.seat, &self.watching) {
            (Some(seat), _) => seat.handle.clone(),
            (None, Some(watched)) => watched.handle.clone(),
            (None, None) => return self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM),
        };
        match self
            .timed(AskTarget::Room, handle.ask(Who(self.player)))
            .await
        {
            Ok(Some(who)) => self.say(&who),
            Ok(None) => self.no_longer_in_room(),
            Err(err) => self.room_failed(err.without_message()),
        }
    }

    /// The room says this player is not in it: a spectator its owner sent away.
    fn no_longer_in_room(&mut self) {
        self.watching = None;
        self.error(ErrorCode::NotInRoom, NOT_IN_A_ROOM);
    }

    /// The owner of a private room lets others watch it, or not.
    async fn spectators(&mut self, allow: bool) {
        let Some(seat) = &self.seat else {
            return self.not_seated();
        };
        let set = Spectators {
            player: self.player,
            allow,
            re: self.re,
        };
        match self.timed(AskTarget::Room, seat.handle.ask(set)).await {
            Ok(Ok(())) => {}
            Ok(Err(err @ NotOwner)) => self.error(ErrorCode::NotOwner, err),
            Err(err) => self.room_failed(err.without_message()),
        }
    }

    /// Chat is fire-and-forget, and never waits: a room too busy to take it now drops it.
    fn chat(&mut self, said: &str) {
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
        match seat.handle.try_tell(chat) {
            Ok(()) => {}
            Err(TellError::Full(_)) => self.error(ErrorCode::Busy, "the room is busy; try again"),
            Err(_) => self.room_failed(AskError::NotRunning(())),
        }
    }

    async fn list_rooms(&mut self) {
        match self
            .timed(AskTarget::Lobby, self.lobby.ask(ListRooms))
            .await
        {
            Ok((rooms, total)) => self.say(&Notice::Rooms { rooms, total }),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn quick_match(&mut self) {
        let here = self.seat.as_ref().map(|seat| seat.room);
        let ask = self.lobby.ask(QuickMatch::excluding(here));
        match self.timed(AskTarget::Lobby, ask).await {
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(closing)) => self.error(ErrorCode::Closing, closing),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn open_private(&mut self) {
        match self
            .timed(AskTarget::Lobby, self.lobby.ask(OpenPrivate::new()))
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

    async fn join(&mut self, wanted: &str) {
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
            Ok(Err(err)) => self.lookup_failed(&err),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Whether this player may look a room up now; if not, they are told why.
    fn may_look_up(&self) -> bool {
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
    fn lookup_failed(&mut self, err: &FindError) {
        if let (FindError::NoSuchRoom(_), Some((attempts, client))) = (err, &mut self.attempts) {
            attempts.failed(client, self.peer);
        }
        self.error(find_code(err), err);
    }

    /// Leaves any seat and watches the room `wanted`.
    async fn watch(&mut self, wanted: &str) {
        if !self.may_look_up() {
            return;
        }
        let located = match self
            .timed(AskTarget::Lobby, self.lobby.ask(Locate::new(wanted)))
            .await
        {
            Ok(Ok(located)) => located,
            Ok(Err(err)) => return self.lookup_failed(&err),
            Err(err) => return self.lobby_failed(err.without_message()),
        };
        self.stop_watching();
        self.leave().await;
        self.epoch += 1;
        let watch = Watch {
            player: self.player,
            name: self.name.clone(),
            outbox: self.outbox.for_seat(self.epoch),
            re: self.re,
        };
        match self.timed(AskTarget::Room, located.handle.ask(watch)).await {
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
                tell_soon(&located.handle, Unwatch(self.player));
                self.error(ErrorCode::Busy, "that room did not answer; try again");
            }
        }
    }

    /// Stops watching, if watching.
    fn stop_watching(&mut self) -> Option<RoomLabel> {
        let watched = self.watching.take()?;
        tell_soon(&watched.handle, Unwatch(self.player));
        Some(watched.label)
    }

    /// Leaves the current room (if any) for the new seat, already reserved.
    async fn move_to(&mut self, seat: Seat<G>) {
        self.stop_watching();
        self.leave().await;
        self.sit(seat).await;
    }

    /// Takes a reserved seat.
    async fn sit(&mut self, seat: Seat<G>) {
        self.epoch += 1;
        let join = Join {
            player: self.player,
            name: self.name.clone(),
            named: self.named,
            outbox: self.outbox.for_seat(self.epoch),
            feed: self.feed,
            re: self.re,
        };
        match self.timed(AskTarget::Room, seat.handle.ask(join)).await {
            Ok(Ok(joined)) => {
                self.seen.observe(stamp(self.epoch, joined.round));
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
        let undo = Leave {
            player: self.player,
            gone: None,
        };
        tell_soon(&seat.handle, undo);
    }

    async fn leave_room(&mut self) {
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
    async fn leave(&mut self) {
        let Some(seat) = self.seat.take() else {
            return;
        };
        let (gone, left) = oneshot::channel();
        let leave = Leave {
            player: self.player,
            gone: Some(gone),
        };
        match seat.handle.tell(leave).await {
            Ok(()) => {
                let _ = tokio::time::timeout(LEAVE_WAIT, left).await;
            }
            Err(_) => tracing::debug!(player = %self.player, "left a room that had closed"),
        }
    }

    /// The connection is ending for good: leave the seat, stop watching.
    pub(crate) async fn end(&mut self) {
        self.stop_watching();
        self.leave().await;
    }

    /// The connection dropped and the player may come back: the room keeps the seat (and
    /// marks them away), and this is what a new connection takes back.
    pub(crate) fn park(mut self) -> Parked<G> {
        self.stop_watching();
        if let Some(seat) = &self.seat {
            tell_soon(&seat.handle, Away(self.player));
        }
        Parked {
            player: self.player,
            name: self.name,
            named: self.named,
            seat: self.seat.take(),
            epoch: self.epoch,
        }
    }

    /// Hands back a seat the room did not take.
    fn give_back(&self, seat: &Seat<G>) {
        tell_soon(&self.lobby, SeatFreed(seat.room));
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

fn find_code(err: &FindError) -> ErrorCode {
    match err {
        FindError::NoSuchRoom(_) => ErrorCode::NoSuchRoom,
        FindError::Full(_) => ErrorCode::RoomFull,
    }
}

fn leader_lines(entries: Vec<LeaderEntry>) -> Vec<LeaderLine> {
    entries
        .into_iter()
        .map(|entry| LeaderLine {
            name: entry.name,
            wins: entry.wins,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::kick::Kick;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use referee_rules::{GuessConfig, GuessNumber};
    use tokio::sync::mpsc;

    use super::*;
    use crate::lobby::Lobby;

    fn lobby() -> LobbyHandle<GuessNumber> {
        Lobby::<GuessNumber>::spawn(
            3,
            GuessConfig::default(),
            (StdRng::seed_from_u64(7), StdRng::seed_from_u64(8)),
            None,
            Duration::from_secs(30),
        )
    }

    /// A session on a real lobby and room, with no writer: nothing ever raises the seen round
    /// but the session itself.
    fn player(
        lobby: &LobbyHandle<GuessNumber>,
        id: u64,
    ) -> (Session<GuessNumber>, mpsc::Receiver<Frame>) {
        let (frames_tx, frames_rx) = mpsc::channel(64);
        let outbox = Outbox::new(frames_tx, Kick::default());
        let session = Session::new(
            PlayerId(id),
            lobby.clone(),
            outbox,
            SeenRound::default(),
            false,
        );
        (session, frames_rx)
    }

    fn session() -> (Session<GuessNumber>, mpsc::Receiver<Frame>) {
        player(&lobby(), 1)
    }

    fn drain(frames: &mut mpsc::Receiver<Frame>) -> Vec<String> {
        std::iter::from_fn(|| frames.try_recv().ok().map(|frame| frame.text)).collect()
    }

    #[tokio::test]
    async fn the_addresses_of_one_ipv6_64_share_one_per_address_budget() {
        let lobby = lobby();
        let peer = |text: &str| {
            let ip: std::net::IpAddr = text.parse().unwrap_or_else(|err| panic!("{err}"));
            player(&lobby, 1).0.with_peer(ip).peer
        };
        // One host hands each connection another address of its /64: one budget for all.
        assert_eq!(peer("2001:db8:1:2::5"), peer("2001:db8:1:2:ffff::9"));
        assert_ne!(peer("2001:db8:1:2::5"), peer("2001:db8:1:3::5"));
        assert_ne!(peer("127.0.0.1"), peer("127.0.0.2"));
    }

    #[tokio::test]
    async fn a_guess_before_any_round_line_was_written_counts_for_the_round_joined() {
        let (mut session, mut frames) = session();
        session.start().await;
        let greeting = drain(&mut frames);
        assert!(
            greeting.iter().any(|line| line.starts_with("Round 1:")),
            "{greeting:?}"
        );
        // The writer never ran: only the join told the session which round it is.
        assert_eq!(session.on_line("10").await, Flow::Continue);
        let answer = drain(&mut frames).concat();
        assert!(
            answer.starts_with("Higher!")
                || answer.starts_with("Lower!")
                || answer.starts_with("Correct!"),
            "{answer}"
        );
    }

    #[tokio::test]
    async fn play_moves_to_another_room_not_back_into_the_one_left() {
        let lobby = lobby();
        let (mut stays, _stays_frames) = player(&lobby, 2);
        stays.start().await;
        let (mut session, mut frames) = player(&lobby, 1);
        session.start().await;
        let first = session.seat.as_ref().map(|seat| seat.room);
        drain(&mut frames);
        assert_eq!(session.on_line("/play").await, Flow::Continue);
        let second = session.seat.as_ref().map(|seat| seat.room);
        assert!(
            first.is_some() && second.is_some() && first != second,
            "{first:?} -> {second:?}"
        );
        let lines = drain(&mut frames);
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("* You joined room 2")),
            "{lines:?}"
        );
    }
}
