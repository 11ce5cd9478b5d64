//! A remote ask over NATS on loopback against the same ask in process, in the same run.
//!
//! Three rows, one actor: `local` is `ActorHandle::ask`; `handle_local` is the same through
//! `Handle::Local` (what a caller holding the location-transparent handle pays when the
//! actor is here); `remote` is `RemoteHandle::ask` through the NATS server on
//! 127.0.0.1:4222, with the serving side and the asking side on two connections of their
//! own, as on two nodes. Criterion gives means; the p50/p99 of the goal come from
//! `tests/latency.rs` (an hdrhistogram over 20,000 asks).
//!
//! Run: `cargo bench -p referee-remote --bench remote` (results: docs/PERFORMANCE.md, §8).
//! Without NATS the `remote` row is skipped, saying so.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use referee_actor::{Actor, Context, Handler, Message, spawn};
use referee_remote::testing::{connect, unique_subject};
use referee_remote::{Handle, RemoteHandle, RemoteMessage, serve};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

struct Counter(u64);
impl Actor for Counter {}

#[derive(Serialize, Deserialize)]
struct Get;
impl Message for Get {
    type Reply = u64;
}
impl RemoteMessage for Get {
    const NAME: &'static str = "bench.get";
    const VERSION: u32 = 1;
}
impl Handler<Get> for Counter {
    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0 += 1;
        self.0
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("a tokio runtime: {err}"))
}

fn ask_local_vs_remote(c: &mut Criterion) {
    let rt = runtime();
    let counter = rt.block_on(async { spawn(Counter(0)) });
    let mut group = c.benchmark_group("remote_ask");
    group.throughput(Throughput::Elements(1));
    group.bench_function("local", |b| b.to_async(&rt).iter(|| counter.ask(Get)));
    let handle: Handle<Get> = counter.recipient::<Get>().into();
    group.bench_function("handle_local", |b| b.to_async(&rt).iter(|| handle.ask(Get)));

    let remote = rt.block_on(async {
        let server = connect("bench_remote_ask").await.ok().flatten()?;
        let caller = connect("bench_remote_ask").await.ok().flatten()?;
        let subject = unique_subject("bench");
        let serving = serve(server, subject.as_str(), counter.recipient::<Get>())
            .await
            .ok()?;
        Some((serving, RemoteHandle::<Get>::new(caller, subject.as_str())))
    });
    match &remote {
        Some((_, remote)) => {
            group.bench_function("remote", |b| b.to_async(&rt).iter(|| remote.ask(Get)));
        }
        None => eprintln!("SKIPPED remote_ask/remote: no NATS on 127.0.0.1:4222"),
    }
    group.finish();
}

criterion_group!(benches, ask_local_vs_remote);
criterion_main!(benches);
