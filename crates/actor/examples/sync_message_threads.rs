//! Model B — request–response from plain threads: the seed's `sync_message`.
//!
//! `cargo run -p referee-actor --example sync_message_threads`
//!
//! Who calls it? Each player thread. What does it pass? Just the request (`GetScore`).
//! Does it create channels? `blocking_ask` does, one per call: it makes a one-shot reply
//! channel, puts the sender inside the message, and waits on the receiver. The actor answers
//! through it; the channel is then gone. The mailbox, by contrast, lives as long as the actor.

use std::collections::HashMap;
use std::thread;

use referee_actor::{Actor, ActorBuilder, Context, Handler, Message};

/// The one business actor, with the only receiver of its mailbox.
#[derive(Default)]
struct Scores(HashMap<u32, u32>);

impl Actor for Scores {}

/// "I scored" (fire-and-forget).
struct Scored {
    player: u32,
}
impl Message for Scored {
    type Reply = ();
}
impl Handler<Scored> for Scores {
    fn handle(&mut self, msg: Scored, _: &mut Context<Self>) {
        *self.0.entry(msg.player).or_default() += 1;
    }
}

/// "What is my score?" (request–response: the reply's type is on the message).
struct GetScore {
    player: u32,
}
impl Message for GetScore {
    type Reply = u32;
}
impl Handler<GetScore> for Scores {
    fn handle(&mut self, msg: GetScore, _: &mut Context<Self>) -> u32 {
        self.0.get(&msg.player).copied().unwrap_or(0)
    }
}

fn main() -> std::io::Result<()> {
    // The actor gets a thread of its own: no async runtime anywhere in this program.
    let scores = ActorBuilder::new()
        .name("scores")
        .spawn_thread(Scores::default())?;
    let players: Vec<_> = (1..=3)
        .map(|player| {
            let scores = scores.clone(); // a cloned sender of the one mailbox
            thread::spawn(move || {
                for _ in 0..player * 2 {
                    let _ = scores.blocking_tell(Scored { player });
                }
                // sync_message: blocks this thread until the actor answers (or 5 s pass).
                match scores.blocking_ask(GetScore { player }) {
                    Ok(score) => println!("player {player}: my score is {score}"),
                    Err(err) => eprintln!("player {player}: no answer: {err}"),
                }
            })
        })
        .collect();
    for player in players {
        let _ = player.join();
    }
    Ok(())
}
