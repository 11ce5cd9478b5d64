//! referee-actor against the hand-written floor, measured in the same run.
//!
//! The floor is what one would write by hand for this design: a tokio task looping over a
//! bounded `mpsc` receiver of an enum, replying through a `oneshot` made per request. For
//! blocking asks from plain threads the floor is the seed's own design: an actor thread on a
//! std `sync_channel`, replying through a std channel made per request.
//!
//! Run: `cargo bench -p referee-actor --bench actor` (results: docs/PERFORMANCE.md).

mod common;

use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;

use common::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use referee_actor::{ActorBuilder, Timeout};
use tokio::runtime::Runtime;
use tokio::task::LocalSet;

/// `--features bench-mimalloc` swaps the allocator for both sides of every comparison.
#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// ---- the seed's floor for threads: std sync_channel + per-request std channel ----------

enum StdMsg {
    Get(std_mpsc::Sender<u64>),
}

fn std_actor() -> std_mpsc::SyncSender<StdMsg> {
    let (tx, rx) = std_mpsc::sync_channel::<StdMsg>(MAILBOX);
    thread::spawn(move || {
        let total = 0_u64;
        while let Ok(StdMsg::Get(reply)) = rx.recv() {
            let _ = reply.send(total);
        }
    });
    tx
}

fn std_ask(actor: &std_mpsc::SyncSender<StdMsg>) -> Option<u64> {
    let (reply_tx, reply_rx) = std_mpsc::channel();
    actor.send(StdMsg::Get(reply_tx)).ok()?;
    reply_rx.recv().ok()
}

// ---- benchmarks -------------------------------------------------------------------------

/// One client, one ask at a time: the pure overhead of a round trip.
fn ask_round_trip(c: &mut Criterion) {
    let rt = current_thread();
    let mut group = c.benchmark_group("ask_round_trip");
    group.throughput(Throughput::Elements(1));
    let floor = rt.block_on(async { Floor::spawn() });
    group.bench_function("floor", |b| b.to_async(&rt).iter(|| floor.ask()));
    let boxed = rt.block_on(async { BoxedFloor::spawn() });
    group.bench_function("floor_boxed", |b| b.to_async(&rt).iter(|| boxed.ask()));
    let referee = rt.block_on(async { referee_counter(Timeout::default()) });
    group.bench_function("referee", |b| b.to_async(&rt).iter(|| referee.ask(Get)));
    let untimed = rt.block_on(async { referee_counter(Timeout::Never) });
    group.bench_function("referee_no_timeout", |b| {
        b.to_async(&rt).iter(|| untimed.ask(Get))
    });
    group.finish();
}

/// Many clients asking one actor at once: throughput under contention.
///
/// On one worker thread: the clients then compete for the actor, and the time measured is
/// the CPU cost of their asks. (With two workers on a two-core machine, work stealing makes
/// the same code vary by 2.5x from run to run, which no ratio survives: `benches/interleaved.rs`
/// measures two workers by running the rows in turns.)
fn ask_contended(c: &mut Criterion) {
    let rt = multi_thread(1);
    let mut group = c.benchmark_group("ask_contended");
    for clients in [16_u64, 256] {
        let per_client = 16_384 / clients;
        group.throughput(Throughput::Elements(clients * per_client));
        let floor = rt.block_on(async { Floor::spawn() });
        group.bench_with_input(BenchmarkId::new("floor", clients), &clients, |b, &n| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        contended(&rt, &floor, n, per_client, |floor| async move {
                            floor.ask().await;
                            floor
                        })
                    })
                    .sum()
            })
        });
        let boxed = rt.block_on(async { BoxedFloor::spawn() });
        group.bench_with_input(
            BenchmarkId::new("floor_boxed", clients),
            &clients,
            |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended(&rt, &boxed, n, per_client, |boxed| async move {
                                boxed.ask().await;
                                boxed
                            })
                        })
                        .sum()
                })
            },
        );
        for (name, timeout) in [
            ("referee", Timeout::default()),
            ("referee_no_timeout", Timeout::Never),
        ] {
            let referee = rt.block_on(async { referee_counter(timeout) });
            group.bench_with_input(BenchmarkId::new(name, clients), &clients, |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended(&rt, &referee, n, per_client, |referee| async move {
                                let _ = referee.ask(Get).await;
                                referee
                            })
                        })
                        .sum()
                })
            });
        }
    }
    group.finish();
}

