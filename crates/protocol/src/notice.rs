//! The server's own messages (everything that is not a game event), and how each reads as
//! a line of text. Game events are rendered by the game itself (`referee_rules::Render`).
//!
//! Conventions of the text protocol, relied on by clients and bots:
//! * room announcements start with `* `;
//! * chat reads `<name> text`;
//! * every error starts with `error: `;
//! * a notice may span several lines (`/help`); no line is empty.

use std::fmt;

use referee_rules::PlayerId;
use serde::{Deserialize, Serialize};

use crate::command::COMMANDS;

/// How a room is named to players: by number, or by join code for a private room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomLabel {
    /// The room's number.
    pub id: u64,
    /// The join code of a private room.
    pub code: Option<String>,
}

impl fmt::Display for RoomLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "private room {code}"),
            None => write!(f, "room {}", self.id),
        }
    }
}

/// One public room in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomListing {
    /// The room's number (what `/join` takes).
    pub id: u64,
    /// Seats taken.
    pub players: usize,
    /// Seats in all.
    pub capacity: usize,
    /// The game the room plays, when the server hosts several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game: Option<String>,
}

/// One game a server hosts, in `/games`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GameListing {
    /// What `/play` takes (`guess`, `dice`).
    pub name: String,
    /// One line about it.
    pub about: String,
    /// Rooms of this game open now.
    pub rooms: usize,
    /// Seats taken in them.
    pub players: usize,
}

/// A player in a room: number and display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seated {
    /// The player's number.
    pub player: PlayerId,
    /// Their display name.
    pub name: String,
}

/// One line of a scoreboard, with the player's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedScore {
    /// The player's number.
    pub player: PlayerId,
    /// Display name.
    pub name: String,
    /// Points.
    pub points: u32,
}

/// One line of the leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderLine {
    /// The player's name.
    pub name: String,
    /// Rounds won.
    pub wins: u64,
}

/// Why the server is closing a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ByeReason {
    /// The player typed `/quit`.
    Quit,
    /// The server is shutting down.
    Shutdown,
    /// No input for longer than the idle limit.
    Idle,
    /// The same player connected again elsewhere (a reloaded page) and took over.
    Replaced,
    /// The connection sat in no room (neither playing nor watching) for longer than the
    /// lobby limit.
    Lobby,
}

/// What kind of error an [`Notice::Error`] is: stable, for programs (the JSON protocol sends
/// it as `code`); the message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A request that is not valid JSON, not an object, or misses a field or has a wrong type.
    BadRequest,
    /// A request for a protocol version this server does not speak.
    UnsupportedVersion,
    /// A JSON request with an unknown `op`.
    UnknownOp,
    /// A line protocol `/command` that does not exist, or with wrong arguments.
    UnknownCommand,
    /// A binary WebSocket message (the protocol is text).
    NotText,
    /// A line or message over the size limit (the connection then closes).
    TooLarge,
    /// A line that is not UTF-8.
    BadEncoding,
    /// The request needs a room and the player is in none.
    NotInRoom,
    /// The player is watching a room: only players seated in it may do this.
    Spectating,
    /// No room with that number or code.
    NoSuchRoom,
    /// The room has no free seat (or no room for one more spectator).
    RoomFull,
    /// The player is already in that room.
    AlreadyThere,
    /// The room stopped.
    RoomClosed,
    /// The room's host (a cluster node) lost its claim on the room: the room is closed, the
    /// round in progress is not recorded, and its seats are free. Join another room.
    HostLost,
    /// The room's host (another cluster node) stopped answering in the middle of your move,
    /// or its answer was lost on the way: the move may or may not have counted. The room comes
    /// back on another node (then `round_voided` tells what became of the round in play).
    AnswerLost,
    /// An actor did not answer in time or its mailbox is full: try again.
    Busy,
    /// Over the per-player rate limit: the request was ignored.
    SlowDown,
    /// Far over the rate limit: the connection closes.
    Flooded,
    /// A name that breaks the naming rules.
    BadName,
    /// A name that looks like (or is) the name of someone else seated in the room.
    NameTaken,
    /// A chat message that is too long.
    BadText,
    /// The server keeps no records.
    NoLeaderboard,
    /// The store failed.
    Storage,
    /// The store has not confirmed a save in time: it is still queued, and may yet be saved
    /// (a `Storage` error for the same round follows if it is lost).
    Unconfirmed,
    /// The server is shutting down.
    Closing,
    /// The server is at its connection limit.
    ServerFull,
    /// A resume token that is unknown or expired.
    BadToken,
    /// The client's address already has as many connections open as one address may.
    TooManyFromAddress,
    /// Too many `join`/`watch` requests that named no room, from this connection or its
    /// address: the lookup was not made. Wait a minute.
    TooManyAttempts,
    /// The room's owner does not let anyone watch it.
    SpectatorsForbidden,
    /// Only the player who opened a private room may do this.
    NotOwner,
    /// `play`/`create` named a game this server does not host.
    UnknownGame,
}

