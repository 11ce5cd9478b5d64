//! Fire-and-forget: `tell` waits for room, `try_tell` never waits, and both hand an
//! undelivered message back.

mod common;

use common::{GetLog, Probe, Record, block, probe_thread, within};
use referee_actor::{ActorBuilder, TellError, spawn};

#[tokio::test]
async fn told_messages_are_handled_in_order() {
    let probe = spawn(Probe::default());
    for n in 0..10 {
        probe.tell(Record(n)).await.ok();
    }
    let log = within(probe.ask(GetLog)).await.ok();
    assert_eq!(log, Some((0..10).collect()));
}

#[tokio::test]
async fn try_tell_on_a_full_mailbox_hands_the_message_back() {
    let probe = probe_thread(ActorBuilder::new().mailbox_capacity(2), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    assert!(probe.try_tell(Record(1)).is_ok());
    assert!(probe.try_tell(Record(2)).is_ok());
    match probe.try_tell(Record(3)) {
        Err(TellError::Full(Record(3))) => {}
        other => panic!("expected Full(Record(3)), got {other:?}"),
    }
    release.send(()).ok();
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![1, 2]));
}

#[tokio::test]
async fn tell_waits_for_room_instead_of_failing() {
    let probe = probe_thread(ActorBuilder::new().mailbox_capacity(1), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    probe.tell(Record(1)).await.ok();
    let waiting = tokio::spawn({
        let probe = probe.clone();
        async move { probe.tell(Record(2)).await.is_ok() }
    });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(
        !waiting.is_finished(),
        "tell must wait while the mailbox is full"
    );
    release.send(()).ok();
    assert_eq!(within(waiting).await.ok(), Some(true));
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![1, 2]));
}

#[tokio::test]
async fn tell_to_a_stopped_actor_hands_the_message_back() {
    let probe = spawn(Probe::default());
    probe.kill();
    within(probe.wait_stopped()).await;
    assert!(matches!(
        probe.tell(Record(4)).await,
        Err(TellError::NotRunning(Record(4)))
    ));
    assert!(matches!(
        probe.try_tell(Record(5)),
        Err(TellError::NotRunning(Record(5)))
    ));
}
