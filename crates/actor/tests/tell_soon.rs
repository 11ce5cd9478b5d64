//! `tell_soon` (never waits, bounded, in order) and `Recipient` (one message type, actor
//! type erased): docs/semantics.md §11.

mod common;

use common::{GetLog, Probe, Record, block, probe_thread, within};
use referee_actor::{ActorBuilder, ActorHandle, Recipient, TellError, WeakRecipient};

/// A probe on a thread of its own, busy in a handler until `release` fires: its mailbox
/// fills from empty.
async fn busy(builder: ActorBuilder) -> (ActorHandle<Probe>, std::sync::mpsc::Sender<()>) {
    let probe = probe_thread(builder, Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    (probe, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tell_soon_never_waits_keeps_order_and_spawns_nothing() {
    const CAPACITY: usize = 4;
    let (probe, release) = busy(ActorBuilder::new().mailbox_capacity(CAPACITY)).await;
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    // The ring's slots, then as many more in line: all accepted at once.
    for n in 0..(2 * CAPACITY) as u64 {
        assert!(probe.tell_soon(Record(n)).is_ok(), "letter {n} refused");
    }
    assert_eq!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        tasks,
        "no task per letter"
    );
    assert_eq!(probe.stats().waiting_for_room, CAPACITY);
    // A later `try_tell` from anyone does not overtake the line.
    assert!(matches!(
        probe.try_tell(Record(99)),
        Err(TellError::Full(_))
    ));
    release.send(()).ok();
    let log = within(probe.ask(GetLog)).await.ok();
    assert_eq!(log, Some((0..(2 * CAPACITY) as u64).collect()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tell_soon_is_bounded_and_hands_the_message_back_beyond() {
    const CAPACITY: usize = 2;
    let (probe, release) = busy(ActorBuilder::new().mailbox_capacity(CAPACITY)).await;
    for n in 0..(2 * CAPACITY) as u64 {
        assert!(probe.tell_soon(Record(n)).is_ok());
    }
    match probe.tell_soon(Record(7)) {
        Err(TellError::Full(Record(7))) => {}
        other => panic!("expected Full with the message, got {:?}", other.err()),
    }
    release.send(()).ok();
    assert_eq!(
        within(probe.ask(GetLog)).await.ok().map(|log| log.len()),
        Some(2 * CAPACITY)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_still_in_line_when_the_actor_stops_are_dropped_and_later_ones_refused() {
    let (probe, release) = busy(ActorBuilder::new().mailbox_capacity(1)).await;
    assert!(probe.tell_soon(Record(1)).is_ok(), "into the ring");
    assert!(probe.tell_soon(Record(2)).is_ok(), "into the line");
    probe.stop();
    assert_eq!(
        probe.stats().waiting_for_room,
        0,
        "the line emptied at close"
    );
    assert!(matches!(
        probe.tell_soon(Record(3)),
        Err(TellError::NotRunning(_))
    ));
    release.send(()).ok();
    within(probe.wait_stopped()).await;
}

#[tokio::test]
async fn a_recipient_tells_and_asks_without_naming_the_actor_type() {
    let probe = referee_actor::spawn(Probe::default());
    let records: Recipient<Record> = probe.recipient();
    let logs: Recipient<GetLog> = probe.recipient();
    records.tell(Record(1)).await.ok();
    records.try_tell(Record(2)).ok();
    records.tell_soon(Record(3)).ok();
    assert_eq!(within(logs.ask(GetLog)).await.ok(), Some(vec![1, 2, 3]));
    assert!(records.is_running());

    let weak: WeakRecipient<Record> = probe.downgrade().recipient();
    assert!(weak.upgrade().is_some());
    drop((records, logs));
    probe.stop();
    within(probe.wait_stopped()).await;
    drop(probe);
    assert!(
        weak.upgrade().is_none(),
        "a weak recipient keeps nothing alive"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soon_capacity_sets_the_bound_apart_from_the_mailbox() {
    const CAPACITY: usize = 2;
    const SOON: usize = 5;
    let (probe, release) = busy(
        ActorBuilder::new()
            .mailbox_capacity(CAPACITY)
            .soon_capacity(SOON),
    )
    .await;
    for n in 0..(CAPACITY + SOON) as u64 {
        assert!(probe.tell_soon(Record(n)).is_ok(), "letter {n} refused");
    }
    assert!(matches!(
        probe.tell_soon(Record(99)),
        Err(TellError::Full(_))
    ));
    release.send(()).ok();
    let log = within(probe.ask(GetLog)).await.ok();
    assert_eq!(log, Some((0..(CAPACITY + SOON) as u64).collect()));
}