/// A message from the server itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// The first thing a connection hears.
    Welcome {
        /// The player's number for this connection.
        player: PlayerId,
        /// The player's name.
        name: String,
        /// What brings this player back after a dropped connection (WebSocket only).
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// Whether this connection took over a dropped one (same player, same seat).
        resumed: bool,
        /// The line after the greeting that says how to start playing: it depends on the
        /// game a new player is seated in (text only; `None`: the guess-the-number line).
        #[serde(skip)]
        how_to_play: Option<&'static str>,
    },
    /// You sat down in a room.
    Joined {
        /// Which room.
        room: RoomLabel,
        /// Everyone seated, you included.
        members: Vec<Seated>,
        /// Seats in all.
        capacity: usize,
        /// The game the room plays, when the server hosts several.
        #[serde(skip_serializing_if = "Option::is_none")]
        game: Option<String>,
    },
    /// You are watching a room, without a seat.
    Watching {
        /// Which room.
        room: RoomLabel,
        /// Everyone seated.
        members: Vec<Seated>,
        /// Seats in all.
        capacity: usize,
        /// The game the room plays, when the server hosts several.
        #[serde(skip_serializing_if = "Option::is_none")]
        game: Option<String>,
    },
    /// Someone else sat down in your room.
    MemberJoined {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
    },
    /// Someone left your room.
    MemberLeft {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
    },
    /// The server removed someone from your room.
    MemberDropped {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Someone's connection dropped; their seat (and score) is kept for a while.
    MemberAway {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
        /// How long the seat is kept, in seconds.
        seconds: u64,
    },
    /// Someone whose connection dropped is back in their seat.
    MemberBack {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
    },
    /// Someone in your room changed their name.
    Renamed {
        /// Their number.
        player: PlayerId,
        /// The name before.
        old: String,
        /// The name now.
        new: String,
    },
    /// Your name changed.
    NameSet {
        /// Your name now.
        name: String,
    },
    /// What the records hold for your name.
    Record {
        /// Your name.
        name: String,
        /// Rounds won under this name, all time.
        wins: u64,
    },
    /// The leaderboard: of one game, or of all games together.
    Leaderboard {
        /// The game whose board this is (absent: all games).
        #[serde(skip_serializing_if = "Option::is_none")]
        game: Option<String>,
        /// Most wins of all time.
        all_time: Vec<LeaderLine>,
        /// Most wins in the last seven days.
        recent: Vec<LeaderLine>,
    },
    /// A chat message.
    Chat {
        /// Who said it: their number.
        player: PlayerId,
        /// Who said it: their name.
        from: String,
        /// What they said (already cleaned).
        message: String,
    },
    /// A room's scoreboard.
    Scores {
        /// Which room.
        room: RoomLabel,
        /// Highest first.
        scores: Vec<NamedScore>,
    },
    /// The games this server hosts (`/games`).
    Games {
        /// Each game, the default one (what a new player is seated in) first.
        games: Vec<GameListing>,
    },
    /// How a game is played (`/help GAME`).
    Rules {
        /// The game's name.
        game: String,
        /// The rules, as lines of text.
        rules: String,
    },
    /// The public rooms.
    Rooms {
        /// Rooms with their seats (the first few).
        rooms: Vec<RoomListing>,
        /// How many public rooms there are in all.
        total: usize,
    },
    /// Someone started watching your room.
    SpectatorJoined {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
    },
    /// Someone stopped watching your room.
    SpectatorLeft {
        /// Their number.
        player: PlayerId,
        /// Their name.
        name: String,
    },
    /// Who is in your room: the answer to `/who`.
    Who {
        /// Which room.
        room: RoomLabel,
        /// Everyone seated.
        members: Vec<Seated>,
        /// Seats in all.
        capacity: usize,
        /// Everyone watching.
        spectators: Vec<Seated>,
        /// Whether the room may be watched.
        watchable: bool,
    },
    /// Whether your room may be watched changed (`/spectators`).
    SpectatorsAllowed {
        /// Which room.
        room: RoomLabel,
        /// Whether it may be watched now.
        allowed: bool,
    },
    /// You left a room (or stopped watching it).
    Left {
        /// Which room.
        room: RoomLabel,
    },
    /// The answer to a ping.
    Pong,
    /// The room's referee crashed and was restarted from the last consistent state.
    RefereeRestarted,
    /// The room came back on another server after its own failed: the round (or hand) in
    /// play was voided, its secrets never told, and a new one began. Seats and the points of
    /// finished rounds are kept.
    RoundVoided {
        /// Which room.
        room: RoomLabel,
        /// The round (in Liar's Dice: the match) whose play was voided.
        round: u64,
    },
    /// The room came back on another server after its own failed, with no round (or hand)
    /// in play to void: a Liar's Dice table counting down between matches. Seats and the
    /// points of finished rounds are kept.
    FailedOver {
        /// Which room.
        room: RoomLabel,
    },
    /// The list of commands.
    Help,
    /// Something went wrong; the session goes on unless a `Bye` follows.
    Error {
        /// What kind of error, for programs.
        code: ErrorCode,
        /// What, in words.
        message: String,
    },
    /// The connection is about to close.
    Bye {
        /// Why.
        reason: ByeReason,
    },
}

