//! Model A — fire-and-forget: players `tell` the score keeper to add points and move on.
//!
//! `cargo run -p referee-actor --example fire_and_forget`
//!
//! One mailbox, one receiver (the actor), many senders (cloned handles). No reply channel
//! is involved: `tell` returns as soon as the message is in the mailbox.

use std::collections::BTreeMap;

use referee_actor::{Actor, Context, Handler, Message, spawn};

/// The actor's private state: nobody else can touch it.
#[derive(Default)]
struct ScoreKeeper {
    scores: BTreeMap<&'static str, u32>,
}

impl Actor for ScoreKeeper {
    // Runs once the last handle is gone and every queued message was handled.
    async fn stopped(&mut self, _reason: &referee_actor::StopReason) {
        println!("final scores: {:?}", self.scores);
    }
}

/// "Increment score": no answer expected.
struct AddPoint {
    player: &'static str,
}

impl Message for AddPoint {
    type Reply = ();
}

impl Handler<AddPoint> for ScoreKeeper {
    fn handle(&mut self, msg: AddPoint, _ctx: &mut Context<Self>) {
        *self.scores.entry(msg.player).or_default() += 1;
    }
}

#[tokio::main]
async fn main() {
    let keeper = spawn(ScoreKeeper::default());
    let mut players = Vec::new();
    for (player, points) in [("alice", 3), ("bob", 5), ("carol", 2)] {
        // Each player holds its own clone of the handle: a sender of the same mailbox.
        let keeper = keeper.clone();
        players.push(tokio::spawn(async move {
            for _ in 0..points {
                if keeper.tell(AddPoint { player }).await.is_err() {
                    eprintln!("the score keeper has stopped");
                }
            }
        }));
    }
    for player in players {
        let _ = player.await;
    }
    // Dropping the last handle lets the actor drain its mailbox and stop. A weak handle can
    // still watch for that end without keeping the actor alive.
    let watcher = keeper.downgrade();
    drop(keeper);
    let reason = watcher.wait_stopped().await;
    println!("score keeper {reason}");
}
