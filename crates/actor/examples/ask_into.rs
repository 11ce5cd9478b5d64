//! An actor asking an actor: the answer comes back as a message in the asker's mailbox.
//!
//! `cargo run -p referee-actor --example ask_into`
//!
//! A room announces a win only once the recorder says it is saved. The room's handler cannot
//! wait for that answer, so it asks with `ctx.ask_into`: the recorder gets an ordinary reply
//! slot (here it answers only when told to flush, as a group commit would), and its answer
//! arrives in the room's mailbox as a `Saved` message. No task is spawned per request, and
//! the room keeps serving meanwhile.

use referee_actor::{Actor, Answer, AskError, Context, Handler, Message, ReplyTo, spawn};

/// Saves wins, answering them all at the next flush.
#[derive(Default)]
struct Recorder {
    waiting: Vec<(u32, ReplyTo<bool>)>,
}
impl Actor for Recorder {}

struct Save(u32);
impl Message for Save {
    type Reply = bool;
}
impl Answer<Save> for Recorder {
    fn answer(&mut self, Save(round): Save, reply: ReplyTo<bool>, _: &mut Context<Self>) {
        self.waiting.push((round, reply));
    }
}

struct Flush;
impl Message for Flush {
    type Reply = ();
}
impl Handler<Flush> for Recorder {
    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {
        for (_, reply) in self.waiting.drain(..) {
            let _ = reply.send(true);
        }
    }
}

/// Holds each win's announcement until the recorder has answered.
struct Room {
    recorder: referee_actor::ActorHandle<Recorder>,
    log: Vec<String>,
}
impl Actor for Room {}

struct Won(u32);
impl Message for Won {
    type Reply = ();
}
impl Handler<Won> for Room {
    fn handle(&mut self, Won(round): Won, ctx: &mut Context<Self>) {
        self.log.push(format!("round {round} won: saving"));
        ctx.ask_into(&self.recorder, Save(round), move |answer| Saved {
            round,
            answer,
        });
    }
}

/// The recorder's answer, delivered as a message (or why there is none).
struct Saved {
    round: u32,
    answer: Result<bool, AskError<()>>,
}
impl Message for Saved {
    type Reply = ();
}
impl Handler<Saved> for Room {
    fn handle(&mut self, saved: Saved, _: &mut Context<Self>) {
        let line = match saved.answer {
            Ok(true) => format!("round {} saved: announced", saved.round),
            Ok(false) => format!("round {} not saved", saved.round),
            Err(err) => format!("round {}: no answer ({err})", saved.round),
        };
        self.log.push(line);
    }
}

struct Log;
impl Message for Log {
    type Reply = Vec<String>;
}
impl Handler<Log> for Room {
    fn handle(&mut self, _: Log, _: &mut Context<Self>) -> Vec<String> {
        self.log.clone()
    }
}

#[tokio::main]
async fn main() {
    let recorder = spawn(Recorder::default());
    let room = spawn(Room {
        recorder: recorder.clone(),
        log: Vec::new(),
    });
    let _ = room.tell(Won(1)).await;
    // The room serves meanwhile: the save is not answered yet.
    println!(
        "before the flush: {:?}",
        room.ask(Log).await.unwrap_or_default()
    );
    let _ = recorder.ask(Flush).await;
    // The answer is a message queued in the room's mailbox, handled before this ask.
    println!(
        "after the flush:  {:?}",
        room.ask(Log).await.unwrap_or_default()
    );
}