impl Notice {
    /// An error notice.
    pub fn error(code: ErrorCode, message: impl fmt::Display) -> Self {
        Notice::Error {
            code,
            message: message.to_string(),
        }
    }

    /// The notice as protocol text, without the final newline.
    pub fn to_line(&self) -> String {
        match self {
            Notice::Welcome {
                player,
                resumed,
                how_to_play,
                ..
            } => welcome(*player, *resumed, *how_to_play),
            Notice::Joined {
                room,
                members,
                capacity,
                ..
            } => joined(room, members, *capacity),
            Notice::Watching {
                room,
                members,
                capacity,
                ..
            } => format!(
                "* You are watching {room} ({}). Type /leave to stop.",
                seated(members, *capacity)
            ),
            Notice::MemberJoined { name, .. } => format!("* {name} joined the room."),
            Notice::MemberLeft { name, .. } => format!("* {name} left the room."),
            Notice::MemberDropped { name, reason, .. } => {
                format!("* {name} was disconnected ({reason}).")
            }
            Notice::MemberAway { name, seconds, .. } => {
                format!("* {name} lost their connection; their seat is kept for {seconds} s.")
            }
            Notice::MemberBack { name, .. } => format!("* {name} is back."),
            Notice::Renamed { old, new, .. } => format!("* {old} is now known as {new}."),
            Notice::NameSet { name } => format!("* You are now known as {name}."),
            Notice::Record { name, wins } => record(name, *wins),
            Notice::Leaderboard {
                game,
                all_time,
                recent,
            } => leaderboard(game.as_deref(), all_time, recent),
            Notice::Chat { from, message, .. } => format!("<{from}> {message}"),
            Notice::Scores { room, scores } => scoreboard(room, scores),
            Notice::Rooms { rooms, total } => listing(rooms, *total),
            Notice::Games { games } => games_listing(games),
            Notice::Rules { rules, .. } => rules.clone(),
            Notice::SpectatorJoined { name, .. } => format!("* {name} is watching."),
            Notice::SpectatorLeft { name, .. } => format!("* {name} stopped watching."),
            Notice::Who {
                room,
                members,
                capacity,
                spectators,
                watchable,
            } => who(room, members, *capacity, spectators, *watchable),
            Notice::SpectatorsAllowed { room, allowed } => spectators_allowed(room, *allowed),
            Notice::Left { room } => {
                format!("* You left {room}. Type /play for a new game, or /rooms to see the rooms.")
            }
            Notice::RefereeRestarted => {
                "* The referee hit a problem and restarted; seats and scores are kept.".to_owned()
            }
            Notice::RoundVoided { room, round } => format!(
                "* The game in {room} moved to another server after a failure: round {round} \
                 was voided (nobody wins it) and a new one begins. Seats and scores are kept."
            ),
            Notice::FailedOver { room } => format!(
                "* The game in {room} moved to another server after a failure; no round was \
                 in play, so nothing was voided. Seats and scores are kept."
            ),
            Notice::Pong => "pong".to_owned(),
            Notice::Help => help(),
            Notice::Error { message, .. } => format!("error: {message}"),
            Notice::Bye { reason } => bye(*reason).to_owned(),
        }
    }
}

