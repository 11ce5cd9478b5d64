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
use serde::Serialize;

use crate::command::COMMANDS;

/// How a room is named to players: by number, or by join code for a private room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

/// One line of a scoreboard, with the player's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedScore {
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
}

/// A message from the server itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// The first thing a connection hears.
    Welcome {
        /// The player's number for this connection.
        player: PlayerId,
    },
    /// You sat down in a room.
    Joined {
        /// Which room.
        room: RoomLabel,
        /// Everyone seated, you included.
        members: Vec<String>,
        /// Seats in all.
        capacity: usize,
    },
    /// Someone else sat down in your room.
    MemberJoined {
        /// Their name.
        name: String,
    },
    /// Someone left your room.
    MemberLeft {
        /// Their name.
        name: String,
    },
    /// The server removed someone from your room.
    MemberDropped {
        /// Their name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Someone in your room changed their name.
    Renamed {
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
    /// The leaderboard.
    Leaderboard {
        /// Most wins of all time.
        all_time: Vec<LeaderLine>,
        /// Most wins in the last seven days.
        recent: Vec<LeaderLine>,
    },
    /// A chat message.
    Chat {
        /// Who said it.
        from: String,
        /// What they said (already cleaned).
        text: String,
    },
    /// A room's scoreboard.
    Scores {
        /// Which room.
        room: RoomLabel,
        /// Highest first.
        scores: Vec<NamedScore>,
    },
    /// The public rooms.
    Rooms {
        /// Rooms with their seats (the first few).
        rooms: Vec<RoomListing>,
        /// How many public rooms there are in all.
        total: usize,
    },
    /// You left a room.
    Left {
        /// Which room.
        room: RoomLabel,
    },
    /// The room's referee crashed and was restarted from the last consistent state.
    RefereeRestarted,
    /// The list of commands.
    Help,
    /// Something went wrong; the session goes on unless a `Bye` follows.
    Error {
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
    pub fn error(message: impl fmt::Display) -> Self {
        Notice::Error {
            message: message.to_string(),
        }
    }

    /// The notice as protocol text, without the final newline.
    pub fn to_line(&self) -> String {
        match self {
            Notice::Welcome { player } => format!(
                "Welcome to Referee! You are player {player}.\n\
                 Type a number to guess; /help lists the commands."
            ),
            Notice::Joined {
                room,
                members,
                capacity,
            } => joined(room, members, *capacity),
            Notice::MemberJoined { name } => format!("* {name} joined the room."),
            Notice::MemberLeft { name } => format!("* {name} left the room."),
            Notice::MemberDropped { name, reason } => {
                format!("* {name} was disconnected ({reason}).")
            }
            Notice::Renamed { old, new } => format!("* {old} is now known as {new}."),
            Notice::NameSet { name } => format!("* You are now known as {name}."),
            Notice::Record { name, wins } => record(name, *wins),
            Notice::Leaderboard { all_time, recent } => leaderboard(all_time, recent),
            Notice::Chat { from, text } => format!("<{from}> {text}"),
            Notice::Scores { room, scores } => scoreboard(room, scores),
            Notice::Rooms { rooms, total } => listing(rooms, *total),
            Notice::Left { room } => {
                format!("* You left {room}. Type /play for a new game, or /rooms to see the rooms.")
            }
            Notice::RefereeRestarted => {
                "* The referee hit a problem and restarted; seats and scores are kept.".to_owned()
            }
            Notice::Help => help(),
            Notice::Error { message } => format!("error: {message}"),
            Notice::Bye { reason } => bye(*reason).to_owned(),
        }
    }
}

fn joined(room: &RoomLabel, members: &[String], capacity: usize) -> String {
    let seated = format!(
        "{}/{capacity} players: {}",
        members.len(),
        members.join(", ")
    );
    match &room.code {
        Some(code) => format!("* You joined {room} ({seated}). Friends join with: /join {code}"),
        None => format!("* You joined {room} ({seated})."),
    }
}

fn scoreboard(room: &RoomLabel, scores: &[NamedScore]) -> String {
    let entries: Vec<String> = scores
        .iter()
        .map(|score| format!("{} {}", score.name, score.points))
        .collect();
    format!("Scores in {room}: {}.", entries.join(", "))
}

fn listing(rooms: &[RoomListing], total: usize) -> String {
    if rooms.is_empty() {
        return "No public room is open: type /play to start one.".to_owned();
    }
    let shown: Vec<String> = rooms
        .iter()
        .map(|room| {
            format!(
                "room {} ({}/{} players)",
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

fn leaderboard(all_time: &[LeaderLine], recent: &[LeaderLine]) -> String {
    if all_time.is_empty() {
        return "Leaderboard: no wins yet. Choose a name with /name and win a round.".to_owned();
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
        "Leaderboard, all time: {}. This week: {week}.",
        ranked(all_time)
    )
}

fn help() -> String {
    let mut text = String::from("Commands:");
    for (usage, what) in COMMANDS {
        text.push_str(&format!("\n  {usage:<12} {what}"));
    }
    text.push_str("\nAnything else you type is a move: in this game, a number to guess.");
    text
}

fn bye(reason: ByeReason) -> &'static str {
    match reason {
        ByeReason::Quit => "Goodbye!",
        ByeReason::Shutdown => "The server is shutting down. Goodbye!",
        ByeReason::Idle => "Goodbye! (no input for too long)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: u64) -> RoomLabel {
        RoomLabel { id, code: None }
    }

    #[test]
    fn welcome_says_which_player_you_are() {
        let line = Notice::Welcome {
            player: PlayerId(7),
        }
        .to_line();
        assert!(line.starts_with("Welcome to Referee! You are player 7."));
    }

    #[test]
    fn joined_lists_the_members_and_a_private_code() {
        let public = Notice::Joined {
            room: room(3),
            members: vec!["Ann".into(), "Bo".into()],
            capacity: 3,
        };
        assert_eq!(
            public.to_line(),
            "* You joined room 3 (2/3 players: Ann, Bo)."
        );
        let private = Notice::Joined {
            room: RoomLabel {
                id: 4,
                code: Some("KXQ7M".into()),
            },
            members: vec!["Ann".into()],
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
            Notice::MemberJoined { name: "A".into() }
                .to_line()
                .starts_with("* ")
        );
        assert_eq!(
            Notice::Chat {
                from: "A".into(),
                text: "hi".into()
            }
            .to_line(),
            "<A> hi"
        );
        assert_eq!(Notice::error("nope").to_line(), "error: nope");
    }

    #[test]
    fn scoreboards_read_on_one_line() {
        let scores = vec![
            NamedScore {
                name: "Ann".into(),
                points: 2,
            },
            NamedScore {
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
    }

    #[test]
    fn the_leaderboard_ranks_all_time_and_this_week() {
        let line = |name: &str, wins| LeaderLine {
            name: name.into(),
            wins,
        };
        let board = Notice::Leaderboard {
            all_time: vec![line("Ann", 12), line("Bo", 7)],
            recent: vec![line("Bo", 2)],
        };
        assert_eq!(
            board.to_line(),
            "Leaderboard, all time: 1. Ann 12, 2. Bo 7. This week: 1. Bo 2."
        );
        let empty = Notice::Leaderboard {
            all_time: vec![],
            recent: vec![],
        };
        assert!(empty.to_line().starts_with("Leaderboard: no wins yet."));
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
    fn goodbyes_say_why() {
        let shutdown = Notice::Bye {
            reason: ByeReason::Shutdown,
        };
        assert_eq!(shutdown.to_line(), "The server is shutting down. Goodbye!");
    }
}
