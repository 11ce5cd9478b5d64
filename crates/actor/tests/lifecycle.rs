//! How an actor ends: last handle dropped, graceful stop, kill, and the shutdown order.

mod common;

use common::{GetLog, Probe, Record, StopSelf, block, probe_thread, within};
use std::future::Future;
use std::task::Poll;

use referee_actor::{
    Actor, ActorBuilder, AskError, Context, Handler, Message, StopReason, TellError, spawn,
};
use tokio::sync::oneshot;

fn probe_with_stop_signal() -> (Probe, oneshot::Receiver<(StopReason, Vec<u64>)>) {
    let (tx, rx) = oneshot::channel();
    let probe = Probe {
        stopped_tx: Some(tx),
        ..Probe::default()
    };
    (probe, rx)
}

#[tokio::test]
async fn dropping_the_last_handle_drains_the_queue_then_stops() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = probe_thread(ActorBuilder::new(), probe);
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    for n in 0..5 {
        handle.tell(Record(n)).await.ok();
    }
    drop(handle);
    release.send(()).ok();
    let (reason, log) = within(stopped)
        .await
        .unwrap_or((StopReason::Aborted, vec![]));
    assert_eq!(reason, StopReason::Normal);
    assert_eq!(
        log,
        vec![0, 1, 2, 3, 4],
        "queued messages were handled first"
    );
}

#[tokio::test]
async fn stop_finishes_queued_messages_then_runs_stopped() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = probe_thread(ActorBuilder::new(), probe);
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    handle.tell(Record(1)).await.ok();
    handle.tell(Record(2)).await.ok();
    handle.stop();
    release.send(()).ok();
    assert_eq!(within(handle.wait_stopped()).await, StopReason::Normal);
    let (reason, log) = within(stopped)
        .await
        .unwrap_or((StopReason::Aborted, vec![]));
    assert_eq!(reason, StopReason::Normal);
    assert_eq!(
        log,
        vec![1, 2],
        "both queued records were handled before stopped ran"
    );
    assert_eq!(handle.stats().handled, 3);
}

#[tokio::test]
async fn messages_sent_after_stop_are_refused() {
    let handle = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    handle.stop();
    release.send(()).ok();
    within(handle.wait_stopped()).await;
    assert!(!handle.is_running());
    assert!(matches!(
        handle.tell(Record(9)).await,
        Err(TellError::NotRunning(Record(9)))
    ));
}

#[tokio::test]
async fn a_handler_can_stop_its_own_actor() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = spawn(probe);
    handle.tell(StopSelf).await.ok();
    let reason = within(stopped).await.map(|(reason, _)| reason);
    assert_eq!(reason.ok(), Some(StopReason::Normal));
    within(handle.wait_stopped()).await;
    assert_eq!(handle.stop_reason(), Some(StopReason::Normal));
}

#[tokio::test]
async fn kill_drops_queued_messages_and_skips_the_stopped_hook() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = probe_thread(ActorBuilder::new(), probe);
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    handle.tell(Record(1)).await.ok();
    handle.kill();
    release.send(()).ok();
    assert_eq!(within(handle.wait_stopped()).await, StopReason::Killed);
    assert!(
        within(stopped).await.is_err(),
        "stopped must not run after kill"
    );
    assert_eq!(
        handle.stats().handled,
        1,
        "only the handler already running finished"
    );
}

#[tokio::test]
async fn every_handle_can_wait_for_the_end_and_learn_why() {
    let handle = spawn(Probe::default());
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let handle = handle.clone();
            tokio::spawn(async move { handle.wait_stopped().await })
        })
        .collect();
    handle.kill();
    for waiter in waiters {
        assert_eq!(within(waiter).await.ok(), Some(StopReason::Killed));
    }
}

#[tokio::test]
async fn started_runs_before_the_first_message() {
    struct Greeter {
        greeted: bool,
    }
    impl Actor for Greeter {
        async fn started(&mut self, ctx: &mut Context<Self>) {
            assert_eq!(ctx.name(), "greeter");
            self.greeted = true;
        }
    }
    struct WasGreeted;
    impl Message for WasGreeted {
        type Reply = bool;
    }
    impl Handler<WasGreeted> for Greeter {
        fn handle(&mut self, _: WasGreeted, _: &mut Context<Self>) -> bool {
            self.greeted
        }
    }
    let handle = ActorBuilder::new()
        .name("greeter")
        .spawn(Greeter { greeted: false });
    assert_eq!(within(handle.ask(WasGreeted)).await.ok(), Some(true));
}

#[tokio::test]
async fn context_handle_reaches_the_actor_itself() {
    struct Forward;
    impl Message for Forward {
        type Reply = bool;
    }
    impl Handler<Forward> for Probe {
        fn handle(&mut self, _: Forward, ctx: &mut Context<Self>) -> bool {
            match ctx.handle() {
                Some(me) => me.try_tell(Record(77)).is_ok(),
                None => false,
            }
        }
    }
    let handle = spawn(Probe::default());
    assert_eq!(within(handle.ask(Forward)).await.ok(), Some(true));
    assert_eq!(within(handle.ask(GetLog)).await.ok(), Some(vec![77]));
}