/// Saturation: the actor on one `LocalSet` with 256 clients and a hard bound of 64. The
/// clients outrun the actor's turns, so nearly every ask waits for room in the mailbox: the
/// cost of that path against the floor's, both placed alike (`prepare` + `spawn_local`). Not
/// one of the goals; the place referee is behind, measured so that it is tracked.
fn ask_saturated(c: &mut Criterion) {
    const CLIENTS: u64 = 256;
    let per_client = 16_384 / CLIENTS;
    let rt = current_thread();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("ask_saturated");
    group.throughput(Throughput::Elements(CLIENTS * per_client));
    let floor = local.block_on(&rt, async {
        let (floor, run) = Floor::prepare();
        tokio::task::spawn_local(run);
        floor
    });
    group.bench_function("floor", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    saturated(
                        &rt,
                        &local,
                        &floor,
                        CLIENTS,
                        per_client,
                        |floor| async move {
                            floor.ask().await;
                            floor
                        },
                    )
                })
                .sum()
        })
    });
    let referee = local.block_on(&rt, async {
        let (referee, run) = counter_builder(Timeout::default()).prepare(Counter(0));
        tokio::task::spawn_local(run);
        referee
    });
    group.bench_function("referee", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    saturated(
                        &rt,
                        &local,
                        &referee,
                        CLIENTS,
                        per_client,
                        |referee| async move {
                            let _ = referee.ask(Get).await;
                            referee
                        },
                    )
                })
                .sum()
        })
    });
    group.finish();
}

/// `clients` tasks on `local`, each asking `per_client` times; returns the elapsed time.
fn saturated<H, F, Fut>(
    rt: &Runtime,
    local: &LocalSet,
    handle: &H,
    clients: u64,
    per_client: u64,
    ask: F,
) -> Duration
where
    H: Clone + 'static,
    F: Fn(H) -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = H> + 'static,
{
    local.block_on(
        rt,
        timed_clients(handle, clients, |mine| {
            tokio::task::spawn_local(client(mine, per_client, ask))
        }),
    )
}

/// Four producers telling as fast as they can, then one ask to wait for the last message.
fn tell_throughput(c: &mut Criterion) {
    const PRODUCERS: u64 = 4;
    const PER_PRODUCER: u64 = 2_500;
    let rt = multi_thread(1);
    let mut group = c.benchmark_group("tell_4_producers");
    group.throughput(Throughput::Elements(PRODUCERS * PER_PRODUCER));
    let floor = rt.block_on(async { Floor::spawn() });
    group.bench_function("floor", |b| {
        b.to_async(&rt).iter(|| {
            let floor = floor.clone();
            async move {
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let floor = floor.clone();
                        tokio::spawn(async move {
                            for n in 0..PER_PRODUCER {
                                floor.tell(n).await;
                            }
                        })
                    })
                    .collect();
                for producer in producers {
                    producer.await.expect("producer");
                }
                floor.ask().await
            }
        })
    });
    let referee = rt.block_on(async { referee_counter(Timeout::default()) });
    group.bench_function("referee", |b| {
        b.to_async(&rt).iter(|| {
            let referee = referee.clone();
            async move {
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let referee = referee.clone();
                        tokio::spawn(async move {
                            for n in 0..PER_PRODUCER {
                                let _ = referee.tell(Add(n)).await;
                            }
                        })
                    })
                    .collect();
                for producer in producers {
                    producer.await.expect("producer");
                }
                referee.ask(Get).await.ok()
            }
        })
    });
    group.finish();
}

/// Plain threads asking: the seed's std design against `blocking_ask`.
fn blocking_ask(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking_ask");
    group.throughput(Throughput::Elements(1));
    let std_tx = std_actor();
    group.bench_function("std_threads", |b| b.iter(|| std_ask(&std_tx)));
    let rt = multi_thread(1);
    let referee = ActorBuilder::new()
        .runtime(rt.handle().clone())
        .spawn(Counter(0));
    group.bench_function("referee", |b| b.iter(|| referee.blocking_ask(Get).ok()));
    // The seed's own shape: the actor on a thread of its own, no shared runtime.
    let on_thread = ActorBuilder::new()
        .spawn_thread(Counter(0))
        .expect("actor thread");
    group.bench_function("referee_own_thread", |b| {
        b.iter(|| on_thread.blocking_ask(Get).ok())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = ask_round_trip, ask_contended, ask_saturated, tell_throughput, blocking_ask
}
criterion_main!(benches);
