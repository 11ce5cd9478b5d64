//! [`Server`]: the lobby, the listener and the shutdown, put together.
//!
//! The top of the server: it starts the actors, makes what the connections share
//! (`shared.rs`), wires the transports (`tcp`, and `http` with the WebSocket routes of `ws`)
//! and, at shutdown, stops them in order: connections, then rooms, then the recorder.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use referee_rules::Render;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ServerConfig;
use crate::admission::Admission;
use crate::attempts::Attempts;
use crate::board::{Board, BoardHandle};
use crate::cluster::{ClusterNode, NUMBERS_PER_NODE, Node, NodeDuties};
use crate::connections::Connections;
use crate::ids::PlayerIds;
use crate::kick::Reason;
use crate::lobby::{Lobby, LobbyHandle};
use crate::metrics::Metrics;
use crate::parking::{ParkLimits, Parking, ParkingHandle};
use crate::records::{Recorder, RecorderHandle, StoreStatus};
use crate::shard::{Placement, Shards};
use crate::shared::Shared;
use referee_actor::WeakActorHandle;
use referee_store::Store;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The OS would not give entropy for the secrets.
    #[error("cannot seed the random number generator from the OS: {0}")]
    Entropy(String),
    /// The recorder's thread could not be started.
    #[error("cannot start the recorder: {0}")]
    Recorder(#[source] std::io::Error),
    /// The store gave no reader for the board (for SQLite: a second connection).
    #[error("cannot open the store for reading: {0}")]
    Reader(#[source] referee_store::StoreError),
}

/// How long shutdown waits for the recorder to commit what is left.
const RECORDER_GRACE: Duration = Duration::from_secs(30);

/// A Referee server for the game `G`.
///
/// ```no_run
/// # use referee_server::{Server, ServerConfig};
/// # use referee_rules::{GuessConfig, GuessNumber};
/// # async fn demo() -> anyhow::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:7878").await?;
/// let server = Server::<GuessNumber>::new(ServerConfig::default(), GuessConfig::default());
/// server.run(listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
/// # Ok(()) }
/// ```
pub struct Server<G: Render> {
    config: ServerConfig,
    game: G::Config,
    store: Option<Box<dyn Store>>,
    http: Option<TcpListener>,
    cluster: Option<Node>,
    shards: Shards,
    _game: PhantomData<fn() -> G>,
}

impl<G: Render> Server<G> {
    /// A server with these settings, whose rooms play `G` set up with `game`.
    pub fn new(config: ServerConfig, game: G::Config) -> Self {
        Server {
            config,
            game,
            store: None,
            http: None,
            cluster: None,
            shards: Shards::default(),
            _game: PhantomData,
        }
    }

    /// Also serves HTTP (health, the leaderboard as JSON) on this bound listener.
    pub fn with_http(mut self, listener: TcpListener) -> Self {
        self.http = Some(listener);
        self
    }

    /// Saves every won round in `store` (committed before it is announced) and serves the
    /// leaderboard from it. Without a store, nothing is kept and `/top` says so.
    pub fn with_store(mut self, store: Box<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Serves each connection on one of `shards` (see [`ShardThreads`](crate::ShardThreads)),
    /// and opens each room on the shard of the player who opens it. Call [`Server::run`] on
    /// shard 0's runtime.
    pub fn with_shards(mut self, shards: Shards) -> Self {
        self.shards = shards;
        self
    }

    /// Runs as a node of a cluster ([`Node::join`]): every room opened is claimed for this
    /// node and its results are fenced with the claim; room and player numbers come from the
    /// node's own range; `/api/cluster` shows the cluster. Needs a store in the same
    /// PostgreSQL ([`with_store`](Self::with_store)).
    pub fn with_cluster(mut self, node: Node) -> Self {
        self.cluster = Some(node);
        self
    }

    /// Serves players on `listener` until `shutdown` completes, then says goodbye to every
    /// connection, waits for them (at most the shutdown grace) and returns.
    ///
    /// # Errors
    /// [`ServerError::Entropy`] if no seed was configured and the OS gives no entropy.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let running = self.start().await?;
        running.serve(listener, shutdown).await;
        running.stop().await;
        Ok(())
    }

    /// Starts the actors (recorder, board, lobby, parking) and the HTTP side.
    async fn start(self) -> Result<Running<G>, ServerError> {
        let rngs = (self.rng()?, os_rng()?);
        let Server {
            mut config,
            game,
            store,
            http,
            cluster,
            shards,
            ..
        } = self;
        let metrics = Arc::new(Metrics::new());
        let records = store
            .map(|store| records(&config, store, &metrics))
            .transpose()?;
        let seats = (config.players_per_room, config.game_seats.as_slice());
        let window = config.reconnect_window;
        let recorder = records.as_ref().map(|(recorder, ..)| recorder.clone());
        let (node, lost_rx) = cluster.map(Node::into_parts).unzip();
        let claims = node.as_ref().map(|node| node.room_claims());
        let lobby = Lobby::<G>::spawn_clustered(seats, game, rngs, recorder, window, claims);
        let parking = parking(&config, &metrics)?;
        config.max_connections = crate::limits::clamp_to_descriptors(config.max_connections);
        let mut duties = node.clone().zip(lost_rx).map(|(node, lost_rx)| {
            let counters = metrics.cluster.clone();
            let metrics = metrics.clone();
            let connections = move || metrics.connections_open();
            NodeDuties::start(node, lost_rx, lobby.downgrade(), connections, counters)
        });
        if let Some(duties) = &mut duties {
            duties.serve_lobby(&lobby).await;
        }
        let running = Running {
            lobby: lobby.downgrade(),
            recorder: records.as_ref().map(|(recorder, ..)| recorder.downgrade()),
            grace: config.shutdown_grace,
            shared: Arc::new(shared(
                config,
                (lobby, parking),
                records,
                (metrics, node),
                shards,
            )),
            duties,
        };
        if let Some(http) = http {
            let shared = running.shared.clone();
            let serving = crate::http::serve(http, shared, crate::ws::routes::<G>());
            running.shared.tasks.spawn(serving);
        }
        Ok(running)
    }

    fn rng(&self) -> Result<StdRng, ServerError> {
        match self.config.seed {
            Some(seed) => Ok(StdRng::seed_from_u64(seed)),
            None => os_rng(),
        }
    }
}

/// A generator seeded by the OS (private room codes are always unpredictable).
fn os_rng() -> Result<StdRng, ServerError> {
    StdRng::try_from_rng(&mut SysRng).map_err(|err| ServerError::Entropy(err.to_string()))
}

/// The recorder, the board and the store's status, when there is a store.
type Records = (RecorderHandle, BoardHandle, Arc<StoreStatus>);

/// What the connections share, made from the running actors.
fn shared<G: Render>(
    config: ServerConfig,
    (lobby, parking): (LobbyHandle<G>, ParkingHandle<G>),
    records: Option<Records>,
    (metrics, cluster): (Arc<Metrics>, Option<Arc<ClusterNode>>),
    shards: Shards,
) -> Shared<G> {
    let (recorder, board, store_status) = match records {
        Some((recorder, board, status)) => (Some(recorder), Some(board), Some(status)),
        None => (None, None, None),
    };
    // Runs of a room's seats per shard: players who arrive together share one.
    let placement = Placement::new(shards.len(), config.players_per_room);
    Shared {
        placement,
        shards,
        attempts: Arc::new(Attempts::new(&config.guards)),
        admission: admission(&config),
        config,
        lobby,
        recorder,
        board,
        store_status,
        players: match &cluster {
            Some(node) => {
                PlayerIds::in_range_from(node.first_number(), NUMBERS_PER_NODE, node.first_player)
            }
            None => PlayerIds::default(),
        },
        parking,
        metrics,
        connection_ids: AtomicU64::new(0),
        shutdown: CancellationToken::new(),
        connections: Connections::default(),
        hard_stop: CancellationToken::new(),
        tasks: TaskTracker::new(),
        cluster,
    }
}

/// The recorder (writes) and the board (reads, on a reader of its own), sharing the
/// status the recorder reports.
fn records(
    config: &ServerConfig,
    store: Box<dyn Store>,
    metrics: &Metrics,
) -> Result<Records, ServerError> {
    let status = Arc::new(StoreStatus::new(metrics.storage.healthy.clone()));
    let reader = store.reader().map_err(ServerError::Reader)?;
    let max_age = config.leaderboard_cache;
    let board = Board::spawn(reader, status.clone(), max_age, metrics.storage.clone())
        .map_err(ServerError::Recorder)?;
    let recorder =
        Recorder::spawn(store, config.max_batch, status.clone()).map_err(ServerError::Recorder)?;
    Ok((recorder, board, status))
}

/// The parking actor, within the configured limits.
fn parking<G: Render>(
    config: &ServerConfig,
    metrics: &Metrics,
) -> Result<ParkingHandle<G>, ServerError> {
    let limits = ParkLimits {
        total: config.max_parked(),
        per_ip: config.guards.max_parked_per_ip,
    };
    Parking::spawn(config.reconnect_window, limits, metrics.guards.clone())
        .map_err(|err| ServerError::Entropy(err.to_string()))
}

/// The gate of every connection: `config.max_connections` slots, `config.max_per_ip` each.
fn admission(config: &ServerConfig) -> Admission {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    Admission::new(slots, config.max_per_ip)
}

/// A started server: what it serves with, and what shutdown waits for.
struct Running<G: Render> {
    shared: Arc<Shared<G>>,
    /// Watched, not held: the lobby stops once the connections let go of it.
    lobby: WeakActorHandle<Lobby<G>>,
    recorder: Option<WeakActorHandle<Recorder>>,
    /// How long shutdown waits for the connections, then for the lobby.
    grace: Duration,
    /// A cluster node's background duties, ended last.
    duties: Option<NodeDuties>,
}

impl<G: Render> Running<G> {
    /// Accepts TCP players until `shutdown` completes.
    async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        tokio::select! {
            () = crate::tcp::accept_loop(listener, self.shared.clone()) => {}
            () = shutdown => tracing::info!("shutting down"),
        }
    }

    /// Says goodbye to every connection and waits, boundedly, for the connections, then the
    /// lobby (and with it the rooms), and last the recorder.
    async fn stop(self) {
        let Running {
            shared,
            lobby,
            recorder,
            grace,
            mut duties,
        } = self;
        if let Some(duties) = &mut duties {
            duties.quiesce().await;
            duties.hand_over(&lobby).await;
        }
        shared.shutdown.cancel();
        shared.connections.kick_all(Reason::Shutdown);
        shared.tasks.close();
        if tokio::time::timeout(grace, shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not finish within {grace:?}; dropping them");
            // The connections still running are dropped where they stand (`shared.rs`).
            shared.hard_stop.cancel();
            if tokio::time::timeout(grace, shared.tasks.wait())
                .await
                .is_err()
            {
                tracing::error!("some connections could not be dropped");
            }
        }
        drop(shared);
        if tokio::time::timeout(grace, lobby.wait_stopped())
            .await
            .is_err()
        {
            tracing::warn!("the lobby did not stop within {grace:?}");
        }
        // Last: the recorder commits whatever is still queued once the rooms are gone.
        if let Some(recorder) = recorder {
            let stopped = tokio::time::timeout(RECORDER_GRACE, recorder.wait_stopped()).await;
            if stopped.is_err() {
                tracing::error!("the recorder did not finish within {RECORDER_GRACE:?}");
            }
        }
        if let Some(duties) = duties {
            duties.stop().await;
        }
    }
}