#[tokio::test]
async fn pipe_to_self_brings_a_result_back_as_a_message() {
    struct Fetch(oneshot::Receiver<u64>);
    impl Message for Fetch {
        type Reply = ();
    }
    impl Handler<Fetch> for Probe {
        fn handle(&mut self, msg: Fetch, ctx: &mut Context<Self>) {
            ctx.pipe_to_self(msg.0, |got| Record(got.unwrap_or(0)));
        }
    }
    let handle = spawn(Probe::default());
    let (value_tx, value_rx) = oneshot::channel();
    handle.tell(Fetch(value_rx)).await.ok();
    // The actor keeps serving while the piped future waits.
    handle.tell(Record(1)).await.ok();
    assert_eq!(within(handle.ask(GetLog)).await.ok(), Some(vec![1]));
    value_tx.send(42).ok();
    let mut log = vec![];
    while log.len() < 2 {
        log = within(handle.ask(GetLog)).await.unwrap_or_default();
        tokio::task::yield_now().await;
    }
    assert_eq!(log, vec![1, 42]);
}

#[tokio::test]
async fn queued_tells_what_is_waiting_behind_the_current_message() {
    struct Peek(oneshot::Sender<usize>);
    impl Message for Peek {
        type Reply = ();
    }
    impl Handler<Peek> for Probe {
        fn handle(&mut self, msg: Peek, ctx: &mut Context<Self>) {
            let _ = msg.0.send(ctx.queued());
        }
    }
    let handle = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    let (seen_tx, seen_rx) = oneshot::channel();
    handle.tell(Peek(seen_tx)).await.ok();
    handle.tell(Record(1)).await.ok();
    handle.tell(Record(2)).await.ok();
    release.send(()).ok();
    assert_eq!(within(seen_rx).await.ok(), Some(2));
}

/// Waits on a gate, then reports `ctx.queued()`: what arrived while it waited counts.
struct CountAfter {
    entered: oneshot::Sender<()>,
    gate: std::sync::mpsc::Receiver<()>,
    seen: oneshot::Sender<usize>,
}
impl Message for CountAfter {
    type Reply = ();
}
impl Handler<CountAfter> for Probe {
    fn handle(&mut self, msg: CountAfter, ctx: &mut Context<Self>) {
        let _ = msg.entered.send(());
        let _ = msg.gate.recv();
        let _ = msg.seen.send(ctx.queued());
    }
}

/// A `CountAfter` and its gates: entered, open, and the count seen.
fn count_after() -> (
    CountAfter,
    oneshot::Receiver<()>,
    std::sync::mpsc::Sender<()>,
    oneshot::Receiver<usize>,
) {
    let (entered_tx, entered) = oneshot::channel();
    let (open, gate) = std::sync::mpsc::channel();
    let (seen_tx, seen) = oneshot::channel();
    let count = CountAfter {
        entered: entered_tx,
        gate,
        seen: seen_tx,
    };
    (count, entered, open, seen)
}

#[tokio::test]
async fn queued_counts_messages_sent_while_the_handler_runs() {
    // The handler waits on a gate, messages arrive behind it, then it counts: the count is
    // taken when asked, not when the handler started (the mailbox was empty then).
    let handle = probe_thread(ActorBuilder::new(), Probe::default());
    let (count, entered, open, seen) = count_after();
    handle.tell(count).await.ok();
    within(entered).await.ok();
    for n in 1..=3 {
        handle.tell(Record(n)).await.ok();
    }
    open.send(()).ok();
    assert_eq!(within(seen).await.ok(), Some(3));
}

