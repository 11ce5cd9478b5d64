//! Referee's wire protocols as pure functions on bytes and strings — no sockets, no tokio.
//!
//! * [`framing`]: cutting a byte stream into lines, with a length limit and a typed error
//!   for a line that is not UTF-8 (the session goes on) or too long (the session ends).
//! * [`command`]: what a player's line means — a `/command` or a game move.
//! * [`notice`]: the server's own messages (welcome, joins, chat, scoreboards, errors), and
//!   how each reads as text.
//! * [`json`]: the WebSocket protocol — JSON requests with ids, JSON pushes with a version.
//! * [`text`]: cleaning what players type before it reaches anyone else's terminal.
//!
//! The server owns the sockets; this crate only says what the bytes mean, so every rule of
//! the protocol is tested without a network. `docs/protocol.md` is the reference.
//!
//! ```
//! use referee_protocol::command::{Command, Input, parse};
//! assert!(matches!(parse("/name Alice"), Ok(Input::Command(Command::Name("Alice")))));
//! assert!(matches!(parse("7"), Ok(Input::Move("7"))));
//! assert!(parse("/dance").is_err());
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod command;
pub mod framing;
pub mod json;
pub mod notice;
pub mod text;
