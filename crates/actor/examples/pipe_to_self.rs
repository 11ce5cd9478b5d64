//! Waiting without blocking: a handler starts slow work and keeps serving meanwhile.
//!
//! `cargo run -p referee-actor --example pipe_to_self`
//!
//! Handlers are synchronous, so an actor never sits blocked on another actor (and two actors
//! can never deadlock waiting on each other). To wait for something, a handler hands the
//! future to `ctx.pipe_to_self`; its result comes back later as an ordinary message.

use std::time::Duration;

use referee_actor::{Actor, Context, Handler, Message, spawn};

#[derive(Default)]
struct Lobby {
    log: Vec<String>,
}

impl Actor for Lobby {}

/// Starts a slow lookup (think: a database) and returns at once.
struct LookUp(&'static str);
impl Message for LookUp {
    type Reply = ();
}
impl Handler<LookUp> for Lobby {
    fn handle(&mut self, msg: LookUp, ctx: &mut Context<Self>) {
        self.log.push(format!("looking up {}", msg.0));
        let name = msg.0;
        let slow = async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            name.len()
        };
        ctx.pipe_to_self(slow, move |len| Found { name, len });
    }
}

/// The lookup's result, delivered as a message.
struct Found {
    name: &'static str,
    len: usize,
}
impl Message for Found {
    type Reply = ();
}
impl Handler<Found> for Lobby {
    fn handle(&mut self, msg: Found, _: &mut Context<Self>) {
        self.log
            .push(format!("found {} ({} letters)", msg.name, msg.len));
    }
}

/// Anything else, served while the lookup runs.
struct Ping;
impl Message for Ping {
    type Reply = Vec<String>;
}
impl Handler<Ping> for Lobby {
    fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> Vec<String> {
        self.log.push("pong".into());
        self.log.clone()
    }
}

#[tokio::main]
async fn main() {
    let lobby = spawn(Lobby::default());
    let _ = lobby.tell(LookUp("alice")).await;
    println!(
        "right away: {:?}",
        lobby.ask(Ping).await.unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!(
        "later:      {:?}",
        lobby.ask(Ping).await.unwrap_or_default()
    );
}
