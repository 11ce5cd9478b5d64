//! What a player's line means: a `/command` for the server, or a move for the game.
//!
//! Commands are case-insensitive (`/HELP` works), arguments are trimmed. Anything not starting
//! with `/` is a move, passed to the game's own parser untouched.

use thiserror::Error;

/// One line from a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A server command.
    Command(Command<'a>),
    /// A game move, e.g. a guess: the game parses it.
    Move(&'a str),
    /// A blank line: ignored.
    Empty,
}

/// The server's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// `/help [GAME]`: list the commands, or explain a game's rules.
    Help(Option<&'a str>),
    /// `/name NAME`: set your display name.
    Name(&'a str),
    /// `/score`: the room's scoreboard.
    Score,
    /// `/say TEXT`: chat to the room.
    Say(&'a str),
    /// `/games`: the games this server hosts.
    Games,
    /// `/rooms`: list public rooms with free seats.
    Rooms,
    /// `/join ROOM`: join a public room by number or a private room by code.
    Join(&'a str),
    /// `/new [GAME]`: open a private room of a game (default: your current one) with a
    /// join code.
    New(Option<&'a str>),
    /// `/play [GAME]`: quick match into a public room of a game (default: your current
    /// one).
    Play(Option<&'a str>),
    /// `/watch ROOM`: watch a room without playing.
    Watch(&'a str),
    /// `/leave`: leave the room (or stop watching it).
    Leave,
    /// `/who`: who plays in the room and who watches it.
    Who,
    /// `/spectators on|off`: whether the private room you opened may be watched.
    Spectators(bool),
    /// `/top [GAME]`: the leaderboard of a game (default: the player's current one when the
    /// server hosts several; all games when it hosts one).
    Top(Option<&'a str>),
    /// `/ping`: the server answers `pong`.
    Ping,
    /// `/quit`: say goodbye and close the connection.
    Quit,
}

/// Why a command line was refused. The session goes on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    /// No such command.
    #[error("unknown command /{0} (type /help for the list)")]
    Unknown(String),
    /// The command needs an argument.
    #[error("/{command} needs an argument: {usage}")]
    MissingArgument {
        /// The command's name.
        command: &'static str,
        /// How to use it.
        usage: &'static str,
    },
    /// The command takes no argument.
    #[error("/{0} takes no argument")]
    UnexpectedArgument(&'static str),
    /// The command's argument is not one it takes.
    #[error("/{command} takes {usage}")]
    BadArgument {
        /// The command's name.
        command: &'static str,
        /// How to use it.
        usage: &'static str,
    },
}

/// Every command with its usage and what it does: the `/help` text and the docs come from it.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "/help [GAME]",
        "list the commands, or how GAME is played (/help dice)",
    ),
    ("/games", "the games here, with their rooms and players"),
    (
        "/name NAME",
        "set your name (letters, digits, - and _, up to 20)",
    ),
    ("/score", "the scoreboard of your room"),
    ("/say TEXT", "chat to your room"),
    ("/rooms", "list the public rooms"),
    (
        "/join ROOM",
        "join a public room by number, or a private one by code",
    ),
    (
        "/new [GAME]",
        "open a private room (of GAME, else your game) and get its code",
    ),
    (
        "/play [GAME]",
        "quick match: join a room of GAME (else your game) that is filling, or a new one",
    ),
    (
        "/watch ROOM",
        "watch a room by number or code, without playing",
    ),
    ("/leave", "leave your room, or stop watching"),
    ("/who", "who plays in your room, and who watches it"),
    (
        "/spectators on|off",
        "let others watch the private room you opened, or not (it is on at first)",
    ),
    (
        "/top [GAME]",
        "the leaderboard (of GAME, else of your game when there are several)",
    ),
    ("/ping", "check the connection: the server answers pong"),
    ("/quit", "say goodbye"),
];

/// Reads one line (already stripped of its newline).
///
/// # Errors
/// A [`CommandError`] for an unknown command or a wrong number of arguments.
pub fn parse(line: &str) -> Result<Input<'_>, CommandError> {
    let line = line.trim();
    let Some(body) = line.strip_prefix('/') else {
        return Ok(if line.is_empty() {
            Input::Empty
        } else {
            Input::Move(line)
        });
    };
    let (name, arg) = match body.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (body, ""),
    };
    command(&name.to_ascii_lowercase(), arg).map(Input::Command)
}

fn command<'a>(name: &str, arg: &'a str) -> Result<Command<'a>, CommandError> {
    match name {
        "help" | "?" => Ok(Command::Help(optional(arg))),
        "name" | "nick" => needs("name", "/name NAME", arg).map(Command::Name),
        "score" | "scores" => bare("score", arg, Command::Score),
        "say" => needs("say", "/say TEXT", arg).map(Command::Say),
        "rooms" => bare("rooms", arg, Command::Rooms),
        "games" => bare("games", arg, Command::Games),
        "join" => needs("join", "/join ROOM (a room number or a code)", arg).map(Command::Join),
        "new" => Ok(Command::New(optional(arg))),
        "play" => Ok(Command::Play(optional(arg))),
        "watch" => needs("watch", "/watch ROOM (a room number or a code)", arg).map(Command::Watch),
        "leave" => bare("leave", arg, Command::Leave),
        "who" => bare("who", arg, Command::Who),
        "spectators" => switch(arg).map(Command::Spectators),
        "ping" => bare("ping", arg, Command::Ping),
        "top" => Ok(Command::Top(optional(arg))),
        "quit" | "exit" => bare("quit", arg, Command::Quit),
        other => Err(CommandError::Unknown(crate::text::excerpt(other, 24))),
    }
}

/// An optional argument (a game's name).
fn optional(arg: &str) -> Option<&str> {
    (!arg.is_empty()).then_some(arg)
}

fn bare<'a>(
    name: &'static str,
    arg: &str,
    command: Command<'a>,
) -> Result<Command<'a>, CommandError> {
    if arg.is_empty() {
        Ok(command)
    } else {
        Err(CommandError::UnexpectedArgument(name))
    }
}

