//! Location-transparent `tell` and `ask` for [`referee_actor`] actors, over NATS.
//!
//! A game room lives on one node; its players may be connected to any node. This crate lets
//! a caller reach an actor the same way wherever it runs: [`serve`] puts a local actor on a
//! NATS subject, a [`RemoteHandle`] on any node tells and asks it there, and a [`Handle`]
//! is either kind — in-process asks never touch NATS. Errors are the local handle's cases
//! ([`AskError`], [`TellError`]) plus the network's own: NATS's immediate "no responders"
//! is [`AskError::NotRunning`] (the room is gone), a lost reply is
//! [`AskError::Timeout`], a server stopped mid-request is [`AskError::ServerStopped`], an
//! envelope of another build is [`AskError::Rejected`].
//!
//! It stands on NATS rather than a home-made transport: NATS request–reply with a fresh
//! reply subject per request is the local ask's one-shot reply channel across machines,
//! and its "no responders" status answers at once what a home-made cluster would learn
//! only by timing out.
//!
//! Messages that cross are versioned serde types ([`RemoteMessage`]): every envelope says
//! its format, the message's wire name and version, and a receiver checks them before it
//! reads the body (a mismatch is a [`WireError`], answered, never guessed at). Pushes from an actor to a member's connection on
//! another node use [`push`] and [`subscribe`].
//!
//! What is guaranteed (at most once, per-connection order, no responders) and what is not
//! is written in `docs/semantics.md`, "Remote tell and ask", each with its test; how this
//! layer fits the cluster is in `docs/CLUSTER.md`.
//!
//! # Example
//!
//! ```
//! use referee_actor::{Actor, Context, Handler, Message, spawn};
//! use referee_remote::{AskError, Handle, RemoteHandle, RemoteMessage, serve};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Default)]
//! struct Counter(u32);
//! impl Actor for Counter {}
//!
//! #[derive(Serialize, Deserialize)]
//! struct Add(u32);
//! impl Message for Add { type Reply = u32; }
//! impl RemoteMessage for Add {
//!     const NAME: &'static str = "counter.add";
//!     const VERSION: u32 = 1;
//! }
//! impl Handler<Add> for Counter {
//!     fn handle(&mut self, add: Add, _: &mut Context<Self>) -> u32 {
//!         self.0 += add.0;
//!         self.0
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let Some(client) = referee_remote::testing::connect("crate_example").await? else {
//! #     return Ok(());
//! # };
//! # let subject = referee_remote::testing::unique_subject("crate_example");
//! let counter = spawn(Counter::default());
//! // On the node that hosts the actor:
//! let serving = serve(client.clone(), subject.as_str(), counter.recipient::<Add>()).await?;
//!
//! // On any node (here the same one, through NATS all the same):
//! let remote: Handle<Add> = RemoteHandle::new(client.clone(), subject.as_str()).into();
//! assert_eq!(remote.ask(Add(2)).await?, 2);
//!
//! // In-process: the same calls, straight into the mailbox.
//! let local: Handle<Add> = counter.recipient::<Add>().into();
//! assert_eq!(local.ask(Add(3)).await?, 5);
//!
//! // Once nobody serves the subject, NATS says so at once.
//! serving.stop().await;
//! assert!(matches!(remote.ask(Add(1)).await, Err(AskError::NotRunning(Add(1)))));
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod handle;
mod push;
mod remote;
mod serve;
pub mod testing;
mod wire;

pub use error::{AskError, TellError};
pub use handle::Handle;
pub use push::{PushError, Pushes, push, subscribe};
pub use remote::RemoteHandle;
pub use serve::{Serving, serve};
pub use wire::{FORMAT_VERSION, RemoteMessage, WireError};
