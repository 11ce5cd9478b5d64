//! [`AskFuture`]: the future of one `ask`, written by hand.
//!
//! Callers embed this future in their own (a session's loop, a request handler), so its size
//! is paid on every ask: the compiler copies it when the caller's future is built. An
//! `async fn` keeps every local of every path alive in its state (176 bytes for the fast
//! path's handful of words); this state machine holds only what the common path needs — the
//! message until it is sent, then the reply receiver and the lazy deadline — and moves the
//! rare paths (a full mailbox, an actor that stopped before replying) into a boxed future.
//!
//! Like every future, it does nothing until polled: the message is sent on the first poll.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::deadline::{Elapsed, LazyDeadline};
use crate::envelope;
use crate::handle::refused_ask;
use crate::mailbox::{Letter, Refused};
use crate::reply::Answered;
use crate::{Actor, ActorHandle, Answer, AskError, Message, Timeout};

impl<A: Actor> ActorHandle<A> {
    /// Sends `msg` and waits for the reply, within this handle's ask timeout.
    ///
    /// A one-shot reply channel is made for this call and travels inside the message; the
    /// actor answers through it. If this future is dropped, the actor still handles the
    /// message and its reply is silently discarded.
    ///
    /// # Errors
    /// See [`AskError`]: not running, mailbox full until the deadline, the handler panicked,
    /// the actor stopped before replying, or timeout.
    ///
    /// # Panics
    /// With a deadline, on a tokio runtime built without timers (`enable_time`), once the
    /// reply has taken longer than 5 to 10 ms: the deadline then needs tokio's timer, and tokio
    /// panics. `#[tokio::main]` and `Runtime::new` enable timers.
    pub fn ask<M>(&self, msg: M) -> AskFuture<'_, A, M>
    where
        A: Answer<M>,
        M: Message,
    {
        AskFuture::new(self, msg, self.ask_timeout)
    }

    /// [`ask`](Self::ask) with an explicit timeout for this call:
    /// `ask_with(msg, Duration::from_millis(50))` or `ask_with(msg, Timeout::Never)`.
    ///
    /// # Errors
    /// As for [`ask`](Self::ask).
    pub fn ask_with<M>(&self, msg: M, timeout: impl Into<Timeout>) -> AskFuture<'_, A, M>
    where
        A: Answer<M>,
        M: Message,
    {
        AskFuture::new(self, msg, timeout.into().duration())
    }

    /// [`ask_with`](Self::ask_with), never waiting for mailbox room: a message the mailbox
    /// has no room for now comes back at once, unsent (a caller that would rather drop it,
    /// such as a chat line, than hold what comes behind it).
    ///
    /// # Errors
    /// [`AskError::Full`] or [`AskError::NotRunning`] with the message, unsent; the future's
    /// errors are those of [`ask`](Self::ask).
    pub fn try_ask<M>(
        &self,
        msg: M,
        timeout: impl Into<Timeout>,
    ) -> Result<AskFuture<'_, A, M>, AskError<M>>
    where
        A: Answer<M>,
        M: Message,
    {
        let (reply_to, reply) = oneshot::channel();
        self.mailbox
            .try_send(Box::new(envelope::Ask { msg, reply_to }))
            .map_err(refused_ask)?;
        Ok(AskFuture {
            handle: self,
            state: State::Waiting {
                reply,
                deadline: LazyDeadline::new(timeout.into().duration()),
            },
        })
    }
}

type Reply<M> = Result<<M as Message>::Reply, AskError<M>>;

/// The future returned by [`ActorHandle::ask`] and [`ActorHandle::ask_with`]: resolves with
/// the actor's reply or an [`AskError`] saying why there is none.
///
/// Dropping it before it resolves is always safe: a message already sent is still handled,
/// and its reply is discarded.
#[must_use = "an ask does nothing unless awaited"]
pub struct AskFuture<'a, A: Actor, M: Message> {
    handle: &'a ActorHandle<A>,
    state: State<'a, M>,
}

enum State<'a, M: Message> {
    /// Not polled yet.
    Unsent { msg: M, limit: Option<Duration> },
    /// Sent; waiting for the reply.
    Waiting {
        reply: oneshot::Receiver<Answered<M::Reply>>,
        deadline: LazyDeadline,
    },
    /// A rare path: the mailbox was full, or the reply channel closed.
    Slow(Pin<Box<dyn Future<Output = Reply<M>> + Send + 'a>>),
    /// Resolved (or, transiently, between two states).
    Done,
}

// The message is never pinned (it is moved out on the first poll, before any waiting), and
// everything else the state holds is `Unpin`: so the future is `Unpin` whatever `M` is.
impl<A: Actor, M: Message> Unpin for AskFuture<'_, A, M> {}

