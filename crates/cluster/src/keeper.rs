//! The [`Keeper`]: a node's leases on the rooms it hosts, renewed in time, and given up —
//! with a [`LeaseLost`] for the node to stop hosting — *before* they can run out.
//!
//! A lease is only safe if its holder stops at its deadline whatever happens to the database:
//! a renewal may hang on a dead connection for longer than the lease. So the keeper never
//! waits on the database itself. Claims, renewals and releases run on the database's own
//! thread (`database.rs`) and come back as messages; meanwhile the keeper's timer for each
//! lease fires at `valid_until - margin` and, unless a renewal moved the deadline since,
//! declares the lease lost. The deadline is the one [`referee_store::Lease::valid_until`]
//! gives: taken before the statement was sent, so earlier than the database's own expiry.

use std::collections::HashMap;
use std::time::Duration;

use referee_actor::{
    Actor, ActorBuilder, ActorHandle, Answer, Context, Handler, Message, ReplyTo, Timeout,
};
use referee_store::{
    ClaimRecord, Claimed, Claims, CommittedRound, Fence, Holder, Lease, StoreError, StoredSnapshot,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::ClusterError;
use crate::database::{self, Database, Giving};

/// How a node keeps its leases.
#[derive(Debug, Clone)]
pub struct KeeperConfig {
    /// The node's name, as claims record it.
    pub node: String,
    /// How long a claim or a renewal holds the room.
    pub lease: Duration,
    /// How often every lease is renewed (a fraction of `lease`: a third leaves two tries).
    pub renew_every: Duration,
    /// How long before its deadline an unrenewed lease is given up: the time the node has to
    /// stop hosting the room (and tell its players) before another node may claim it.
    pub margin: Duration,
}

impl KeeperConfig {
    /// A lease of `lease`, renewed every third of it, given up a quarter of it before its
    /// deadline.
    pub fn new(node: impl Into<String>, lease: Duration) -> Self {
        KeeperConfig {
            node: node.into(),
            lease,
            renew_every: lease / 3,
            margin: lease / 4,
        }
    }
}

/// A lease this node no longer holds: stop hosting the room now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseLost {
    /// The claim that was lost.
    pub fence: Fence,
    /// Why.
    pub why: LostWhy,
}

/// Why a lease was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LostWhy {
    /// The database says the claim is no longer this node's (it ran out, or another node
    /// took it).
    Taken,
    /// No renewal succeeded in time: given up before the deadline. The last error, if a
    /// renewal failed rather than hung.
    Unrenewed(Option<String>),
}

/// The answer to [`Keeper::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// The room is this node's: host it, and fence its writes with this.
    Won(Fence),
    /// Another node holds it.
    Held(Holder),
}

/// A lease the keeper holds, as [`Keeper::held`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    /// The claim.
    pub fence: Fence,
    /// Renewals that succeeded since the claim.
    pub renewals: u64,
    /// Time left before the node must have stopped hosting, by its clock.
    pub left: Duration,
}

/// The handle to a node's lease keeper. Cloneable; the keeper stops with its last handle.
#[derive(Clone)]
pub struct Keeper {
    actor: ActorHandle<LeaseKeeper>,
    /// The claims' connection, for the questions that hold no lease (orphans, snapshots).
    database: ActorHandle<Database>,
}

impl Keeper {
    /// Starts a keeper for `config.node` over `claims` (a connection of its own, e.g.
    /// [`referee_store::PgStore::claims`]). Lost leases arrive on the receiver.
    ///
    /// # Errors
    /// [`ClusterError::Thread`]: the database's thread cannot be started.
    pub fn spawn(
        claims: Box<dyn Claims>,
        config: KeeperConfig,
    ) -> Result<(Keeper, mpsc::UnboundedReceiver<LeaseLost>), ClusterError> {
        let database = ActorBuilder::new()
            .name("claims")
            .spawn_thread(Database { claims })
            .map_err(|err| ClusterError::Thread(err.to_string()))?;
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let keeper = LeaseKeeper {
            config,
            database: database.clone(),
            held: HashMap::new(),
            lost,
        };
        let actor = ActorBuilder::new().name("lease keeper").spawn(keeper);
        Ok((Keeper { actor, database }, lost_rx))
    }

