//! The actor's loop: the only owner of the actor's state and, through its `Context`, of the
//! mailbox's receiver (handlers may only count what waits in it).
//!
//! One message at a time: take the next envelope, call its handler, repeat.
//! Around that loop sit the lifecycle (started → messages → stopped), the control signals
//! (graceful stop, kill), panic containment and supervised restarts, and the shutdown order
//! documented in `docs/semantics.md`:
//!
//! 1. the final reason is recorded (so a waiting asker can always say why it got no reply);
//! 2. the mailbox closes and queued messages are dropped (graceful stops drained it before);
//! 3. the end is published: `wait_stopped` returns.

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Poll, Waker};

use tokio::time::Instant;

use crate::envelope::{Envelope, catch_panic};
use crate::reply::drop_ending;
use crate::shared::{Control, Shared};
use crate::supervision::Supervisor;
use crate::{Actor, Context, Panic, StopReason};

use crate::mailbox::Receiver as Mailbox;

pub(crate) struct Runner<A: Actor> {
    /// Holds the mailbox's receiver (`ctx.inbox`), so that handlers can count what waits.
    ctx: Context<A>,
    shared: Arc<Shared>,
    supervisor: Option<Supervisor<A>>,
}

/// How one actor instance's life ended.
enum Exit {
    /// The mailbox is closed and empty: stop gracefully.
    Drained,
    Killed,
    Panicked(Panic),
}

/// What the loop gets when it asks for the next message.
enum Next<A: Actor> {
    Envelope(Box<dyn Envelope<A>>),
    Drained,
    Killed,
}

/// The outcome of a future run under the kill switch.
enum Guarded<T> {
    Done(T),
    Killed,
}

impl<A: Actor> Runner<A> {
    pub(crate) fn new(
        ctx: Context<A>,
        shared: Arc<Shared>,
        supervisor: Option<Supervisor<A>>,
    ) -> Self {
        Runner {
            ctx,
            shared,
            supervisor,
        }
    }

    /// Runs the actor until it stops for good, then shuts down in the documented order.
    ///
    /// The abort guard is made before the future is: if the runtime drops the loop, even
    /// before its first poll, the end is still published (as `Aborted`).
    pub(crate) fn run(mut self, first: A) -> impl Future<Output = ()> + Send + 'static {
        let guard = AbortGuard(Some(self.shared.clone()));
        // `supervise` is given the actor behind a box: moved into its future, the actor would
        // otherwise be laid out twice in this task (once captured here, once in there) —
        // each idle actor's task paid for two copies of its state.
        let first = Box::new(first);
        async move {
            let reason = self.supervise(first).await;
            self.shared.set_reason(reason);
            self.ctx.inbox.close();
            // Dropping the queued envelopes drops their reply senders: waiting askers wake
            // and find the reason recorded above.
            while self.ctx.inbox.try_recv().is_some() {}
            drop(self.ctx);
            self.shared.finish();
            guard.disarm();
        }
    }

    async fn supervise(&mut self, mut actor: Box<A>) -> StopReason {
        loop {
            // An instance that ends for good is dropped with `drop_ending`, so that reply
            // slots kept in its state tell their askers the stop reason; one replaced by a
            // restart is dropped plainly, and its slots report a dropped reply.
            match self.live(&mut actor).await {
                Exit::Drained => {
                    let reason = self.stop_gracefully(&mut actor).await;
                    drop_ending(*actor);
                    return reason;
                }
                Exit::Killed => {
                    drop_ending(*actor);
                    return StopReason::Killed;
                }
                Exit::Panicked(panic) => match self.restart(panic) {
                    Ok(fresh) => *actor = fresh,
                    Err(reason) => {
                        drop_ending(*actor);
                        return reason;
                    }
                },
            }
        }
    }

    /// One instance's life: `started`, then messages until the mailbox drains, a kill or a
    /// panic.
    async fn live(&mut self, actor: &mut A) -> Exit {
        let shared = self.shared.clone();
        let started = catch_panic(actor.started(&mut self.ctx));
        match guarded(&shared, started).await {
            Guarded::Done(Ok(())) => {}
            Guarded::Done(Err(payload)) => {
                return Exit::Panicked(Panic::from_payload(payload.as_ref(), "started"));
            }
            Guarded::Killed => return Exit::Killed,
        }
        let mut watching = None;
        loop {
            let next = next_envelope(&mut self.ctx.inbox, &shared, &mut watching);
            let envelope = match next.await {
                Next::Envelope(envelope) => envelope,
                Next::Drained => return Exit::Drained,
                Next::Killed => return Exit::Killed,
            };
            // Counted before the call, so that an asker who got its reply sees it counted.
            // Only this loop writes the counter: a load and a store, no read-modify-write.
            let count = shared.handled.load(Ordering::Relaxed);
            shared
                .handled
                .store(count.wrapping_add(1), Ordering::Relaxed);
            let handled = if spans_enabled() {
                handle_in_span(&shared, envelope, actor, &mut self.ctx)
            } else {
                envelope.handle(actor, &mut self.ctx)
            };
            if let Err(panic) = handled {
                tracing::error!(actor = %shared.name, %panic, "handler panicked");
                return Exit::Panicked(panic);
            }
        }
    }

    async fn stop_gracefully(&mut self, actor: &mut A) -> StopReason {
        let shared = self.shared.clone();
        let stopped = catch_panic(actor.stopped(&StopReason::Normal));
        match guarded(&shared, stopped).await {
            Guarded::Done(Ok(())) => StopReason::Normal,
            Guarded::Done(Err(payload)) => {
                StopReason::Panicked(Panic::from_payload(payload.as_ref(), "stopped"))
            }
            Guarded::Killed => StopReason::Killed,
        }
    }

    /// A fresh instance from the factory, or the final reason if there is no supervisor, the
    /// restart limit is reached, or the factory itself panics.
    fn restart(&mut self, panic: Panic) -> Result<A, StopReason> {
        let Some(supervisor) = self.supervisor.as_mut() else {
            return Err(StopReason::Panicked(panic));
        };
        let restarts = self.shared.restarts.load(Ordering::Relaxed);
        if !supervisor.allow_restart(Instant::now()) {
            tracing::error!(actor = %self.shared.name, restarts, "restart limit reached");
            return Err(StopReason::RestartLimit {
                restarts,
                last: panic,
            });
        }
        match catch_unwind(AssertUnwindSafe(|| supervisor.build())) {
            Ok(fresh) => {
                self.shared.restarts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(actor = %self.shared.name, %panic, "restarted after panic");
                Ok(fresh)
            }
            Err(payload) => Err(StopReason::Panicked(Panic::from_payload(
                payload.as_ref(),
                "restart factory",
            ))),
        }
    }
}