/// The greeting's second line when the game does not say otherwise.
const GUESS_FIRST_STEPS: &str = "Type a number to guess; /help lists the commands.";

fn welcome(player: PlayerId, resumed: bool, how_to_play: Option<&str>) -> String {
    if resumed {
        format!("Welcome back! You are player {player} again, in the seat you had.")
    } else {
        let next = how_to_play.unwrap_or(GUESS_FIRST_STEPS);
        format!("Welcome to Referee! You are player {player}.\n{next}")
    }
}

fn seated(members: &[Seated], capacity: usize) -> String {
    let names: Vec<&str> = members.iter().map(|member| member.name.as_str()).collect();
    format!("{}/{capacity} players: {}", members.len(), names.join(", "))
}

fn joined(room: &RoomLabel, members: &[Seated], capacity: usize) -> String {
    let seated = seated(members, capacity);
    match &room.code {
        Some(code) => format!("* You joined {room} ({seated}). Friends join with: /join {code}"),
        None => format!("* You joined {room} ({seated})."),
    }
}

fn who(
    room: &RoomLabel,
    members: &[Seated],
    capacity: usize,
    spectators: &[Seated],
    watchable: bool,
) -> String {
    let watching = if spectators.is_empty() {
        "nobody".to_owned()
    } else {
        let names: Vec<&str> = spectators.iter().map(|s| s.name.as_str()).collect();
        names.join(", ")
    };
    let closed = if watchable { "" } else { " (spectators off)" };
    format!(
        "In {room}: {}; watching: {watching}{closed}.",
        seated(members, capacity)
    )
}

fn spectators_allowed(room: &RoomLabel, allowed: bool) -> String {
    if allowed {
        format!("* Spectators may watch {room} again.")
    } else {
        format!("* Nobody may watch {room} now; anyone watching was sent away.")
    }
}

fn scoreboard(room: &RoomLabel, scores: &[NamedScore]) -> String {
    let entries: Vec<String> = scores
        .iter()
        .map(|score| format!("{} {}", score.name, score.points))
        .collect();
    format!("Scores in {room}: {}.", entries.join(", "))
}

fn games_listing(games: &[GameListing]) -> String {
    let lines: Vec<String> = games
        .iter()
        .map(|game| {
            format!(
                "  {} - {} ({} rooms, {} players). Type /play {}",
                game.name, game.about, game.rooms, game.players, game.name
            )
        })
        .collect();
    format!("Games here:\n{}", lines.join("\n"))
}

fn listing(rooms: &[RoomListing], total: usize) -> String {
    if rooms.is_empty() {
        return "No public room is open: type /play to start one.".to_owned();
    }
    let shown: Vec<String> = rooms
        .iter()
        .map(|room| {
            let game = room
                .game
                .as_ref()
                .map(|game| format!(", {game}"))
                .unwrap_or_default();
            format!(
                "room {} ({}/{} players{game})",
                room.id, room.players, room.capacity
            )
        })
        .collect();
    let more = total.saturating_sub(rooms.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "Public rooms: {}{tail}. Join one with /join ROOM.",
        shown.join(", ")
    )
}

fn record(name: &str, wins: u64) -> String {
    match wins {
        0 => format!("* No wins on record for {name} yet: your wins count from now on."),
        1 => format!("* Welcome back, {name}: 1 round won on record."),
        n => format!("* Welcome back, {name}: {n} rounds won on record."),
    }
}

