//! The Referee game server: rooms of players, each room refereed by one actor.
//!
//! ```text
//!  nc ──TCP (lines)──┐
//!                    ├─▶ connection ──ask/tell──▶ room (referee actor) ──▶ rules (pure)
//!  browser ──WS (JSON)┘   (reader+writer)  ▲           │ push (try_send)
//!                                          └─ outbox ◀─┘
//!                          └──ask──▶ lobby actor (directory of rooms, seats)
//!                          └──tell─▶ parking actor (seats of dropped browser players)
//! ```
//!
//! * **Rooms** (`room`): one referee actor per room, owning a `G: referee_rules::Game`. It is
//!   the single source of truth: guesses are handled one at a time, so a round has exactly one
//!   winner, and everyone is told at once.
//! * **Lobby** (`lobby`): finds seats (quick match, by number, by private code), makes rooms
//!   on demand and forgets them when empty.
//! * **Sessions** (`session`): what a player's line makes happen, independent of transport.
//! * **TCP** (`tcp`): accepting within a connection limit; per connection a reader task and a
//!   writer task joined by a bounded outbox. A client that stops reading is disconnected, never
//!   allowed to stall its room.
//! * **WebSocket** (`ws`) and **HTTP** (`http`): the same sessions speaking JSON, the web page,
//!   the leaderboard, health, metrics and the status page (axum).
//! * **Records** (`records`, `board`): the recorder commits won rounds; the board answers
//!   leaderboard reads on a connection of its own, never through the recorder's mailbox.
//! * **Parking** (`parking`): a browser player whose connection drops keeps their seat for a
//!   while, and gets it back with their token.
//!
//! [`Server::run`] takes a bound listener and a shutdown future, so `main` passes Ctrl-C and
//! tests pass a one-shot (STYLE §7).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod accept;
mod admission;
mod attempts;
mod board;
mod census;
pub mod cluster;
mod config;
mod connections;
mod encoding;
mod http;
mod idle;
mod ids;
mod kick;
mod limits;
mod link;
mod lobby;
mod lobby_timer;
mod metrics;
mod outbox;
mod parking;
mod queue;
mod rate;
mod reader;
mod records;
mod room;
mod seating;
mod seen;
mod server;
mod session;
mod shard;
mod shared;
pub mod shutdown;
mod tcp;
mod tell;
mod ws;

pub use config::{ServerConfig, ServerConfigBuilder};
pub use rate::RateLimit;
pub use server::{Server, ServerError};
pub use shard::{ShardThreads, Shards};
