//! `ask` always resolves: with the reply, or with an error that says why. Each test names
//! the guarantee of docs/semantics.md it pins down.

mod common;

use std::time::{Duration, Instant};

use common::{Echo, Explode, GetLog, Probe, Record, TIMEOUT, block, probe_thread, within};
use referee_actor::{ActorBuilder, AskError, DEFAULT_ASK_TIMEOUT, StopReason, Timeout, spawn};

/// Short, real timeouts for the tests where the deadline must pass: the gate is never
/// opened in time, so the outcome does not depend on timing.
const SHORT: Duration = Duration::from_millis(30);

#[tokio::test]
async fn ask_returns_the_handlers_reply() {
    let probe = spawn(Probe::default());
    assert_eq!(within(probe.ask(Echo(41))).await.ok(), Some(41));
}

#[tokio::test]
async fn ask_to_a_stopped_actor_fails_at_once_and_hands_the_message_back() {
    let probe = spawn(Probe::default());
    probe.stop();
    assert_eq!(within(probe.wait_stopped()).await, StopReason::Normal);
    match within(probe.ask(Echo(7))).await {
        Err(AskError::NotRunning(Echo(7))) => {}
        other => panic!("expected NotRunning(Echo(7)), got {other:?}"),
    }
}

#[tokio::test]
async fn kill_answers_queued_asks_with_killed_and_lets_the_running_handler_finish() {
    let probe = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    let running = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask(msg).await }
    });
    within(entered).await.ok();
    let queued = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask(Echo(1)).await }
    });
    within(async {
        while probe.stats().mailbox_len == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    probe.kill();
    release.send(()).ok();
    let running = within(running).await.ok();
    assert!(matches!(running, Some(Ok("released"))), "{running:?}");
    let queued = within(queued).await.ok();
    assert!(matches!(
        queued,
        Some(Err(AskError::Stopped(StopReason::Killed)))
    ));
    assert_eq!(within(probe.wait_stopped()).await, StopReason::Killed);
}

#[tokio::test]
async fn a_panicking_handler_fails_its_own_ask_with_the_panic_text() {
    let probe = spawn(Probe::default());
    match within(probe.ask(Explode("bad move"))).await {
        Err(AskError::Panicked(panic)) => {
            assert_eq!(panic.message(), "bad move");
            assert_eq!(panic.during(), "Explode");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    let reason = within(probe.wait_stopped()).await;
    assert!(matches!(reason, StopReason::Panicked(p) if p.message() == "bad move"));
}

#[tokio::test]
async fn asks_queued_behind_a_panic_learn_that_the_actor_panicked() {
    let probe = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    probe.tell(Explode("earlier")).await.ok();
    let queued = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask(Echo(3)).await }
    });
    within(async {
        while probe.stats().mailbox_len < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    release.send(()).ok();
    let outcome = within(queued).await.ok();
    assert!(matches!(
        outcome,
        Some(Err(AskError::Stopped(StopReason::Panicked(p)))) if p.message() == "earlier"
    ));
}

#[tokio::test]
async fn the_default_ask_timeout_is_five_seconds() {
    let probe = spawn(Probe::default());
    assert_eq!(probe.timeout(), Timeout::After(Duration::from_secs(5)));
    assert_eq!(DEFAULT_ASK_TIMEOUT, Duration::from_secs(5));
    assert!(
        TIMEOUT > DEFAULT_ASK_TIMEOUT,
        "`within` must outlast any ask"
    );
}

#[tokio::test]
async fn an_unanswered_ask_times_out_at_its_deadline() {
    let probe = probe_thread(ActorBuilder::new().ask_timeout(SHORT), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    let started = Instant::now();
    let outcome = within(probe.ask(Echo(1))).await;
    assert!(matches!(outcome, Err(AskError::Timeout(d)) if d == SHORT));
    assert!(started.elapsed() >= SHORT);
    release.send(()).ok();
}

#[tokio::test]
async fn per_call_and_per_handle_timeouts_override_the_default() {
    let probe = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    let per_handle = probe.with_ask_timeout(SHORT);
    assert!(matches!(per_handle.ask(Echo(1)).await, Err(AskError::Timeout(d)) if d == SHORT));
    let per_call = probe.ask_with(Echo(2), SHORT * 2).await;
    assert!(matches!(per_call, Err(AskError::Timeout(d)) if d == SHORT * 2));
    let patient = tokio::spawn({
        let per_handle = per_handle.clone();
        async move { per_handle.ask_with(Echo(3), Timeout::Never).await }
    });
    within(async {
        while probe.stats().mailbox_len < 3 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    release.send(()).ok();
    assert_eq!(within(patient).await.ok().and_then(Result::ok), Some(3));
}

#[tokio::test]
async fn a_late_reply_after_a_timeout_costs_the_actor_nothing() {
    let probe = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    let gave_up = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask_with(msg, SHORT).await }
    });
    within(entered).await.ok();
    assert!(matches!(
        within(gave_up).await.ok(),
        Some(Err(AskError::Timeout(_)))
    ));
    release.send(()).ok();
    // The actor finishes, drops the reply nobody waits for, and carries on.
    assert_eq!(within(probe.ask(Echo(9))).await.ok(), Some(9));
    assert!(probe.is_running());
    assert_eq!(probe.stats().handled, 2);
}

#[tokio::test]
async fn a_caller_that_drops_its_ask_does_not_disturb_the_actor() {
    let probe = probe_thread(ActorBuilder::new(), Probe::default());
    let (msg, entered, release) = block();
    let asker = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask(msg).await }
    });
    within(entered).await.ok();
    asker.abort();
    assert!(within(asker).await.is_err_and(|e| e.is_cancelled()));
    release.send(()).ok();
    probe.tell(Record(1)).await.ok();
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![1]));
}

