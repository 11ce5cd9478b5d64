//! Waiting for room in a full mailbox: first come, first served; a sender that gives up
//! leaves the line without a trace; a stop hands every waiting message back; and no
//! message is lost or reordered when many senders on many threads crowd a tiny mailbox.

mod common;

use std::time::Duration;

use common::{Echo, GetLog, Probe, Record, block, probe_thread, within};
use referee_actor::{ActorBuilder, ActorHandle, AskError, TellError, Timeout};
use tokio::task::JoinHandle;

/// A probe with a one-slot mailbox, blocked in a handler, its slot taken by `Record(0)`.
async fn full_probe() -> (ActorHandle<Probe>, std::sync::mpsc::Sender<()>) {
    let probe = probe_thread(ActorBuilder::new().mailbox_capacity(1), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    probe.tell(Record(0)).await.ok();
    (probe, release)
}

/// Waits (yielding) until at least `n` senders stand in line for room.
async fn until_in_line(probe: &ActorHandle<Probe>, n: usize) {
    within(async {
        while probe.stats().waiting_for_room < n {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// Spawns a task telling `Record(n)`, and waits until it stands in the line.
async fn tell_in_line(probe: &ActorHandle<Probe>, n: u64) -> JoinHandle<Result<(), u64>> {
    let before = probe.stats().waiting_for_room;
    let task = tokio::spawn({
        let probe = probe.clone();
        async move { probe.tell(Record(n)).await.map_err(|e| e.into_message().0) }
    });
    until_in_line(probe, before + 1).await;
    task
}

#[tokio::test]
async fn senders_waiting_for_room_get_in_first_come_first_served() {
    let (probe, release) = full_probe().await;
    let mut waiting = Vec::new();
    for n in [3, 1, 4, 5, 9, 2, 6] {
        waiting.push(tell_in_line(&probe, n).await);
    }
    assert_eq!(probe.stats().waiting_for_room, 7);
    // A newcomer may not overtake them, even with `try_tell`.
    assert!(matches!(
        probe.try_tell(Record(99)),
        Err(TellError::Full(Record(99)))
    ));
    release.send(()).ok();
    for task in waiting {
        assert_eq!(within(task).await.ok(), Some(Ok(())));
    }
    let log = within(probe.ask(GetLog)).await.ok();
    assert_eq!(log, Some(vec![0, 3, 1, 4, 5, 9, 2, 6]));
    assert_eq!(probe.stats().waiting_for_room, 0);
}

#[tokio::test]
async fn a_sender_that_gives_up_leaves_the_line_and_the_others_keep_their_turn() {
    let (probe, release) = full_probe().await;
    let first = tell_in_line(&probe, 1).await;
    let quitter = tell_in_line(&probe, 2).await;
    let last = tell_in_line(&probe, 3).await;
    quitter.abort();
    assert!(within(quitter).await.is_err(), "the task was aborted");
    assert_eq!(probe.stats().waiting_for_room, 2);
    release.send(()).ok();
    assert_eq!(within(first).await.ok(), Some(Ok(())));
    assert_eq!(within(last).await.ok(), Some(Ok(())));
    let log = within(probe.ask(GetLog)).await.ok();
    assert_eq!(log, Some(vec![0, 1, 3]));
}

#[tokio::test]
async fn an_ask_that_times_out_in_line_gets_its_message_back_and_leaves() {
    let (probe, release) = full_probe().await;
    let first = tell_in_line(&probe, 1).await;
    let asked = probe.ask_with(Echo(7), Duration::from_millis(30)).await;
    assert!(matches!(asked, Err(AskError::Full(Echo(7)))), "{asked:?}");
    assert_eq!(probe.stats().waiting_for_room, 1);
    release.send(()).ok();
    assert_eq!(within(first).await.ok(), Some(Ok(())));
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![0, 1]));
}

#[tokio::test]
async fn an_ask_in_line_is_answered_once_room_comes() {
    let (probe, release) = full_probe().await;
    let asking = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask_with(Echo(8), Timeout::Never).await.ok() }
    });
    until_in_line(&probe, 1).await;
    release.send(()).ok();
    assert_eq!(within(asking).await.ok(), Some(Some(8)));
}

#[tokio::test]
async fn stopping_hands_every_waiting_message_back() {
    let (probe, release) = full_probe().await;
    let tells: Vec<_> = tells_in_line(&probe, [1, 2, 3]).await;
    let asking = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask_with(Echo(4), Timeout::Never).await }
    });
    until_in_line(&probe, 4).await;
    probe.stop();
    for (task, n) in tells.into_iter().zip([1, 2, 3]) {
        assert_eq!(within(task).await.ok(), Some(Err(n)));
    }
    assert!(matches!(
        within(asking).await.ok(),
        Some(Err(AskError::NotRunning(Echo(4))))
    ));
    // What was already queued is still handled: the gate, then `Record(0)`.
    release.send(()).ok();
    within(probe.wait_stopped()).await;
    assert_eq!(probe.stats().waiting_for_room, 0);
}

/// Puts one `tell` per number in line, in order.
async fn tells_in_line(
    probe: &ActorHandle<Probe>,
    numbers: [u64; 3],
) -> Vec<JoinHandle<Result<(), u64>>> {
    let mut tasks = Vec::new();
    for n in numbers {
        tasks.push(tell_in_line(probe, n).await);
    }
    tasks
}

