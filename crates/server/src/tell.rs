//! Telling an actor from inside a (synchronous) handler without waiting.

use referee_actor::{ActorHandle, Handler, Message, TellError};

/// Delivers `msg` without blocking the caller: now if the mailbox has room, otherwise from a
/// task that waits for room. For messages that must not be lost (a freed seat) sent from
/// handlers, which cannot wait. Ordering with later messages from the same sender is kept
/// only when the mailbox had room.
pub(crate) fn tell_soon<A, M>(target: &ActorHandle<A>, msg: M)
where
    A: Handler<M>,
    M: Message,
{
    if let Err(TellError::Full(msg)) = target.try_tell(msg) {
        let target = target.clone();
        tokio::spawn(async move {
            let _ = target.tell(msg).await;
        });
    }
}
