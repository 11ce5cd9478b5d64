//! Running the actor's loop yourself: `ActorBuilder::prepare`.
//!
//! `cargo run -p referee-actor --example prepare`
//!
//! `spawn` puts an actor's loop on the tokio runtime for you. `prepare` hands you the handle
//! and the loop instead, so you choose where the loop runs: here, on a `LocalSet`, next to the
//! tasks that talk to it (as actix runs its actors); elsewhere, in a `JoinSet` you await, or
//! in a task you name. The handle works at once — messages wait in the mailbox until the loop
//! runs — and the loop, a future, resolves when the actor has stopped.

use referee_actor::{Actor, ActorBuilder, AskError, Context, Handler, Message, StopReason};
use tokio::task::LocalSet;

/// Counts what it is told, answers how many.
#[derive(Default)]
struct Tally(u64);

impl Actor for Tally {}

struct Add(u64);
impl Message for Add {
    type Reply = ();
}
impl Handler<Add> for Tally {
    fn handle(&mut self, msg: Add, _: &mut Context<Self>) {
        self.0 += msg.0;
    }
}

struct Total;
impl Message for Total {
    type Reply = u64;
}
impl Handler<Total> for Tally {
    fn handle(&mut self, _: Total, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // 1. The loop runs where you put it.
    let (tally, run) = ActorBuilder::new().name("tally").prepare(Tally::default());
    // Nothing runs the loop yet, but the mailbox already takes messages.
    for n in 1..=3 {
        if tally.try_tell(Add(n)).is_err() {
            eprintln!("the mailbox is full or closed");
        }
    }
    println!("queued before the loop runs: {}", tally.stats().mailbox_len);

    let local = LocalSet::new();
    let loop_done = local.spawn_local(run);
    local
        .run_until(async {
            match tally.ask(Total).await {
                Ok(total) => println!("total, once the loop runs: {total}"),
                Err(err) => eprintln!("no total: {err}"),
            }
            drop(tally); // the last handle: the actor drains its mailbox and stops
            if loop_done.await.is_ok() {
                println!("the loop resolved: the actor has stopped");
            }
        })
        .await;

    // 2. A loop that is never run is not a hang: dropping it stops the actor as `Aborted`,
    //    and whoever was waiting learns why.
    let (tally, run) = ActorBuilder::new().prepare(Tally::default());
    drop(run);
    match tally.ask(Total).await {
        Err(AskError::NotRunning(Total)) => println!("a dropped loop refuses new asks"),
        Ok(total) => println!("unexpected: a total of {total}"),
        Err(err) => println!("unexpected: {err}"),
    }
    let reason = tally.wait_stopped().await;
    println!("and the actor's stop reason says why: it {reason}");
    debug_assert_eq!(reason, StopReason::Aborted);
}
