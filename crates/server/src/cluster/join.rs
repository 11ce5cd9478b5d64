//! Joining the cluster at start-up: NATS reached, the node registered in PostgreSQL (its
//! index given or given back), its lease keeper started. Every step that cannot be done
//! stops the start-up with an error that says which and why, before a port serves players.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use referee_cluster::{ClusterError, Keeper, KeeperConfig, LeaseLost};
use referee_store::{Claims, NodeAddresses, PgClaims, PgStore, Registration, StoreError};
use tokio::sync::mpsc;

use super::keys::NodeKeys;
use super::nats::{NatsTls, NatsTlsError, redacted, with_credentials};
use super::saver::SnapshotSaver;
use super::{ClusterNode, NUMBERS_PER_NODE, StatusReads, claimed_room};
use crate::ids::RoomId;

/// How long a node tries to reach NATS at start-up before giving up.
const NATS_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest node name.
const MAX_NAME: usize = 32;

/// How a node joins its cluster.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// NATS, `nats://host:port` (a user and password, or a token, may come before the host).
    pub nats: String,
    /// The TLS required of NATS.
    pub tls: NatsTls,
    /// The node's name, unique in the cluster ([`valid_node_name`]).
    pub name: String,
    /// How long a claim on a room holds without renewal.
    pub lease: Duration,
    /// Rotate the cluster's token key once it is older than this (`None`: never on a
    /// schedule). See `key_age.rs`.
    pub token_key_max_age: Option<Duration>,
}

/// Why a node could not join its cluster.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// NATS could not be reached in time.
    #[error("cannot reach NATS at {url}: {detail}")]
    Nats {
        /// Where NATS was looked for, without credentials.
        url: String,
        /// Why not.
        detail: String,
    },
    /// The TLS settings for NATS cannot be used.
    #[error("cannot use the TLS settings for NATS: {0}")]
    Tls(#[from] NatsTlsError),
    /// The node could not register in the database.
    #[error("cannot register the node in the database: {0}")]
    Store(#[from] StoreError),
    /// The lease keeper could not start.
    #[error("cannot start the lease keeper: {0}")]
    Keeper(#[from] ClusterError),
    /// A blocking step could not run.
    #[error("cannot register the node: {0}")]
    Blocking(String),
    /// The database's token keys are missing or not hex (`cluster_meta.token_key`,
    /// `previous_token_key`).
    #[error("the cluster's token key in the database is missing or malformed")]
    TokenKey,
}

/// A node that joined its cluster, for [`crate::Server::with_cluster`].
pub struct Node {
    pub(crate) node: Arc<ClusterNode>,
    /// Leases the keeper gave up: each closes its room.
    pub(crate) lost_rx: mpsc::UnboundedReceiver<LeaseLost>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

impl Node {
    /// Joins the cluster: connects to NATS, registers `config.name` at `addresses` in
    /// `store`'s database (a name registered before gets its index back) and starts the
    /// lease keeper, on connections of its own.
    ///
    /// # Errors
    /// [`JoinError::Nats`] when NATS cannot be reached within 5 s; the store's and the
    /// keeper's failures.
    pub async fn join(
        config: NodeConfig,
        store: &PgStore,
        addresses: NodeAddresses,
    ) -> Result<Node, JoinError> {
        let client = connect(&config.nats, &config.tls).await?;
        let nodes = Arc::new(Mutex::new(store.nodes()?));
        let Registration { index, run } = register(&nodes, &config.name, addresses.clone()).await?;
        let prefix = format!("referee.{}", cluster_id(&nodes).await?);
        let tokens = token_key(&nodes).await?;
        let first_room = first_room(store.claims()?, index).await?;
        let keeper_config = KeeperConfig::new(config.name.clone(), config.lease);
        let (keeper, lost_rx) = Keeper::spawn(Box::new(store.claims()?), keeper_config)?;
        let saver = SnapshotSaver::spawn(Box::new(store.another()?))
            .map_err(|err| JoinError::Blocking(err.to_string()))?;
        let node = ClusterNode {
            client,
            run: super::liveness::run_name(&config.name, run),
            name: config.name,
            index,
            prefix,
            tokens,
            first_room,
            first_player: first_player(run),
            view: super::KnownNodes::default(),
            addresses,
            saver,
            keeper,
            releasing: tokio_util::task::TaskTracker::new(),
            lease: config.lease,
            token_key_max_age: config.token_key_max_age,
            nodes,
            reads: Arc::new(Mutex::new(StatusReads {
                nodes: store.nodes()?,
                claims: store.claims()?,
            })),
        };
        tracing::info!(node = %node.name, index, "joined the cluster");
        Ok(Node {
            node: Arc::new(node),
            lost_rx,
        })
    }

    /// The node, and the leases its keeper gives up.
    pub(crate) fn into_parts(self) -> (Arc<ClusterNode>, mpsc::UnboundedReceiver<LeaseLost>) {
        (self.node, self.lost_rx)
    }

    /// The node's index in the cluster.
    pub fn index(&self) -> u32 {
        self.node.index
    }
}

/// Whether `name` may name a node: 1 to 32 characters of `A-Z a-z 0-9 _ -` (it appears in
/// claims, NATS subjects and URLs as it is).
pub fn valid_node_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

async fn connect(url: &str, tls: &NatsTls) -> Result<async_nats::Client, JoinError> {
    let failed = |detail: String| JoinError::Nats {
        url: redacted(url),
        detail,
    };
    let options = async_nats::ConnectOptions::new().connection_timeout(NATS_TIMEOUT);
    let options = tls.apply(with_credentials(options, url))?;
    match tokio::time::timeout(NATS_TIMEOUT, options.connect(url)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(failed(err.to_string())),
        Err(_) => Err(failed(format!("no answer within {NATS_TIMEOUT:?}"))),
    }
}

async fn register(
    nodes: &Arc<Mutex<referee_store::PgNodes>>,
    name: &str,
    addresses: NodeAddresses,
) -> Result<Registration, JoinError> {
    let (nodes, name) = (nodes.clone(), name.to_owned());
    let registered = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nodes.register(&name, &addresses)
    });
    registered
        .await
        .map_err(|err| JoinError::Blocking(err.to_string()))?
        .map_err(JoinError::Store)
}

/// How many player numbers a run of a node has to itself before the next run's slice.
const PLAYERS_PER_RUN: u64 = 1_000_000;

/// Where in its node's range run `run` (from 1) numbers its players: a slice of
/// [`PLAYERS_PER_RUN`] of its own, so consecutive runs never share a number (the range holds
/// a thousand slices; run 1,001 reuses run 1's, long gone).
fn first_player(run: u64) -> u64 {
    let slices = NUMBERS_PER_NODE / PLAYERS_PER_RUN;
    (run.saturating_sub(1) % slices) * PLAYERS_PER_RUN
}

/// The first room number of node `index`'s new run: one past the highest its earlier runs
/// claimed (so a room adopted by another node after a failure keeps its number to itself).
async fn first_room(mut claims: PgClaims, index: u32) -> Result<RoomId, JoinError> {
    let first = u64::from(index) * NUMBERS_PER_NODE + 1;
    let read = tokio::task::spawn_blocking(move || claims.claims());
    let claims = read
        .await
        .map_err(|err| JoinError::Blocking(err.to_string()))?
        .map_err(JoinError::Store)?;
    Ok(next_free(
        first,
        claims.iter().filter_map(|claim| claimed_room(&claim.room)),
    ))
}

/// One past the highest of `used` in the range of numbers starting at `first`, or `first`.
fn next_free(first: RoomId, used: impl Iterator<Item = RoomId>) -> RoomId {
    let last = first.saturating_add(NUMBERS_PER_NODE - 1);
    used.filter(|room| (first..last).contains(room))
        .max()
        .map_or(first, |highest| highest + 1)
}

/// The cluster's id, as the shared database has it.
async fn cluster_id(nodes: &Arc<Mutex<referee_store::PgNodes>>) -> Result<String, JoinError> {
    let nodes = nodes.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nodes.cluster_id()
    });
    read.await
        .map_err(|err| JoinError::Blocking(err.to_string()))?
        .map_err(JoinError::Store)
}

