//! referee-actor against ractor, kameo and actix, with the hand-written tokio floor as the
//! baseline, all in the same criterion run.
//!
//! The workloads are those of `crates/actor/benches/actor.rs` (minus `blocking_ask`, which
//! only referee offers):
//!
//! * `ask_round_trip` — one client, one ask at a time, current_thread runtime;
//! * `ask_contended/{16,256}` — N client tasks, each owning a handle clone, doing 16384/N asks
//!   against one actor on a 1-worker multi_thread runtime (measured with `iter_custom`);
//! * `tell_4_producers` — 4 producers x 2500 tells, then one ask to wait for the last, on a
//!   1-worker multi_thread runtime.
//!
//! Every library runs the same counter actor, through its idiomatic API, with a bounded
//! mailbox of 64 where it has one. Timeouts: referee's `ask` has a 5 s timeout by default;
//! the others wait forever by default. So round-trip and contended asks are measured both
//! ways for everyone: `referee` (default, 5 s) vs `referee_no_timeout`, and `ractor` /
//! `kameo` / `actix` (default, no timeout) vs `*_timeout_5s`.
//!
//! Differences the libraries impose (see also README.md):
//!
//! * ractor's mailbox is unbounded (there is no capacity setting), and its `cast` is a
//!   synchronous, never-waiting send: its tell producers never yield.
//! * actix needs its own runtime: an actix-rt `System` (a tokio current_thread runtime plus a
//!   `LocalSet`; actors and the client tasks are `spawn_local`ed on it). So for the two
//!   workloads that the others run on a 1-worker multi_thread runtime, actix runs everything
//!   on one thread of its own System instead: the same one thread of work, but no
//!   multi_thread scheduler. So that this difference can be told apart from actix's own cost,
//!   every workload also measures `floor_on_actix_rt`: the same hand-written floor, run the
//!   same way on an actix System. Its idiomatic tell, `do_send`, ignores the mailbox capacity
//!   (the message is always queued), and also never yields.
//! * ractor and kameo handlers are `async fn`s; referee and actix handlers are synchronous.
//!
//! Run: `cd benches/compare && cargo bench` (see README.md).

use std::future::Future;
use std::time::{Duration, Instant};

use criterion::async_executor::AsyncExecutor;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

const MAILBOX: usize = 64;
/// The per-ask timeout of the `*_timeout_5s` variants: referee's default.
const FIVE_SECONDS: Duration = Duration::from_secs(5);

// ---- the hand-written floor: tokio mpsc + oneshot (copied from crates/actor/benches) ----

mod floor {
    use tokio::sync::{mpsc, oneshot};

    enum FloorMsg {
        Add(u64),
        Get(oneshot::Sender<u64>),
    }

    #[derive(Clone)]
    pub(crate) struct Floor(mpsc::Sender<FloorMsg>);

    async fn run(mut rx: mpsc::Receiver<FloorMsg>) {
        let mut total = 0_u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                FloorMsg::Add(n) => total = total.wrapping_add(n),
                FloorMsg::Get(reply) => {
                    let _ = reply.send(total);
                }
            }
        }
    }

    impl Floor {
        pub(crate) fn spawn() -> Self {
            let (tx, rx) = mpsc::channel(super::MAILBOX);
            tokio::spawn(run(rx));
            Floor(tx)
        }

        /// The same floor on actix's System: the loop is `spawn_local`ed on its `LocalSet`,
        /// where actix runs its actors. Must be called inside the System's `block_on`.
        pub(crate) fn spawn_local() -> Self {
            let (tx, rx) = mpsc::channel(super::MAILBOX);
            tokio::task::spawn_local(run(rx));
            Floor(tx)
        }

        pub(crate) async fn ask(&self) -> Option<u64> {
            let (reply_tx, reply_rx) = oneshot::channel();
            self.0.send(FloorMsg::Get(reply_tx)).await.ok()?;
            reply_rx.await.ok()
        }

        pub(crate) async fn tell(&self, n: u64) {
            let _ = self.0.send(FloorMsg::Add(n)).await;
        }
    }
}

// ---- referee-actor ------------------------------------------------------------------------

