//! [`Server`]: the lobby, the listener and the shutdown, put together.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use referee_rules::Render;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ServerConfig;
use crate::ids::PlayerIds;
use crate::lobby::{Lobby, LobbyHandle};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The OS would not give entropy for the secrets.
    #[error("cannot seed the random number generator from the OS: {0}")]
    Entropy(String),
}

/// What every connection task shares.
pub(crate) struct Shared<G: Render> {
    pub(crate) config: ServerConfig,
    pub(crate) lobby: LobbyHandle<G>,
    pub(crate) players: PlayerIds,
    /// Cancelled when the server shuts down: every connection says goodbye.
    pub(crate) shutdown: CancellationToken,
    pub(crate) tasks: TaskTracker,
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
    _game: PhantomData<fn() -> G>,
}

impl<G: Render> Server<G> {
    /// A server with these settings, whose rooms play `G` set up with `game`.
    pub fn new(config: ServerConfig, game: G::Config) -> Self {
        Server {
            config,
            game,
            _game: PhantomData,
        }
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
        let lobby = Lobby::<G>::spawn(self.config.players_per_room, self.game, rng);
        let watch_lobby = lobby.downgrade();
        let shared = Arc::new(Shared {
            config: self.config,
            lobby,
            players: PlayerIds::default(),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
        });
        tokio::select! {
            () = crate::tcp::accept_loop(listener, shared.clone()) => {}
            () = shutdown => tracing::info!("shutting down"),
        }
        shared.shutdown.cancel();
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
