//! [`ActorBuilder`]: makes the mailbox, the shared state and the run loop, spawns the loop
//! on tokio and returns the first handle — or, with [`ActorBuilder::prepare`], hands the loop
//! to the caller to run wherever it likes.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread;

use tokio::runtime::Handle as RuntimeHandle;

use crate::envelope::type_name;
use crate::mailbox;
use crate::runner::Runner;
use crate::shared::Shared;
use crate::supervision::Supervisor;
use crate::{Actor, ActorHandle, Context, RestartPolicy, Timeout};

/// The default mailbox bound.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 64;

/// The largest mailbox bound: the mailbox is a ring allocated whole when the actor is made
/// (three words a slot), so a bound is memory spent up front — 24 MiB at this one.
pub const MAX_MAILBOX_CAPACITY: usize = 1 << 20;

/// Configures and spawns an actor.
///
/// ```
/// # use referee_actor::{Actor, ActorBuilder};
/// # struct Room;
/// # impl Actor for Room {}
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let room = ActorBuilder::new()
///     .name("room-7")
///     .mailbox_capacity(16)
///     .spawn(Room);
/// assert_eq!(room.name(), "room-7");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ActorBuilder {
    name: Option<String>,
    capacity: usize,
    /// Most letters sent with `tell_soon` waiting in line at once; `None`: the capacity.
    soon: Option<usize>,
    ask_timeout: Timeout,
    runtime: Option<RuntimeHandle>,
}

impl Default for ActorBuilder {
    fn default() -> Self {
        ActorBuilder {
            name: None,
            capacity: DEFAULT_MAILBOX_CAPACITY,
            soon: None,
            ask_timeout: Timeout::default(),
            runtime: None,
        }
    }
}

impl ActorBuilder {
    /// A builder with the defaults: 64-message mailbox, 5 s ask timeout, current runtime.
    pub fn new() -> Self {
        Self::default()
    }