mod referee {
    use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, Timeout};

    pub(crate) struct Counter(u64);
    impl Actor for Counter {}

    pub(crate) struct Add(pub(crate) u64);
    impl Message for Add {
        type Reply = ();
    }
    impl Handler<Add> for Counter {
        fn handle(&mut self, msg: Add, _: &mut Context<Self>) {
            self.0 = self.0.wrapping_add(msg.0);
        }
    }

    pub(crate) struct Get;
    impl Message for Get {
        type Reply = u64;
    }
    impl Handler<Get> for Counter {
        fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
            self.0
        }
    }

    /// Must be called inside a tokio runtime.
    pub(crate) fn spawn(timeout: Timeout) -> ActorHandle<Counter> {
        spawn_with_room(timeout, super::MAILBOX)
    }

    /// The same with a mailbox of `capacity`.
    pub(crate) fn spawn_with_room(timeout: Timeout, capacity: usize) -> ActorHandle<Counter> {
        builder(timeout, capacity).spawn(Counter(0))
    }

    /// The same on actix's System, placed as actix places its actors: the loop (from
    /// `ActorBuilder::prepare`) is `spawn_local`ed on the System's `LocalSet`, next to the
    /// client tasks, instead of on the runtime's own queue as `spawn` puts it. With room for
    /// `senders` more messages than the bound: actix's channel holds `buffer + num-senders`
    /// (every sender has a guaranteed slot; its `send` never waits for room), and a
    /// like-for-like comparison gives referee the same room. Must be called inside the
    /// System's `block_on`.
    pub(crate) fn spawn_local(timeout: Timeout, senders: usize) -> ActorHandle<Counter> {
        let (handle, run) = builder(timeout, super::MAILBOX + senders).prepare(Counter(0));
        tokio::task::spawn_local(run);
        handle
    }

    fn builder(timeout: Timeout, capacity: usize) -> ActorBuilder {
        ActorBuilder::new()
            .mailbox_capacity(capacity)
            .ask_timeout(timeout)
    }
}

// ---- ractor 0.16 --------------------------------------------------------------------------

mod ractor_side {
    use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

    pub(crate) struct Counter;

    pub(crate) enum CounterMsg {
        Add(u64),
        Get(RpcReplyPort<u64>),
    }

    impl Actor for Counter {
        type Msg = CounterMsg;
        type State = u64;
        type Arguments = ();

        async fn pre_start(
            &self,
            _myself: ActorRef<Self::Msg>,
            _: (),
        ) -> Result<Self::State, ActorProcessingErr> {
            Ok(0)
        }

        async fn handle(
            &self,
            _myself: ActorRef<Self::Msg>,
            message: Self::Msg,
            state: &mut Self::State,
        ) -> Result<(), ActorProcessingErr> {
            match message {
                CounterMsg::Add(n) => *state = state.wrapping_add(n),
                CounterMsg::Get(reply) => {
                    let _ = reply.send(*state);
                }
            }
            Ok(())
        }
    }

    /// ractor has no mailbox capacity: its mailbox is an unbounded channel.
    pub(crate) async fn spawn() -> ActorRef<CounterMsg> {
        let (actor, _join) = Actor::spawn(None, Counter, ())
            .await
            .expect("spawn ractor actor");
        actor
    }
}

// ---- kameo 0.22 ---------------------------------------------------------------------------

mod kameo_side {
    use kameo::Actor;
    use kameo::actor::{ActorRef, Spawn};
    use kameo::mailbox;
    use kameo::message::{Context, Message};

    #[derive(Actor)]
    pub(crate) struct Counter(u64);

    pub(crate) struct Add(pub(crate) u64);
    impl Message<Add> for Counter {
        type Reply = ();
        async fn handle(&mut self, msg: Add, _: &mut Context<Self, Self::Reply>) {
            self.0 = self.0.wrapping_add(msg.0);
        }
    }

    pub(crate) struct Get;
    impl Message<Get> for Counter {
        type Reply = u64;
        async fn handle(&mut self, _: Get, _: &mut Context<Self, Self::Reply>) -> u64 {
            self.0
        }
    }

    /// Must be called inside a tokio runtime. (64 is also kameo's default capacity; it is
    /// spelled out here.)
    pub(crate) fn spawn() -> ActorRef<Counter> {
        Counter::spawn_with_mailbox(Counter(0), mailbox::bounded(super::MAILBOX))
    }
}

// ---- actix 0.13 ---------------------------------------------------------------------------

mod actix_side {
    use actix::{Actor, Addr, Context, Handler, Message};

    pub(crate) struct Counter(u64);
    impl Actor for Counter {
        type Context = Context<Self>;
    }

