//! A test actor with gates: every test synchronises on one-shot channels, never on sleeps.
//!
//! Handlers are synchronous, so a handler that must "take a while" waits on a std channel;
//! actors that do so run on a thread of their own (`spawn_thread`), exactly as the crate
//! recommends for blocking actors.
#![allow(dead_code, unreachable_pub)]

pub mod desk;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use referee_actor::{Actor, ActorBuilder, ActorHandle, Context, Handler, Message, StopReason};
use tokio::sync::oneshot;

/// Upper bound for anything a test waits on: a hang becomes a failure, not a stuck CI.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Awaits `fut` or fails the test after [`TIMEOUT`].
pub async fn within<F: std::future::Future>(fut: F) -> F::Output {
    match tokio::time::timeout(TIMEOUT, fut).await {
        Ok(output) => output,
        Err(_) => panic!("test step did not finish within {TIMEOUT:?}"),
    }
}

/// Records what it handles; can be made to block, panic or count its concurrency.
#[derive(Default)]
pub struct Probe {
    pub log: Vec<u64>,
    /// Fired by `stopped` with the reason and the final log, so a test can see the hook ran
    /// and what had been handled by then.
    pub stopped_tx: Option<oneshot::Sender<(StopReason, Vec<u64>)>>,
    pub active: Arc<AtomicUsize>,
    pub max_active: Arc<AtomicUsize>,
}

impl Actor for Probe {
    async fn stopped(&mut self, reason: &StopReason) {
        if let Some(tx) = self.stopped_tx.take() {
            let _ = tx.send((reason.clone(), self.log.clone()));
        }
    }
}

/// A probe on a thread of its own, for tests whose handlers block on a gate.
pub fn probe_thread(builder: ActorBuilder, probe: Probe) -> ActorHandle<Probe> {
    match builder.spawn_thread(probe) {
        Ok(handle) => handle,
        Err(err) => panic!("cannot start the probe's thread: {err}"),
    }
}

/// Tell: append a value to the log.
pub struct Record(pub u64);
impl Message for Record {
    type Reply = ();
}
impl Handler<Record> for Probe {
    fn handle(&mut self, msg: Record, _: &mut Context<Self>) {
        self.log.push(msg.0);
    }
}

/// Ask: the log so far.
pub struct GetLog;
impl Message for GetLog {
    type Reply = Vec<u64>;
}
impl Handler<GetLog> for Probe {
    fn handle(&mut self, _: GetLog, _: &mut Context<Self>) -> Vec<u64> {
        self.log.clone()
    }
}

/// Ask: answers with its own number.
pub struct Echo(pub u64);
impl Message for Echo {
    type Reply = u64;
}
impl Handler<Echo> for Probe {
    fn handle(&mut self, msg: Echo, _: &mut Context<Self>) -> u64 {
        msg.0
    }
}

/// Signals that the handler started, then blocks its thread until the gate opens (or the
/// test drops the gate).
pub struct Block {
    pub entered: oneshot::Sender<()>,
    pub release: std_mpsc::Receiver<()>,
}
impl Message for Block {
    type Reply = &'static str;
}
impl Handler<Block> for Probe {
    fn handle(&mut self, msg: Block, _: &mut Context<Self>) -> &'static str {
        let _ = msg.entered.send(());
        match msg.release.recv() {
            Ok(()) => "released",
            Err(_) => "gate dropped",
        }
    }
}

/// A pair of gates: `entered` fires when the handler runs, `release` lets it finish.
pub fn block() -> (Block, oneshot::Receiver<()>, std_mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = std_mpsc::channel();
    let msg = Block {
        entered: entered_tx,
        release: release_rx,
    };
    (msg, entered_rx, release_tx)
}

/// Panics with the given text.
pub struct Explode(pub &'static str);
impl Message for Explode {
    type Reply = ();
}
impl Handler<Explode> for Probe {
    fn handle(&mut self, msg: Explode, _: &mut Context<Self>) {
        panic!("{}", msg.0);
    }
}

/// Counts how many handlers run at once, spinning in the middle to widen any overlap.
pub struct Overlap;
impl Message for Overlap {
    type Reply = ();
}
impl Handler<Overlap> for Probe {
    fn handle(&mut self, _: Overlap, _: &mut Context<Self>) {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_active.fetch_max(now, Ordering::SeqCst);
        for _ in 0..200 {
            std::hint::spin_loop();
        }
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Stops itself from inside a handler.
pub struct StopSelf;
impl Message for StopSelf {
    type Reply = ();
}
impl Handler<StopSelf> for Probe {
    fn handle(&mut self, _: StopSelf, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
