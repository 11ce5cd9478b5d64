//! [`serve`]: puts a local actor on a NATS subject, so [`RemoteHandle`](crate::RemoteHandle)s
//! anywhere can reach it.
//!
//! One task per served subject reads the subscription in order and puts each message into
//! the actor's mailbox **in the order NATS delivered it** before it reads the next one: a
//! tell waits there for mailbox room (pushing back on the subscription); an ask is sent on
//! its first poll and its reply is awaited in a task of its own, so a slow answer never
//! holds up the messages behind it. That is what makes per-connection order hold across
//! tells and asks (`docs/semantics.md`, "Remote tell and ask"). A message that says it is
//! [droppable](crate::RemoteMessage::droppable) never waits for room: told, it is dropped
//! when the mailbox is full; asked, it is answered `Full` at once.
//!
//! A request that cannot be read (bad bytes, another message type, another version) is
//! answered with a typed refusal and dropped; the task goes on serving the rest. When the
//! actor stops, the task unsubscribes, then answers "not running" to the ask that found it
//! gone and to any the subscription still held, so later askers get NATS's immediate "no
//! responders". Stopping the task ([`Serving::stop`], or dropping the [`Serving`]) does the
//! same and answers every ask already delivered and still in flight with "server stopped".
//! (A request that NATS routed to this subscriber just before the unsubscribe reached it is
//! dropped by the client and its asker times out: NATS gives no way to close that window.)

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use async_nats::{Client, Subject, Subscriber};
use futures_util::StreamExt;
use referee_actor::{Recipient, Timeout};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::RemoteMessage;
use crate::wire::{self, Failure};

