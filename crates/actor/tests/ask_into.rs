//! `Context::ask_into`: an actor asks another and the answer comes back as a message in its
//! own mailbox — exactly one per request, whatever happens (docs/semantics.md §11).

mod common;

use std::sync::mpsc as std_mpsc;

use common::desk::{Desk, Forget, PanicHolding, Ring, Wait};
use common::within;
use referee_actor::{
    Actor, ActorBuilder, ActorHandle, AskError, Context, Handler, Message, StopReason, spawn,
};
use tokio::sync::mpsc;

type Answered = Result<u32, AskError<()>>;

/// The asked actor (`common::desk`), which also answers `Double` at once and can be blocked.
struct Double(u32);
impl Message for Double {
    type Reply = u32;
}
impl Handler<Double> for Desk {
    fn handle(&mut self, Double(n): Double, _: &mut Context<Self>) -> u32 {
        n * 2
    }
}

/// Blocks the desk's own thread until the sender side of `0` is dropped or sends.
struct Block(std_mpsc::Receiver<()>);
impl Message for Block {
    type Reply = ();
}
impl Handler<Block> for Desk {
    fn handle(&mut self, Block(gate): Block, _: &mut Context<Self>) {
        let _ = gate.recv();
    }
}

/// The asking actor: forwards each request to the desk with `ask_into` and reports every
/// answer that comes back into its mailbox.
struct Clerk {
    desk: ActorHandle<Desk>,
    answers: mpsc::UnboundedSender<Answered>,
}
impl Actor for Clerk {}

/// Which request the clerk makes of the desk.
enum Request {
    Double(u32),
    Wait,
    PanicHolding,
}
impl Message for Request {
    type Reply = ();
}
impl Handler<Request> for Clerk {
    fn handle(&mut self, request: Request, ctx: &mut Context<Self>) {
        match request {
            Request::Double(n) => ctx.ask_into(&self.desk, Double(n), Got),
            Request::Wait => ctx.ask_into(&self.desk, Wait, Got),
            Request::PanicHolding => ctx.ask_into(&self.desk, PanicHolding, Got),
        }
    }
}

/// An answer, come back as a message.
struct Got(Answered);
impl Message for Got {
    type Reply = ();
}
impl Handler<Got> for Clerk {
    fn handle(&mut self, Got(answer): Got, _: &mut Context<Self>) {
        let _ = self.answers.send(answer);
    }
}

fn clerk(desk: &ActorHandle<Desk>) -> (ActorHandle<Clerk>, mpsc::UnboundedReceiver<Answered>) {
    let (answers, heard) = mpsc::unbounded_channel();
    let clerk = spawn(Clerk {
        desk: desk.clone(),
        answers,
    });
    (clerk, heard)
}

async fn next(heard: &mut mpsc::UnboundedReceiver<Answered>) -> Answered {
    within(heard.recv()).await.expect("the clerk stopped")
}

#[tokio::test]
async fn an_answer_given_at_once_comes_back_as_a_message() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::Double(21)).await.unwrap();
    assert_eq!(next(&mut heard).await.ok(), Some(42));
}

#[tokio::test]
async fn an_answer_given_later_comes_back_when_given_and_the_asker_goes_on_meanwhile() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::Wait).await.unwrap();
    // The clerk is not stuck waiting: it handles the next request meanwhile.
    clerk.tell(Request::Double(1)).await.unwrap();
    assert_eq!(next(&mut heard).await.ok(), Some(2));
    desk.tell(Ring(7)).await.unwrap();
    assert_eq!(next(&mut heard).await.ok(), Some(7));
}

#[tokio::test]
async fn a_slot_dropped_unanswered_comes_back_as_dropped() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::Wait).await.unwrap();
    clerk.tell(Request::Double(0)).await.unwrap();
    assert_eq!(next(&mut heard).await.ok(), Some(0));
    desk.tell(Forget).await.unwrap();
    assert!(matches!(next(&mut heard).await, Err(AskError::Dropped)));
}

#[tokio::test]
async fn a_handler_panicking_with_the_slot_comes_back_as_panicked() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::PanicHolding).await.unwrap();
    match next(&mut heard).await {
        Err(AskError::Panicked(panic)) => assert_eq!(panic.message(), "lost it"),
        other => panic!("expected Panicked, got {other:?}"),
    }
}

#[tokio::test]
async fn a_target_that_stops_holding_the_slot_comes_back_as_stopped_with_its_reason() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::Wait).await.unwrap();
    clerk.tell(Request::Double(3)).await.unwrap();
    assert_eq!(next(&mut heard).await.ok(), Some(6));
    desk.kill();
    match next(&mut heard).await {
        Err(AskError::Stopped(reason)) => assert_eq!(reason, StopReason::Killed),
        other => panic!("expected Stopped, got {other:?}"),
    }
}

#[tokio::test]
async fn a_target_that_is_not_running_comes_back_as_not_running() {
    let desk = spawn(Desk::default());
    let (clerk, mut heard) = clerk(&desk);
    desk.stop();
    within(desk.wait_stopped()).await;
    clerk.tell(Request::Double(5)).await.unwrap();
    assert!(matches!(
        next(&mut heard).await,
        Err(AskError::NotRunning(()))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_target_is_waited_for_and_a_thread_actor_answers_into_the_mailbox() {
    // The desk runs on a thread of its own, with room for one message; it is blocked, and
    // its mailbox holds one message already.
    let desk = ActorBuilder::new()
        .mailbox_capacity(1)
        .spawn_thread(Desk::default())
        .unwrap();
    let (gate, blocked) = std_mpsc::channel();
    desk.tell(Block(blocked)).await.unwrap();
    let (second_gate, second) = std_mpsc::channel();
    drop(second_gate);
    desk.tell(Block(second)).await.unwrap();
    let (clerk, mut heard) = clerk(&desk);
    clerk.tell(Request::Double(4)).await.unwrap();
    // Nothing yet: the request waits for room behind the blocked desk.
    tokio::task::yield_now().await;
    assert!(heard.try_recv().is_err());
    drop(gate);
    assert_eq!(next(&mut heard).await.ok(), Some(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_still_queued_when_the_target_is_killed_comes_back_as_stopped() {
    // The desk (its own thread) is blocked in a handler; the request waits behind it.
    let desk = ActorBuilder::new().spawn_thread(Desk::default()).unwrap();
    let (gate, blocked) = std_mpsc::channel();
    desk.tell(Block(blocked)).await.unwrap();
    let (clerk, mut heard) = clerk(&desk);
    // Asked, not told: once the clerk has handled it, the request is in the desk's mailbox
    // (behind the block, if the desk's thread has not taken that yet: killed all the same).
    clerk.ask(Request::Double(9)).await.unwrap();
    assert!(desk.stats().mailbox_len >= 1);
    desk.kill();
    drop(gate);
    match next(&mut heard).await {
        Err(AskError::Stopped(reason)) => assert_eq!(reason, StopReason::Killed),
        other => panic!("expected Stopped, got {other:?}"),
    }
}
