//! Plain threads are first-class: `blocking_ask` and `blocking_tell` need no runtime on the
//! calling thread, and refuse (never panic, never deadlock) inside one.

mod common;

use std::thread;
use std::time::Duration;

use common::{Echo, GetLog, Probe, Record, block, within};
use referee_actor::{ActorBuilder, AskError, StopReason, TellError, Timeout};

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => panic!("cannot build a runtime: {err}"),
    }
}

#[test]
fn player_threads_ask_with_blocking_ask() {
    let rt = runtime();
    let probe = ActorBuilder::new()
        .runtime(rt.handle().clone())
        .spawn(Probe::default());
    let players: Vec<_> = (0..8)
        .map(|player| {
            let probe = probe.clone();
            thread::spawn(move || {
                (0..50).all(|round| {
                    let n = player * 1000 + round;
                    matches!(probe.blocking_ask(Echo(n)), Ok(answer) if answer == n)
                })
            })
        })
        .collect();
    for player in players {
        assert_eq!(player.join().ok(), Some(true));
    }
}

#[test]
fn an_actor_on_its_own_thread_needs_no_runtime_at_all() {
    let probe = match ActorBuilder::new().spawn_thread(Probe::default()) {
        Ok(probe) => probe,
        Err(err) => panic!("{err}"),
    };
    assert!(probe.blocking_tell(Record(1)).is_ok());
    assert_eq!(probe.blocking_ask(GetLog).ok(), Some(vec![1]));
    probe.stop();
    assert_eq!(probe.blocking_wait_stopped(), Ok(StopReason::Normal));
}

#[test]
fn blocking_tell_delivers_in_order_from_a_thread() {
    let rt = runtime();
    let probe = ActorBuilder::new()
        .runtime(rt.handle().clone())
        .mailbox_capacity(2)
        .spawn(Probe::default());
    for n in 0..20 {
        assert!(probe.blocking_tell(Record(n)).is_ok());
    }
    assert_eq!(probe.blocking_ask(GetLog).ok(), Some((0..20).collect()));
}

#[test]
fn blocking_ask_times_out() {
    let probe = match ActorBuilder::new().spawn_thread(Probe::default()) {
        Ok(probe) => probe,
        Err(err) => panic!("{err}"),
    };
    let (msg, entered, release) = block();
    assert!(probe.blocking_tell(msg).is_ok());
    assert!(entered.blocking_recv().is_ok());
    let outcome = probe.blocking_ask_with(Echo(1), Duration::from_millis(20));
    assert!(matches!(outcome, Err(AskError::Timeout(d)) if d == Duration::from_millis(20)));
    release.send(()).ok();
}

#[test]
fn blocking_ask_learns_that_the_actor_stopped() {
    let rt = runtime();
    let probe = ActorBuilder::new()
        .runtime(rt.handle().clone())
        .spawn(Probe::default());
    probe.kill();
    assert_eq!(probe.blocking_wait_stopped(), Ok(StopReason::Killed));
    assert!(matches!(
        probe.blocking_ask(Echo(1)),
        Err(AskError::NotRunning(Echo(1)))
    ));
}

#[test]
fn blocking_ask_sees_the_runtime_shutting_down() {
    // A runtime nobody drives: the actor's loop is spawned on it but never runs, so the
    // ask below stays queued until the runtime is dropped with the loop in it.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => panic!("{err}"),
    };
    let probe = ActorBuilder::new()
        .runtime(rt.handle().clone())
        .spawn(Probe::default());
    let asker = {
        let probe = probe.clone();
        thread::spawn(move || probe.blocking_ask_with(Echo(5), Timeout::Never))
    };
    let give_up = std::time::Instant::now() + common::TIMEOUT;
    while probe.stats().mailbox_len == 0 {
        assert!(
            std::time::Instant::now() < give_up,
            "the ask never reached the mailbox"
        );
        thread::yield_now();
    }
    drop(rt);
    let outcome = asker.join().ok();
    assert!(
        matches!(outcome, Some(Err(AskError::Stopped(StopReason::Aborted)))),
        "{outcome:?}"
    );
    assert_eq!(probe.blocking_wait_stopped(), Ok(StopReason::Aborted));
}

#[tokio::test]
async fn blocking_calls_inside_a_runtime_are_refused_not_panicking() {
    let probe = ActorBuilder::new().spawn(Probe::default());
    assert!(matches!(
        probe.blocking_ask(Echo(2)),
        Err(AskError::WouldBlock(Echo(2)))
    ));
    assert!(matches!(
        probe.blocking_tell(Record(3)),
        Err(TellError::WouldBlock(Record(3)))
    ));
    assert!(probe.blocking_wait_stopped().is_err());
    // Nothing was delivered.
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![]));
}
