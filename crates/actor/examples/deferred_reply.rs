//! Deferred replies: every player asks "start when everyone is ready" and the table answers
//! them all at once, when the last one arrives — while it goes on handling other messages.
//!
//! The table implements `Answer` (not `Handler`) for `Ready`: it keeps each asker's
//! `ReplyTo` and sends into it later. The askers just `ask`, with their usual deadline and
//! typed errors; one who gives up is simply not answered.
//!
//! Run with `cargo run -p referee-actor --example deferred_reply`.

use std::time::Duration;

use referee_actor::{Actor, Answer, Context, Handler, Message, ReplyTo, spawn};

/// Seats `size` players; starts the match when all of them are ready.
struct Table {
    size: usize,
    ready: Vec<(String, ReplyTo<Start>)>,
}

impl Actor for Table {}

/// "I am ready": answered when the match starts.
struct Ready(String);

/// What every ready player hears: who plays, in seat order.
#[derive(Debug, Clone)]
struct Start {
    players: Vec<String>,
}

impl Message for Ready {
    type Reply = Start;
}

impl Answer<Ready> for Table {
    fn answer(&mut self, ready: Ready, reply: ReplyTo<Start>, _: &mut Context<Self>) {
        // Someone who already gave up waiting frees their place.
        self.ready.retain(|(_, waiting)| !waiting.is_closed());
        self.ready.push((ready.0, reply));
        if self.ready.len() < self.size {
            return; // keep the slot: the answer comes later
        }
        let start = Start {
            players: self.ready.iter().map(|(name, _)| name.clone()).collect(),
        };
        for (_, waiting) in self.ready.drain(..) {
            let _ = waiting.send(start.clone());
        }
    }
}

/// An ordinary request, answered at once, even while players wait.
struct HowManyReady;

impl Message for HowManyReady {
    type Reply = usize;
}

impl Handler<HowManyReady> for Table {
    fn handle(&mut self, _: HowManyReady, _: &mut Context<Self>) -> usize {
        self.ready
            .iter()
            .filter(|(_, waiting)| !waiting.is_closed())
            .count()
    }
}

type Waiting = tokio::task::JoinHandle<Result<Start, referee_actor::AskError<Ready>>>;

/// `name` asks to start, in a task of its own; returns once the table counted them.
async fn ready_soon(
    table: &referee_actor::ActorHandle<Table>,
    name: &str,
) -> Result<Waiting, referee_actor::AskError<HowManyReady>> {
    let before = table.ask(HowManyReady).await?;
    let asking = table.clone();
    let name = name.to_owned();
    let waiting = tokio::spawn(async move { asking.ask(Ready(name)).await });
    while table.ask(HowManyReady).await? == before {
        tokio::task::yield_now().await;
    }
    Ok(waiting)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let table = spawn(Table {
        size: 3,
        ready: Vec::new(),
    });

    let mut players = Vec::new();
    players.push(ready_soon(&table, "Ann").await?);

    // A player who will not wait long: their ask ends with a typed timeout, and their place
    // frees (the table sees the slot closed).
    let eve = table
        .ask_with(Ready("Eve".into()), Duration::from_millis(20))
        .await;
    if let Err(err) = eve {
        println!("Eve gave up: {err}");
    }

    players.push(ready_soon(&table, "Bob").await?);
    // The table is not stuck on the waiting asks.
    println!("{} of 3 ready", table.ask(HowManyReady).await?);

    let last = table.ask(Ready("Cid".into())).await?;
    println!("Cid hears: match starts with {:?}", last.players);
    for player in players {
        println!("and the others heard: {:?}", player.await??.players);
    }
    Ok(())
}