fn leaderboard(game: Option<&str>, all_time: &[LeaderLine], recent: &[LeaderLine]) -> String {
    let heading = match game {
        Some(game) => format!("Leaderboard ({game})"),
        None => "Leaderboard".to_owned(),
    };
    if all_time.is_empty() {
        return format!("{heading}: no wins yet. Choose a name with /name and win a round.");
    }
    let ranked = |lines: &[LeaderLine]| {
        let entries: Vec<String> = (1..)
            .zip(lines)
            .map(|(rank, line)| format!("{rank}. {} {}", line.name, line.wins))
            .collect();
        entries.join(", ")
    };
    let week = if recent.is_empty() {
        "nobody yet".to_owned()
    } else {
        ranked(recent)
    };
    format!(
        "{heading}, all time: {}. This week: {week}.",
        ranked(all_time)
    )
}

fn help() -> String {
    let mut text = String::from("Commands:");
    for (usage, what) in COMMANDS {
        text.push_str(&format!("\n  {usage:<12} {what}"));
    }
    text.push_str(
        "\nFair play: each round line ends with a commitment to the secret; the win reveals the \
         secret and a salt, checked by `referee verify COMMITMENT SECRET SALT ROUND`.",
    );
    text.push_str(
        "\nAnything else you type is a move: in guess-the-number, a number to guess; \
         in Liar's Dice, bid N FACE or liar.",
    );
    text
}

