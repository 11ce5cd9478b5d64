//! p50 and p99 of a remote ask over NATS on loopback against the same ask in process
//! (issue 18's goal: p50 ≤ 250 µs, p99 ≤ 2 ms). Prints figures, asserts none: timing is
//! measured, never asserted in tests (docs/PERFORMANCE.md, §8).
//!
//! Run: `cargo test -p referee-remote --release --test latency -- --ignored --nocapture`.
//! Bounded: 20,000 asks per row (after 1,000 to warm up), and 60 s per row at most.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use referee_actor::{Actor, Context, Handler, Message, spawn};
use referee_remote::testing::{connect, unique_subject};
use referee_remote::{RemoteHandle, RemoteMessage, serve};
use serde::{Deserialize, Serialize};

const ASKS: u32 = 20_000;
const WARM_UP: u32 = 1_000;
const AT_MOST: Duration = Duration::from_secs(60);

struct Counter(u64);
impl Actor for Counter {}

#[derive(Serialize, Deserialize)]
struct Get;
impl Message for Get {
    type Reply = u64;
}
impl RemoteMessage for Get {
    const NAME: &'static str = "latency.get";
    const VERSION: u32 = 1;
}
impl Handler<Get> for Counter {
    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// Times `ASKS` sequential asks (after a warm-up) in nanoseconds.
async fn measure<F, Fut>(mut ask: F) -> Histogram<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    for _ in 0..WARM_UP {
        assert!(ask().await, "warm-up ask failed");
    }
    let started = Instant::now();
    for _ in 0..ASKS {
        let one = Instant::now();
        assert!(ask().await, "ask failed");
        histogram.saturating_record(u64::try_from(one.elapsed().as_nanos()).unwrap());
        if started.elapsed() > AT_MOST {
            break;
        }
    }
    histogram
}

fn print(row: &str, h: &Histogram<u64>) {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
    println!(
        "{row:<8} asks {:>6}  p50 {:>8.1} µs  p99 {:>8.1} µs  p99.9 {:>8.1} µs  max {:>8.1} µs",
        h.len(),
        us(0.5),
        us(0.99),
        us(0.999),
        h.max() as f64 / 1_000.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
async fn remote_ask_percentiles() {
    let Some(server) = connect("remote_ask_percentiles").await.unwrap() else {
        return;
    };
    let Some(caller) = connect("remote_ask_percentiles").await.unwrap() else {
        return;
    };
    let counter = spawn(Counter(0));
    let subject = unique_subject("latency");
    let _serving = serve(server, subject.as_str(), counter.recipient::<Get>())
        .await
        .unwrap();
    let remote = RemoteHandle::<Get>::new(caller, subject.as_str());

    let local = measure(|| async { counter.ask(Get).await.is_ok() }).await;
    let over_nats = measure(|| async { remote.ask(Get).await.is_ok() }).await;
    print("local", &local);
    print("remote", &over_nats);
    println!(
        "remote/local at p50: {:.0}x",
        over_nats.value_at_quantile(0.5) as f64 / local.value_at_quantile(0.5).max(1) as f64
    );
}
