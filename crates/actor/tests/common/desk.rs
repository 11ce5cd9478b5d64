//! A desk that keeps its askers' reply slots until told what to do with them: the actor the
//! deferred-reply tests (`deferred.rs`) and `ask_into.rs` ask.

use referee_actor::{Actor, Answer, Context, Handler, Message, ReplyTo};

/// Keeps every `Wait`'s slot until told what to do with them.
#[derive(Default)]
pub struct Desk {
    pub waiting: Vec<ReplyTo<u32>>,
}
impl Actor for Desk {}

pub struct Wait;
impl Message for Wait {
    type Reply = u32;
}
impl Answer<Wait> for Desk {
    fn answer(&mut self, _: Wait, reply: ReplyTo<u32>, _: &mut Context<Self>) {
        self.waiting.push(reply);
    }
}

/// Answers every waiting slot with this value.
pub struct Ring(pub u32);
impl Message for Ring {
    type Reply = ();
}
impl Handler<Ring> for Desk {
    fn handle(&mut self, msg: Ring, _: &mut Context<Self>) {
        for slot in self.waiting.drain(..) {
            let _ = slot.send(msg.0);
        }
    }
}

/// Drops every waiting slot unanswered.
pub struct Forget;
impl Message for Forget {
    type Reply = ();
}
impl Handler<Forget> for Desk {
    fn handle(&mut self, _: Forget, _: &mut Context<Self>) {
        self.waiting.clear();
    }
}

/// Takes its slot, then panics holding it.
pub struct PanicHolding;
impl Message for PanicHolding {
    type Reply = u32;
}
impl Answer<PanicHolding> for Desk {
    fn answer(&mut self, _: PanicHolding, reply: ReplyTo<u32>, _: &mut Context<Self>) {
        let _held = reply;
        panic!("lost it");
    }
}
