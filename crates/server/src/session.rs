//! One player's session, whatever the transport: what each line they send makes happen.
//!
//! The session holds the player's identity and seat and talks to the lobby and the room
//! by `ask` and `tell`. It never writes to a socket: everything it has to say goes into the
//! player's outbox, the same queue the room pushes into, so the player reads one ordered
//! stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use referee_actor::AskError;
use referee_protocol::command::{self, Command, Input};
use referee_protocol::notice::{LeaderLine, Notice};
use referee_protocol::text;
use referee_rules::{PlayerId, Render};

use crate::ids::default_name;
use crate::lobby::{FindRoom, ListRooms, LobbyHandle, OpenPrivate, QuickMatch, Seat, SeatFreed};
use crate::outbox::{Frame, Outbox};
use crate::records::{GetLeaderboard, RecorderHandle, WinsOf};
use crate::room::{Act, Chat, GetScores, Join, Leave, Rename};
use referee_store::LeaderEntry;

/// Whether the session goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
}

const NOT_IN_A_ROOM: &str = "you are not in a room: type /play to join one.";

/// A connected player.
pub(crate) struct Session<G: Render> {
    player: PlayerId,
    name: String,
    lobby: LobbyHandle<G>,
    seat: Option<Seat<G>>,
    outbox: Outbox,
    /// The last round written to this player (kept by the connection's writer).
    seen_round: Arc<AtomicU64>,
    /// Whether this player follows the rooms' live feed.
    feed: bool,
    /// Whether the player chose their name (their wins then go on their record).
    named: bool,
    /// The records, for `/top` and a returning player's tally.
    recorder: Option<RecorderHandle>,
}

impl<G: Render> Session<G> {
    pub(crate) fn new(
        player: PlayerId,
        lobby: LobbyHandle<G>,
        outbox: Outbox,
        seen_round: Arc<AtomicU64>,
        feed: bool,
    ) -> Self {
        Session {
            player,
            name: default_name(player),
            lobby,
            seat: None,
            outbox,
            seen_round,
            feed,
            named: false,
            recorder: None,
        }
    }

    /// Gives the session access to the records (`/top`, a returning player's tally).
    pub(crate) fn with_recorder(mut self, recorder: Option<RecorderHandle>) -> Self {
        self.recorder = recorder;
        self
    }

    /// Greets the player and seats them by quick match.
    pub(crate) async fn start(&mut self) {
        self.say(&Notice::Welcome {
            player: self.player,
        });
        self.quick_match().await;
    }

    /// Acts on one line from the player.
    pub(crate) async fn on_line(&mut self, line: &str) -> Flow {
        match command::parse(line) {
            Ok(Input::Empty) => {}
            Ok(Input::Move(text)) => self.play(text).await,
            Ok(Input::Command(Command::Quit)) => return Flow::Quit,
            Ok(Input::Command(command)) => self.command(command).await,
            Err(err) => self.say(&Notice::error(err)),
        }
        Flow::Continue
    }

    /// Tells the player something (from the session itself, not the room).
    pub(crate) fn say(&self, notice: &Notice) {
        let _ = self.outbox.push(Frame::text(notice.to_line()));
    }

    async fn command(&mut self, command: Command<'_>) {
        match command {
            Command::Help => self.say(&Notice::Help),
            Command::Name(name) => self.rename(name).await,
            Command::Score => self.scores().await,
            Command::Say(text) => self.chat(text).await,
            Command::Rooms => self.list_rooms().await,
            Command::Join(room) => self.join(room).await,
            Command::New => self.open_private().await,
            Command::Play => self.quick_match().await,
            Command::Leave => self.leave_room().await,
            Command::Top => self.leaderboard().await,
            Command::Quit => {}
        }
    }

    async fn play(&mut self, text: &str) {
        let Some(seat) = &self.seat else {
            return self.say(&Notice::error(NOT_IN_A_ROOM));
        };
        let action = match G::parse_action(text) {
            Ok(action) => action,
            Err(rejection) => {
                let line = G::describe_rejection(&rejection, &default_name);
                return self.say_line(line);
            }
        };
        let act = Act {
            player: self.player,
            seen_round: self.seen_round.load(Ordering::Acquire),
            action,
        };
        // The room tells the player the outcome, in order with its other pushes; the reply
        // only says the move was taken.
        if let Err(err) = seat.handle.ask(act).await {
            self.room_failed(err.without_message()).await;
        }
    }

    async fn rename(&mut self, wanted: &str) {
        let name = match text::name(wanted) {
            Ok(name) => name,
            Err(err) => return self.say(&Notice::error(err)),
        };
        self.name = name.clone();
        self.named = true;
        match &self.seat {
            None => self.say(&Notice::NameSet { name: name.clone() }),
            Some(seat) => {
                let rename = Rename {
                    player: self.player,
                    name: name.clone(),
                };
                if let Err(err) = seat.handle.ask(rename).await {
                    self.room_failed(err.without_message()).await;
                }
            }
        }
        self.tell_record(name).await;
    }

