//! What the benchmarks share: the actor under test, the hand-written floors it is measured
//! against, the runtimes and the client loops. Each bench binary uses a part of it.

// Each bench target compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, Timeout};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

pub(crate) const MAILBOX: usize = 64;

// ---- the system under test -------------------------------------------------------------

pub(crate) struct Counter(pub(crate) u64);
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

pub(crate) fn referee_counter(timeout: Timeout) -> ActorHandle<Counter> {
    counter_builder(timeout).spawn(Counter(0))
}

pub(crate) fn counter_builder(timeout: Timeout) -> ActorBuilder {
    ActorBuilder::new()
        .mailbox_capacity(MAILBOX)
        .ask_timeout(timeout)
}

// ---- the hand-written floor: tokio mpsc + oneshot --------------------------------------

pub(crate) enum FloorMsg {
    Add(u64),
    Get(oneshot::Sender<u64>),
}

#[derive(Clone)]
pub(crate) struct Floor(mpsc::Sender<FloorMsg>);

impl Floor {
    pub(crate) fn spawn() -> Self {
        let (floor, run) = Self::prepare();
        tokio::spawn(run);
        floor
    }

    /// The handle and the loop, for the caller to run.
    pub(crate) fn prepare() -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let (tx, mut rx) = mpsc::channel(MAILBOX);
        let run = async move {
            let mut total = 0_u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    FloorMsg::Add(n) => total = total.wrapping_add(n),
                    FloorMsg::Get(reply) => {
                        let _ = reply.send(total);
                    }
                }
            }
        };
        (Floor(tx), run)
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

// ---- the floor with a boxed message: what an open set of message types costs ------------

/// The same hand-written actor, but its mailbox carries boxed closures instead of a closed
/// enum: the type erasure any actor library with many message types per actor pays (one
/// allocation and one dynamic call per message). Not a goal's baseline; it shows how much of
/// the gap to the floor is that erasure.
pub(crate) type BoxedMsg = Box<dyn FnOnce(&mut u64) + Send>;

#[derive(Clone)]
pub(crate) struct BoxedFloor(mpsc::Sender<BoxedMsg>);

impl BoxedFloor {
    pub(crate) fn spawn() -> Self {
        let (tx, mut rx) = mpsc::channel::<BoxedMsg>(MAILBOX);
        tokio::spawn(async move {
            let mut total = 0_u64;
            while let Some(msg) = rx.recv().await {
                msg(&mut total);
            }
        });
        BoxedFloor(tx)
    }

    pub(crate) async fn ask(&self) -> Option<u64> {
        let (reply_tx, reply_rx) = oneshot::channel();
        let msg: BoxedMsg = Box::new(move |total: &mut u64| {
            let _ = reply_tx.send(*total);
        });
        self.0.send(msg).await.ok()?;
        reply_rx.await.ok()
    }
}

// ---- runtimes ---------------------------------------------------------------------------

pub(crate) fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub(crate) fn multi_thread(workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

// ---- clients ---------------------------------------------------------------------------

/// `clients` tasks, each with its own handle, asking `per_client` times on the runtime;
/// returns the elapsed time.
pub(crate) fn contended<H, F, Fut>(
    rt: &Runtime,
    handle: &H,
    clients: u64,
    per_client: u64,
    ask: F,
) -> Duration
where
    H: Clone + Send + 'static,
    F: Fn(H) -> Fut + Copy + Send + 'static,
    Fut: std::future::Future<Output = H> + Send + 'static,
{
    rt.block_on(timed_clients(handle, clients, |mine| {
        tokio::spawn(client(mine, per_client, ask))
    }))
}

/// One client: `per_client` asks in a row through its own handle.
pub(crate) async fn client<H, F, Fut>(mut mine: H, per_client: u64, ask: F)
where
    F: Fn(H) -> Fut,
    Fut: std::future::Future<Output = H>,
{
    for _ in 0..per_client {
        mine = ask(mine).await;
    }
}

/// Starts `clients` client tasks with `start`, each given its own clone of `handle`, and waits
/// for them all; returns the time from the first start to the last end.
pub(crate) async fn timed_clients<H: Clone>(
    handle: &H,
    clients: u64,
    start: impl Fn(H) -> tokio::task::JoinHandle<()>,
) -> Duration {
    let handles: Vec<H> = (0..clients).map(|_| handle.clone()).collect();
    let began = Instant::now();
    let tasks: Vec<_> = handles.into_iter().map(start).collect();
    for task in tasks {
        task.await.expect("client task");
    }
    began.elapsed()
}