    pub(crate) struct Add(pub(crate) u64);
    impl Message for Add {
        type Result = ();
    }
    impl Handler<Add> for Counter {
        type Result = ();
        fn handle(&mut self, msg: Add, _: &mut Context<Self>) {
            self.0 = self.0.wrapping_add(msg.0);
        }
    }

    pub(crate) struct Get;
    impl Message for Get {
        type Result = u64;
    }
    impl Handler<Get> for Counter {
        type Result = u64;
        fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
            self.0
        }
    }

    /// Must be called inside an actix `System` (its `block_on`). actix's default capacity is
    /// 16; set it to 64.
    pub(crate) fn spawn() -> Addr<Counter> {
        Counter::create(|ctx| {
            ctx.set_mailbox_capacity(super::MAILBOX);
            Counter(0)
        })
    }

    /// One ask, with or without actix's per-request timeout.
    pub(crate) async fn ask(addr: &Addr<Counter>, timeout: Option<std::time::Duration>) -> u64 {
        let request = addr.send(Get);
        let reply = match timeout {
            Some(timeout) => request.timeout(timeout).await,
            None => request.await,
        };
        reply.unwrap_or(0)
    }
}

// ---- runtimes ---------------------------------------------------------------------------

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn multi_thread(workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

/// actix's runtime: `System::new()` is a tokio current_thread runtime with a `LocalSet`, on
/// which actors and `actix_rt::spawn`ed tasks run. Lets criterion's `to_async` drive it.
struct ActixExecutor(actix::SystemRunner);

impl ActixExecutor {
    fn new() -> Self {
        ActixExecutor(actix::System::new())
    }
}

impl AsyncExecutor for &ActixExecutor {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}

// ---- benchmarks -------------------------------------------------------------------------

/// Before measuring anything: every library's actor, told `Add(1)` 100 times, answers an ask
/// with 100. (The benchmarks ignore ask errors, so a broken setup would otherwise look fast.)
fn sanity_check() {
    let rt = multi_thread(1);
    rt.block_on(async {
        let floor = floor::Floor::spawn();
        let referee = referee::spawn(referee_actor::Timeout::default());
        let ractor = ractor_side::spawn().await;
        let kameo = kameo_side::spawn();
        for _ in 0..100 {
            floor.tell(1).await;
            referee.tell(referee::Add(1)).await.expect("referee tell");
            ractor
                .cast(ractor_side::CounterMsg::Add(1))
                .expect("ractor cast");
            kameo.tell(kameo_side::Add(1)).await.expect("kameo tell");
        }
        assert_eq!(floor.ask().await, Some(100));
        assert_eq!(referee.ask(referee::Get).await.ok(), Some(100));
        let ractor_total = ractor
            .call(ractor_side::CounterMsg::Get, Some(FIVE_SECONDS))
            .await
            .expect("ractor call");
        assert!(matches!(
            ractor_total,
            ractor::rpc::CallResult::Success(100)
        ));
        assert_eq!(kameo.ask(kameo_side::Get).await.ok(), Some(100));
    });
    let sys = ActixExecutor::new();
    sys.0.block_on(async {
        let actix = actix_side::spawn();
        for _ in 0..100 {
            actix.do_send(actix_side::Add(1));
        }
        assert_eq!(actix.send(actix_side::Get).await.ok(), Some(100));
    });
}

/// One client, one ask at a time: the pure overhead of a round trip.
fn ask_round_trip(c: &mut Criterion) {
    sanity_check();
    let rt = current_thread();
    let mut group = c.benchmark_group("ask_round_trip");
    group.throughput(Throughput::Elements(1));

    let floor = rt.block_on(async { floor::Floor::spawn() });
    group.bench_function("floor", |b| b.to_async(&rt).iter(|| floor.ask()));

    use referee_actor::Timeout;
    let referee = rt.block_on(async { referee::spawn(Timeout::default()) });
    group.bench_function("referee", |b| {
        b.to_async(&rt).iter(|| referee.ask(referee::Get))
    });
    let untimed = rt.block_on(async { referee::spawn(Timeout::Never) });
    group.bench_function("referee_no_timeout", |b| {
        b.to_async(&rt).iter(|| untimed.ask(referee::Get))
    });

    use ractor_side::CounterMsg;
    let ractor = rt.block_on(ractor_side::spawn());
    group.bench_function("ractor", |b| {
        b.to_async(&rt).iter(|| ractor.call(CounterMsg::Get, None))
    });
    group.bench_function("ractor_timeout_5s", |b| {
        b.to_async(&rt)
            .iter(|| ractor.call(CounterMsg::Get, Some(FIVE_SECONDS)))
    });

    let kameo = rt.block_on(async { kameo_side::spawn() });
    group.bench_function("kameo", |b| {
        b.to_async(&rt)
            .iter(|| async { kameo.ask(kameo_side::Get).await })
    });
    group.bench_function("kameo_timeout_5s", |b| {
        b.to_async(&rt)
            .iter(|| async { kameo.ask(kameo_side::Get).reply_timeout(FIVE_SECONDS).await })
    });

    // actix: its own System (current_thread + LocalSet) instead of a bare current_thread
    // runtime.
    let sys = ActixExecutor::new();
    let local_floor = sys.0.block_on(async { floor::Floor::spawn_local() });
    group.bench_function("floor_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| local_floor.ask())
    });
    // referee on that same System, for a head-to-head with actix on one runtime.
    let local_referee = sys.0.block_on(async { referee::spawn(Timeout::default()) });
    group.bench_function("referee_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| local_referee.ask(referee::Get))
    });
    let local_untimed = sys.0.block_on(async { referee::spawn(Timeout::Never) });
    group.bench_function("referee_no_timeout_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| local_untimed.ask(referee::Get))
    });
    // ... and placed as actix places its actors, on the System's LocalSet.
    let placed = sys
        .0
        .block_on(async { referee::spawn_local(Timeout::default(), 1) });
    group.bench_function("referee_local_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| placed.ask(referee::Get))
    });
    let actix = sys.0.block_on(async { actix_side::spawn() });
    group.bench_function("actix", |b| {
        b.to_async(&sys).iter(|| actix_side::ask(&actix, None))
    });
    group.bench_function("actix_timeout_5s", |b| {
        b.to_async(&sys)
            .iter(|| actix_side::ask(&actix, Some(FIVE_SECONDS)))
    });
    group.finish();
}

