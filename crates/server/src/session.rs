//! One player's session, whatever the transport: what each line they send makes happen.
//!
//! The session holds the player's identity and seat and talks to the lobby and the room
//! by `ask` and `tell`. It never writes to a socket: everything it has to say goes into the
//! player's outbox, the same queue the room pushes into, so the player reads one ordered
//! stream.
//!
//! **Seats have one owner at a time.** The lobby reserves a seat and hands it to the session;
//! a successful `Join` moves it into the room, which frees it when the member goes. The
//! session gives a seat back only when the room certainly did not take it (it refused, or
//! the message never reached it). When the outcome is unknown (the join timed out), the
//! session sends a `Leave` after it instead: if the join happened, the room undoes it and
//! frees the seat itself.

use std::time::Duration;

use referee_actor::{AskError, TellError};
use referee_protocol::command::{self, Command, Input};
use referee_protocol::notice::{LeaderLine, Notice};
use referee_protocol::text;
use referee_rules::{PlayerId, Render};
use referee_store::LeaderEntry;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::ids::default_name;
use crate::lobby::{FindRoom, ListRooms, LobbyHandle, OpenPrivate, QuickMatch, Seat, SeatFreed};
use crate::outbox::{Frame, Outbox};
use crate::rate::{Admit, Bucket, RateLimit};
use crate::records::{GetLeaderboard, RecorderHandle, WinsOf};
use crate::room::{Act, Chat, Crash, GetScores, Join, JoinError, Leave, Rename};
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
/// How long leaving waits for the room to hand over what is held for the leaver (a win being
/// saved): at most as long as the room holds a win.
const LEAVE_WAIT: Duration = Duration::from_secs(30);

