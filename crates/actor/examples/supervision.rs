//! Supervision: a handler panics, the actor is rebuilt, its handles keep working.
//!
//! `cargo run -p referee-actor --example supervision`
//!
//! The asker whose message caused the panic gets `AskError::Panicked` with the panic's text;
//! the other handles never notice. Past the restart limit (here: 2 in 10 s) the actor stops
//! for good, and every handle can learn why.

use std::time::Duration;

use referee_actor::{Actor, ActorBuilder, AskError, Context, Handler, Message, RestartPolicy};

/// A fragile counter: it refuses the number 13 in the worst possible way.
#[derive(Default)]
struct Fragile {
    total: u64,
}

impl Actor for Fragile {
    async fn started(&mut self, ctx: &mut Context<Self>) {
        println!("(fragile started; restarts so far: {})", ctx.restarts());
    }
}

struct Add(u64);
impl Message for Add {
    type Reply = u64;
}
impl Handler<Add> for Fragile {
    fn handle(&mut self, msg: Add, _: &mut Context<Self>) -> u64 {
        assert!(msg.0 != 13, "unlucky number");
        self.total += msg.0;
        self.total
    }
}

#[tokio::main]
async fn main() {
    // Silence the default panic message so the output stays readable.
    std::panic::set_hook(Box::new(|_| {}));
    let policy = RestartPolicy::new(2, Duration::from_secs(10));
    let counter = ActorBuilder::new()
        .name("fragile")
        .spawn_supervised(policy, Fragile::default);
    for n in [1, 2, 13, 4, 13, 5, 13, 6] {
        match counter.ask(Add(n)).await {
            Ok(total) => println!("add {n:>2} -> total {total}"),
            Err(AskError::Panicked(panic)) => println!("add {n:>2} -> crashed: {panic}"),
            Err(err) => println!("add {n:>2} -> {err}"),
        }
    }
    println!("stats: {:?}", counter.stats());
    println!("fragile {}", counter.wait_stopped().await);
}
