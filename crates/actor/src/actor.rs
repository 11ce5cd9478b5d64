//! The three traits a user implements: [`Actor`] for the state, [`Message`] for each request
//! type and [`Handler`] to say how the actor answers it.
//!
//! The reply type lives on the message (`Message::Reply`), so `handle.ask(GetScore)` has the
//! reply's type at compile time and a handler cannot answer with the wrong kind of value.
//!
//! Handlers are synchronous, as Erlang's `handle_call` and Akka Typed's behaviours are: a
//! handler owns the state from its first line to its return, and can never wait on another
//! actor. That makes "one message at a time" literal, rules out deadlocks between actors
//! asking each other, and lets a message cost one allocation. Work that must wait (another
//! actor's answer, a timer, I/O) runs outside the handler and comes back as a message with
//! [`Context::pipe_to_self`]; work that blocks a thread (a database) belongs in an actor on
//! its own thread ([`ActorBuilder::spawn_thread`](crate::ActorBuilder::spawn_thread)).

use std::future::Future;

use crate::{Context, ReplyTo, StopReason};

/// A task that owns private state and handles one message at a time.
///
/// Implement it on the struct that holds the state, then one [`Handler`] per message type.
/// Both hooks are optional and may `.await`: they run once, outside the message flow.
pub trait Actor: Sized + Send + 'static {
    /// Runs once before the first message (and again on each fresh instance after a
    /// supervised restart). A panic here counts as a crash of the actor.
    fn started(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Runs once when the actor stops gracefully: its last handle was dropped or
    /// [`stop`](crate::ActorHandle::stop) was called, and every queued message was handled.
    ///
    /// It does not run after [`kill`](crate::ActorHandle::kill), nor on an instance that
    /// panicked: that instance's state may be half-updated, so it is dropped unseen.
    fn stopped(&mut self, reason: &StopReason) -> impl Future<Output = ()> + Send {
        let _ = reason;
        async {}
    }
}

/// A value that can be sent to an actor, with the type of its answer.
///
/// Messages sent only with `tell` usually have `Reply = ()`.
pub trait Message: Send + 'static {
    /// What the actor answers to an `ask` of this message.
    type Reply: Send + 'static;
}

/// An actor that handles messages of type `M`.
pub trait Handler<M: Message>: Actor {
    /// Handle one message and produce its reply. No other message of this actor is handled
    /// until it returns.
    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> M::Reply;
}

/// How an actor answers a message of type `M`: every [`Handler`] answers by returning, and
/// an actor that must answer later implements `Answer` for that message instead.
///
/// `ask` and `tell` need `Answer<M>`, which every `Handler<M>` has. Implement it directly
/// (and not `Handler`) for a message whose answer waits on something — a commit, another
/// actor, a timer: keep the [`ReplyTo`] in the actor's state, or move it into a task, and
/// [`send`](ReplyTo::send) into it when the answer is known. The handler itself still
/// returns at once, so the actor handles other messages meanwhile. For a told message the
/// slot goes nowhere.
///
/// ```
/// use referee_actor::{Actor, Answer, Context, Message, ReplyTo, spawn};
///
/// /// Answers each `Wait` only once a `Ring` comes.
/// #[derive(Default)]
/// struct Bell(Vec<ReplyTo<u32>>);
/// impl Actor for Bell {}
///
/// struct Wait;
/// impl Message for Wait { type Reply = u32; }
/// impl Answer<Wait> for Bell {
///     fn answer(&mut self, _: Wait, reply: ReplyTo<u32>, _: &mut Context<Self>) {
///         self.0.push(reply);
///     }
/// }
///
/// struct Ring(u32);
/// impl Message for Ring { type Reply = (); }
/// impl Answer<Ring> for Bell {
///     fn answer(&mut self, ring: Ring, reply: ReplyTo<()>, _: &mut Context<Self>) {
///         for waiting in self.0.drain(..) {
///             let _ = waiting.send(ring.0); // `Err` if that asker gave up: fine.
///         }
///         let _ = reply.send(());
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let bell = spawn(Bell::default());
/// let waiting = bell.ask(Wait);
/// let ring = async { bell.tell(Ring(7)).await };
/// let (answer, rang) = tokio::join!(waiting, ring);
/// assert_eq!(answer?, 7);
/// rang?;
/// # Ok(())
/// # }
/// ```
pub trait Answer<M: Message>: Actor {
    /// Handle one message; answer through `reply`, now or later. No other message of this
    /// actor is handled until it returns.
    fn answer(&mut self, msg: M, reply: ReplyTo<M::Reply>, ctx: &mut Context<Self>);
}

impl<A: Handler<M>, M: Message> Answer<M> for A {
    #[inline]
    fn answer(&mut self, msg: M, reply: ReplyTo<M::Reply>, ctx: &mut Context<Self>) {
        // Nobody waiting (a tell, or an asker that gave up): the reply is dropped.
        let _ = reply.send(self.handle(msg, ctx));
    }
}
