//! Counters a caller can read without asking the actor.

mod common;

use common::{Echo, Explode, Probe, Record, block, within};
use referee_actor::{ActorBuilder, RestartPolicy};

#[tokio::test]
async fn stats_count_handled_messages_queue_depth_and_restarts() {
    let handle = ActorBuilder::new()
        .name("counted")
        .mailbox_capacity(8)
        .spawn_supervised_thread(RestartPolicy::default(), Probe::default)
        .unwrap_or_else(|err| panic!("{err}"));
    let (msg, entered, release) = block();
    handle.tell(msg).await.ok();
    within(entered).await.ok();
    for n in 0..3 {
        handle.tell(Record(n)).await.ok();
    }
    let busy = handle.stats();
    assert_eq!(busy.mailbox_len, 3);
    assert_eq!(busy.mailbox_capacity, 8);
    assert_eq!(busy.handled, 1, "the blocked message was taken out");
    release.send(()).ok();
    within(handle.ask(Explode("counted crash"))).await.ok();
    within(handle.ask(Echo(1))).await.ok();
    let after = handle.stats();
    assert_eq!(after.handled, 6, "block + 3 records + the panic + echo");
    assert_eq!(after.restarts, 1);
    assert_eq!(after.mailbox_len, 0);
    assert!(after.running);
    assert_eq!(
        format!("{handle:?}"),
        "ActorHandle { name: \"counted\", running: true }"
    );
}