    /// Claims `room` for this node (the lease held from then on, renewed until released or
    /// lost). A room this keeper holds already answers its current claim.
    ///
    /// # Errors
    /// [`ClusterError::Store`] (nothing claimed), [`ClusterError::Stopped`].
    pub async fn acquire(&self, room: &str) -> Result<Acquired, ClusterError> {
        let asked = self
            .actor
            .ask_with(Acquire(room.to_owned()), Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
    }

    /// Gives `room` up (a graceful leave): no more renewals, and another node may claim it
    /// at once. `false`: it was not held.
    ///
    /// # Errors
    /// [`ClusterError::Store`] (the lease then runs out by itself), [`ClusterError::Stopped`].
    pub async fn release(&self, room: &str) -> Result<bool, ClusterError> {
        let give = Give {
            room: room.to_owned(),
            giving: Giving::Release,
        };
        let asked = self.actor.ask_with(give, Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
    }

    /// Gives `room` up for good: it closed (its last player left), so no node is to adopt
    /// it — its snapshot is deleted with the claim ([`referee_store::Claims::retire`]).
    /// `false`: it was not held.
    ///
    /// # Errors
    /// [`ClusterError::Store`] (the lease then runs out by itself), [`ClusterError::Stopped`].
    pub async fn retire(&self, room: &str) -> Result<bool, ClusterError> {
        let give = Give {
            room: room.to_owned(),
            giving: Giving::Retire,
        };
        let asked = self.actor.ask_with(give, Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
    }

    /// Hands `room` over (its host leaves gracefully; the room stopped taking moves and
    /// `body` is its last snapshot): no more renewals; the snapshot is saved marked handed
    /// over and the claim released in one transaction ([`referee_store::Claims::hand_over`]).
    /// `false`: it was not held (nothing saved).
    ///
    /// # Errors
    /// [`ClusterError::Store`] (nothing saved; the lease then runs out by itself),
    /// [`ClusterError::Stopped`].
    pub async fn hand_over(&self, room: &str, body: String) -> Result<bool, ClusterError> {
        let give = Give {
            room: room.to_owned(),
            giving: Giving::HandOver(body),
        };
        let asked = self.actor.ask_with(give, Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
    }

    /// The rooms whose host is gone, with a snapshot to restore them from
    /// ([`referee_store::Claims::orphans`]); asked of the database's thread.
    ///
    /// # Errors
    /// [`ClusterError::Store`], [`ClusterError::Stopped`].
    pub async fn orphans(&self) -> Result<Vec<ClaimRecord>, ClusterError> {
        let asked = self.database.ask_with(database::Orphans, Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
            .map_err(ClusterError::Store)
    }

    /// `room`'s last saved snapshot; asked of the database's thread.
    ///
    /// # Errors
    /// [`ClusterError::Store`], [`ClusterError::Stopped`].
    pub async fn snapshot_of(&self, room: &str) -> Result<Option<StoredSnapshot>, ClusterError> {
        let asked = self
            .database
            .ask_with(database::SnapshotOf(room.to_owned()), Timeout::Never);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
            .map_err(ClusterError::Store)
    }

    /// `room`'s rounds committed under its claim of `epoch` or later, numbered `round` or
    /// higher ([`referee_store::Claims::rounds_since`]): what a snapshot saved under `epoch`
    /// with `round` in play does not hold. Asked of the database's thread.
    ///
    /// # Errors
    /// [`ClusterError::Store`], [`ClusterError::Stopped`].
    pub async fn rounds_since(
        &self,
        room: &str,
        epoch: u64,
        round: u64,
    ) -> Result<Vec<CommittedRound>, ClusterError> {
        let asked = self.database.ask_with(
            database::RoundsSince {
                room: room.to_owned(),
                epoch,
                round,
            },
            Timeout::Never,
        );
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))?
            .map_err(ClusterError::Store)
    }

    /// The fence of `room` if this node holds its lease now: what its writes must carry.
    /// Never claims (unlike [`Keeper::acquire`]): a room whose lease was lost has none.
    ///
    /// # Errors
    /// [`ClusterError::Stopped`].
    pub async fn fence_of(&self, room: &str) -> Result<Option<Fence>, ClusterError> {
        let asked = self.actor.ask(FenceOf(room.to_owned()));
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))
    }

    /// [`Keeper::fence_of`] from a thread outside the runtime (a database's own thread):
    /// `None` also when the keeper is gone or inside a runtime.
    pub fn blocking_fence_of(&self, room: &str) -> Option<Fence> {
        self.actor
            .blocking_ask(FenceOf(room.to_owned()))
            .ok()
            .flatten()
    }

    /// The leases held now.
    ///
    /// # Errors
    /// [`ClusterError::Stopped`].
    pub async fn held(&self) -> Result<Vec<HeldLease>, ClusterError> {
        let asked = self.actor.ask(Leases);
        asked
            .await
            .map_err(|err| ClusterError::Stopped(err.to_string()))
    }
}

/// One lease held.
struct Held {
    fence: Fence,
    valid_until: Instant,
    renewing: bool,
    renewals: u64,
    last_error: Option<String>,
}

/// The keeper's state: the leases, by room.
struct LeaseKeeper {
    config: KeeperConfig,
    database: ActorHandle<Database>,
    held: HashMap<String, Held>,
    lost: mpsc::UnboundedSender<LeaseLost>,
}

impl Actor for LeaseKeeper {
    async fn started(&mut self, ctx: &mut Context<Self>) {
        self.tick_after(ctx);
    }
}

impl LeaseKeeper {
    fn tick_after(&self, ctx: &Context<Self>) {
        let every = self.config.renew_every.max(Duration::from_millis(1));
        ctx.pipe_to_self(tokio::time::sleep(every), |()| Tick);
    }