/// `clients` tasks, each with its own handle, asking `per_client` times on the runtime;
/// returns the elapsed time. (Same shape as crates/actor/benches/actor.rs.)
fn contended<H, F, Fut>(rt: &Runtime, handle: &H, clients: u64, per_client: u64, ask: F) -> Duration
where
    H: Clone + Send + 'static,
    F: Fn(H) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = H> + Send,
{
    let handles: Vec<H> = (0..clients).map(|_| handle.clone()).collect();
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = handles
            .into_iter()
            .map(|mut mine| {
                tokio::spawn(async move {
                    for _ in 0..per_client {
                        mine = ask(mine).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("client task");
        }
        start.elapsed()
    })
}

/// The same on actix's System: the client tasks are `actix::spawn`ed (spawn_local), so
/// clients and actor share its one thread, as they share the one worker elsewhere.
fn contended_local<H, F, Fut>(
    sys: &ActixExecutor,
    handle: &H,
    clients: u64,
    per_client: u64,
    ask: F,
) -> Duration
where
    H: Clone + 'static,
    F: Fn(H) -> Fut + Copy + 'static,
    Fut: Future<Output = H>,
{
    let handles: Vec<H> = (0..clients).map(|_| handle.clone()).collect();
    sys.0.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = handles
            .into_iter()
            .map(|mut mine| {
                actix::spawn(async move {
                    for _ in 0..per_client {
                        mine = ask(mine).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("client task");
        }
        start.elapsed()
    })
}

/// Many clients asking one actor at once: throughput under contention, on one worker thread
/// (see crates/actor/benches/actor.rs for why one).
fn ask_contended(c: &mut Criterion) {
    use ractor_side::CounterMsg;
    use referee_actor::Timeout;

    let rt = multi_thread(1);
    let sys = ActixExecutor::new();
    let mut group = c.benchmark_group("ask_contended");
    for clients in [16_u64, 256] {
        let per_client = 16_384 / clients;
        group.throughput(Throughput::Elements(clients * per_client));

        let floor = rt.block_on(async { floor::Floor::spawn() });
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

        for (name, timeout) in [
            ("referee", Timeout::default()),
            ("referee_no_timeout", Timeout::Never),
        ] {
            let referee = rt.block_on(async { referee::spawn(timeout) });
            group.bench_with_input(BenchmarkId::new(name, clients), &clients, |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended(&rt, &referee, n, per_client, |referee| async move {
                                let _ = referee.ask(referee::Get).await;
                                referee
                            })
                        })
                        .sum()
                })
            });
        }

        let ractor = rt.block_on(ractor_side::spawn());
        group.bench_with_input(BenchmarkId::new("ractor", clients), &clients, |b, &n| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        contended(&rt, &ractor, n, per_client, |ractor| async move {
                            let _ = ractor.call(CounterMsg::Get, None).await;
                            ractor
                        })
                    })
                    .sum()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("ractor_timeout_5s", clients),
            &clients,
            |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended(&rt, &ractor, n, per_client, |ractor| async move {
                                let _ = ractor.call(CounterMsg::Get, Some(FIVE_SECONDS)).await;
                                ractor
                            })
                        })
                        .sum()
                })
            },
        );

        let kameo = rt.block_on(async { kameo_side::spawn() });
        group.bench_with_input(BenchmarkId::new("kameo", clients), &clients, |b, &n| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        contended(&rt, &kameo, n, per_client, |kameo| async move {
                            let _ = kameo.ask(kameo_side::Get).await;
                            kameo
                        })
                    })
                    .sum()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("kameo_timeout_5s", clients),
            &clients,
            |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended(&rt, &kameo, n, per_client, |kameo| async move {
                                let _ =
                                    kameo.ask(kameo_side::Get).reply_timeout(FIVE_SECONDS).await;
                                kameo
                            })
                        })
                        .sum()
                })
            },
        );

        // actix: on its own single-threaded System, not the 1-worker multi_thread runtime;
        // `floor_on_actix_rt` is the floor on that same System, for a like-for-like ratio.
        let local_floor = sys.0.block_on(async { floor::Floor::spawn_local() });
        group.bench_with_input(
            BenchmarkId::new("floor_on_actix_rt", clients),
            &clients,
            |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended_local(&sys, &local_floor, n, per_client, |floor| async move {
                                floor.ask().await;
                                floor
                            })
                        })
                        .sum()
                })
            },
        );
        // referee on that same System: a head-to-head with actix on one runtime; last, placed
        // on the LocalSet as actix's actors are.
        for (name, timeout, local) in [
            ("referee_on_actix_rt", Timeout::default(), false),
            ("referee_no_timeout_on_actix_rt", Timeout::Never, false),
            ("referee_local_on_actix_rt", Timeout::default(), true),
        ] {
            let local_referee = sys.0.block_on(async {
                if local {
                    let senders = usize::try_from(clients).unwrap_or(usize::MAX);
                    referee::spawn_local(timeout, senders)
                } else {
                    referee::spawn(timeout)
                }
            });
            group.bench_with_input(BenchmarkId::new(name, clients), &clients, |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended_local(
                                &sys,
                                &local_referee,
                                n,
                                per_client,
                                |handle| async move {
                                    let _ = handle.ask(referee::Get).await;
                                    handle
                                },
                            )
                        })
                        .sum()
                })
            });
        }
        let actix = sys.0.block_on(async { actix_side::spawn() });
        for (name, timeout) in [("actix", None), ("actix_timeout_5s", Some(FIVE_SECONDS))] {
            group.bench_with_input(BenchmarkId::new(name, clients), &clients, |b, &n| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            contended_local(&sys, &actix, n, per_client, move |actix| async move {
                                actix_side::ask(&actix, timeout).await;
                                actix
                            })
                        })
                        .sum()
                })
            });
        }
    }
    group.finish();
}