#[tokio::test]
async fn ask_on_a_full_mailbox_hands_the_message_back_at_the_deadline() {
    let builder = ActorBuilder::new().mailbox_capacity(1).ask_timeout(SHORT);
    let probe = probe_thread(builder, Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    probe.try_tell(Record(1)).ok(); // fills the single slot
    match within(probe.ask(Echo(5))).await {
        Err(AskError::Full(Echo(5))) => {}
        other => panic!("expected Full(Echo(5)), got {other:?}"),
    }
    release.send(()).ok();
}

/// `try_ask` never waits for room: a full mailbox hands the message back at once, unsent
/// (no deadline to wait out: the ask timeout here is never); with room, the reply comes,
/// through a `Recipient` too.
#[tokio::test]
async fn try_ask_on_a_full_mailbox_hands_the_message_back_at_once() {
    let builder = ActorBuilder::new()
        .mailbox_capacity(1)
        .ask_timeout(Timeout::Never);
    let probe = probe_thread(builder, Probe::default());
    let (msg, entered, release) = block();
    probe.tell(msg).await.ok();
    within(entered).await.ok();
    probe.try_tell(Record(1)).ok(); // fills the single slot
    match probe.try_ask(Echo(5), Timeout::Never) {
        Err(AskError::Full(Echo(5))) => {}
        Err(other) => panic!("expected Full(Echo(5)), got {other:?}"),
        Ok(_) => panic!("expected Full(Echo(5)), got it sent"),
    }
    release.send(()).ok();
    // Once the actor has caught up, its mailbox has room: sent, answered.
    assert_eq!(within(probe.ask(GetLog)).await.ok(), Some(vec![1]));
    let recipient = probe.recipient::<Echo>();
    let asked = recipient.try_ask(Echo(6), TIMEOUT);
    match asked {
        Ok(asked) => assert_eq!(within(asked).await.ok(), Some(6)),
        Err(err) => panic!("an idle actor's mailbox has room: {err:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_times_out_even_when_the_handler_blocks_the_askers_worker() {
    // The actor lives on the shared runtime; its handler blocks the worker it runs on, which
    // is the asker's own worker (the ask woke the actor there).
    let probe = spawn(Probe::default());
    let (msg, entered, release) = block();
    let started = Instant::now();
    let asker = tokio::spawn({
        let probe = probe.clone();
        async move { probe.ask_with(msg, Duration::from_millis(100)).await }
    });
    let outcome = within(asker).await.ok();
    let waited = started.elapsed();
    release.send(()).ok();
    assert!(
        matches!(outcome, Some(Err(AskError::Timeout(_)))),
        "{outcome:?}"
    );
    assert!(
        waited < Duration::from_secs(2),
        "timed out after {waited:?}, not at its deadline"
    );
    assert!(within(entered).await.is_ok(), "the handler did run");
}