    /// Arms the timer that gives the lease up at its deadline less the margin.
    fn watch(&self, room: &str, held: &Held, ctx: &Context<Self>) {
        let at = held
            .valid_until
            .checked_sub(self.config.margin)
            .unwrap_or(held.valid_until);
        let (room, epoch) = (room.to_owned(), held.fence.epoch);
        ctx.pipe_to_self(tokio::time::sleep_until(at), move |()| Deadline {
            room,
            epoch,
        });
    }

    fn lose(&mut self, room: &str, why: LostWhy) {
        if let Some(held) = self.held.remove(room) {
            tracing::warn!(room, epoch = held.fence.epoch, ?why, "lease lost");
            // The receiver gone means the node is going away: nothing left to stop.
            let _ = self.lost.send(LeaseLost {
                fence: held.fence,
                why,
            });
        }
    }
}

struct Tick;

impl Message for Tick {
    type Reply = ();
}

impl Handler<Tick> for LeaseKeeper {
    fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
        // Every lease not already being renewed, in one statement: a node hosting a
        // thousand rooms must not spend a commit on each, every third of a lease.
        let mut fences = Vec::new();
        for held in self.held.values_mut().filter(|held| !held.renewing) {
            held.renewing = true;
            fences.push(held.fence.clone());
        }
        if !fences.is_empty() {
            let renew = database::RenewAll {
                fences: fences.clone(),
                lease: self.config.lease,
            };
            let (database, limit) = (self.database.clone(), self.config.lease);
            ctx.pipe_to_self(
                async move {
                    let answer = database.ask_with(renew, limit).await;
                    answer.map_err(|err| err.to_string())
                },
                move |answer| Renewed { fences, answer },
            );
        }
        self.tick_after(ctx);
    }
}