fn bye(reason: ByeReason) -> &'static str {
    match reason {
        ByeReason::Quit => "Goodbye!",
        ByeReason::Shutdown => "The server is shutting down. Goodbye!",
        ByeReason::Idle => "Goodbye! (no input for too long)",
        ByeReason::Replaced => "You connected again elsewhere; this connection closes. Goodbye!",
        ByeReason::Lobby => "Goodbye! (you joined no game for too long)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: u64) -> RoomLabel {
        RoomLabel { id, code: None }
    }

    fn seated(player: u64, name: &str) -> Seated {
        Seated {
            player: PlayerId(player),
            name: name.into(),
        }
    }

    #[test]
    fn welcome_says_which_player_you_are() {
        let welcome = |resumed| Notice::Welcome {
            player: PlayerId(7),
            name: "Player 7".into(),
            token: None,
            resumed,
            how_to_play: None,
        };
        assert!(
            welcome(false)
                .to_line()
                .starts_with("Welcome to Referee! You are player 7.")
        );
        assert!(welcome(true).to_line().contains("player 7 again"));
    }

    #[test]
    fn joined_lists_the_members_and_a_private_code() {
        let public = Notice::Joined {
            game: None,
            room: room(3),
            members: vec![seated(1, "Ann"), seated(2, "Bo")],
            capacity: 3,
        };
        assert_eq!(
            public.to_line(),
            "* You joined room 3 (2/3 players: Ann, Bo)."
        );
        let private = Notice::Joined {
            game: None,
            room: RoomLabel {
                id: 4,
                code: Some("KXQ7M".into()),
            },
            members: vec![seated(1, "Ann")],
            capacity: 3,
        };
        assert_eq!(
            private.to_line(),
            "* You joined private room KXQ7M (1/3 players: Ann). Friends join with: /join KXQ7M"
        );
    }

    #[test]
    fn announcements_chat_and_errors_have_their_prefixes() {
        assert!(
            Notice::MemberJoined {
                player: PlayerId(1),
                name: "A".into()
            }
            .to_line()
            .starts_with("* ")
        );
        assert_eq!(
            Notice::Chat {
                player: PlayerId(1),
                from: "A".into(),
                message: "hi".into()
            }
            .to_line(),
            "<A> hi"
        );
        assert_eq!(
            Notice::error(ErrorCode::Busy, "nope").to_line(),
            "error: nope"
        );
    }

    #[test]
    fn scoreboards_read_on_one_line() {
        let scores = vec![
            NamedScore {
                player: PlayerId(1),
                name: "Ann".into(),
                points: 2,
            },
            NamedScore {
                player: PlayerId(2),
                name: "Bo".into(),
                points: 0,
            },
        ];
        let line = Notice::Scores {
            room: room(1),
            scores,
        }
        .to_line();
        assert_eq!(line, "Scores in room 1: Ann 2, Bo 0.");
    }

    #[test]
    fn long_room_listings_are_summarised() {
        let rooms: Vec<_> = (1..=20)
            .map(|id| RoomListing {
                game: None,
                id,
                players: 1,
                capacity: 3,
            })
            .collect();
        let line = Notice::Rooms { rooms, total: 25 }.to_line();
        assert!(line.contains("room 20 (1/3 players) and 5 more."));
        let empty = Notice::Rooms {
            rooms: vec![],
            total: 0,
        };
        assert!(empty.to_line().starts_with("No public room"));
    }

    #[test]
    fn help_lists_every_command_and_no_line_is_empty() {
        let text = Notice::Help.to_line();
        for (usage, _) in COMMANDS {
            assert!(text.contains(usage), "{usage}");
        }
        assert!(text.lines().all(|line| !line.trim().is_empty()));
        assert!(text.contains("referee verify COMMITMENT SECRET SALT ROUND"));
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.starts_with("Anything else"))
        );
    }

    #[test]
    fn the_leaderboard_ranks_all_time_and_this_week() {
        let line = |name: &str, wins| LeaderLine {
            name: name.into(),
            wins,
        };
        let board = Notice::Leaderboard {
            game: None,
            all_time: vec![line("Ann", 12), line("Bo", 7)],
            recent: vec![line("Bo", 2)],
        };
        assert_eq!(
            board.to_line(),
            "Leaderboard, all time: 1. Ann 12, 2. Bo 7. This week: 1. Bo 2."
        );
        let empty = Notice::Leaderboard {
            game: None,
            all_time: vec![],
            recent: vec![],
        };
        assert!(empty.to_line().starts_with("Leaderboard: no wins yet."));
        let dice = Notice::Leaderboard {
            game: Some("dice".into()),
            all_time: vec![line("Cy", 1)],
            recent: vec![],
        };
        assert_eq!(
            dice.to_line(),
            "Leaderboard (dice), all time: 1. Cy 1. This week: nobody yet."
        );
    }

    #[test]
    fn records_greet_returning_players() {
        let back = Notice::Record {
            name: "Ann".into(),
            wins: 3,
        };
        assert_eq!(
            back.to_line(),
            "* Welcome back, Ann: 3 rounds won on record."
        );
    }

    #[test]
    fn spectators_and_dropped_players_are_announced() {
        let watching = Notice::Watching {
            game: None,
            room: room(2),
            members: vec![seated(1, "Ann")],
            capacity: 3,
        };
        assert_eq!(
            watching.to_line(),
            "* You are watching room 2 (1/3 players: Ann). Type /leave to stop."
        );
        let away = Notice::MemberAway {
            player: PlayerId(1),
            name: "Ann".into(),
            seconds: 30,
        };
        assert_eq!(
            away.to_line(),
            "* Ann lost their connection; their seat is kept for 30 s."
        );
        let back = Notice::MemberBack {
            player: PlayerId(1),
            name: "Ann".into(),
        };
        assert_eq!(back.to_line(), "* Ann is back.");
    }

    #[test]
    fn spectators_are_announced_and_listed() {
        let joined = Notice::SpectatorJoined {
            player: PlayerId(7),
            name: "Player 7".into(),
        };
        assert_eq!(joined.to_line(), "* Player 7 is watching.");
        let left = Notice::SpectatorLeft {
            player: PlayerId(7),
            name: "Player 7".into(),
        };
        assert_eq!(left.to_line(), "* Player 7 stopped watching.");
        let who = |spectators: Vec<Seated>, watchable| Notice::Who {
            room: room(2),
            members: vec![seated(1, "Ann")],
            capacity: 3,
            spectators,
            watchable,
        };
        assert_eq!(
            who(vec![seated(7, "Player 7")], true).to_line(),
            "In room 2: 1/3 players: Ann; watching: Player 7."
        );
        assert_eq!(
            who(vec![], false).to_line(),
            "In room 2: 1/3 players: Ann; watching: nobody (spectators off)."
        );
    }

    #[test]
    fn goodbyes_say_why() {
        let shutdown = Notice::Bye {
            reason: ByeReason::Shutdown,
        };
        assert_eq!(shutdown.to_line(), "The server is shutting down. Goodbye!");
    }
}
