//! [`Server`]: the lobby, the listener and the shutdown, put together.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use referee_rules::Render;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ServerConfig;
use crate::attempts::Attempts;
use crate::board::{Board, BoardHandle};
use crate::connections::Connections;
use crate::ids::PlayerIds;
use crate::kick::Reason;
use crate::lobby::{Lobby, LobbyHandle};
use crate::metrics::Metrics;
use crate::parking::{ParkLimits, Parking, ParkingHandle};
use crate::records::{Recorder, RecorderHandle, StoreStatus};
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
const RECORDER_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// What every connection task shares.
pub(crate) struct Shared<G: Render> {
    pub(crate) config: ServerConfig,
    pub(crate) lobby: LobbyHandle<G>,
    pub(crate) recorder: Option<RecorderHandle>,
    /// Reads of the records (leaderboard, tallies), apart from the recorder.
    pub(crate) board: Option<BoardHandle>,
    /// What the recorder reports: commits made, the last failure (`/healthz`).
    pub(crate) store_status: Option<Arc<StoreStatus>>,
    pub(crate) players: PlayerIds,
    /// Seats of dropped WebSocket players, and the tokens that bring them back.
    pub(crate) parking: ParkingHandle<G>,
    pub(crate) metrics: Arc<Metrics>,
    /// The gate every new connection passes: the connection slots (`--max-connections`),
    /// shared by TCP, WebSocket and HTTP, and the share per address (`--max-per-ip`).
    pub(crate) admission: crate::admission::Admission,
    /// Numbers every connection, whatever its transport.
    pub(crate) connection_ids: AtomicU64,
    /// Cancelled when the server shuts down (the HTTP side listens to it).
    pub(crate) shutdown: CancellationToken,
    /// The open connections' switches: at shutdown each is thrown, and each says goodbye.
    pub(crate) connections: Connections,
    /// Cancelled when the shutdown grace is over: connections still running are dropped.
    pub(crate) hard_stop: CancellationToken,
    pub(crate) tasks: TaskTracker,
    /// Failed room lookups by client address (`attempts.rs`).
    pub(crate) attempts: Arc<Attempts>,
}

impl<G: Render> Shared<G> {
    /// A number for a new connection, unique for the life of the server.
    pub(crate) fn next_connection(&self) -> u64 {
        self.connection_ids.fetch_add(1, Ordering::Relaxed)
    }
}

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
        let grace = self.config.shutdown_grace;
        let rng = self.rng()?;
        let metrics = Arc::new(Metrics::new());
        let (recorder, board, store_status) = match self.store {
            Some(store) => {
                let (recorder, board, status) = records(&self.config, store, &metrics)?;
                (Some(recorder), Some(board), Some(status))
            }
            None => (None, None, None),
        };
        let watch_recorder = recorder.as_ref().map(|recorder| recorder.downgrade());
        let capacity = self.config.players_per_room;
        let window = self.config.reconnect_window;
        let codes_rng = StdRng::try_from_rng(&mut SysRng)
            .map_err(|err| ServerError::Entropy(err.to_string()))?;
        let rngs = (rng, codes_rng);
        let lobby = Lobby::<G>::spawn(capacity, self.game, rngs, recorder.clone(), window);
        let watch_lobby = lobby.downgrade();
        let limits = ParkLimits {
            total: self.config.max_parked(),
            per_ip: self.config.guards.max_parked_per_ip,
        };
        let parking = Parking::spawn(window, limits, metrics.guards.clone())
            .map_err(|err| ServerError::Entropy(err.to_string()))?;
        let attempts = Arc::new(Attempts::new(&self.config.guards));
        let mut config = self.config;
        config.max_connections = crate::limits::clamp_to_descriptors(config.max_connections);
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let admission = crate::admission::Admission::new(slots, config.max_per_ip);
        let shared = Arc::new(Shared {
            attempts,
            config,
            lobby,
            recorder,
            board,
            store_status,
            players: PlayerIds::default(),
            parking,
            metrics,
            admission,
            connection_ids: AtomicU64::new(0),
            shutdown: CancellationToken::new(),
            connections: Connections::default(),
            hard_stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
        });
        if let Some(http) = self.http {
            shared.tasks.spawn(crate::http::serve(http, shared.clone()));
        }
        tokio::select! {
            () = crate::tcp::accept_loop(listener, shared.clone()) => {}
            () = shutdown => tracing::info!("shutting down"),
        }
        shared.shutdown.cancel();
        shared.connections.kick_all(Reason::Shutdown);
        shared.tasks.close();
        if tokio::time::timeout(grace, shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not finish within {grace:?}");
        }
        drop(shared);
        if tokio::time::timeout(grace, watch_lobby.wait_stopped())
            .await
            .is_err()
        {
            tracing::warn!("the lobby did not stop within {grace:?}");
        }
        // Last: the recorder commits whatever is still queued once the rooms are gone.
        if let Some(recorder) = watch_recorder {
            let stopped = tokio::time::timeout(RECORDER_GRACE, recorder.wait_stopped()).await;
            if stopped.is_err() {
                tracing::error!("the recorder did not finish within {RECORDER_GRACE:?}");
            }
        }
        Ok(())
    }

    fn rng(&self) -> Result<StdRng, ServerError> {
        match self.config.seed {
            Some(seed) => Ok(StdRng::seed_from_u64(seed)),
            None => StdRng::try_from_rng(&mut SysRng)
                .map_err(|err| ServerError::Entropy(err.to_string())),
        }
    }
}

/// The recorder (writes) and the board (reads, on a reader of its own), sharing the
/// status the recorder reports.
fn records(
    config: &ServerConfig,
    store: Box<dyn Store>,
    metrics: &Metrics,
) -> Result<(RecorderHandle, BoardHandle, Arc<StoreStatus>), ServerError> {
    let status = Arc::new(StoreStatus::new(metrics.storage.healthy.clone()));
    let reader = store.reader().map_err(ServerError::Reader)?;
    let max_age = config.leaderboard_cache;
    let board = Board::spawn(reader, status.clone(), max_age, metrics.storage.clone())
        .map_err(ServerError::Recorder)?;
    let recorder =
        Recorder::spawn(store, config.max_batch, status.clone()).map_err(ServerError::Recorder)?;
    Ok((recorder, board, status))
}