/// The answer to one renewal of `fences`: a lease (or `None`: lost) for each, in order.
struct Renewed {
    fences: Vec<Fence>,
    answer: Result<Result<Vec<Option<Lease>>, StoreError>, String>,
}

impl Message for Renewed {
    type Reply = ();
}

impl Handler<Renewed> for LeaseKeeper {
    fn handle(&mut self, msg: Renewed, ctx: &mut Context<Self>) {
        match msg.answer {
            Ok(Ok(leases)) => {
                for (fence, lease) in msg.fences.into_iter().zip(leases) {
                    self.renewed(fence, Ok(lease), ctx);
                }
            }
            // The deadline decides: a later renewal may still succeed in time.
            Ok(Err(err)) => {
                let err = err.to_string();
                for fence in msg.fences {
                    self.renewed(fence, Err(err.clone()), ctx);
                }
            }
            Err(err) => {
                for fence in msg.fences {
                    self.renewed(fence, Err(err.clone()), ctx);
                }
            }
        }
    }
}

impl LeaseKeeper {
    /// One lease's renewal answered: `Ok(None)` lost, `Err` failed (the deadline decides).
    fn renewed(
        &mut self,
        fence: Fence,
        answer: Result<Option<Lease>, String>,
        ctx: &mut Context<Self>,
    ) {
        let current = self.held.get_mut(&fence.room);
        let Some(held) = current.filter(|held| held.fence.epoch == fence.epoch) else {
            // Released or given up meanwhile. A renewal that still went through would keep
            // the room from other nodes for a whole lease: hand it back.
            if let Ok(Some(lease)) = answer {
                let database = self.database.clone();
                let release = database::Release {
                    fence: lease.fence,
                    giving: Giving::Release,
                };
                ctx.pipe_to_self(
                    async move { database.ask_with(release, Timeout::Never).await.is_ok() },
                    |_| Settled,
                );
            }
            return;
        };
        held.renewing = false;
        match answer {
            Ok(Some(lease)) => {
                held.valid_until = Instant::from_std(lease.valid_until);
                held.renewals += 1;
                held.last_error = None;
            }
            Ok(None) => self.lose(&fence.room, LostWhy::Taken),
            Err(err) => held.last_error = Some(err),
        }
    }
}

/// A late release done: nothing to do.
struct Settled;

impl Message for Settled {
    type Reply = ();
}

impl Handler<Settled> for LeaseKeeper {
    fn handle(&mut self, _: Settled, _: &mut Context<Self>) {}
}

struct Deadline {
    room: String,
    epoch: u64,
}

impl Message for Deadline {
    type Reply = ();
}

impl Handler<Deadline> for LeaseKeeper {
    fn handle(&mut self, msg: Deadline, ctx: &mut Context<Self>) {
        let Some(held) = self.held.get(&msg.room) else {
            return;
        };
        if held.fence.epoch != msg.epoch {
            return;
        }
        let give_up_at = held
            .valid_until
            .checked_sub(self.config.margin)
            .unwrap_or(held.valid_until);
        if Instant::now() >= give_up_at {
            let why = LostWhy::Unrenewed(held.last_error.clone());
            self.lose(&msg.room, why);
        } else {
            self.watch(&msg.room, held, ctx); // renewed since: wait for the new deadline
        }
    }
}

struct Acquire(String);

impl Message for Acquire {
    type Reply = Result<Acquired, ClusterError>;
}

impl Answer<Acquire> for LeaseKeeper {
    fn answer(
        &mut self,
        msg: Acquire,
        reply: ReplyTo<Result<Acquired, ClusterError>>,
        ctx: &mut Context<Self>,
    ) {
        if let Some(held) = self.held.get(&msg.0) {
            let _ = reply.send(Ok(Acquired::Won(held.fence.clone())));
            return;
        }
        let claim = database::Claim {
            room: msg.0,
            node: self.config.node.clone(),
            lease: self.config.lease,
        };
        let database = self.database.clone();
        ctx.pipe_to_self(
            async move { database.ask_with(claim, Timeout::Never).await },
            move |answer| ClaimAnswered {
                answer: answer.map_err(|err| ClusterError::Stopped(err.to_string())),
                reply,
            },
        );
    }
}

