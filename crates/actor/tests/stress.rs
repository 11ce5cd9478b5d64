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