/// The keys the cluster signs and checks players' tokens with, and the tokens revoked, as
/// the shared database has them: a node serves no player before it knows both.
async fn token_key(nodes: &Arc<Mutex<referee_store::PgNodes>>) -> Result<NodeKeys, JoinError> {
    let nodes = nodes.clone();
    let read = tokio::task::spawn_blocking(move || {
        let mut nodes = nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok::<_, StoreError>((nodes.token_keys()?, nodes.token_revocations(None)?))
    });
    let (hex, revoked) = read
        .await
        .map_err(|err| JoinError::Blocking(err.to_string()))?
        .map_err(JoinError::Store)?;
    let keys = NodeKeys::new(hex).map_err(|_| JoinError::TokenKey)?;
    if let Some(revoked) = revoked {
        keys.revoked().update(revoked);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_are_short_and_plain() {
        for good in ["a", "node-1", "EU_west_2", &"x".repeat(32)] {
            assert!(valid_node_name(good), "{good}");
        }
        for bad in ["", "node 1", "nöde", "a.b", "a/b", "a*", &"x".repeat(33)] {
            assert!(!valid_node_name(bad), "{bad}");
        }
    }

    #[test]
    fn each_run_numbers_its_players_in_a_slice_of_its_own() {
        assert_eq!(first_player(1), 0);
        assert_eq!(first_player(2), PLAYERS_PER_RUN);
        let slices: std::collections::BTreeSet<u64> = (1..=1_000).map(first_player).collect();
        assert_eq!(slices.len(), 1_000, "a thousand runs, a thousand slices");
        assert!(
            slices
                .iter()
                .all(|first| first + PLAYERS_PER_RUN <= NUMBERS_PER_NODE)
        );
        assert_eq!(first_player(1_001), first_player(1), "then they come round");
    }

    #[test]
    fn a_new_run_numbers_its_rooms_past_its_earlier_runs_and_ignores_other_nodes() {
        let first = 2 * NUMBERS_PER_NODE + 1;
        assert_eq!(next_free(first, std::iter::empty()), first);
        let used = [first, first + 7, 3 * NUMBERS_PER_NODE + 9, 5];
        assert_eq!(next_free(first, used.into_iter()), first + 8);
    }
}