/// A claim's answer, back from the database with the asker's reply slot.
struct ClaimAnswered {
    answer: Result<Result<Claimed, StoreError>, ClusterError>,
    reply: ReplyTo<Result<Acquired, ClusterError>>,
}

impl Message for ClaimAnswered {
    type Reply = ();
}

impl Handler<ClaimAnswered> for LeaseKeeper {
    fn handle(&mut self, msg: ClaimAnswered, ctx: &mut Context<Self>) {
        let answer = match msg.answer {
            Ok(Ok(Claimed::Won(lease))) => {
                let room = lease.fence.room.clone();
                let held = Held {
                    fence: lease.fence.clone(),
                    valid_until: Instant::from_std(lease.valid_until),
                    renewing: false,
                    renewals: 0,
                    last_error: None,
                };
                self.watch(&room, &held, ctx);
                self.held.insert(room, held);
                Ok(Acquired::Won(lease.fence))
            }
            Ok(Ok(Claimed::Held(holder))) => Ok(Acquired::Held(holder)),
            Ok(Err(err)) => Err(ClusterError::Store(err)),
            Err(err) => Err(err),
        };
        let _ = msg.reply.send(answer);
    }
}

struct Give {
    room: String,
    giving: Giving,
}

impl Message for Give {
    type Reply = Result<bool, ClusterError>;
}

impl Answer<Give> for LeaseKeeper {
    fn answer(
        &mut self,
        msg: Give,
        reply: ReplyTo<Result<bool, ClusterError>>,
        ctx: &mut Context<Self>,
    ) {
        let Some(held) = self.held.remove(&msg.room) else {
            let _ = reply.send(Ok(false));
            return;
        };
        let database = self.database.clone();
        ctx.pipe_to_self(
            async move {
                let release = database::Release {
                    fence: held.fence,
                    giving: msg.giving,
                };
                let answer = database.ask_with(release, Timeout::Never);
                match answer.await {
                    Ok(released) => released.map_err(ClusterError::Store),
                    Err(err) => Err(ClusterError::Stopped(err.to_string())),
                }
            },
            move |answer| ReleaseAnswered { answer, reply },
        );
    }
}

/// A release's answer, back with its asker's reply slot.
struct ReleaseAnswered {
    answer: Result<bool, ClusterError>,
    reply: ReplyTo<Result<bool, ClusterError>>,
}

impl Message for ReleaseAnswered {
    type Reply = ();
}

impl Handler<ReleaseAnswered> for LeaseKeeper {
    fn handle(&mut self, msg: ReleaseAnswered, _: &mut Context<Self>) {
        let _ = msg.reply.send(msg.answer);
    }
}

struct Leases;

impl Message for Leases {
    type Reply = Vec<HeldLease>;
}

impl Handler<Leases> for LeaseKeeper {
    fn handle(&mut self, _: Leases, _: &mut Context<Self>) -> Vec<HeldLease> {
        let now = Instant::now();
        let mut leases: Vec<_> = self
            .held
            .values()
            .map(|held| HeldLease {
                fence: held.fence.clone(),
                renewals: held.renewals,
                left: held
                    .valid_until
                    .checked_sub(self.config.margin)
                    .unwrap_or(held.valid_until)
                    .saturating_duration_since(now),
            })
            .collect();
        leases.sort_by(|a, b| a.fence.room.cmp(&b.fence.room));
        leases
    }
}

struct FenceOf(String);

impl Message for FenceOf {
    type Reply = Option<Fence>;
}

impl Handler<FenceOf> for LeaseKeeper {
    fn handle(&mut self, msg: FenceOf, _: &mut Context<Self>) -> Option<Fence> {
        self.held.get(&msg.0).map(|held| held.fence.clone())
    }
}