/// `on` or `off`, for `/spectators`.
fn switch(arg: &str) -> Result<bool, CommandError> {
    const USAGE: &str = "on or off";
    match arg.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        "" => Err(CommandError::MissingArgument {
            command: "spectators",
            usage: USAGE,
        }),
        _ => Err(CommandError::BadArgument {
            command: "spectators",
            usage: USAGE,
        }),
    }
}

fn needs<'a>(
    command: &'static str,
    usage: &'static str,
    arg: &'a str,
) -> Result<&'a str, CommandError> {
    if arg.is_empty() {
        Err(CommandError::MissingArgument { command, usage })
    } else {
        Ok(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_text_is_a_move() {
        assert_eq!(parse(" 12 "), Ok(Input::Move("12")));
        assert_eq!(parse("7 @3"), Ok(Input::Move("7 @3")));
    }

    #[test]
    fn blank_lines_are_empty() {
        assert_eq!(parse("   "), Ok(Input::Empty));
        assert_eq!(parse(""), Ok(Input::Empty));
    }

    #[test]
    fn commands_are_case_insensitive_and_trimmed() {
        assert_eq!(parse("/HELP"), Ok(Input::Command(Command::Help(None))));
        assert_eq!(
            parse("/say   hello there "),
            Ok(Input::Command(Command::Say("hello there")))
        );
        assert_eq!(
            parse("/join K7QX"),
            Ok(Input::Command(Command::Join("K7QX")))
        );
        assert_eq!(parse("/TOP"), Ok(Input::Command(Command::Top(None))));
        assert_eq!(
            parse("/top  dice "),
            Ok(Input::Command(Command::Top(Some("dice"))))
        );
    }

    #[test]
    fn every_listed_command_parses() {
        for (usage, _) in COMMANDS {
            let line = usage
                .replace("NAME", "Al")
                .replace("TEXT", "hi")
                .replace("ROOM", "1")
                .replace("[GAME]", "dice")
                .replace("on|off", "off");
            assert!(parse(&line).is_ok(), "{line}");
        }
    }

    #[test]
    fn unknown_commands_are_named_in_the_error() {
        assert_eq!(parse("/dance"), Err(CommandError::Unknown("dance".into())));
        assert_eq!(
            parse("/dance").map_err(|e| e.to_string()),
            Err("unknown command /dance (type /help for the list)".into())
        );
    }

    #[test]
    fn missing_and_extra_arguments_are_errors() {
        assert!(matches!(
            parse("/name"),
            Err(CommandError::MissingArgument {
                command: "name",
                ..
            })
        ));
        assert_eq!(
            parse("/quit now"),
            Err(CommandError::UnexpectedArgument("quit"))
        );
    }

    #[test]
    fn spectators_takes_on_or_off() {
        assert_eq!(
            parse("/spectators OFF"),
            Ok(Input::Command(Command::Spectators(false)))
        );
        assert_eq!(
            parse("/spectators on"),
            Ok(Input::Command(Command::Spectators(true)))
        );
        assert!(matches!(
            parse("/spectators"),
            Err(CommandError::MissingArgument { .. })
        ));
        assert!(matches!(
            parse("/spectators maybe"),
            Err(CommandError::BadArgument { .. })
        ));
        assert_eq!(parse("/who"), Ok(Input::Command(Command::Who)));
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in ".{0,200}") {
            let _ = parse(&line);
        }
    }
}
