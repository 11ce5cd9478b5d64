//! 1,000 concurrent askers, each gets exactly its own answer: no crossed replies.

mod common;

use common::{Echo, Probe, within};
use referee_actor::{ActorBuilder, Timeout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_askers_each_get_their_own_answer() {
    let probe = ActorBuilder::new()
        .mailbox_capacity(16)
        .ask_timeout(Timeout::Never)
        .spawn(Probe::default());
    let askers: Vec<_> = (0..1_000_u64)
        .map(|n| {
            let probe = probe.clone();
            tokio::spawn(async move {
                let mut mine = Vec::with_capacity(10);
                for round in 0..10 {
                    let question = n * 100 + round;
                    mine.push((question, probe.ask(Echo(question)).await.ok()));
                }
                mine
            })
        })
        .collect();
    let mut answered = 0;
    for asker in askers {
        for (question, answer) in within(asker).await.unwrap_or_default() {
            assert_eq!(answer, Some(question));
            answered += 1;
        }
    }
    assert_eq!(answered, 10_000);
    assert_eq!(probe.stats().handled, 10_000);
}

/// An actor whose handler sometimes stalls its own thread.
struct Sometimes;
impl referee_actor::Actor for Sometimes {}

/// Answers `n`, after blocking for `nap` first.
struct Nap {
    n: u64,
    nap: std::time::Duration,
}
impl referee_actor::Message for Nap {
    type Reply = u64;
}
impl referee_actor::Handler<Nap> for Sometimes {
    fn handle(&mut self, msg: Nap, _: &mut referee_actor::Context<Self>) -> u64 {
        std::thread::sleep(msg.nap);
        msg.n
    }
}

/// Many tasks on two workers asking with a deadline while the actor now and then stalls:
/// every ask ends, with its own answer or at its deadline (reply late, or no room in the
/// mailbox in time), and never before it — the watchdog's cached registrations, reused ask after ask and across
/// timeouts, lose no wake-up and wake nobody early.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asks_with_deadlines_under_contention_end_on_time_and_never_early() {
    use referee_actor::AskError;
    use std::time::{Duration, Instant};

    const LIMIT: Duration = Duration::from_millis(25);
    let actor = match ActorBuilder::new()
        .mailbox_capacity(64)
        .spawn_thread(Sometimes)
    {
        Ok(actor) => actor,
        Err(err) => panic!("cannot start the actor thread: {err}"),
    };
    let askers: Vec<_> = (0..100_u64)
        .map(|task| {
            let actor = actor.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for round in 0..4 {
                    let n = task * 10 + round;
                    let nap = if n % 50 == 3 {
                        Duration::from_millis(40)
                    } else {
                        Duration::ZERO
                    };
                    let started = Instant::now();
                    let outcome = actor.ask_with(Nap { n, nap }, LIMIT).await;
                    outcomes.push((
                        n,
                        outcome.map_err(|e| matches!(e, AskError::Timeout(_) | AskError::Full(_))),
                        started.elapsed(),
                    ));
                }
                outcomes
            })
        })
        .collect();
    let (mut answered, mut timed_out) = (0, 0);
    for asker in askers {
        for (n, outcome, took) in within(asker).await.unwrap_or_default() {
            match outcome {
                Ok(answer) => {
                    assert_eq!(answer, n, "a reply reached the wrong asker");
                    answered += 1;
                }
                Err(by_deadline) => {
                    // Timed out waiting for the reply, or for room in the full mailbox.
                    assert!(by_deadline, "ask {n} failed other than by its deadline");
                    assert!(took >= LIMIT, "ask {n} timed out early, after {took:?}");
                    timed_out += 1;
                }
            }
        }
    }
    assert_eq!(answered + timed_out, 400, "every ask ended");
    assert!(
        answered > 0 && timed_out > 0,
        "{answered} answered, {timed_out} timed out"
    );
}