/// Many senders on several threads, a two-slot mailbox: every message arrives exactly once,
/// and each sender's messages in the order it sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowded_tiny_mailbox_loses_and_reorders_nothing() {
    const SENDERS: u64 = 16;
    const EACH: u64 = 300;
    let probe = ActorBuilder::new()
        .mailbox_capacity(2)
        .spawn(Probe::default());
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let probe = probe.clone();
            tokio::spawn(async move {
                for seq in 0..EACH {
                    let value = sender * 1_000_000 + seq;
                    if seq % 3 == 0 {
                        // Asks too: they wait in the same line, without being woken for it.
                        assert_eq!(probe.ask(Echo(value)).await.ok(), Some(value));
                        probe.tell(Record(value)).await.ok();
                    } else {
                        probe.tell(Record(value)).await.ok();
                    }
                }
            })
        })
        .collect();
    for sender in senders {
        within(sender).await.ok();
    }
    let log = within(probe.ask(GetLog)).await.ok().unwrap_or_default();
    assert_eq!(log.len() as u64, SENDERS * EACH);
    for sender in 0..SENDERS {
        let mine: Vec<u64> = log
            .iter()
            .filter(|value| **value / 1_000_000 == sender)
            .map(|value| value % 1_000_000)
            .collect();
        assert_eq!(mine, (0..EACH).collect::<Vec<_>>(), "sender {sender}");
    }
    assert_eq!(probe.stats().waiting_for_room, 0);
}

/// A freed slot goes to the first in line at once, even while the handler that freed it
/// runs: the mailbox is not left with room while someone waits.
#[tokio::test]
async fn a_waiter_gets_a_freed_slot_at_once() {
    let probe = probe_thread(ActorBuilder::new().mailbox_capacity(4), Probe::default());
    let (a, a_entered, a_release) = block();
    let (b, b_entered, b_release) = block();
    probe.tell(a).await.ok();
    within(a_entered).await.ok();
    probe.tell(b).await.ok();
    for n in 1..=3 {
        probe.tell(Record(n)).await.ok();
    }
    assert_eq!(probe.stats().mailbox_len, 4);
    let asking = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask(Echo(7)).await.ok() }
    });
    until_in_line(&probe, 1).await;
    a_release.send(()).ok();
    // B was taken out (one slot freed) and now blocks the loop: the ask must be in.
    within(b_entered).await.ok();
    let stats = probe.stats();
    assert_eq!(
        (stats.mailbox_len, stats.waiting_for_room),
        (4, 0),
        "{stats:?}"
    );
    b_release.send(()).ok();
    assert_eq!(within(asking).await.ok(), Some(Some(7)));
}

/// `stop` racing senders that are about to join the line — two threads with `blocking_tell`,
/// two tasks with `tell` — none of them is left waiting. (The window is a few instructions
/// wide, so this runs many rounds with varied timing.)
///
/// Each task runs on a runtime of its own thread: the start barrier blocks its caller, and
/// when two tasks blocked the two workers of one shared runtime, a task queued behind a
/// blocked worker could never reach the barrier (this test hung once in CI that way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_joining_the_line_while_stop_runs_are_never_left_there() {
    use std::sync::{Arc, Barrier, mpsc};
    const ROUNDS: u64 = 6_000;
    const THREADS: u64 = 2;
    const TASKS: u64 = 2;
    for round in 0..ROUNDS {
        let probe = probe_thread(ActorBuilder::new().mailbox_capacity(1), Probe::default());
        let (msg, entered, release) = block();
        probe.tell(msg).await.ok();
        within(entered).await.ok();
        probe.tell(Record(0)).await.ok();
        let start = Arc::new(Barrier::new((THREADS + TASKS + 1) as usize));
        let (done_tx, done) = mpsc::channel();
        for n in 0..THREADS {
            let (probe, start, done_tx) = (probe.clone(), start.clone(), done_tx.clone());
            std::thread::spawn(move || {
                start.wait();
                let sent = probe.blocking_tell(Record(n + 1));
                done_tx.send(sent.is_ok()).ok();
            });
        }
        for n in 0..TASKS {
            let (probe, start, done_tx) = (probe.clone(), start.clone(), done_tx.clone());
            std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
                    start.wait();
                    done_tx.send(false).ok();
                    return;
                };
                start.wait();
                let sent = runtime.block_on(probe.tell(Record(THREADS + n + 1)));
                done_tx.send(sent.is_ok()).ok();
            });
        }
        let stopper = std::thread::spawn({
            let (probe, start) = (probe.clone(), start.clone());
            move || {
                start.wait();
                for _ in 0..(round % 64) * 8 {
                    std::hint::spin_loop();
                }
                probe.stop();
            }
        });
        drop(start);
        stopper.join().ok();
        release.send(()).ok();
        for _ in 0..THREADS + TASKS {
            if done.recv_timeout(common::TIMEOUT).is_err() {
                panic!(
                    "round {round}: a sender hangs after stop(); waiting_for_room = {}",
                    probe.stats().waiting_for_room,
                );
            }
        }
        within(probe.wait_stopped()).await;
    }
}
