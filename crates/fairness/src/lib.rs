//! Proof that a race was refereed fairly, from what the players saw.
//!
//! Each player keeps a [`Log`]: every guess they sent and every line they heard, in the order
//! they saw them. [`check`] reads all the logs of a game together and finds every
//! [`Violation`] of the referee's promises:
//!
//! * exactly one winner per round, the same one for everyone in the room, with the same
//!   secret;
//! * the winning guess was correct, and every other guess for that round with the secret in it
//!   was told "another player won in the meantime" — the first correct guess the referee took
//!   won, later ones lost;
//! * every hint agrees with the secret the round turned out to have;
//! * "another player won" only for a round someone did win, and never to the winner;
//! * every answer is about the guess its player sent (value and round): no reply reached the
//!   wrong player;
//! * each room's final scoreboard equals the wins its players were told about;
//! * everyone in a room heard one commitment per round, and its win's revealed secret and
//!   salt open it (docs/protocol.md, "Provably fair rounds").
//!
//! Pure: no I/O, no clock. The players must tag each guess with its round (`7 @3`, or over
//! WebSocket `"value": "7 @3"`), so that what a guess was for is not a matter of timing.
//! Players of either protocol are checked together: a WebSocket player's log keeps each
//! message's `text`, which is what the line protocol shows for it ([`Log::heard_json`]).
//!
//! Liar's Dice tables have their own promises and logs: see [`dice`].
//!
//! Test support, not a published library: the server's integration tests (`fairness.rs`,
//! `hostile.rs`) drive real bots, log what they saw, and hand the logs to [`check`]. It is
//! its own unpublished crate so that it stays pure (its dependencies are serde and, for the
//! commitments, the pure rules crate), keeps its unit tests, and is no part of the load
//! generator's API.
//!
//! # Example
//!
//! ```
//! use referee_fairness::{Log, check};
//!
//! let mut ann = Log::new("Ann", 1);
//! ann.sent(7, 1);
//! ann.heard("Correct! 7 was the number. You won round 1 and now have 1 point.");
//! let verdict = check(&[ann]).unwrap_or_default();
//! assert_eq!(verdict.rounds, 1);
//! ```

mod commitments;
pub mod dice;
mod judge;
mod lines;
mod log;
mod violation;

pub use judge::check;
pub use log::{Log, Seen};
pub use violation::{Verdict, Violation};

#[cfg(test)]
mod tests;
