//! A handler panic never takes the process down; supervised actors come back with the same
//! mailbox, within their restart limit.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::{Echo, Explode, GetLog, Probe, Record, block, within};
use referee_actor::{ActorBuilder, AskError, RestartPolicy, StopReason};

fn counting_factory() -> (Arc<AtomicU32>, impl FnMut() -> Probe + Send + 'static) {
    let built = Arc::new(AtomicU32::new(0));
    let counter = built.clone();
    let factory = move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Probe::default()
    };
    (built, factory)
}

#[tokio::test]
async fn a_restart_keeps_existing_handles_valid() {
    let (built, factory) = counting_factory();
    let handle = ActorBuilder::new().spawn_supervised(RestartPolicy::default(), factory);
    let other = handle.clone();
    let crashed = within(handle.ask(Explode("boom"))).await;
    assert!(matches!(crashed, Err(AskError::Panicked(p)) if p.message() == "boom"));
    assert_eq!(within(other.ask(Echo(5))).await.ok(), Some(5));
    assert_eq!(
        built.load(Ordering::SeqCst),
        2,
        "the factory rebuilt the actor once"
    );
    assert_eq!(handle.stats().restarts, 1);
}

#[tokio::test]
async fn queued_messages_are_served_by_the_restarted_actor() {
    let (_, factory) = counting_factory();
    let handle = ActorBuilder::new()
        .spawn_supervised_thread(RestartPolicy::default(), factory)
        .unwrap_or_else(|err| panic!("{err}"));
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    handle.tell(Record(1)).await.ok(); // recorded by the instance that will crash
    handle.tell(Explode("mid-queue")).await.ok();
    handle.tell(Record(2)).await.ok();
    handle.tell(Record(3)).await.ok();
    release.send(()).ok();
    // The fresh instance starts from the factory's state and serves what was queued.
    assert_eq!(within(handle.ask(GetLog)).await.ok(), Some(vec![2, 3]));
}

#[tokio::test(start_paused = true)]
async fn the_restart_limit_stops_the_actor_for_good() {
    let (built, factory) = counting_factory();
    let policy = RestartPolicy::new(2, Duration::from_secs(10));
    let handle = ActorBuilder::new().spawn_supervised(policy, factory);
    for n in 0..3 {
        let crashed = within(handle.ask(Explode("again"))).await;
        assert!(matches!(crashed, Err(AskError::Panicked(_))), "crash {n}");
    }
    match within(handle.wait_stopped()).await {
        StopReason::RestartLimit { restarts, last } => {
            assert_eq!(restarts, 2);
            assert_eq!(last.message(), "again");
        }
        other => panic!("expected RestartLimit, got {other:?}"),
    }
    assert_eq!(built.load(Ordering::SeqCst), 3);
    assert!(matches!(
        handle.ask(Echo(1)).await,
        Err(AskError::NotRunning(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn crashes_spread_out_in_time_are_all_restarted() {
    let (_, factory) = counting_factory();
    let policy = RestartPolicy::new(1, Duration::from_secs(5));
    let handle = ActorBuilder::new().spawn_supervised(policy, factory);
    for _ in 0..4 {
        within(handle.ask(Explode("now and then"))).await.ok();
        tokio::time::advance(Duration::from_secs(6)).await;
    }
    assert_eq!(within(handle.ask(Echo(8))).await.ok(), Some(8));
    assert_eq!(handle.stats().restarts, 4);
}

#[tokio::test]
async fn an_unsupervised_panic_stops_only_that_actor() {
    let crashing = ActorBuilder::new().spawn(Probe::default());
    let bystander = ActorBuilder::new().spawn(Probe::default());
    within(crashing.ask(Explode("alone"))).await.ok();
    let reason = within(crashing.wait_stopped()).await;
    assert!(matches!(reason, StopReason::Panicked(p) if p.during() == "Explode"));
    assert_eq!(within(bystander.ask(Echo(2))).await.ok(), Some(2));
}

#[tokio::test]
async fn a_panicking_factory_stops_the_actor_with_that_panic() {
    let mut first = true;
    let factory = move || {
        if !std::mem::take(&mut first) {
            panic!("cannot rebuild");
        }
        Probe::default()
    };
    let handle = ActorBuilder::new().spawn_supervised(RestartPolicy::default(), factory);
    within(handle.ask(Explode("first crash"))).await.ok();
    let reason = within(handle.wait_stopped()).await;
    assert!(matches!(
        reason,
        StopReason::Panicked(p) if p.message() == "cannot rebuild" && p.during() == "restart factory"
    ));
}

#[tokio::test]
async fn a_prepared_supervised_actor_restarts_inside_the_loop_its_caller_runs() {
    let (built, factory) = counting_factory();
    let (handle, run) = ActorBuilder::new().prepare_supervised(RestartPolicy::default(), factory);
    let running = tokio::spawn(run);
    let crashed = within(handle.ask(Explode("boom"))).await;
    assert!(matches!(crashed, Err(AskError::Panicked(p)) if p.message() == "boom"));
    assert_eq!(within(handle.ask(Echo(9))).await.ok(), Some(9));
    assert_eq!(built.load(Ordering::SeqCst), 2);
    assert!(!running.is_finished(), "a restart does not end the loop");
    handle.kill();
    assert!(within(running).await.is_ok());
    assert_eq!(within(handle.wait_stopped()).await, StopReason::Killed);
}