    /// The name used in tracing spans, panic reports and `Debug` output (default: the
    /// actor's type name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How many messages may wait in the mailbox: at least 1, at most
    /// [`MAX_MAILBOX_CAPACITY`]. The mailbox's slots are allocated when the actor is made
    /// (24 bytes each on 64-bit targets).
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.clamp(1, MAX_MAILBOX_CAPACITY);
        self
    }

    /// How many messages sent with [`tell_soon`](crate::ActorHandle::tell_soon) may wait in
    /// line for room at once, beyond the mailbox's own slots (default: as many as the mailbox
    /// holds; at most [`MAX_MAILBOX_CAPACITY`]). For an actor that many others must reach
    /// from code that cannot wait — a directory every departing member reports to — where a
    /// burst may outnumber the mailbox. Waiting letters cost nothing until they are used.
    pub fn soon_capacity(mut self, letters: usize) -> Self {
        self.soon = Some(letters.min(MAX_MAILBOX_CAPACITY));
        self
    }

    /// The default timeout of `ask` on the handles of this actor.
    pub fn ask_timeout(mut self, timeout: impl Into<Timeout>) -> Self {
        self.ask_timeout = timeout.into();
        self
    }

    /// Spawn on this runtime instead of the current one; lets plain threads start actors.
    pub fn runtime(mut self, runtime: RuntimeHandle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Spawns `actor` and returns its first handle.
    ///
    /// # Panics
    /// If no runtime was given and this is not called from within a tokio runtime.
    pub fn spawn<A: Actor>(self, actor: A) -> ActorHandle<A> {
        self.start(actor, None)
    }

    /// Spawns an actor built by `factory`, and rebuilds it with `factory` whenever it
    /// panics, as long as `policy` allows. Handles and queued messages survive restarts.
    ///
    /// # Panics
    /// As [`spawn`](Self::spawn); and if the first call to `factory` panics.
    pub fn spawn_supervised<A, F>(self, policy: RestartPolicy, mut factory: F) -> ActorHandle<A>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        let first = factory();
        self.start(first, Some(Supervisor::new(policy, Box::new(factory))))
    }

    /// Spawns `actor` on a new OS thread of its own, running a single-threaded runtime with
    /// timers. For actors whose handlers block — a database connection, file I/O — so that
    /// they never stall the tasks of a shared runtime. Needs no runtime on the caller's side.
    ///
    /// # Errors
    /// If the OS refuses to create the thread or its runtime.
    pub fn spawn_thread<A: Actor>(self, actor: A) -> io::Result<ActorHandle<A>> {
        self.start_thread(actor, None)
    }

    /// [`spawn_supervised`](Self::spawn_supervised) on a thread of its own, as
    /// [`spawn_thread`](Self::spawn_thread).
    ///
    /// # Errors
    /// If the OS refuses to create the thread or its runtime.
    ///
    /// # Panics
    /// If the first call to `factory` panics.
    pub fn spawn_supervised_thread<A, F>(
        self,
        policy: RestartPolicy,
        mut factory: F,
    ) -> io::Result<ActorHandle<A>>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        let first = factory();
        self.start_thread(first, Some(Supervisor::new(policy, Box::new(factory))))
    }

    /// Makes `actor`'s handle and its loop without running the loop: the caller runs it
    /// where it wants — `tokio::task::spawn_local` on a `LocalSet` next to the tasks that talk
    /// to it, a `JoinSet`, a task named for tokio-console, a test's own `select!`.
    ///
    /// The handle works at once: messages wait in the mailbox until the loop runs. The loop
    /// is the actor's whole life (the `started` hook, messages, `stopped`) and resolves when
    /// the actor has stopped. Dropping it unfinished — never polled, or its runtime shut
    /// down — stops the actor with [`StopReason::Aborted`](crate::StopReason::Aborted):
    /// queued asks resolve with that error, `wait_stopped` returns it. Run the loop inside a
    /// tokio runtime: [`Context::pipe_to_self`](crate::Context::pipe_to_self) spawns there.
    /// The builder's [`runtime`](Self::runtime) setting does not apply: the caller places the
    /// loop.
    ///
    /// ```
    /// # use referee_actor::{Actor, ActorBuilder, Context, Handler, Message};
    /// # struct Counter(u64);
    /// # impl Actor for Counter {}
    /// # struct Get;
    /// # impl Message for Get { type Reply = u64; }
    /// # impl Handler<Get> for Counter {
    /// #     fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 { self.0 }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let local = tokio::task::LocalSet::new();
    /// let (counter, run) = ActorBuilder::new().prepare(Counter(7));
    /// local.spawn_local(run);
    /// let seven = local.run_until(async move { counter.ask(Get).await }).await;
    /// assert_eq!(seven.ok(), Some(7));
    /// # }
    /// ```
    pub fn prepare<A: Actor>(
        self,
        actor: A,
    ) -> (ActorHandle<A>, impl Future<Output = ()> + Send + 'static) {
        self.parts(actor, None)
    }

    /// [`prepare`](Self::prepare) for an actor built and rebuilt by `factory`, as
    /// [`spawn_supervised`](Self::spawn_supervised).
    ///
    /// # Panics
    /// If the first call to `factory` panics.
    pub fn prepare_supervised<A, F>(
        self,
        policy: RestartPolicy,
        mut factory: F,
    ) -> (ActorHandle<A>, impl Future<Output = ()> + Send + 'static)
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        let first = factory();
        self.parts(first, Some(Supervisor::new(policy, Box::new(factory))))
    }

    fn start<A: Actor>(self, first: A, supervisor: Option<Supervisor<A>>) -> ActorHandle<A> {
        let runtime = self.runtime.clone();
        let (handle, run) = self.parts(first, supervisor);
        match runtime {
            Some(runtime) => drop(runtime.spawn(run)),
            None => drop(tokio::spawn(run)),
        }
        handle
    }

    fn start_thread<A: Actor>(
        self,
        first: A,
        supervisor: Option<Supervisor<A>>,
    ) -> io::Result<ActorHandle<A>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let (handle, run) = self.parts(first, supervisor);
        thread::Builder::new()
            .name(handle.name().to_owned())
            .spawn(move || runtime.block_on(run))?;
        Ok(handle)
    }

    /// The mailbox, the shared state, the first handle and the loop, not yet running.
    fn parts<A: Actor>(
        self,
        first: A,
        supervisor: Option<Supervisor<A>>,
    ) -> (ActorHandle<A>, impl Future<Output = ()> + Send + 'static) {
        let name = self.name.unwrap_or_else(|| type_name::<A>().to_owned());
        let shared = Arc::new(Shared::new(name.into_boxed_str()));
        let (mailbox_tx, mailbox_rx) =
            mailbox::channel(self.capacity, self.soon.unwrap_or(self.capacity));
        let ask_timeout = self.ask_timeout.duration();
        let ctx = Context::new(
            mailbox_rx,
            mailbox_tx.downgrade(),
            shared.clone(),
            ask_timeout,
        );
        let run = Runner::new(ctx, shared.clone(), supervisor).run(first);
        let handle = ActorHandle::from_parts(mailbox_tx, shared, ask_timeout);
        (handle, run)
    }
}

/// Spawns `actor` with the default settings; see [`ActorBuilder`] for the others.
///
/// # Panics
/// If not called from within a tokio runtime.
pub fn spawn<A: Actor>(actor: A) -> ActorHandle<A> {
    ActorBuilder::new().spawn(actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Actor;

    /// An actor with a large state, as a game room is (never read: only its size counts).
    #[expect(dead_code)]
    struct Large([u8; 4096]);

    impl Actor for Large {}

    /// An idle actor costs its state once: the task's future holds a pointer to it, not one
    /// copy captured by the loop and another moved into the supervising future (as it did:
    /// every idle room paid for its state twice, docs/PERFORMANCE.md "Memory per idle
    /// connection").
    #[tokio::test]
    async fn an_actor_s_state_is_not_laid_out_in_its_task() {
        let (_handle, run) = ActorBuilder::new().parts(Large([0; 4096]), None);
        let size = std::mem::size_of_val(&run);
        assert!(size < 1_024, "the actor's task future is {size} bytes");
        drop(run);
    }
}