/// A connected player.
pub(crate) struct Session<G: Render> {
    player: PlayerId,
    name: String,
    /// Whether the player chose their name (their wins then go on their record).
    named: bool,
    lobby: LobbyHandle<G>,
    seat: Option<Seat<G>>,
    /// Seats taken so far: stamps this seat's frames (see `seen.rs`).
    epoch: u32,
    outbox: Outbox,
    seen: SeenRound,
    /// Whether this player follows the rooms' live feed.
    feed: bool,
    /// The records, for `/top` and a returning player's tally.
    recorder: Option<RecorderHandle>,
    budget: Bucket,
    /// Whether `/fault room` and `/fault session` may inject panics (tests only).
    faults: bool,
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
            epoch: 0,
            outbox,
            seen,
            feed,
            recorder: None,
            budget: Bucket::new(RateLimit::default(), Instant::now()),
            faults: false,
        }
    }

    /// Lets this player inject faults (see `ServerConfig::allow_faults`).
    pub(crate) fn with_faults(mut self, allowed: bool) -> Self {
        self.faults = allowed;
        self
    }

    /// Gives the session access to the records (`/top`, a returning player's tally).
    pub(crate) fn with_recorder(mut self, recorder: Option<RecorderHandle>) -> Self {
        self.recorder = recorder;
        self
    }

    /// Limits the lines this player may send.
    pub(crate) fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.budget = Bucket::new(limit, Instant::now());
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
        match self.budget.admit(Instant::now()) {
            Admit::Yes => {}
            Admit::SlowDown => {
                self.say(&Notice::error("slow down"));
                return Flow::Continue;
            }
            Admit::Disconnect => {
                self.say(&Notice::error("too many lines; goodbye"));
                return Flow::Flooded;
            }
        }
        if self.faults && self.inject_fault(line) {
            return Flow::Continue;
        }
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
        self.say_line(notice.to_line());
    }

    fn say_line(&self, line: String) {
        let _ = self.outbox.push(Frame::text(line));
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
                    None => self.say(&Notice::error(NOT_IN_A_ROOM)),
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
                return self.say_line(G::describe_rejection(&rejection, &default_name));
            }
        };
        let act = Act {
            player: self.player,
            seen_round: self.seen.round(),
            action,
        };
        // The room tells the player the outcome, in order with its other pushes; the reply
        // only says the move was taken.
        if let Err(err) = seat.handle.ask(act).await {
            self.room_failed(err.without_message());
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
                    self.room_failed(err.without_message());
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
            Ok(Ok(board)) => self.say(&Notice::Leaderboard {
                all_time: leader_lines(board.all_time),
                recent: leader_lines(board.recent),
            }),
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
            Err(err) => self.room_failed(err.without_message()),
        }
    }

    /// Chat is fire-and-forget, and never waits: a room too busy to take it now drops it.
    fn chat(&mut self, said: &str) {
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
        match seat.handle.try_tell(chat) {
            Ok(()) => {}
            Err(TellError::Full(_)) => self.say(&Notice::error("the room is busy; try again")),
            Err(_) => self.room_failed(AskError::NotRunning(())),
        }
    }

    async fn list_rooms(&mut self) {
        match self.lobby.ask(ListRooms).await {
            Ok((rooms, total)) => self.say(&Notice::Rooms { rooms, total }),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn quick_match(&mut self) {
        let here = self.seat.as_ref().map(|seat| seat.room);
        match self.lobby.ask(QuickMatch::excluding(here)).await {
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(closing)) => self.say(&Notice::error(closing)),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    async fn open_private(&mut self) {
        match self.lobby.ask(OpenPrivate::new()).await {
            Ok(Ok(seat)) => self.move_to(seat).await,
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
            Ok(Ok(seat)) => self.move_to(seat).await,
            Ok(Err(err)) => self.say(&Notice::error(err)),
            Err(err) => self.lobby_failed(err.without_message()),
        }
    }

    /// Leaves the current room (if any) for the new seat, already reserved.
    async fn move_to(&mut self, seat: Seat<G>) {
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
        };
        match seat.handle.ask(join).await {
            Ok(Ok(joined)) => {
                self.seen.observe(stamp(self.epoch, joined.round));
                self.seat = Some(seat);
            }
            Ok(Err(refused)) => {
                self.give_back(&seat);
                let refused = match refused {
                    JoinError::Full => format!("{} is full", seat.label),
                    JoinError::AlreadySeated => refused.to_string(),
                };
                self.say(&Notice::error(refused));
            }
            Err(AskError::NotRunning(_)) => {
                self.give_back(&seat);
                self.say(&Notice::error("that room has closed; type /play"));
            }
            Err(err) => {
                // Maybe seated, maybe not: undo whatever happened; the room frees the seat.
                tracing::warn!(player = %self.player, %err, "join did not complete");
                let undo = Leave {
                    player: self.player,
                    gone: None,
                };
                tell_soon(&seat.handle, undo);
                self.say(&Notice::error("that room did not answer; type /play"));
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

    /// Stands up, if seated, and waits (boundedly) until the room has handed over everything
    /// meant for this player. The room frees the seat.
    pub(crate) async fn leave(&mut self) {
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

    /// Hands back a seat the room did not take.
    fn give_back(&self, seat: &Seat<G>) {
        tell_soon(&self.lobby, SeatFreed(seat.room));
    }

    /// The room did not answer: busy (timeout, full mailbox) — try again; gone — the player
    /// is no longer seated (the lobby forgets a room that stopped, seats and all).
    fn room_failed(&mut self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "room did not answer");
        if matches!(err, AskError::Timeout(_) | AskError::Full(_)) {
            return self.say(&Notice::error("the room is busy; try again"));
        }
        self.seat = None;
        self.say(&Notice::error(
            "your room closed; type /play to join another",
        ));
    }

    fn lobby_failed(&self, err: AskError<()>) {
        tracing::warn!(player = %self.player, %err, "lobby did not answer");
        self.say(&Notice::error("the server is busy; try again"));
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
        Lobby::<GuessNumber>::spawn(3, GuessConfig::default(), StdRng::seed_from_u64(7), None)
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