const PRODUCERS: u64 = 4;
const PER_PRODUCER: u64 = 2_500;

/// Runs `PRODUCERS` tasks, each made by `produce` from its own clone of `handle` and started
/// with `spawn`, and waits for them all.
async fn produce_all<H, P, Fut>(
    handle: &H,
    spawn: impl Fn(Fut) -> tokio::task::JoinHandle<()>,
    produce: P,
) where
    H: Clone,
    P: Fn(H) -> Fut,
{
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| spawn(produce(handle.clone())))
        .collect();
    for producer in producers {
        producer.await.expect("producer");
    }
}

/// Four producers telling as fast as they can, then one ask to wait for the last message.
fn tell_throughput(c: &mut Criterion) {
    let rt = multi_thread(1);
    let mut group = c.benchmark_group("tell_4_producers");
    group.throughput(Throughput::Elements(PRODUCERS * PER_PRODUCER));

    let floor = rt.block_on(async { floor::Floor::spawn() });
    group.bench_function("floor", |b| {
        b.to_async(&rt).iter(|| async {
            produce_all(&floor, tokio::spawn, |floor| async move {
                for n in 0..PER_PRODUCER {
                    floor.tell(n).await;
                }
            })
            .await;
            floor.ask().await
        })
    });

    let referee = rt.block_on(async { referee::spawn(referee_actor::Timeout::default()) });
    group.bench_function("referee", |b| {
        b.to_async(&rt).iter(|| async {
            produce_all(&referee, tokio::spawn, |referee| async move {
                for n in 0..PER_PRODUCER {
                    let _ = referee.tell(referee::Add(n)).await;
                }
            })
            .await;
            referee.ask(referee::Get).await.ok()
        })
    });

    // ractor: `cast` is synchronous into an unbounded mailbox, so a producer never waits
    // (nor yields); the final ask then waits for the actor to drain everything.
    let ractor = rt.block_on(ractor_side::spawn());
    group.bench_function("ractor", |b| {
        b.to_async(&rt).iter(|| async {
            produce_all(&ractor, tokio::spawn, |ractor| async move {
                for n in 0..PER_PRODUCER {
                    let _ = ractor.cast(ractor_side::CounterMsg::Add(n));
                }
            })
            .await;
            ractor.call(ractor_side::CounterMsg::Get, None).await.ok()
        })
    });

    let kameo = rt.block_on(async { kameo_side::spawn() });
    group.bench_function("kameo", |b| {
        b.to_async(&rt).iter(|| async {
            produce_all(&kameo, tokio::spawn, |kameo| async move {
                for n in 0..PER_PRODUCER {
                    let _ = kameo.tell(kameo_side::Add(n)).await;
                }
            })
            .await;
            kameo.ask(kameo_side::Get).await.ok()
        })
    });

    // actix: on its own single-threaded System; `floor_on_actix_rt` is the floor on that same
    // System. `do_send` (actix's fire-and-forget) always queues, ignoring the capacity of 64,
    // and never yields.
    let sys = ActixExecutor::new();
    let local_floor = sys.0.block_on(async { floor::Floor::spawn_local() });
    group.bench_function("floor_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| async {
            produce_all(&local_floor, actix::spawn, |floor| async move {
                for n in 0..PER_PRODUCER {
                    floor.tell(n).await;
                }
            })
            .await;
            local_floor.ask().await
        })
    });
    // referee on that same System, telling through its bounded mailbox (waiting for room,
    // as the floor does): a head-to-head with actix on one runtime.
    let local_referee = sys
        .0
        .block_on(async { referee::spawn(referee_actor::Timeout::default()) });
    group.bench_function("referee_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| async {
            produce_all(&local_referee, actix::spawn, |referee| async move {
                for n in 0..PER_PRODUCER {
                    let _ = referee.tell(referee::Add(n)).await;
                }
            })
            .await;
            local_referee.ask(referee::Get).await.ok()
        })
    });
    // actix's `do_send` never waits, whatever the mailbox holds. referee's `try_tell` never
    // waits either, but refuses when the mailbox is full: given room for every tell of an
    // iteration, it does what `do_send` does. The like-for-like row for actix's.
    let roomy = sys.0.block_on(async {
        let room = usize::try_from(PRODUCERS * PER_PRODUCER).unwrap_or(usize::MAX);
        referee::spawn_with_room(referee_actor::Timeout::default(), room + 1)
    });
    group.bench_function("referee_try_tell_roomy_on_actix_rt", |b| {
        b.to_async(&sys).iter(|| async {
            produce_all(&roomy, actix::spawn, |referee| async move {
                for n in 0..PER_PRODUCER {
                    referee
                        .try_tell(referee::Add(n))
                        .expect("room for every tell");
                }
            })
            .await;
            roomy.ask(referee::Get).await.ok()
        })
    });
    let actix = sys.0.block_on(async { actix_side::spawn() });
    group.bench_function("actix", |b| {
        b.to_async(&sys).iter(|| async {
            produce_all(&actix, actix::spawn, |actix| async move {
                for n in 0..PER_PRODUCER {
                    actix.do_send(actix_side::Add(n));
                }
            })
            .await;
            actix_side::ask(&actix, None).await
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = ask_round_trip, ask_contended, tell_throughput
}
criterion_main!(benches);