    /// A player who takes a name hears what the records hold for it.
    async fn tell_record(&self, name: String) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        match recorder.ask(WinsOf(name.clone())).await {
            Ok(Ok(wins)) => self.say(&Notice::Record { name, wins }),
            Ok(Err(err)) => self.say(&Notice::error(err)),
            Err(err) => tracing::warn!(%err, "recorder did not answer"),
        }
    }

    async fn leaderboard(&self) {
        let Some(recorder) = &self.recorder else {
            return self.say(&Notice::error("this server keeps no leaderboard"));
        };
        match recorder.ask(GetLeaderboard { limit: 10 }).await {
            Ok(Ok(board)) => {
                let lines = |entries: Vec<LeaderEntry>| {
                    entries
                        .into_iter()
                        .map(|e| LeaderLine {
                            name: e.name,
                            wins: e.wins,
                        })
                        .collect()
                };
                self.say(&Notice::Leaderboard {
                    all_time: lines(board.all_time),
                    recent: lines(board.recent),
                });
            }
            Ok(Err(err)) => self.say(&Notice::error(err)),
            Err(_) => self.say(&Notice::error("the leaderboard is busy; try again")),
        }
    }

    async fn scores(&mut self) {
        let Some(seat) = &self.seat else {
            return self.say(&Notice::error(NOT_IN_A_ROOM));
        };
        match seat.handle.ask(GetScores).await {
            Ok((room, scores)) => self.say(&Notice::Scores { room, scores }),
            Err(err) => self.room_failed(err.without_message()).await,
        }
    }

    async fn chat(&mut self, said: &str) {
        let Some(seat) = &self.seat else {
            return self.say(&Notice::error(NOT_IN_A_ROOM));
        };
        let text = match text::chat(said) {
            Ok(text) => text,
            Err(err) => return self.say(&Notice::error(format_args!("message {err}"))),
        };
        let chat = Chat {
            player: self.player,
            text,
        };
        if seat.handle.tell(chat).await.is_err() {
            self.room_failed(AskError::NotRunning(())).await;
        }
    }

    async fn list_rooms(&mut self) {
        match self.lobby.ask(ListRooms).await {
            Ok(rooms) => self.say(&Notice::Rooms { rooms }),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn quick_match(&mut self) {
        self.leave().await;
        match self.lobby.ask(QuickMatch::new()).await {
            Ok(Ok(seat)) => self.sit(seat).await,
            Ok(Err(closing)) => self.say(&Notice::error(closing)),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn open_private(&mut self) {
        match self.lobby.ask(OpenPrivate::new()).await {
            Ok(Ok(seat)) => {
                self.leave().await;
                self.sit(seat).await;
            }
            Ok(Err(closing)) => self.say(&Notice::error(closing)),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn join(&mut self, wanted: &str) {
        if let Some(seat) = &self.seat {
            let here = seat.room.to_string() == wanted
                || seat.label.code.as_deref() == Some(&wanted.to_ascii_uppercase());
            if here {
                return self.say(&Notice::error(format_args!(
                    "you are already in {}",
                    seat.label
                )));
            }
        }
        match self.lobby.ask(FindRoom::new(wanted)).await {
            Ok(Ok(seat)) => {
                self.leave().await;
                self.sit(seat).await;
            }
            Ok(Err(err)) => self.say(&Notice::error(err)),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Takes a reserved seat; hands it back if the room refuses.
    async fn sit(&mut self, seat: Seat<G>) {
        let join = Join {
            player: self.player,
            name: self.name.clone(),
            named: self.named,
            outbox: self.outbox.clone(),
            feed: self.feed,
        };
        match seat.handle.ask(join).await {
            Ok(Ok(_)) => self.seat = Some(seat),
            Ok(Err(refused)) => {
                self.give_back(&seat).await;
                self.say(&Notice::error(format_args!("{}: {refused}", seat.label)));
            }
            Err(err) => {
                self.give_back(&seat).await;
                tracing::warn!(player = %self.player, %err, "room refused a join");
                self.say(&Notice::error("that room is not available; type /play"));
            }
        }
    }

    async fn leave_room(&mut self) {
        match self.seat.as_ref().map(|seat| seat.label.clone()) {
            Some(room) => {
                self.leave().await;
                self.say(&Notice::Left { room });
            }
            None => self.say(&Notice::error(NOT_IN_A_ROOM)),
        }
    }

    /// Stands up, if seated. The room frees the seat; if the room cannot be reached, the
    /// session frees it itself.
    pub(crate) async fn leave(&mut self) {
        let Some(seat) = self.seat.take() else {
            return;
        };
        let leave = Leave {
            player: self.player,
        };
        if seat.handle.ask(leave).await.is_err() {
            self.give_back(&seat).await;
        }
    }

    async fn give_back(&self, seat: &Seat<G>) {
        let _ = self.lobby.tell(SeatFreed(seat.room)).await;
    }

    /// The room did not answer: busy (timeout, full mailbox) — try again; or gone — the seat
    /// is handed back and the player told to find another room.
    async fn room_failed(&mut self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "room did not answer");
        if matches!(err, AskError::Timeout(_) | AskError::Full(_)) {
            return self.say(&Notice::error("the room is busy; try again"));
        }
        if let Some(seat) = self.seat.take() {
            self.give_back(&seat).await;
        }
        self.say(&Notice::error(
            "your room closed; type /play to join another",
        ));
    }

    fn lobby_failed(&self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "lobby did not answer");
        self.say(&Notice::error("the server is busy; try again"));
    }

    fn say_line(&self, line: String) {
        let _ = self.outbox.push(Frame::text(line));
    }
}