/// The next message, or why there is none. Checks the control signals first so that a kill
/// overtakes queued messages (a stop closed the mailbox when it was asked; queued messages
/// still come).
///
/// While messages flow, being stoppable costs one atomic load per message. The loop's waker
/// is registered for control requests only when the mailbox is empty, and only if it is not
/// registered already: `watching` remembers the control level at which it was registered
/// and the waker. A request takes the registered waker only when it raises the level, so
/// while the level is unchanged the registration still holds.
///
/// The common case — running, and a message is there or the waker is registered already —
/// is a few inlined lines; everything else is in [`poll_next_slow`]. Measured, keeping the
/// rare branches out of line made the contended ask ~8% faster (docs/PERFORMANCE.md, appendix).
fn next_envelope<'a, A: Actor>(
    mailbox: &'a mut Mailbox<A>,
    shared: &'a Shared,
    watching: &'a mut Option<(Control, Waker)>,
) -> impl Future<Output = Next<A>> + 'a {
    poll_fn(move |cx| {
        if mailbox.should_yield() {
            // A long streak of messages: let the other tasks of this thread run first.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if shared.control() == Control::Run {
            if let Poll::Ready(envelope) = mailbox.poll_recv(cx) {
                return Poll::Ready(envelope.map_or(Next::Drained, Next::Envelope));
            }
            let registered = watching.as_ref().is_some_and(|(level, waker)| {
                *level == Control::Run && waker.will_wake(cx.waker())
            });
            if registered {
                return Poll::Pending;
            }
        }
        poll_next_slow(mailbox, shared, watching, cx)
    })
}

/// [`next_envelope`] when a stop or kill was asked for, or the loop's waker must be
/// registered for control requests.
#[cold]
#[inline(never)]
fn poll_next_slow<A: Actor>(
    mailbox: &mut Mailbox<A>,
    shared: &Shared,
    watching: &mut Option<(Control, Waker)>,
    cx: &mut std::task::Context<'_>,
) -> Poll<Next<A>> {
    let mut control = shared.control();
    loop {
        // A stop needs nothing here: `stop` closed the mailbox itself, and what was queued
        // still comes until the mailbox reports closed and empty.
        if control == Control::Kill {
            shared.set_reason(StopReason::Killed);
            return Poll::Ready(Next::Killed);
        }
        if let Poll::Ready(envelope) = mailbox.poll_recv(cx) {
            return Poll::Ready(envelope.map_or(Next::Drained, Next::Envelope));
        }
        let registered = watching
            .as_ref()
            .is_some_and(|(level, waker)| *level == control && waker.will_wake(cx.waker()));
        if registered {
            return Poll::Pending;
        }
        let seen = control;
        control = shared.watch_control(cx.waker());
        *watching = Some((control, cx.waker().clone()));
        if control == seen {
            return Poll::Pending;
        }
    }
}

/// Whether a subscriber may want the per-message spans: the level check `debug_span!` makes
/// first, done here so that the common case (spans off) keeps the span's code out of the
/// loop.
#[inline]
fn spans_enabled() -> bool {
    use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
    STATIC_MAX_LEVEL >= LevelFilter::DEBUG && LevelFilter::current() >= LevelFilter::DEBUG
}

/// Handles one message inside a `handle` span naming the actor and the message type.
#[cold]
#[inline(never)]
fn handle_in_span<A: Actor>(
    shared: &Shared,
    envelope: Box<dyn Envelope<A>>,
    actor: &mut A,
    ctx: &mut Context<A>,
) -> Result<(), Panic> {
    let span = tracing::debug_span!(
        "handle",
        actor = %shared.name,
        message = envelope.message_type()
    );
    let _entered = span.enter();
    envelope.handle(actor, ctx)
}

/// Runs a lifecycle hook's future unless and until the actor is killed.
async fn guarded<F: Future>(shared: &Shared, fut: F) -> Guarded<F::Output> {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if shared.control() == Control::Kill {
            shared.set_reason(StopReason::Killed);
            return Poll::Ready(Guarded::Killed);
        }
        if let Poll::Ready(output) = fut.as_mut().poll(cx) {
            return Poll::Ready(Guarded::Done(output));
        }
        if shared.watch_control(cx.waker()) == Control::Kill {
            shared.set_reason(StopReason::Killed);
            return Poll::Ready(Guarded::Killed);
        }
        Poll::Pending
    })
    .await
}

/// Publishes `Aborted` if the run loop is dropped before it finishes (its runtime shut down,
/// or the caller dropped a prepared loop).
struct AbortGuard(Option<Arc<Shared>>);

impl AbortGuard {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            shared.set_reason(StopReason::Aborted);
            shared.finish();
        }
    }
}
