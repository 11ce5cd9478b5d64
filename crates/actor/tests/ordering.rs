//! Per-sender FIFO and one handler at a time.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{GetLog, Overlap, Probe, Record, within};
use proptest::prelude::*;
use referee_actor::{ActorBuilder, spawn};

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => panic!("cannot build a runtime: {err}"),
    }
}

/// Each sender tags its values with its id in the high bits.
fn tag(sender: u64, seq: u64) -> u64 {
    (sender << 32) | seq
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the interleaving between senders, each sender's messages are handled in the
    /// order it sent them (tell, try_tell and ask mixed), and none is lost or duplicated.
    #[test]
    fn each_senders_messages_arrive_in_send_order(
        counts in proptest::collection::vec(1_u64..60, 1..6),
        capacity in 1_usize..8,
    ) {
        let rt = runtime();
        let log = rt.block_on(async {
            let probe = ActorBuilder::new().mailbox_capacity(capacity).spawn(Probe::default());
            let senders: Vec<_> = counts.iter().enumerate().map(|(sender, &count)| {
                let probe = probe.clone();
                tokio::spawn(async move {
                    for seq in 0..count {
                        let value = tag(sender as u64, seq);
                        match seq % 3 {
                            0 => { probe.tell(Record(value)).await.ok(); }
                            1 => {
                                let mut msg = Record(value);
                                while let Err(err) = probe.try_tell(msg) {
                                    msg = err.into_message();
                                    tokio::task::yield_now().await;
                                }
                            }
                            _ => { probe.ask(common::Echo(0)).await.ok(); probe.tell(Record(value)).await.ok(); }
                        }
                    }
                })
            }).collect();
            for sender in senders {
                within(sender).await.ok();
            }
            within(probe.ask(GetLog)).await.unwrap_or_default()
        });
        for (sender, &count) in counts.iter().enumerate() {
            let mine: Vec<u64> = log.iter().copied().filter(|v| v >> 32 == sender as u64).collect();
            let expected: Vec<u64> = (0..count).map(|seq| tag(sender as u64, seq)).collect();
            prop_assert_eq!(mine, expected);
        }
    }
}

#[test]
fn handlers_never_overlap_even_with_many_senders_on_many_threads() {
    let rt = runtime();
    let max = rt.block_on(async {
        let probe = Probe::default();
        let max_active = Arc::clone(&probe.max_active);
        let handle = spawn(probe);
        let senders: Vec<_> = (0..16)
            .map(|_| {
                let handle = handle.clone();
                tokio::spawn(async move {
                    for _ in 0..20 {
                        handle.ask(Overlap).await.ok();
                    }
                })
            })
            .collect();
        for sender in senders {
            within(sender).await.ok();
        }
        assert_eq!(handle.stats().handled, 16 * 20);
        max_active.load(Ordering::SeqCst)
    });
    assert_eq!(max, 1);
}
