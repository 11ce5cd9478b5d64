//! Actors on tokio, done so that a call can never hang and a panic never spreads.
//!
//! # The model in one page
//!
//! Rust has no built-in actors. Here an **actor** is a tokio task that
//!
//! * owns some private state (your struct implementing [`Actor`]),
//! * holds the only receiver of its **mailbox**, a bounded queue (a ring of its own: see
//!   `docs/semantics.md` §3 for how senders wait for room, first come first served),
//! * and loops: take one message, call its [`Handler`], take the next.
//!
//! Nobody else can touch the state: the only way in is an [`ActorHandle`], a cloneable
//! wrapper around a sender of the mailbox. One actor, many handles — one per player session,
//! say. Because messages are handled one at a time, the state needs no lock and two requests
//! can never interleave: whatever the actor decides is the single source of truth.
//!
//! ## Two kinds of message
//!
//! * **Fire-and-forget** — [`tell`](ActorHandle::tell): "increment the score". The message
//!   goes into the mailbox and the caller moves on. Only one channel is involved.
//! * **Request–response** — [`ask`](ActorHandle::ask): "what is my score?". The actor does
//!   not know who sent a message, so the message must carry a way back. `ask` makes a
//!   **one-shot reply channel for this one request**, puts its sender inside the message,
//!   and waits on its receiver; the actor answers through it, and the channel is gone.
//!   This is the classic `sync_message`; `ask` hides the channel, so the caller writes
//!   `let score = scores.ask(GetScore { player }).await?;` and the compiler knows `score`'s
//!   type from [`Message::Reply`].
//!
//! | channel | made by | lives | sender held by | receiver held by |
//! |---|---|---|---|---|
//! | mailbox | [`ActorBuilder::spawn`] (or [`prepare`](ActorBuilder::prepare)) | as long as the actor | every [`ActorHandle`] | the actor's loop |
//! | reply | each `ask` call | one request | inside the message | the asking caller |
//!
//! ## Handlers do not wait
//!
//! A [`Handler`] is a plain function from (state, message) to reply, as Erlang's
//! `handle_call`. It cannot `.await`, so it cannot be stuck waiting on another actor that is
//! waiting on it: no cycle of actors can deadlock through their handlers. When an actor needs
//! another actor's answer it asks with [`Context::ask_into`], and the answer comes back later
//! as a message in its own mailbox; for anything else that takes time — a timer, I/O — it
//! starts it with [`Context::pipe_to_self`] and gets the result back the same way, handling
//! others meanwhile. An actor whose handlers block a thread (a database connection) runs on a thread
//! of its own: [`ActorBuilder::spawn_thread`]. Only the lifecycle hooks (`started`,
//! `stopped`) are async.
//!
//! ## Why bounded, and why a timeout
//!
//! An unbounded mailbox turns a slow actor into unbounded memory. Bounded, a full mailbox
//! pushes back: `tell` waits for room (in line, first come first served),
//! [`try_tell`](ActorHandle::try_tell) hands the message back at once. An `ask` waits at most its timeout (5 s by default, as Erlang's
//! `gen_server:call`; [`Timeout::Never`] must be asked for explicitly) and always resolves
//! with the reply or an [`AskError`] that says why: not running, mailbox full, handler
//! panicked, actor stopped, timed out.
//!
//! ## Threads welcome
//!
//! [`blocking_ask`](ActorHandle::blocking_ask) and [`blocking_tell`](ActorHandle::blocking_tell)
//! work from a plain `std::thread` with no runtime; inside a runtime they return
//! `WouldBlock` instead of stalling it.
//!
//! ## Crashes stay contained
//!
//! A panicking handler never takes the process down. Without supervision the actor stops
//! with [`StopReason::Panicked`]; with [`ActorBuilder::spawn_supervised`] it is rebuilt by a
//! factory, keeping its mailbox so that handles and queued messages survive, up to a
//! [`RestartPolicy`] limit.
//!
//! The guarantees are listed, each with the test that pins it down, in `docs/semantics.md`.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use referee_actor::{Actor, Context, Handler, Message, spawn};
//!
//! #[derive(Default)]
//! struct Scores(HashMap<u32, u32>);
//! impl Actor for Scores {}
//!
//! /// Fire-and-forget.
//! struct Increment { player: u32 }
//! impl Message for Increment { type Reply = (); }
//! impl Handler<Increment> for Scores {
//!     fn handle(&mut self, msg: Increment, _: &mut Context<Self>) {
//!         *self.0.entry(msg.player).or_default() += 1;
//!     }
//! }
//!
//! /// Request–response.
//! struct GetScore { player: u32 }
//! impl Message for GetScore { type Reply = u32; }
//! impl Handler<GetScore> for Scores {
//!     fn handle(&mut self, msg: GetScore, _: &mut Context<Self>) -> u32 {
//!         self.0.get(&msg.player).copied().unwrap_or(0)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scores = spawn(Scores::default());
//! scores.tell(Increment { player: 1 }).await?;
//! scores.tell(Increment { player: 1 }).await?;
//! let score: u32 = scores.ask(GetScore { player: 1 }).await?;
//! assert_eq!(score, 2);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod actor;
mod ask;
mod ask_into;
mod blocking;
mod context;
mod deadline;
mod envelope;
mod error;
mod handle;
mod mailbox;
mod recipient;
mod reply;
mod runner;
mod shared;
mod spawn;
mod stats;
mod stop;
mod supervision;
mod sync;
mod timeout;
mod watchdog;
mod weak;

pub use actor::{Actor, Answer, Handler, Message};
pub use ask::AskFuture;
pub use context::Context;
pub use error::{AskError, TellError, WouldBlock};
pub use handle::ActorHandle;
pub use recipient::{Recipient, WeakRecipient};
pub use reply::ReplyTo;
pub use spawn::{ActorBuilder, DEFAULT_MAILBOX_CAPACITY, MAX_MAILBOX_CAPACITY, spawn};
pub use stats::ActorStats;
pub use stop::{Panic, StopReason};
pub use supervision::RestartPolicy;
pub use timeout::{DEFAULT_ASK_TIMEOUT, Timeout};
pub use weak::WeakActorHandle;