/// A running server task for one subject. Dropping it stops the task, as
/// [`stop`](Self::stop) does, without waiting for it.
#[derive(Debug)]
pub struct Serving {
    subject: String,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Serving {
    /// The subject served.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Whether the task still serves: false once stopped, or once the actor stopped.
    pub fn is_serving(&self) -> bool {
        self.task.as_ref().is_some_and(|task| !task.is_finished())
    }

    /// Stops serving: unsubscribes, answers the asks the subscription still held (never
    /// delivered) with "not running" and those delivered and still unanswered with "server
    /// stopped", and returns once that is done. Messages already in the actor's mailbox are
    /// still handled; their replies go nowhere.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            // A task that panicked has stopped serving all the same.
            let _ = task.await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Serves `recipient` (an actor's handle, as `handle.recipient()`) on `subject`: every
/// message of type `M` published or requested there is told or asked to the actor.
///
/// Serve each message type on a subject of its own (`room.42.guess`, `room.42.look`). For
/// several servers of one subject, NATS gives each message to every subscriber: serve a
/// subject once. The task holds `recipient`, so the actor stays alive while it is served;
/// it ends by itself once the actor stops.
///
/// # Errors
/// The subscription could not be made (the client is closed).
pub async fn serve<M: RemoteMessage>(
    client: Client,
    subject: impl Into<String>,
    recipient: impl Into<Recipient<M>>,
) -> Result<Serving, async_nats::SubscribeError> {
    let subject = subject.into();
    let subscriber = client.subscribe(Subject::from(subject.clone())).await?;
    let stop = CancellationToken::new();
    let server = Server {
        client,
        recipient: recipient.into(),
        in_flight: TaskTracker::new(),
        stop: stop.clone(),
        abandon: CancellationToken::new(),
    };
    let task = tokio::spawn(server.run(subscriber));
    Ok(Serving {
        subject,
        stop,
        task: Some(task),
    })
}

/// The task's state.
struct Server<M: RemoteMessage> {
    client: Client,
    recipient: Recipient<M>,
    /// The asks awaiting their reply, each in a task of its own.
    in_flight: TaskTracker,
    /// Set by [`Serving::stop`] (or its drop): the loop stops reading.
    stop: CancellationToken,
    /// Set by the loop once it has unsubscribed: asks in flight give up ("server stopped").
    /// Not `stop` itself, so that their answers leave after the unsubscribe, on the same
    /// connection: an asker told "server stopped" who asks again finds no responders.
    abandon: CancellationToken,
}

/// What the loop does after one message.
enum Flow {
    /// Read the next one.
    Serve,
    /// Stop reading: stopped, or the actor is gone. `Some`: an ask that found the actor
    /// gone, to be refused once the subject is unsubscribed.
    End(Option<Subject>),
}

impl<M: RemoteMessage> Server<M> {
    async fn run(self, mut subscriber: Subscriber) {
        let refuse = loop {
            let next = tokio::select! {
                biased;
                () = self.stop.cancelled() => break None,
                next = subscriber.next() => next,
            };
            let Some(message) = next else { break None };
            // Waiting for mailbox room is cut short by a stop: that (told) message is dropped.
            let flow = tokio::select! {
                biased;
                () = self.stop.cancelled() => Flow::End(None),
                flow = self.deliver(message) => flow,
            };
            if let Flow::End(refuse) = flow {
                break refuse;
            }
        };
        // Unsubscribe before refusing anyone: an asker told "not running" who asks again
        // then gets NATS's "no responders" (the unsubscribe goes out first on this
        // connection), never a request nobody reads.
        if let Err(err) = subscriber.unsubscribe().await {
            tracing::debug!(%err, "unsubscribe on a closed client");
        }
        let not_running = wire::encode_reply::<M::Reply>(Err(Failure::NotRunning));
        self.answer(refuse, not_running.clone()).await;
        // Messages the subscription still held were never delivered: not running, here.
        while let Some(message) = subscriber.next().await {
            self.answer(message.reply, not_running.clone()).await;
        }
        self.abandon.cancel();
        self.in_flight.close();
        self.in_flight.wait().await;
        // Out of the client's buffer now, not whenever it next writes.
        if let Err(err) = self.client.flush().await {
            tracing::debug!(%err, "flush after serving");
        }
    }

    /// Hands one NATS message to the actor.
    async fn deliver(&self, message: async_nats::Message) -> Flow {
        let reply_to = message.reply;
        let request = match wire::decode_request::<M>(&message.payload) {
            Ok(request) => request,
            Err(err) => {
                tracing::warn!(subject = %message.subject, %err, "refused a message");
                let refusal = wire::encode_reply::<M::Reply>(Err(Failure::Rejected(err)));
                self.answer(reply_to, refusal).await;
                return Flow::Serve;
            }
        };
        match reply_to {
            None => self.tell(request.msg).await,
            Some(reply_to) => self.ask(request, reply_to).await,
        }
    }

    async fn tell(&self, msg: M) -> Flow {
        if msg.droppable() {
            return match self.recipient.try_tell(msg) {
                Ok(()) => Flow::Serve,
                Err(referee_actor::TellError::NotRunning(_)) => Flow::End(None),
                Err(_) => {
                    tracing::debug!(
                        actor = self.recipient.name(),
                        "dropped a told message: mailbox full"
                    );
                    Flow::Serve
                }
            };
        }
        // Nobody to tell that it failed: at most once, as a local `tell` to a dead actor.
        match self.recipient.tell(msg).await {
            Ok(()) => Flow::Serve,
            Err(_) => Flow::End(None),
        }
    }

    async fn ask(&self, request: wire::Request<M>, reply_to: Subject) -> Flow {
        if !self.recipient.is_running() {
            return Flow::End(Some(reply_to));
        }
        let recipient = self.recipient.clone();
        let timeout = request.timeout.map_or(Timeout::Never, Timeout::After);
        let mut asked: Pin<Box<dyn Future<Output = _> + Send>> = if request.msg.droppable() {
            // Into the mailbox now or not at all: refused at once, "full", when it has no room.
            Box::pin(async move {
                match recipient.try_ask(request.msg, timeout) {
                    Ok(asked) => asked.await,
                    Err(refused) => Err(refused),
                }
            })
        } else {
            Box::pin(async move { recipient.ask_with(request.msg, timeout).await })
        };
        // The first poll puts the message into the mailbox (or in line for room), in the
        // order NATS delivered it; the reply is awaited beside the loop.
        let first = poll_fn(|cx| match asked.as_mut().poll(cx) {
            Poll::Ready(answered) => Poll::Ready(Some(answered)),
            Poll::Pending => Poll::Ready(None),
        });
        if let Some(answered) = first.await {
            if let Err(referee_actor::AskError::NotRunning(_)) = answered {
                return Flow::End(Some(reply_to));
            }
            let payload = wire::encode_reply(outcome(answered).as_ref().map_err(Clone::clone));
            self.answer(Some(reply_to), payload).await;
            return Flow::Serve;
        }
        let client = self.client.clone();
        let abandon = self.abandon.clone();
        self.in_flight.spawn(async move {
            let outcome = tokio::select! {
                // An answer already given is sent, never replaced by "server stopped": its
                // asker must not take a call that was handled for one that was not.
                biased;
                answered = asked => outcome(answered),
                () = abandon.cancelled() => Err(Failure::ServerStopped),
            };
            let payload = wire::encode_reply(outcome.as_ref().map_err(Clone::clone));
            publish(&client, reply_to, payload).await;
        });
        Flow::Serve
    }

    async fn answer(&self, reply_to: Option<Subject>, payload: bytes::Bytes) {
        if let Some(reply_to) = reply_to {
            publish(&self.client, reply_to, payload).await;
        }
    }
}

fn outcome<M: RemoteMessage>(
    answered: Result<M::Reply, referee_actor::AskError<M>>,
) -> Result<M::Reply, Failure> {
    use referee_actor::AskError as Local;
    answered.map_err(|err| match err {
        Local::NotRunning(_) => Failure::NotRunning,
        Local::Full(_) | Local::WouldBlock(_) => Failure::Full,
        Local::Panicked(panic) => Failure::Panicked(panic.to_string()),
        Local::Stopped(reason) => Failure::Stopped(reason.to_string()),
        Local::Dropped => Failure::Dropped,
        Local::Timeout(after) => Failure::Timeout {
            ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
        },
    })
}

async fn publish(client: &Client, reply_to: Subject, payload: bytes::Bytes) {
    if let Err(err) = client.publish(reply_to, payload).await {
        tracing::warn!(%err, "could not send a reply");
    }
}