impl<'a, A, M> AskFuture<'a, A, M>
where
    A: Answer<M>,
    M: Message,
{
    pub(crate) fn new(handle: &'a ActorHandle<A>, msg: M, limit: Option<Duration>) -> Self {
        AskFuture {
            handle,
            state: State::Unsent { msg, limit },
        }
    }

    /// The first poll: send if the mailbox has room now, else take the slow path.
    fn send(&mut self, msg: M, limit: Option<Duration>) -> State<'a, M> {
        let handle = self.handle;
        let (reply_to, reply) = oneshot::channel();
        match handle
            .mailbox
            .try_send(Box::new(envelope::Ask { msg, reply_to }))
        {
            Ok(()) => State::Waiting {
                reply,
                deadline: LazyDeadline::new(limit),
            },
            Err(Refused::Full(letter)) => {
                State::Slow(Box::pin(ask_when_room(handle, letter, reply, limit)))
            }
            Err(closed) => {
                let refused = refused_ask(closed);
                State::Slow(Box::pin(async move { Err(refused) }))
            }
        }
    }
}

impl<A, M> Future for AskFuture<'_, A, M>
where
    A: Answer<M>,
    M: Message,
{
    type Output = Reply<M>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let State::Unsent { .. } = this.state {
            if let State::Unsent { msg, limit } = std::mem::replace(&mut this.state, State::Done) {
                this.state = this.send(msg, limit);
            }
        }
        if let State::Waiting { reply, deadline } = &mut this.state {
            let answer = std::task::ready!(deadline.poll_run(reply, cx));
            if let Ok(Ok(reply)) = answer {
                this.state = State::Done;
                return Poll::Ready(reply.map_err(|no_reply| no_reply.into_error()));
            }
            return this.finish_rare(answer.is_err(), cx);
        }
        this.poll_slow(cx)
    }
}

impl<'a, A, M> AskFuture<'a, A, M>
where
    A: Answer<M>,
    M: Message,
{
    /// No reply: the deadline passed, or the reply channel closed (the actor stopped).
    #[cold]
    #[inline(never)]
    fn finish_rare(&mut self, timed_out: bool, cx: &mut Context<'_>) -> Poll<Reply<M>> {
        let limit = match &self.state {
            State::Waiting { deadline, .. } => deadline.limit(),
            _ => None,
        };
        self.state = State::Done;
        if timed_out {
            return Poll::Ready(Err(AskError::Timeout(limit.unwrap_or_default())));
        }
        let handle = self.handle;
        self.state = State::Slow(Box::pin(async move {
            Err(AskError::Stopped(handle.stop_reason_soon().await))
        }));
        self.poll_slow(cx)
    }

    /// The boxed rare paths.
    #[cold]
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Reply<M>> {
        match &mut self.state {
            State::Slow(slow) => {
                let output = std::task::ready!(slow.as_mut().poll(cx));
                self.state = State::Done;
                Poll::Ready(output)
            }
            State::Unsent { .. } | State::Waiting { .. } => Poll::Pending,
            State::Done => panic!("AskFuture polled after it resolved"),
        }
    }
}

/// The rest of an ask whose mailbox was full at the first try. Its letter waits in the
/// mailbox's line and is moved in when a slot frees, without waking this task: the next
/// thing that wakes it is the reply (or the mailbox closing, or the deadline).
async fn ask_when_room<A, M>(
    handle: &ActorHandle<A>,
    letter: Letter<A>,
    mut reply: oneshot::Receiver<Answered<M::Reply>>,
    limit: Option<Duration>,
) -> Reply<M>
where
    A: Answer<M>,
    M: Message,
{
    let mut deadline = LazyDeadline::new(limit);
    let mut queued = handle.mailbox.send(letter).quietly();
    let waited = deadline
        .run(poll_fn(|cx| {
            if let Poll::Ready(answer) = Pin::new(&mut reply).poll(cx) {
                // A reply, or its channel dropped: either way the letter went in.
                queued.settle();
                return Poll::Ready(Ok(answer));
            }
            if queued.in_line() {
                if let Poll::Ready(Err(letter)) = Pin::new(&mut queued).poll(cx) {
                    return Poll::Ready(Err(letter));
                }
            }
            Poll::Pending
        }))
        .await;
    match waited {
        Ok(Ok(Ok(answer))) => answer.map_err(|no_reply| no_reply.into_error()),
        Ok(Ok(Err(_))) => Err(AskError::Stopped(handle.stop_reason_soon().await)),
        Ok(Err(letter)) => Err(refused_ask(Refused::Closed(letter))),
        Err(Elapsed) => match queued.take_back() {
            // Still in line when the deadline passed: the mailbox stayed full.
            Some(letter) => Err(refused_ask(Refused::Full(letter))),
            None => Err(AskError::Timeout(limit.unwrap_or_default())),
        },
    }
}

impl<A: Actor, M: Message> fmt::Debug for AskFuture<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Unsent { .. } => "unsent",
            State::Waiting { .. } => "waiting",
            State::Slow(_) => "slow",
            State::Done => "done",
        };
        f.debug_struct("AskFuture")
            .field("actor", &self.handle.name())
            .field("state", &state)
            .finish()
    }
}