#[tokio::test]
async fn queued_counts_messages_waiting_in_line_for_room_too() {
    let handle = probe_thread(ActorBuilder::new().mailbox_capacity(2), Probe::default());
    let (count, entered, open, seen) = count_after();
    handle.tell(count).await.ok();
    within(entered).await.ok();
    // Two fill the mailbox, three more wait in line for room.
    let senders: Vec<_> = (1..=5)
        .map(|n| {
            let handle = handle.clone();
            tokio::spawn(async move { handle.tell(Record(n)).await.is_ok() })
        })
        .collect();
    within(async {
        while handle.stats().waiting_for_room < 3 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(handle.stats().mailbox_len, 2);
    open.send(()).ok();
    assert_eq!(within(seen).await.ok(), Some(5));
    for sender in senders {
        assert_eq!(within(sender).await.ok(), Some(true));
    }
}

#[tokio::test]
async fn a_weak_handle_watches_without_keeping_the_actor_alive() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = spawn(probe);
    let weak = handle.downgrade();
    assert!(weak.upgrade().is_some());
    handle.tell(Record(3)).await.ok();
    drop(handle);
    assert_eq!(within(weak.wait_stopped()).await, StopReason::Normal);
    assert!(weak.upgrade().is_none());
    let (_, log) = within(stopped)
        .await
        .unwrap_or((StopReason::Aborted, vec![]));
    assert_eq!(log, vec![3]);
}

#[tokio::test]
async fn stop_refuses_new_messages_at_once_even_while_a_handler_runs() {
    let (probe, stopped) = probe_with_stop_signal();
    let handle = probe_thread(ActorBuilder::new(), probe);
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    handle.tell(Record(1)).await.ok();
    handle.stop();
    // The run loop is still inside the blocked handler; the mailbox refuses anyway.
    assert!(!handle.is_running());
    assert!(matches!(
        handle.tell(Record(2)).await,
        Err(TellError::NotRunning(Record(2)))
    ));
    assert!(matches!(
        handle.try_tell(Record(3)),
        Err(TellError::NotRunning(Record(3)))
    ));
    assert!(matches!(
        handle.ask(GetLog).await,
        Err(referee_actor::AskError::NotRunning(_))
    ));
    release.send(()).ok();
    let (reason, log) = within(stopped)
        .await
        .unwrap_or((StopReason::Aborted, vec![]));
    assert_eq!(reason, StopReason::Normal);
    assert_eq!(
        log,
        vec![1],
        "what was queued before stop was handled, nothing after"
    );
}

/// The run loop registers its waker for stop and kill once, not each time the mailbox runs
/// empty; an idle actor that has gone idle many times must still wake for both.
#[tokio::test]
async fn an_actor_idle_after_many_messages_still_wakes_for_stop_and_for_kill() {
    for kill in [false, true] {
        let handle = spawn(Probe::default());
        for n in 0..5 {
            handle.tell(Record(n)).await.ok();
            // Answered: the loop has handled everything and waits on an empty mailbox again.
            let log = within(handle.ask(GetLog)).await.unwrap_or_default();
            assert_eq!(log.len(), usize::try_from(n + 1).unwrap_or(usize::MAX));
        }
        let expected = if kill {
            handle.kill();
            StopReason::Killed
        } else {
            // A second request raises nothing: it must not use up the loop's wake-up.
            handle.stop();
            handle.stop();
            StopReason::Normal
        };
        assert_eq!(within(handle.wait_stopped()).await, expected);
    }
}

#[tokio::test]
async fn a_prepared_actor_runs_where_its_loop_is_put_and_finds_its_queue_waiting() {
    let (probe, stopped) = probe_with_stop_signal();
    let (handle, run) = ActorBuilder::new().prepare(probe);
    for n in 0..3 {
        assert!(handle.try_tell(Record(n)).is_ok());
    }
    // Nothing runs the loop yet: the messages wait.
    let before = handle.stats();
    assert_eq!((before.handled, before.mailbox_len), (0, 3));
    // The caller puts the loop on a LocalSet, next to the task that talks to it.
    let local = tokio::task::LocalSet::new();
    let log = local
        .run_until(async move {
            let running = tokio::task::spawn_local(run);
            let log = within(handle.ask(GetLog)).await.ok();
            drop(handle);
            // The loop resolves once the actor has stopped.
            assert!(within(running).await.is_ok());
            log
        })
        .await;
    assert_eq!(log, Some(vec![0, 1, 2]));
    let reason = within(stopped).await.ok().map(|(reason, _)| reason);
    assert_eq!(reason, Some(StopReason::Normal));
}

#[tokio::test]
async fn a_prepared_loop_dropped_without_running_stops_the_actor_as_aborted() {
    let (handle, run) = ActorBuilder::new().prepare(Probe::default());
    let mut ask = std::pin::pin!(handle.ask(GetLog));
    // The first poll sends the request into the mailbox.
    let first = std::future::poll_fn(|cx| Poll::Ready(ask.as_mut().poll(cx))).await;
    assert!(first.is_pending());
    drop(run);
    let answer = within(ask).await;
    assert!(
        matches!(answer, Err(AskError::Stopped(StopReason::Aborted))),
        "{answer:?}"
    );
    assert_eq!(within(handle.wait_stopped()).await, StopReason::Aborted);
    assert!(matches!(
        handle.try_tell(Record(1)),
        Err(TellError::NotRunning(_))
    ));
}

#[tokio::test]
async fn a_run_loop_whose_mailbox_never_empties_still_lets_its_threads_other_tasks_run() {
    // One thread (the test runtime's). 300 messages wait before the loop first runs: it
    // takes a streak of them, then yields, and the task spawned after it runs in between.
    let (probe, run) = ActorBuilder::new()
        .mailbox_capacity(512)
        .prepare(Probe::default());
    for n in 0..300 {
        probe.try_tell(Record(n)).ok();
    }
    tokio::spawn(run);
    let seen = tokio::spawn({
        let probe = probe.clone();
        async move { probe.stats().handled }
    });
    let handled_when_the_other_task_ran = within(seen).await.unwrap_or_default();
    assert!(
        (1..300).contains(&handled_when_the_other_task_ran),
        "the loop handled {handled_when_the_other_task_ran} of 300 before yielding"
    );
    assert_eq!(
        within(probe.ask(GetLog)).await.map(|log| log.len()).ok(),
        Some(300)
    );
}
