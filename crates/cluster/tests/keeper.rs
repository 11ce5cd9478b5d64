//! The lease keeper against a real PostgreSQL (a fresh schema per test; skipped, saying why,
//! when none is reachable, unless `REFEREE_REQUIRE_POSTGRES=1`): leases kept alive past their
//! first deadline, a lease taken by another node reported lost, and a node cut off from the
//! database giving its lease up before the database lets anyone else take it.
//!
//! Leases here are short (a second or two) and real: the database's clock decides expiry.
//! Tests wait for what the keeper reports, bounded, never for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use referee_cluster::{Acquired, Keeper, KeeperConfig, LeaseLost, LostWhy};
use referee_store::pg_testing::TestSchema;
use referee_store::{Claimed, Claims, PgStore};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

/// How long any wait here may take before the test fails.
const BOUND: Duration = Duration::from_secs(20);

fn schema(test: &str) -> Option<TestSchema> {
    TestSchema::create(test).unwrap_or_else(|e| panic!("{e}"))
}

/// A store in the test's schema at `url` (connected off the runtime: the driver blocks).
async fn store_at(url: String, schema: &TestSchema) -> PgStore {
    let schema = schema.schema().to_owned();
    tokio::task::spawn_blocking(move || PgStore::connect_in_schema(&url, &schema))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn keeper(
    store: &PgStore,
    config: KeeperConfig,
) -> (Keeper, mpsc::UnboundedReceiver<LeaseLost>) {
    let claims = store.claims().unwrap_or_else(|e| panic!("{e}"));
    Keeper::spawn(Box::new(claims), config).unwrap_or_else(|e| panic!("{e}"))
}

async fn won(keeper: &Keeper, room: &str) -> referee_store::Fence {
    match keeper.acquire(room).await {
        Ok(Acquired::Won(fence)) => fence,
        other => panic!("expected {room} to be won: {other:?}"),
    }
}

/// Another node's view of the claims, through a connection of its own.
async fn other_node(schema: &TestSchema) -> referee_store::PgClaims {
    store_at(schema.url().to_owned(), schema)
        .await
        .claims()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_is_renewed_past_its_deadline_and_keeps_other_nodes_out() {
    let Some(pg) = schema("keeper_renew") else {
        return;
    };
    let store = store_at(pg.url().to_owned(), &pg).await;
    let lease = Duration::from_millis(600);
    let (keeper, mut lost) = keeper(&store, KeeperConfig::new("node-a", lease)).await;
    let fence = won(&keeper, "guess/1").await;
    assert_eq!((fence.node.as_str(), fence.epoch), ("node-a", 1));
    assert_eq!(
        keeper.acquire("guess/1").await.ok(),
        Some(Acquired::Won(fence.clone())),
        "a room held already answers its claim"
    );

    // Four renewals: well past the first lease's end (600 ms), at 200 ms each.
    tokio::time::timeout(BOUND, async {
        loop {
            let held = keeper.held().await.unwrap_or_default();
            if held.first().is_some_and(|h| h.renewals >= 4) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the lease was not renewed"));

    assert!(lost.try_recv().is_err(), "a renewed lease is not lost");
    let mut other = other_node(&pg).await;
    let claimed = blocking(move || other.claim("guess/1", "node-b", lease)).await;
    assert!(
        matches!(&claimed, Ok(Claimed::Held(h)) if h.node == "node-a" && h.epoch == 1),
        "{claimed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_taken_by_another_node_is_reported_lost() {
    let Some(pg) = schema("keeper_taken") else {
        return;
    };
    let store = store_at(pg.url().to_owned(), &pg).await;
    let lease = Duration::from_millis(900);
    let (keeper, mut lost) = keeper(&store, KeeperConfig::new("node-a", lease)).await;
    let fence = won(&keeper, "dice/3").await;

    // The database's clock runs the lease out and node B takes the room.
    pg.execute("UPDATE room_claims SET expires_at = clock_timestamp()")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut other = other_node(&pg).await;
    let taken = blocking(move || other.claim("dice/3", "node-b", Duration::from_secs(30))).await;
    assert!(matches!(taken, Ok(Claimed::Won(_))), "{taken:?}");

    let heard = tokio::time::timeout(BOUND, lost.recv())
        .await
        .ok()
        .flatten();
    assert_eq!(
        heard,
        Some(LeaseLost {
            fence,
            why: LostWhy::Taken
        })
    );
    assert_eq!(keeper.held().await.map(|h| h.len()).ok(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_the_database_gives_up_before_its_lease_runs_out() {
    let Some(pg) = schema("keeper_cut") else {
        return;
    };
    let proxy = Proxy::start().await;
    let url = pg.url().replace("127.0.0.1:5432", &proxy.addr.to_string());
    assert_ne!(url, pg.url(), "the test's URL goes through the proxy");
    let store = store_at(url, &pg).await;
    let lease = Duration::from_millis(2_000);
    let config = KeeperConfig {
        margin: lease / 2,
        ..KeeperConfig::new("node-a", lease)
    };
    let (keeper, mut lost) = keeper(&store, config).await;
    let fence = won(&keeper, "guess/9").await;

    // From now on nothing gets through: statements hang, as on a dead network.
    proxy.cut.notify_waiters();
    let heard = tokio::time::timeout(BOUND, lost.recv())
        .await
        .ok()
        .flatten();
    let Some(LeaseLost {
        fence: lost_fence,
        why: LostWhy::Unrenewed(_),
    }) = heard
    else {
        panic!("the cut-off node must give its lease up: {heard:?}");
    };
    assert_eq!(lost_fence, fence);

    // Given up while the database still holds it for node A: nobody could have taken the
    // room yet, so the node stopped hosting first.
    let mut other = other_node(&pg).await;
    let claims = blocking(move || other.claims()).await;
    let claims = claims.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claims.len(), 1);
    assert!(
        claims[0].live && claims[0].node == "node-a" && claims[0].expires_in_ms > 0,
        "given up only after the lease ran out: {claims:?}"
    );
}

/// A TCP proxy to PostgreSQL that the test can cut: after [`Proxy::cut`], bytes are no longer
/// passed on either way, but the connections stay open — the node's statements hang.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let cut = Arc::new(Notify::new());
        let on_cut = cut.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let on_cut = on_cut.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect("127.0.0.1:5432").await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = on_cut.notified() => {
                            // Hold both ends open, passing nothing, until the test ends.
                            std::future::pending::<()>().await;
                        }
                    }
                });
            }
        });
        Proxy { addr, cut }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_room_is_left_for_adoption_and_a_retired_one_is_not() {
    let Some(pg) = schema("keeper_retire") else {
        return;
    };
    let store = store_at(pg.url().to_owned(), &pg).await;
    let (keeper, _lost) = keeper(&store, KeeperConfig::new("node-a", BOUND)).await;
    let handed = won(&keeper, "guess/1").await;
    let closed = won(&keeper, "guess/2").await;
    let mut saver = store_at(pg.url().to_owned(), &pg).await;
    blocking(move || {
        use referee_store::Store;
        for fence in [&handed, &closed] {
            saver
                .save_snapshot(fence, "{}")
                .unwrap_or_else(|e| panic!("{e}"));
        }
    })
    .await;
    assert!(
        keeper
            .orphans()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert_eq!(keeper.release("guess/1").await.ok(), Some(true));
    assert_eq!(keeper.retire("guess/2").await.ok(), Some(true));
    let orphans = keeper.orphans().await.unwrap_or_else(|e| panic!("{e}"));
    let rooms: Vec<&str> = orphans.iter().map(|orphan| orphan.room.as_str()).collect();
    assert_eq!(rooms, vec!["guess/1"]);
    let snapshot = keeper
        .snapshot_of("guess/1")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snapshot.map(|s| s.body), Some("{}".to_owned()));
    assert_eq!(keeper.snapshot_of("guess/2").await.ok(), Some(None));
}
