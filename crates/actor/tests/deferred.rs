//! Deferred replies: a handler keeps its request's [`ReplyTo`] and answers later, and the
//! asker keeps every promise `ask` makes (docs/semantics.md §11).

mod common;

use std::time::Duration;

use common::desk::{Desk, Forget, PanicHolding, Ring, Wait};
use common::{TIMEOUT, within};
use referee_actor::{
    ActorBuilder, AskError, Context, Handler, Message, RestartPolicy, StopReason, spawn,
};

/// Panics (with slots kept from earlier asks in the state).
struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Desk {
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crash");
    }
}

/// How many slots wait, and how many of them are closed (their asker gave up).
struct Count;
impl Message for Count {
    type Reply = (usize, usize);
}
impl Handler<Count> for Desk {
    fn handle(&mut self, _: Count, _: &mut Context<Self>) -> (usize, usize) {
        let closed = self.waiting.iter().filter(|slot| slot.is_closed()).count();
        (self.waiting.len(), closed)
    }
}

/// An ask with no deadline, in a task of its own, once its slot is kept at the desk.
async fn waiting(
    desk: &referee_actor::ActorHandle<Desk>,
) -> tokio::task::JoinHandle<Result<u32, AskError<Wait>>> {
    let asker = tokio::spawn({
        let desk = desk.clone();
        async move { desk.ask_with(Wait, referee_actor::Timeout::Never).await }
    });
    parked(desk, 1).await;
    asker
}

/// Waits until `n` asks are parked at the desk.
async fn parked(desk: &referee_actor::ActorHandle<Desk>, n: usize) {
    within(async {
        while desk.ask(Count).await.map(|(len, _)| len).unwrap_or(0) < n {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_kept_slot_answers_later_while_the_actor_handles_other_messages() {
    let desk = spawn(Desk::default());
    let first = tokio::spawn({
        let desk = desk.clone();
        async move { desk.ask(Wait).await }
    });
    parked(&desk, 1).await;
    // The actor is not stuck on the waiting ask: it answers others meanwhile.
    assert_eq!(desk.ask(Count).await.ok(), Some((1, 0)));
    desk.tell(Ring(42)).await.ok();
    assert_eq!(within(first).await.ok().and_then(Result::ok), Some(42));
}

#[tokio::test]
async fn a_slot_dropped_unanswered_resolves_its_asker_at_once_with_dropped() {
    let desk = spawn(Desk::default());
    let asker = waiting(&desk).await;
    desk.tell(Forget).await.ok();
    // No deadline: only the dropped slot can end this ask.
    let answer = within(asker).await.ok();
    assert!(matches!(answer, Some(Err(AskError::Dropped))), "{answer:?}");
    assert!(desk.is_running());
}

#[tokio::test]
async fn a_slot_dropped_by_a_panicking_handler_reports_that_panic() {
    let desk = spawn(Desk::default());
    let answer = within(desk.ask(PanicHolding)).await;
    match answer {
        Err(AskError::Panicked(panic)) => assert_eq!(panic.message(), "lost it"),
        other => panic!("expected Panicked, got {other:?}"),
    }
}

#[tokio::test]
async fn slots_kept_by_an_actor_that_stops_report_the_stop_reason() {
    let desk = spawn(Desk::default());
    let asker = waiting(&desk).await;
    desk.stop();
    let answer = within(asker).await.ok();
    assert!(
        matches!(answer, Some(Err(AskError::Stopped(StopReason::Normal)))),
        "{answer:?}"
    );

    let desk = spawn(Desk::default());
    let asker = waiting(&desk).await;
    desk.kill();
    let answer = within(asker).await.ok();
    assert!(
        matches!(answer, Some(Err(AskError::Stopped(StopReason::Killed)))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn slots_kept_by_an_instance_that_crashes_without_restart_report_the_crash() {
    let desk = spawn(Desk::default());
    let asker = waiting(&desk).await;
    desk.tell(Crash).await.ok();
    let answer = within(asker).await.ok();
    assert!(
        matches!(
            answer,
            Some(Err(AskError::Stopped(StopReason::Panicked(_))))
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn slots_lost_with_a_restarted_instance_report_dropped_and_the_actor_runs_on() {
    let desk = ActorBuilder::new().spawn_supervised(RestartPolicy::default(), Desk::default);
    let asker = waiting(&desk).await;
    desk.tell(Crash).await.ok();
    let answer = within(asker).await.ok();
    assert!(matches!(answer, Some(Err(AskError::Dropped))), "{answer:?}");
    assert_eq!(within(desk.ask(Count)).await.ok(), Some((0, 0)));
}

#[tokio::test(start_paused = true)]
async fn a_deferred_answer_keeps_the_askers_deadline_and_a_late_answer_is_dropped() {
    let desk = spawn(Desk::default());
    let answer = desk.ask_with(Wait, Duration::from_millis(50)).await;
    assert!(matches!(answer, Err(AskError::Timeout(_))), "{answer:?}");
    // The slot still waits at the desk, and knows its asker is gone.
    assert_eq!(desk.ask(Count).await.ok(), Some((1, 1)));
    // Answering it now costs nothing and disturbs nobody.
    desk.tell(Ring(1)).await.ok();
    assert_eq!(desk.ask(Count).await.ok(), Some((0, 0)));
}

#[test]
fn a_blocking_ask_gets_a_deferred_answer_and_a_dropped_slot_alike() {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        panic!("no runtime");
    };
    let desk = runtime.block_on(async { spawn(Desk::default()) });
    let asker = std::thread::spawn({
        let desk = desk.clone();
        move || desk.blocking_ask(Wait)
    });
    runtime.block_on(async {
        parked(&desk, 1).await;
        desk.tell(Ring(9)).await.ok();
    });
    assert_eq!(asker.join().ok().and_then(Result::ok), Some(9));

    let asker = std::thread::spawn({
        let desk = desk.clone();
        move || desk.blocking_ask_with(Wait, TIMEOUT)
    });
    runtime.block_on(async {
        parked(&desk, 1).await;
        desk.tell(Forget).await.ok();
    });
    let answer = asker.join().ok();
    assert!(matches!(answer, Some(Err(AskError::Dropped))), "{answer:?}");
}

#[tokio::test]
async fn a_told_message_answered_later_goes_nowhere() {
    let desk = spawn(Desk::default());
    desk.tell(Wait).await.ok();
    parked(&desk, 1).await;
    assert_eq!(
        desk.ask(Count).await.ok(),
        Some((1, 1)),
        "nobody waits on a tell"
    );
    desk.tell(Ring(3)).await.ok();
    assert_eq!(desk.ask(Count).await.ok(), Some((0, 0)));
}
