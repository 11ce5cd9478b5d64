//! The mailbox carries messages of many types to one actor, so each is wrapped in an
//! envelope that knows how to hand its message to the right [`Handler`] and, for an ask,
//! where to send the reply.
//!
//! Panics are caught here, inside the envelope: the asker whose message panicked is told
//! so, with the panic's text (its reply slot, dropped while the handler unwound, is
//! answered here: `reply::settle_orphans`).
//!
//! A message costs one allocation (its envelope); the handler is a plain call.

use std::any::Any;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::Poll;

use crate::reply::{self, Sink, Slot};
use crate::{Actor, Answer, Context, Message, Panic, ReplyTo};

/// A type-erased message on its way to an actor of type `A`.
pub(crate) trait Envelope<A: Actor>: Send {
    /// Runs the handler; `Err` if it panicked.
    fn handle(self: Box<Self>, actor: &mut A, ctx: &mut Context<A>) -> Result<(), Panic>;

    /// The message's type name, for tracing spans and panic reports.
    fn message_type(&self) -> &'static str;

    /// The envelope as `Any`, so that one the mailbox refused can be opened again.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// Opens an envelope the mailbox refused, to hand its message back to the sender.
///
/// The sender sealed it as an `E` a moment before and got the very same box back, so the
/// type always matches; a mismatch would be a bug in this crate, never something a caller
/// or the system could cause.
pub(crate) fn reopen<A: Actor, E: Envelope<A> + 'static>(refused: Box<dyn Envelope<A>>) -> E {
    match refused.into_any().downcast::<E>() {
        Ok(envelope) => *envelope,
        Err(_) => unreachable!("a refused envelope is opened as the type it was sealed as"),
    }
}

/// A fire-and-forget message.
pub(crate) struct Tell<M>(pub(crate) M);

/// A request with its reply channel.
pub(crate) struct Ask<M: Message> {
    pub(crate) msg: M,
    pub(crate) reply_to: Slot<M::Reply>,
}

/// A request from an actor's `ask_into`: its answer goes into the asker's mailbox.
pub(crate) struct AskInto<M: Message> {
    pub(crate) msg: M,
    pub(crate) sink: Box<dyn Sink<M::Reply>>,
}

impl<A, M> Envelope<A> for AskInto<M>
where
    A: Answer<M>,
    M: Message,
{
    fn handle(self: Box<Self>, actor: &mut A, ctx: &mut Context<A>) -> Result<(), Panic> {
        let AskInto { msg, sink } = *self;
        catch_unwind(AssertUnwindSafe(|| {
            actor.answer(msg, ReplyTo::sink(sink), ctx);
        }))
        .map_err(|payload| caught::<M>(payload.as_ref()))
    }

    fn message_type(&self) -> &'static str {
        type_name::<M>()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A, M> Envelope<A> for Tell<M>
where
    A: Answer<M>,
    M: Message,
{
    fn handle(self: Box<Self>, actor: &mut A, ctx: &mut Context<A>) -> Result<(), Panic> {
        let msg = self.0;
        catch_unwind(AssertUnwindSafe(|| {
            actor.answer(msg, ReplyTo::nobody(), ctx);
        }))
        .map_err(|payload| caught::<M>(payload.as_ref()))
    }

    fn message_type(&self) -> &'static str {
        type_name::<M>()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A, M> Envelope<A> for Ask<M>
where
    A: Answer<M>,
    M: Message,
{
    fn handle(self: Box<Self>, actor: &mut A, ctx: &mut Context<A>) -> Result<(), Panic> {
        let Ask { msg, reply_to } = *self;
        // The asker may have given up (timeout, dropped future): its reply is then simply
        // dropped, at no cost to the actor.
        catch_unwind(AssertUnwindSafe(|| {
            actor.answer(msg, ReplyTo::new(reply_to), ctx);
        }))
        .map_err(|payload| caught::<M>(payload.as_ref()))
    }

    fn message_type(&self) -> &'static str {
        type_name::<M>()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// The panic a handler of `M` raised; reply slots it dropped while unwinding are answered
/// with it.
#[cold]
fn caught<M>(payload: &(dyn Any + Send)) -> Panic {
    let panic = Panic::from_payload(payload, type_name::<M>());
    reply::settle_orphans(&panic);
    panic
}

/// Polls `fut` to completion, turning a panic in any poll into `Err(payload)`. Used for the
/// asynchronous lifecycle hooks.
///
/// Unwind safety is asserted here and above because a panicked actor instance is never used
/// again: the run loop either drops it or replaces it with a fresh one from the factory.
pub(crate) async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, Box<dyn Any + Send>> {
    let mut fut = pin!(fut);
    poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        },
    )
    .await
}

/// The last path segment of a type's name (`GetScore` rather than `my_game::msgs::GetScore`),
/// keeping generic arguments readable.
pub(crate) fn type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let end = full.find('<').unwrap_or(full.len());
    let start = full[..end].rfind("::").map_or(0, |at| at + 2);
    &full[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    mod inner {
        pub(crate) struct Deep<T>(#[allow(dead_code)] pub(crate) T);
    }

    #[test]
    fn type_names_are_short() {
        assert_eq!(type_name::<inner::Deep<u8>>(), "Deep<u8>");
        assert_eq!(type_name::<u32>(), "u32");
    }

    #[tokio::test]
    async fn catch_panic_returns_the_payload() {
        let caught = catch_panic(async { panic!("inside") }).await;
        let payload = caught.err().map(|p| Panic::from_payload(p.as_ref(), "t"));
        assert_eq!(
            payload.map(|p| p.message().to_owned()),
            Some("inside".into())
        );
        assert_eq!(catch_panic(async { 5 }).await.ok(), Some(5));
    }
}
